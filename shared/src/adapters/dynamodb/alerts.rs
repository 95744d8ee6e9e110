//! `AlertStore` on DynamoDB.

use super::codec::*;
use super::keys::*;
use super::DynamoStore;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationKey};
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put};
use time::OffsetDateTime;

#[async_trait]
impl AlertStore for DynamoStore {
    async fn get_categorisation(&self, id: &IncidentId) -> Result<Option<Categorisation>, StoreError> {
        self.get(incident_pk(id), "CATEGORISATION").await
    }

    async fn put_categorisation(
        &self,
        categorisation: &Categorisation,
        previous: Option<(u32, u32)>,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        let item = to_item(categorisation, incident_pk(&categorisation.incident_id), "CATEGORISATION".into())?;
        let conditional = match previous {
            None => Put::builder().condition_expression("attribute_not_exists(pk)"),
            Some((round, version)) => Put::builder()
                .condition_expression("#round = :round AND incident_version = :version")
                .expression_attribute_names("#round", "round")
                .expression_attribute_values(":round", AttributeValue::N(round.to_string()))
                .expression_attribute_values(":version", AttributeValue::N(version.to_string())),
        }
        .table_name(&self.table)
        .set_item(Some(item))
        .build()
        .map_err(corrupt)?;
        self.conditional_put_with_events(conditional, events).await
    }

    async fn put_notifications(&self, notifications: &[Notification]) -> Result<(), StoreError> {
        let items = notifications.iter().map(notification_item).collect::<Result<Vec<_>, _>>()?;
        self.put_batch(items).await
    }

    async fn notifications(&self, id: &IncidentId) -> Result<Vec<Notification>, StoreError> {
        self.query_prefix(incident_pk(id), "NOTIFY#").await
    }

    async fn get_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
    ) -> Result<Option<Notification>, StoreError> {
        self.get(incident_pk(id), &format!("NOTIFY#{key}")).await
    }

    async fn claim_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Notification>, StoreError> {
        let lease_text = lease_until.format(&time::format_description::well_known::Rfc3339).map_err(corrupt)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(incident_pk(id)))
            .key("sk", s(format!("NOTIFY#{key}")))
            // lease_expires (epoch seconds) is what the condition compares; lease_until is for reading.
            .update_expression("SET #status = :sending, lease_until = :lease, lease_expires = :expires, attempts = if_not_exists(attempts, :zero) + :one")
            .condition_expression("attribute_exists(pk) AND (#status = :pending OR (#status = :sending AND lease_expires < :now))")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":lease", s(lease_text))
            .expression_attribute_values(":expires", AttributeValue::N(lease_until.unix_timestamp().to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out.attributes.map(from_item).transpose(),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(None),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn finish_notification(
        &self,
        notification: &Notification,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        let conditional = Put::builder()
            .table_name(&self.table)
            .set_item(Some(notification_item(notification)?))
            .condition_expression("#status = :sending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s("sending"))
            .build()
            .map_err(corrupt)?;
        self.conditional_put_with_events(conditional, events).await
    }

    async fn acknowledge(&self, ack: &Acknowledgement, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        let sk = format!("ACK#{}", ack.contact_id);
        let conditional = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(ack, incident_pk(&ack.incident_id), sk)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(corrupt)?;
        match self.conditional_put_with_events(conditional, events).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn acknowledgements(&self, id: &IncidentId) -> Result<Vec<Acknowledgement>, StoreError> {
        let mut acks: Vec<Acknowledgement> = self.query_prefix(incident_pk(id), "ACK#").await?;
        acks.sort_by_key(|a| a.at);
        Ok(acks)
    }
}
