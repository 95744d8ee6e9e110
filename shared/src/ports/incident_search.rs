//! A licensee's incidents, newest first, paged: the console's board and its
//! past-incident search. DynamoDB answers from the `incidents-by-licensee`
//! index (`licensee_id`, `received_at`) that every incident item already
//! carries, so no write path changes (see `docs/data-model.md`).

use super::store::StoreError;
use crate::ids::{IncidentId, LicenseeId};
use async_trait::async_trait;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentPage {
    pub incidents: Vec<IncidentId>,
    /// Where the next page starts; None on the last page. Opaque to callers.
    pub next: Option<String>,
}

/// Received between `from` and `to` (inclusive; either open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Received {
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

impl Received {
    pub const ANY: Received = Received { from: None, to: None };

    pub fn contains(&self, at: OffsetDateTime) -> bool {
        self.from.is_none_or(|f| at >= f) && self.to.is_none_or(|t| at <= t)
    }
}

#[async_trait]
pub trait IncidentSearch: Send + Sync {
    /// Up to `limit` of the licensee's incidents received in `received`,
    /// newest first, after `cursor`.
    async fn recent_incidents(
        &self,
        licensee: &LicenseeId,
        received: Received,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<IncidentPage, StoreError>;
}
