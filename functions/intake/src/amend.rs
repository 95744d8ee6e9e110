//! `POST /v1/incidents/{id}/updates`: apply a police amendment and hand the
//! incident on again for re-categorisation.

use crate::auth::incident_for;
use crate::report::hand_on_or_leave_for_sweep;
use crate::respond::json;
use crate::{Deps, IntakeError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use serde_json::Value;
use sim::domain::incident::{HandoffReason, PendingHandoff};
use sim::domain::{Caller, Event, Incident, IncidentAmendment, TimelineEvent};
use sim::ids::IncidentId;
use sim::ports::StoreError;

#[derive(Serialize)]
struct Answer<'a> {
    id: &'a IncidentId,
    version: u32,
    status: &'static str,
    changes: Vec<String>,
}

/// Concurrent amendments to one incident are rare; a few optimistic retries suffice.
const ATTEMPTS: usize = 3;

pub async fn amend(deps: &Deps, caller: &Caller, id: &str, body: Value) -> Result<Response<Body>, IntakeError> {
    let mut incident = incident_for(deps, caller, id).await?;
    let amendment = IncidentAmendment::from_json(&body).map_err(IntakeError::Invalid)?;
    for _ in 0..ATTEMPTS {
        let (report, changes) = amendment.apply(&incident.report);
        if changes.is_empty() {
            let body = Answer { id: &incident.id, version: incident.version, status: "no_change", changes };
            return Ok(json(StatusCode::OK, &body));
        }
        let now = deps.clock.now();
        // If the first report has not been categorised yet, it still needs
        // categorising as new. Sent again now, so the sweeper counts afresh.
        let handoff = match incident.handoff.clone() {
            Some(pending) if pending.reason == HandoffReason::Reported => {
                PendingHandoff { attempts: 0, last_sent: Some(now), ..pending }
            }
            _ => PendingHandoff::new(HandoffReason::Amended, now),
        };
        let next = Incident { report, version: incident.version + 1, handoff: Some(handoff), ..incident.clone() };
        let event = TimelineEvent::new(
            &*deps.ids,
            &next.id,
            now,
            Event::Amended { caller_id: caller.id.clone(), changes: changes.clone() },
        );
        match deps.store.update_incident(&next, &[event]).await {
            Ok(()) => {
                tracing::info!(incident_id = %next.id, version = next.version, "police amendment stored");
                // The licensee's rules, if a warm container keeps it (no read for them).
                let licensee = deps.settings.reads.kept_licensee(&*deps.clock, &next.licensee_id);
                hand_on_or_leave_for_sweep(deps, &next, licensee.as_ref()).await;
                let body = Answer { id: &next.id, version: next.version, status: "updated", changes };
                return Ok(json(StatusCode::ACCEPTED, &body));
            }
            Err(StoreError::Conflict) => incident = incident_for(deps, caller, id).await?,
            Err(other) => return Err(other.into()),
        }
    }
    Err(IntakeError::Contended)
}
