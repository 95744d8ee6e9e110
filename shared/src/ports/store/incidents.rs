//! Incidents as police reported and amended them, the idempotency key of
//! each report, the hand-off to categorisation and the timeline.

use super::StoreError;
use crate::domain::incident::{PendingHandoff, PoliceReference};
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

    /// Clears the pending hand-off if the incident is still at `version`
    /// (categorisation took that version up with nothing to write for it);
    /// returns false if it has moved on (a newer change is pending). A
    /// round's own write clears it with the round (`RoundWrite::handoff_version`).
    async fn clear_handoff(&self, id: &IncidentId, version: u32) -> Result<bool, StoreError>;

    /// The sweeper's visit: replaces the pending hand-off with `next` if the
    /// incident is still at `version` with a marker visited `attempts` times
    /// (so two sweeps cannot both count one visit); false otherwise. A marker
    /// the sweeper gave up on (`!next.swept()`) leaves the sweeper's index.
    async fn visit_handoff(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
    ) -> Result<bool, StoreError>;

    /// Duty staff's "send for categorisation again": replaces the pending
    /// hand-off with `next` (`PendingHandoff::restarted`) if the incident is
    /// still at `version` with a marker visited `attempts` times, and puts it
    /// back in the sweeper's index; false otherwise (categorised, amended or
    /// visited meanwhile).
    async fn restart_handoff(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
    ) -> Result<bool, StoreError>;

    /// Incidents whose pending hand-off was last sent before `before`, oldest
    /// first; those the sweeper gave up on are left out.
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
