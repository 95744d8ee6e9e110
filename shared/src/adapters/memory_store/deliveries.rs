//! `DeliveryStore` in memory.

use super::{append, MemoryStore};
use crate::domain::delivery::Delivery;
use crate::domain::notification::{Notification, NotificationKey};
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl DeliveryStore for MemoryStore {
    async fn notification_by_provider_id(&self, provider_message_id: &str) -> Result<Option<Notification>, StoreError> {
        let s = self.state();
        Ok(s.notifications.values().find(|n| n.provider_message_id.as_deref() == Some(provider_message_id)).cloned())
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
