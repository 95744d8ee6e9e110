//! What categorisation decided and the notifications it fanned out, with
//! the claim-and-lease protocol the senders use, and acknowledgements.

use super::StoreError;
use crate::domain::checklist::ChecklistItem;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationKey};
use crate::domain::{Incident, TimelineEvent};
use crate::ids::IncidentId;
use async_trait::async_trait;
use time::OffsetDateTime;

/// How one claim of a batch came out.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Now SENDING under this delivery's lease.
    Claimed,
    /// Not claimable: sent, failed, or held by another delivery's live lease
    /// (its stored state, read by the failed condition itself; boxed, as it
    /// is far larger than the other answers).
    Held(Box<Notification>),
    /// No such notification.
    Missing,
}

/// What a provider call came to, for a claimed notification.
#[derive(Debug, Clone, PartialEq)]
pub enum Handed {
    /// Accepted: record SENT with the provider's id.
    Sent { provider_message_id: String, at: OffsetDateTime },
    /// Throttled or transient: back to PENDING for a later delivery.
    Released,
}

/// An incident with what categorisation needs of its partition: its
/// categorisation, its notifications, and whether its checklist is open.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub incident: Incident,
    pub categorisation: Option<Categorisation>,
    pub notifications: Vec<Notification>,
    pub checklist_open: bool,
}

/// The most writes `write_round` takes (DynamoDB's transaction limit):
/// a larger round is written in steps.
pub const ROUND_WRITE_MAX: usize = 100;

/// A round of alerts written at once: the categorisation (conditional on
/// the stored one being `previous`), its timeline events, its new
/// notifications and, when the round opens it, the checklist.
#[derive(Debug, Clone, Copy)]
pub struct RoundWrite<'a> {
    pub categorisation: &'a Categorisation,
    pub previous: Option<(u32, u32)>,
    pub events: &'a [TimelineEvent],
    pub notifications: &'a [Notification],
    pub checklist: &'a [ChecklistItem],
    /// The incident version categorisation took up, when its hand-off marker
    /// is set: the marker is cleared with the round if the incident is still
    /// at this version. If a newer change arrived meanwhile, the round is
    /// written without it and the newer change stays pending.
    pub handoff_version: Option<u32>,
}

impl RoundWrite<'_> {
    /// How many items the write holds.
    pub fn items(&self) -> usize {
        Self::fixed_items(self.events.len(), self.handoff_version.is_some())
            + self.notifications.len()
            + self.checklist.len()
    }

    /// The items of a round besides its notifications and checklist: the
    /// categorisation, the events and the hand-off marker.
    pub fn fixed_items(events: usize, clears_handoff: bool) -> usize {
        1 + events + usize::from(clears_handoff)
    }
}

#[async_trait]
pub trait AlertStore: Send + Sync {
    async fn get_categorisation(&self, id: &IncidentId) -> Result<Option<Categorisation>, StoreError>;

    /// The incident and its categorisation, in one request where the store
    /// can: what a sender renders from. None unless both exist.
    async fn incident_and_categorisation(
        &self,
        id: &IncidentId,
    ) -> Result<Option<(crate::domain::Incident, Categorisation)>, StoreError>;

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

    /// The incident, its categorisation, notifications and whether its
    /// checklist is open, in one query where the store can. None if there is
    /// no such incident.
    async fn incident_record(&self, id: &IncidentId) -> Result<Option<IncidentRecord>, StoreError>;

    /// Writes a round atomically (one transaction): everything or, if the
    /// stored categorisation is not `previous`, nothing (`Conflict`). At most
    /// `ROUND_WRITE_MAX` items (`RoundWrite::items`).
    async fn write_round(&self, round: &RoundWrite<'_>) -> Result<(), StoreError>;

    async fn notifications(&self, id: &IncidentId) -> Result<Vec<Notification>, StoreError>;

    async fn get_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
    ) -> Result<Option<Notification>, StoreError>;

    /// Claims a notification for sending, atomically: one that is PENDING,
    /// or SENDING with a lease that lapsed before `now`, becomes SENDING until
    /// `lease_until` with one more attempt. None if it is sent, failed, or
    /// held by another delivery's live lease.
    async fn claim_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Notification>, StoreError>;

    /// Claims a batch of notifications in one request where the store can:
    /// each claim is the conditional write of `claim_notification` and
    /// fails on its own (one already taken never stops the others).
    /// Answers in the order of `keys`, which must not repeat a key.
    async fn claim_notifications(
        &self,
        keys: &[(IncidentId, NotificationKey)],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Vec<Claim>, StoreError>;

    /// Records provider outcomes for claimed notifications in one request
    /// where the store can, each only if the notification is still SENDING;
    /// answers, in order, whether each was recorded (false: another delivery
    /// took it over after the lease lapsed).
    async fn record_handed(&self, handed: &[(IncidentId, NotificationKey, Handed)]) -> Result<Vec<bool>, StoreError>;

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
}
