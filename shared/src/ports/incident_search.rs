//! A licensee's incidents, newest first, paged: the console's board and its
//! past-incident search. DynamoDB answers from the `incidents-by-licensee`
//! index (`licensee_id`, `received_at`) that every incident item already
//! carries, so no write path changes (see `docs/data-model.md`).

use super::store::StoreError;
use crate::ids::{IncidentId, LicenseeId};
use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentPage {
    pub incidents: Vec<IncidentId>,
    /// Where the next page starts; None on the last page. Opaque to callers.
    pub next: Option<String>,
}

#[async_trait]
pub trait IncidentSearch: Send + Sync {
    /// Up to `limit` of the licensee's incidents, newest received first, after `cursor`.
    async fn recent_incidents(
        &self,
        licensee: &LicenseeId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<IncidentPage, StoreError>;
}
