//! `AlertStore` on DynamoDB.

use super::codec::*;
use super::keys::*;
use super::DynamoStore;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationKey};
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use time::OffsetDateTime;

/// A transaction holds at most 100 writes.
const TRANSACTION_LIMIT: usize = 100;

/// How one conditional write of a batch came out.
enum Written {
    Done,
    /// Its condition failed; the item as the condition saw it, if any.
    Refused(Option<super::Item>),
}

impl DynamoStore {
    /// Runs conditional updates in as few requests as it can while each
    /// still succeeds or fails on its own: one transaction per 100; when a
    /// transaction is cancelled, the updates whose condition failed are
    /// answered with the item their condition saw and the others are tried
    /// again without them; if a cancellation names no failed condition (a
    /// conflict with another transaction), the rest go one at a time.
    async fn each_conditional(&self, updates: Vec<Update>) -> Result<Vec<Written>, StoreError> {
        let mut answers: Vec<Option<Written>> = updates.iter().map(|_| None).collect();
        for (chunk_start, chunk) in
            updates.chunks(TRANSACTION_LIMIT).enumerate().map(|(i, c)| (i * TRANSACTION_LIMIT, c))
        {
            let mut open: Vec<usize> = (0..chunk.len()).collect();
            while !open.is_empty() {
                let items =
                    open.iter().map(|&i| TransactWriteItem::builder().update(chunk[i].clone()).build()).collect();
                let error = match self.transact(items).await {
                    Ok(()) => {
                        open.drain(..).for_each(|i| answers[chunk_start + i] = Some(Written::Done));
                        break;
                    }
                    Err(e) => e,
                };
                let Some(reasons) = cancellation_reasons(&error).map(<[_]>::to_vec) else {
                    return Err(sdk_error(error));
                };
                let mut still_open = Vec::new();
                for (&i, reason) in open.iter().zip(reasons.iter().map(Some).chain(std::iter::repeat(None))) {
                    match reason.filter(|r| refused(r)) {
                        Some(reason) => answers[chunk_start + i] = Some(Written::Refused(reason.item().cloned())),
                        None => still_open.push(i),
                    }
                }
                if still_open.len() == open.len() {
                    for i in still_open.drain(..) {
                        answers[chunk_start + i] = Some(self.one_conditional(&chunk[i]).await?);
                    }
                }
                open = still_open;
            }
        }
        Ok(answers.into_iter().map(|a| a.expect("every update answered")).collect())
    }

    /// A transaction's update as an UpdateItem request of its own.
    pub(super) fn update_item(&self, update: &Update) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(update.table_name())
            .set_key(Some(update.key().clone()))
            .update_expression(update.update_expression())
            .set_condition_expression(update.condition_expression().map(str::to_owned))
            .set_expression_attribute_names(update.expression_attribute_names().cloned())
            .set_expression_attribute_values(update.expression_attribute_values().cloned())
    }

    /// One conditional update on its own, as UpdateItem.
    async fn one_conditional(&self, update: &Update) -> Result<Written, StoreError> {
        let result = self
            .update_item(update)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional(result)? {
            Ok(_) => Ok(Written::Done),
            Err(seen) => Ok(Written::Refused(seen)),
        }
    }
}

/// An update of one notification, its condition on its status (`#status`;
/// `:sending` is SENDING): what a claim and a recorded outcome build on.
fn notification_update(table: &str, id: &IncidentId, key: &NotificationKey) -> UpdateBuilder {
    Update::builder()
        .table_name(table)
        .key("pk", s(incident_pk(id)))
        .key("sk", s(format!("NOTIFY#{key}")))
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":sending", s("sending"))
}

/// The claim's conditional write: PENDING, or SENDING with a lapsed lease,
/// becomes SENDING until `lease_until` with one more attempt.
fn claim_update(
    table: &str,
    id: &IncidentId,
    key: &NotificationKey,
    now: OffsetDateTime,
    lease_until: OffsetDateTime,
) -> Result<Update, StoreError> {
    let lease_text = lease_until.format(&time::format_description::well_known::Rfc3339).map_err(corrupt)?;
    notification_update(table, id, key)
        // lease_expires (epoch seconds) is what the condition compares; lease_until is for reading.
        .update_expression("SET #status = :sending, lease_until = :lease, lease_expires = :expires, attempts = if_not_exists(attempts, :zero) + :one")
        .condition_expression("attribute_exists(pk) AND (#status = :pending OR (#status = :sending AND lease_expires < :now))")
        .expression_attribute_values(":pending", s("pending"))
        .expression_attribute_values(":lease", s(lease_text))
        .expression_attribute_values(":expires", AttributeValue::N(lease_until.unix_timestamp().to_string()))
        .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
        .expression_attribute_values(":zero", AttributeValue::N("0".into()))
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(corrupt)
}

