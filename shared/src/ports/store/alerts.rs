//! What categorisation decided and the notifications it fanned out, with
//! the claim-and-lease protocol the senders use, and acknowledgements.

use super::StoreError;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationKey};
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
pub trait AlertStore: Send + Sync {
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
