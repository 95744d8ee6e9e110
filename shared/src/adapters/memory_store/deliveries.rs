//! `DeliveryStore` in memory.

use super::{append, MemoryStore};
use crate::domain::delivery::Delivery;
use crate::domain::notification::NotificationKey;
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl DeliveryStore for MemoryStore {
    async fn receipt_target(&self, provider_message_id: &str) -> Result<Option<ReceiptTarget>, StoreError> {
        let s = self.state();
        let id = Some(provider_message_id);
        if let Some(n) = s.notifications.values().find(|n| n.provider_message_id.as_deref() == id) {
            return Ok(Some(ReceiptTarget::Alert(n.clone())));
        }
        Ok(s.test_messages.iter().find(|t| t.provider_message_id() == id).cloned().map(ReceiptTarget::Test))
    }

    async fn record_test_delivery(
        &self,
        test: &TestMessageRecord,
        delivery: &TestDelivery,
    ) -> Result<bool, StoreError> {
        let mut s = self.state();
        let same = |t: &&mut TestMessageRecord| {
            t.licensee_id == test.licensee_id
                && t.contact_id == test.contact_id
                && t.at == test.at
                && t.channel == test.channel
        };
        let Some(stored) = s.test_messages.iter_mut().rev().find(same) else {
            return Ok(false);
        };
        if !TestDelivery::advanced_by(stored.delivery.as_ref(), delivery.state) {
            return Ok(false);
        }
        stored.delivery = Some(delivery.clone());
        Ok(true)
    }

    async fn delivery(&self, id: &IncidentId, key: &NotificationKey) -> Result<Option<Delivery>, StoreError> {
        Ok(self.state().deliveries.get(&(id.clone(), key.to_string())).cloned())
    }

    async fn record_delivery(&self, delivery: &Delivery, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        let mut s = self.state();
        let key = (delivery.incident_id.clone(), delivery.key().to_string());
        if s.deliveries.get(&key).is_some_and(|d| d.state.rank() >= delivery.state.rank()) {
            return Ok(false);
        }
        s.deliveries.insert(key, delivery.clone());
        append(&mut s, events);
        Ok(true)
    }

    async fn deliveries(&self, id: &IncidentId) -> Result<Vec<Delivery>, StoreError> {
        let s = self.state();
        Ok(s.deliveries.iter().filter(|((i, _), _)| i == id).map(|(_, d)| d.clone()).collect())
    }
}