/// Records a provider outcome if the notification is still SENDING.
fn handed_update(table: &str, id: &IncidentId, key: &NotificationKey, handed: &Handed) -> Result<Update, StoreError> {
    let builder = notification_update(table, id, key).condition_expression("#status = :sending");
    let builder = match handed {
        Handed::Sent { provider_message_id, at } => builder
            .update_expression("SET #status = :sent, provider_message_id = :id, sent_at = :at, gsi3pk = :gsi3pk, gsi3sk = :gsi3sk REMOVE lease_until, lease_expires")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":id", s(provider_message_id.clone()))
            .expression_attribute_values(":at", s(at.format(&time::format_description::well_known::Rfc3339).map_err(corrupt)?))
            .expression_attribute_values(":gsi3pk", s(message_pk(provider_message_id)))
            .expression_attribute_values(":gsi3sk", s("NOTIFY")),
        Handed::Released => builder
            .update_expression("SET #status = :pending REMOVE lease_until, lease_expires")
            .expression_attribute_values(":pending", s("pending")),
    };
    builder.build().map_err(corrupt)
}

/// The categorisation's write, only if the stored one is still `previous`
/// (round, incident version), or absent when `previous` is None.
fn categorisation_put(
    table: &str,
    categorisation: &Categorisation,
    previous: Option<(u32, u32)>,
) -> Result<Put, StoreError> {
    let item = to_item(categorisation, incident_pk(&categorisation.incident_id), "CATEGORISATION".into())?;
    match previous {
        None => Put::builder().condition_expression("attribute_not_exists(pk)"),
        Some((round, version)) => Put::builder()
            .condition_expression("#round = :round AND incident_version = :version")
            .expression_attribute_names("#round", "round")
            .expression_attribute_values(":round", AttributeValue::N(round.to_string()))
            .expression_attribute_values(":version", AttributeValue::N(version.to_string())),
    }
    .table_name(table)
    .set_item(Some(item))
    .build()
    .map_err(corrupt)
}

#[async_trait]
impl AlertStore for DynamoStore {
    async fn get_categorisation(&self, id: &IncidentId) -> Result<Option<Categorisation>, StoreError> {
        self.get(incident_pk(id), "CATEGORISATION").await
    }

