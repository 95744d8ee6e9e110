//! `DeliveryStore` on DynamoDB: a delivery status is the item
//! `DELIVERY#<contact>#<channel>#<step>` beside its notification, carrying
//! `delivery_rank` for the forward-only condition. A sent notification
//! carries `gsi3pk = MSG#<provider message id>` (written with SENT, so the
//! send path makes no extra request), found through the sparse index `gsi3`;
//! so does a test message the provider took (`LICENSEE#<id>` / `TEST#...`),
//! whose delivery status is an attribute of its own item.

use super::codec::*;
use super::keys::*;
use super::DynamoStore;
use crate::domain::delivery::Delivery;
use crate::domain::notification::NotificationKey;
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put};

#[async_trait]
impl DeliveryStore for DynamoStore {
    async fn receipt_target(&self, provider_message_id: &str) -> Result<Option<ReceiptTarget>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(MESSAGE_INDEX)
            .key_condition_expression("gsi3pk = :id")
            .expression_attribute_values(":id", s(message_pk(provider_message_id)))
            .limit(1)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(keys) = out.items.unwrap_or_default().into_iter().next() else {
            return Ok(None);
        };
        let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) = (keys.get("pk"), keys.get("sk")) else {
            return Err(StoreError::Permanent("an index entry without its keys".into()));
        };
        if sk.starts_with(super::directory_changes::TEST_PREFIX) {
            Ok(self.get(pk.clone(), sk).await?.map(ReceiptTarget::Test))
        } else {
            Ok(self.get(pk.clone(), sk).await?.map(ReceiptTarget::Alert))
        }
    }

    async fn record_test_delivery(
        &self,
        test: &TestMessageRecord,
        delivery: &TestDelivery,
    ) -> Result<bool, StoreError> {
        let rank = AttributeValue::N(delivery.state.rank().to_string());
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(licensee_pk(&test.licensee_id)))
            .key("sk", s(super::directory_changes::test_sk(&test.contact_id, test.at, test.channel)))
            .update_expression("SET delivery = :delivery, delivery_rank = :rank")
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(delivery_rank) OR delivery_rank < :rank)",
            )
            .expression_attribute_values(":delivery", serde_dynamo::to_attribute_value(delivery).map_err(corrupt)?)
            .expression_attribute_values(":rank", rank)
            .send()
            .await;
        written(result)
    }

    async fn delivery(&self, id: &IncidentId, key: &NotificationKey) -> Result<Option<Delivery>, StoreError> {
        self.get(incident_pk(id), &format!("DELIVERY#{key}")).await
    }

    async fn record_delivery(&self, delivery: &Delivery, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        let rank = delivery.state.rank().to_string();
        let mut item = to_item(delivery, incident_pk(&delivery.incident_id), format!("DELIVERY#{}", delivery.key()))?;
        item.insert("delivery_rank".into(), AttributeValue::N(rank.clone()));
        let conditional = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR delivery_rank < :rank")
            .expression_attribute_values(":rank", AttributeValue::N(rank))
            .build()
            .map_err(corrupt)?;
        match self.conditional_put_with_events(conditional, events).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn deliveries(&self, id: &IncidentId) -> Result<Vec<Delivery>, StoreError> {
        self.query_prefix(incident_pk(id), "DELIVERY#").await
    }
}
