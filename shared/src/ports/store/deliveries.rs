//! Delivery receipts: finding the notification (or the test message) a
//! provider's message id belongs to, and its delivery status, written
//! forward only.

use super::{StoreError, TestDelivery, TestMessageRecord};
use crate::domain::delivery::Delivery;
use crate::domain::notification::{Notification, NotificationKey};
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use async_trait::async_trait;

/// What a provider's message id was given to: an alert's notification or a
/// test message sent from the console.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceiptTarget {
    Alert(Notification),
    Test(TestMessageRecord),
}

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// The sent notification or test message the provider gave this message
    /// id, if any. The id is recorded with SENT by the sender (no extra write
    /// on the send path), and with a test message's outcome; on DynamoDB both
    /// are found through one sparse index, which is eventually consistent: a
    /// receipt that arrives first is retried.
    async fn receipt_target(&self, provider_message_id: &str) -> Result<Option<ReceiptTarget>, StoreError>;

    /// Writes a test message's delivery status only if it has none or a less
    /// advanced one (`DeliveryState::rank`, as `record_delivery`); false, with
    /// nothing written, otherwise or if there is no such test message.
    async fn record_test_delivery(&self, test: &TestMessageRecord, delivery: &TestDelivery)
        -> Result<bool, StoreError>;

    async fn delivery(&self, id: &IncidentId, key: &NotificationKey) -> Result<Option<Delivery>, StoreError>;

    /// Writes the delivery status, with timeline events, only if none is
    /// stored or the stored one is less advanced (`DeliveryState::rank`);
    /// false, with nothing written, otherwise.
    async fn record_delivery(&self, delivery: &Delivery, events: &[TimelineEvent]) -> Result<bool, StoreError>;

    /// Every delivery status of an incident's notifications.
    async fn deliveries(&self, id: &IncidentId) -> Result<Vec<Delivery>, StoreError>;
}
