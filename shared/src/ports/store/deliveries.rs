//! Delivery receipts: finding the notification a provider's message id
//! belongs to, and its delivery status, written forward only.

use super::StoreError;
use crate::domain::delivery::Delivery;
use crate::domain::notification::{Notification, NotificationKey};
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use async_trait::async_trait;

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// The sent notification the provider gave this message id, if any. The
    /// id is recorded with SENT by the sender (no extra write on the send
    /// path); on DynamoDB it is found through a sparse index, which is
    /// eventually consistent: a receipt that arrives first is retried.
    async fn notification_by_provider_id(&self, provider_message_id: &str) -> Result<Option<Notification>, StoreError>;

    async fn delivery(&self, id: &IncidentId, key: &NotificationKey) -> Result<Option<Delivery>, StoreError>;

    /// Writes the delivery status, with timeline events, only if none is
    /// stored or the stored one is less advanced (`DeliveryState::rank`);
    /// false, with nothing written, otherwise.
    async fn record_delivery(&self, delivery: &Delivery, events: &[TimelineEvent]) -> Result<bool, StoreError>;

    /// Every delivery status of an incident's notifications.
    async fn deliveries(&self, id: &IncidentId) -> Result<Vec<Delivery>, StoreError>;
}
