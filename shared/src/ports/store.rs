//! The store port: licensees, callers, contacts, groups, incidents and their
//! timelines. Keys and access patterns are documented in `docs/data-model.md`.

use super::Cause;
use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::incident::PoliceReference;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification};
use crate::domain::{AreaName, Caller, Contact, Group, Incident, Licensee, TimelineEvent};
use crate::ids::{CallerId, ContactId, IncidentId, LicenseeId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: someone else changed the record first.
    #[error("the record was changed by someone else")]
    Conflict,
    /// Throttled, timed out or unreachable: worth retrying.
    #[error("the store is unavailable")]
    Unavailable(#[source] Cause),
    /// Refused or unreadable: retrying will not help.
    #[error("the store refused the request or returned unreadable data")]
    Permanent(#[source] Cause),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Conflict)
    }
}

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

/// A record, visible to operators, that an incident was served on a lapsed licence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LapseNotice {
    pub licensee_id: LicenseeId,
    pub incident_id: IncidentId,
    pub lapsed_on: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Writes the licensee and the area entries that route incidents to it.
    async fn put_licensee(&self, licensee: &Licensee) -> Result<(), StoreError>;
    async fn get_licensee(&self, id: &LicenseeId) -> Result<Option<Licensee>, StoreError>;
    /// The licensee covering a borough or district, if any.
    async fn licensee_for_area(&self, area: &AreaName) -> Result<Option<LicenseeId>, StoreError>;
    async fn record_lapse(&self, notice: &LapseNotice) -> Result<(), StoreError>;
    async fn lapses(&self, licensee: &LicenseeId) -> Result<Vec<LapseNotice>, StoreError>;

    async fn put_caller(&self, caller: &Caller) -> Result<(), StoreError>;
    async fn get_caller(&self, id: &CallerId) -> Result<Option<Caller>, StoreError>;

    async fn put_contact(&self, contact: &Contact) -> Result<(), StoreError>;
    async fn contacts(&self, licensee: &LicenseeId) -> Result<Vec<Contact>, StoreError>;
    async fn get_contact(&self, licensee: &LicenseeId, id: &ContactId) -> Result<Option<Contact>, StoreError>;
    async fn put_group(&self, group: &Group) -> Result<(), StoreError>;
    async fn groups(&self, licensee: &LicenseeId) -> Result<Vec<Group>, StoreError>;

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

    async fn get_categorisation(&self, id: &IncidentId) -> Result<Option<Categorisation>, StoreError>;
    /// Writes the categorisation, with timeline events, only if the stored
    /// one is still the `previous` (round, incident version), or absent when
    /// `previous` is None; else `Conflict`.
    async fn put_categorisation(
        &self,
        categorisation: &Categorisation,
        previous: Option<(u32, u32)>,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError>;

    /// Writes notifications (batched); writing the same one again is harmless.
    async fn put_notifications(&self, notifications: &[Notification]) -> Result<(), StoreError>;
    async fn notifications(&self, id: &IncidentId) -> Result<Vec<Notification>, StoreError>;
    async fn get_notification(&self, id: &IncidentId, key: &str) -> Result<Option<Notification>, StoreError>;
    /// Claims a notification for sending, atomically: one that is PENDING,
    /// or SENDING with a lease that lapsed before `now`, becomes SENDING until
    /// `lease_until` with one more attempt. None if it is sent, failed, or
    /// held by another delivery's live lease.
    async fn claim_notification(
        &self,
        id: &IncidentId,
        key: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Notification>, StoreError>;
    /// Writes the outcome of a claimed notification (SENT, FAILED, or back to
    /// PENDING), with timeline events, if it is still SENDING; else `Conflict`.
    async fn finish_notification(
        &self,
        notification: &Notification,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError>;

    /// Records an acknowledgement with its timeline events unless this
    /// contact already acknowledged this incident; false if they had.
    async fn acknowledge(&self, ack: &Acknowledgement, events: &[TimelineEvent]) -> Result<bool, StoreError>;
    async fn acknowledgements(&self, id: &IncidentId) -> Result<Vec<Acknowledgement>, StoreError>;

    async fn put_checklist(&self, items: &[ChecklistItem]) -> Result<(), StoreError>;
    /// The incident's checklist in order: section, then item.
    async fn checklist(&self, id: &IncidentId) -> Result<Vec<ChecklistItem>, StoreError>;
    /// Replaces an item if its stored version is `item.version - 1`, with
    /// timeline events; else `Conflict` (someone changed it first).
    async fn update_checklist_item(&self, item: &ChecklistItem, events: &[TimelineEvent]) -> Result<(), StoreError>;

    async fn get_follow_up(&self, id: &IncidentId) -> Result<Option<FollowUp>, StoreError>;
    /// Writes the follow-up record, with timeline events, if the stored one
    /// is at `follow_up.version - 1` (absent for version 1); else `Conflict`.
    async fn put_follow_up(&self, follow_up: &FollowUp, events: &[TimelineEvent]) -> Result<(), StoreError>;
}
