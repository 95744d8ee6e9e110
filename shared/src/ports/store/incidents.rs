//! Incidents as police reported and amended them, the idempotency key of
//! each report, the hand-off to categorisation and the timeline.

use super::StoreError;
use crate::domain::incident::PoliceReference;
use crate::domain::{AreaName, Incident, TimelineEvent};
use crate::ids::{CallerId, IncidentId, LicenseeId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Remembers which incident a caller's police reference became, so a retry
/// is recognised (idempotency key: caller × police reference).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportKey {
    pub caller_id: CallerId,
    pub police_reference: PoliceReference,
    pub incident_id: IncidentId,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    Created,
    /// The caller already reported this police reference.
    AlreadyReported(ReportKey),
}

#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// Atomically stores a new incident, its report key and its first
    /// timeline events, unless the caller already reported the reference.
    async fn create_incident(&self, incident: &Incident, events: &[TimelineEvent])
        -> Result<CreateOutcome, StoreError>;

    async fn get_incident(&self, id: &IncidentId) -> Result<Option<Incident>, StoreError>;

    async fn report_key(&self, caller: &CallerId, reference: &PoliceReference)
        -> Result<Option<ReportKey>, StoreError>;

    /// Atomically replaces the incident if its stored version is
    /// `incident.version - 1`, and appends the events; else `Conflict`.
    async fn update_incident(&self, incident: &Incident, events: &[TimelineEvent]) -> Result<(), StoreError>;

    /// Clears the pending hand-off if the incident is still at `version`;
    /// returns false if it has moved on (a newer change is pending).
    async fn mark_handed_on(&self, id: &IncidentId, version: u32, event: &TimelineEvent) -> Result<bool, StoreError>;

    /// Incidents whose hand-off has been pending since before `before`, oldest first.
    async fn pending_handoffs(&self, before: OffsetDateTime, limit: usize) -> Result<Vec<IncidentId>, StoreError>;

    async fn timeline(&self, id: &IncidentId) -> Result<Vec<TimelineEvent>, StoreError>;

    /// A timeline entry on its own (most are written with the change they explain).
    async fn append_event(&self, event: &TimelineEvent) -> Result<(), StoreError>;

    /// When the licensee's other incidents in this ward happened, from
    /// `since` up to and including `until` (one query on the ward index).
    async fn ward_history(
        &self,
        licensee: &LicenseeId,
        ward: &AreaName,
        since: OffsetDateTime,
        until: OffsetDateTime,
        except: &IncidentId,
    ) -> Result<Vec<OffsetDateTime>, StoreError>;
}
