//! The local stand-in for the reports function's DynamoDB Stream (the
//! embedded store and moto have none): every few seconds the report rows of
//! each demo licensee's newest incidents are re-derived and stored, which is
//! idempotent, so the console's reports page shows what has happened.

use sim::ids::LicenseeId;
use sim::ports::incident_search::{IncidentSearch, Received};
use sim::ports::Store;

/// How many of each licensee's newest incidents are refreshed each time.
const NEWEST: usize = 50;

/// Refreshes the rows of the newest incidents of `licensees`; returns how many.
pub async fn refresh_newest(store: &dyn Store, search: &dyn IncidentSearch, licensees: &[LicenseeId]) -> usize {
    let mut refreshed = 0;
    for licensee in licensees {
        let page = match search.recent_incidents(licensee, Received::ANY, NEWEST, None).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(%licensee, %error, "report rows not refreshed");
                continue;
            }
        };
        for id in page.incidents {
            match sim::reports::refresh(store, &id).await {
                Ok(Some(_)) => refreshed += 1,
                Ok(None) => {}
                Err(error) => tracing::warn!(incident = %id, %error, "report row not refreshed"),
            }
        }
    }
    refreshed
}
