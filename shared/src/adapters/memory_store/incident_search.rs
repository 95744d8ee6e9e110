//! The in-memory store answers the console's incident search from its own map.

use super::MemoryStore;
use crate::ids::LicenseeId;
use crate::ports::incident_search::{IncidentPage, IncidentSearch, Received};
use crate::ports::store::StoreError;
use async_trait::async_trait;

#[async_trait]
impl IncidentSearch for MemoryStore {
    async fn recent_incidents(
        &self,
        licensee: &LicenseeId,
        received: Received,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<IncidentPage, StoreError> {
        let state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut found: Vec<_> = state
            .incidents
            .values()
            .filter(|i| &i.licensee_id == licensee && received.contains(i.received_at))
            .collect();
        found.sort_by(|a, b| (b.received_at, &b.id).cmp(&(a.received_at, &a.id)));
        let skip: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let incidents: Vec<_> = found.iter().skip(skip).take(limit).map(|i| i.id.clone()).collect();
        let next = (skip + incidents.len() < found.len()).then(|| (skip + incidents.len()).to_string());
        Ok(IncidentPage { incidents, next })
    }
}