    async fn incident_and_categorisation(
        &self,
        id: &IncidentId,
    ) -> Result<Option<(crate::domain::Incident, Categorisation)>, StoreError> {
        let key = |sk: &str| [("pk".to_owned(), s(incident_pk(id))), ("sk".to_owned(), s(sk))].into_iter().collect();
        let keys = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
            .keys(key("INCIDENT"))
            .keys(key("CATEGORISATION"))
            .consistent_read(true)
            .build()
            .map_err(corrupt)?;
        let mut request = [(self.table.clone(), keys)].into_iter().collect::<std::collections::HashMap<_, _>>();
        let (mut incident, mut categorisation) = (None, None);
        // Unprocessed keys (throttling) are asked for again, a few times.
        for _ in 0..5 {
            let out = self.client.batch_get_item().set_request_items(Some(request)).send().await.map_err(sdk_error)?;
            for item in out.responses.unwrap_or_default().remove(&self.table).unwrap_or_default() {
                match item.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str) {
                    Some("INCIDENT") => incident = Some(from_item(item)?),
                    Some("CATEGORISATION") => categorisation = Some(from_item(item)?),
                    _ => {}
                }
            }
            match out.unprocessed_keys.filter(|u| !u.is_empty()) {
                Some(unprocessed) => request = unprocessed,
                None => return Ok(incident.zip(categorisation)),
            }
        }
        Err(StoreError::Unavailable("the store left keys unprocessed five times".into()))
    }

    async fn put_categorisation(
        &self,
        categorisation: &Categorisation,
        previous: Option<(u32, u32)>,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        let conditional = categorisation_put(&self.table, categorisation, previous)?;
        self.conditional_put_with_events(conditional, events).await
    }

    async fn put_notifications(&self, notifications: &[Notification]) -> Result<(), StoreError> {
        let items = notifications.iter().map(notification_item).collect::<Result<Vec<_>, _>>()?;
        self.put_batch(items).await
    }

    /// One query of the incident's partition, from `CATEGORISATION` to the
    /// notifications (`CATEGORISATION`, `CHECK#…`, `INCIDENT`, `NOTIFY#…`);
    /// the items sorted between them (delivery receipts, the timeline, the
    /// follow-up) are read with it and skipped.
    async fn incident_record(&self, id: &IncidentId) -> Result<Option<IncidentRecord>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
            .expression_attribute_values(":pk", s(incident_pk(id)))
            .expression_attribute_values(":first", s("CATEGORISATION"))
            // '$' sorts just after '#': every NOTIFY# key, nothing after them.
            .expression_attribute_values(":last", s("NOTIFY$"))
            .consistent_read(true);
        let (mut incident, mut categorisation, mut notifications, mut checklist_open) = (None, None, Vec::new(), false);
        for item in self.all_items(query).await? {
            let sk = item.get("sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            match sk.as_str() {
                "INCIDENT" => incident = Some(from_item(item)?),
                "CATEGORISATION" => categorisation = Some(from_item(item)?),
                sk if sk.starts_with("NOTIFY#") => notifications.push(from_item(item)?),
                sk if sk.starts_with("CHECK#") => checklist_open = true,
                _ => {}
            }
        }
        Ok(incident.map(|incident| IncidentRecord { incident, categorisation, notifications, checklist_open }))
    }

    /// One transaction: the conditional categorisation first, so a failed
    /// condition (index 0) is `Conflict`.
    async fn write_round(&self, round: &RoundWrite<'_>) -> Result<(), StoreError> {
        if round.items() > ROUND_WRITE_MAX {
            return Err(StoreError::Permanent(
                format!("a round of {} items is over one transaction", round.items()).into(),
            ));
        }
        let conditional = categorisation_put(&self.table, round.categorisation, round.previous)?;
        let mut items = vec![TransactWriteItem::builder().put(conditional).build()];
        let id = &round.categorisation.incident_id;
        if let Some(version) = round.handoff_version {
            items.push(
                TransactWriteItem::builder().update(super::incidents::handoff_clear(&self.table, id, version)?).build(),
            );
        }
        for e in round.events {
            items.push(put(&self.table, event_item(e)?, None)?);
        }
        for n in round.notifications {
            items.push(put(&self.table, notification_item(n)?, None)?);
        }
        for i in round.checklist {
            items.push(put(&self.table, checklist_item(i)?, None)?);
        }
        match self.transact(items.clone()).await {
            Ok(()) => Ok(()),
            Err(e) if failed_condition(&e) == Some(0) => Err(StoreError::Conflict),
            // The incident moved on (an amendment arrived while categorisation
            // ran): the round is written without clearing its marker.
            Err(e) if round.handoff_version.is_some() && failed_condition(&e) == Some(1) => {
                items.remove(1);
                match self.transact(items).await {
                    Ok(()) => Ok(()),
                    Err(e) if failed_condition(&e) == Some(0) => Err(StoreError::Conflict),
                    Err(e) => Err(sdk_error(e)),
                }
            }
            Err(e) => Err(sdk_error(e)),
        }
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
        // The batch claim's write, on its own, answering with the claimed notification.
        let update = claim_update(&self.table, id, key, now, lease_until)?;
        let result = self.update_item(&update).return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew).send().await;
        match conditional(result)? {
            Ok(out) => out.attributes.map(from_item).transpose(),
            Err(_) => Ok(None),
        }
    }

    async fn claim_notifications(
        &self,
        keys: &[(IncidentId, NotificationKey)],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Vec<Claim>, StoreError> {
        let updates = keys
            .iter()
            .map(|(id, key)| claim_update(&self.table, id, key, now, lease_until))
            .collect::<Result<_, _>>()?;
        self.each_conditional(updates)
            .await?
            .into_iter()
            .map(|written| match written {
                Written::Done => Ok(Claim::Claimed),
                Written::Refused(None) => Ok(Claim::Missing),
                Written::Refused(Some(item)) => from_item(item).map(|n| Claim::Held(Box::new(n))),
            })
            .collect()
    }

    async fn record_handed(&self, handed: &[(IncidentId, NotificationKey, Handed)]) -> Result<Vec<bool>, StoreError> {
        let updates =
            handed.iter().map(|(id, key, h)| handed_update(&self.table, id, key, h)).collect::<Result<_, _>>()?;
        Ok(self.each_conditional(updates).await?.into_iter().map(|w| matches!(w, Written::Done)).collect())
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
