//! DynamoDB store: one table, keys and access patterns in `docs/data-model.md`.
//!
//! Entities are stored as native DynamoDB attributes (serde_dynamo) beside
//! the key attributes `pk`, `sk` and, for incidents awaiting hand-off, the
//! sparse index keys `gsi1pk`/`gsi1sk` and, for incidents with a ward, the
//! ward index keys `gsi2pk`/`gsi2sk`.

use super::aws::is_retryable;
use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::incident::PoliceReference;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification};
use crate::domain::{AreaName, Caller, Contact, Group, Incident, Licensee, TimelineEvent};
use crate::ids::{CallerId, ContactId, IncidentId, LicenseeId};
use crate::ports::store::{CreateOutcome, LapseNotice, ReportKey, Store, StoreError};
use crate::ports::Cause;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, PutRequest, ScalarAttributeType, TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;

type Item = HashMap<String, AttributeValue>;

pub const HANDOFF_INDEX: &str = "gsi1";
/// Incidents by licensee and ward, in time order: the cumulative-pattern rule.
pub const WARD_INDEX: &str = "gsi2";
const HANDOFF_PARTITION: &str = "HANDOFF#PENDING";

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Sort-key form of a time: fixed width so lexical order is time order.
fn sortable(at: OffsetDateTime) -> String {
    format!("{:020}", at.unix_timestamp_nanos().max(0))
}

fn incident_pk(id: &IncidentId) -> String {
    format!("INCIDENT#{id}")
}
fn licensee_pk(id: &LicenseeId) -> String {
    format!("LICENSEE#{id}")
}
fn ward_pk(licensee: &LicenseeId, ward: &AreaName) -> String {
    format!("WARD#{licensee}#{}", ward.key())
}
fn report_pk(caller: &CallerId, reference: &PoliceReference) -> String {
    format!("REPORT#{caller}#{}", reference.as_str())
}

fn sdk_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: super::aws::HasStatus + std::fmt::Debug + Send + Sync + 'static,
{
    if is_retryable(&err) {
        StoreError::Unavailable(Box::new(err))
    } else {
        StoreError::Permanent(Box::new(err))
    }
}

fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Permanent(Box::new(e) as Cause)
}

fn to_item<T: Serialize>(value: &T, pk: String, sk: String) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(corrupt)?;
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    Ok(item)
}

fn from_item<T: DeserializeOwned>(mut item: Item) -> Result<T, StoreError> {
    for key in ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "expires_at", "lease_expires"] {
        item.remove(key);
    }
    serde_dynamo::from_item(item).map_err(corrupt)
}

fn incident_item(incident: &Incident) -> Result<Item, StoreError> {
    let mut item = to_item(incident, incident_pk(&incident.id), "INCIDENT".into())?;
    if let Some(pending) = &incident.handoff {
        item.insert("gsi1pk".into(), s(HANDOFF_PARTITION));
        item.insert("gsi1sk".into(), s(format!("{}#{}", sortable(pending.since), incident.id)));
    }
    if let Some(ward) = &incident.report.location.ward {
        item.insert("gsi2pk".into(), s(ward_pk(&incident.licensee_id, ward)));
        item.insert("gsi2sk".into(), s(format!("{}#{}", sortable(incident.report.occurred_at), incident.id)));
    }
    Ok(item)
}

fn checklist_item(item: &ChecklistItem) -> Result<Item, StoreError> {
    let sk = format!("CHECK#{:03}#{:03}", item.section_position, item.position);
    to_item(item, incident_pk(&item.incident_id), sk)
}

fn event_item(event: &TimelineEvent) -> Result<Item, StoreError> {
    to_item(event, incident_pk(&event.incident_id), format!("EVENT#{}#{}", sortable(event.at), event.id))
}

fn put(table: &str, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .map_err(corrupt)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The index of the first item whose condition failed in a cancelled transaction.
fn failed_condition<R>(
    err: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<usize> {
    let service = err.as_service_error()?;
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c) =
        service
    else {
        return None;
    };
    c.cancellation_reasons().iter().position(|r| r.code() == Some("ConditionalCheckFailed"))
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    pub fn from_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    /// Creates the table (on-demand, with the hand-off index) if it does not
    /// exist: for the local stack and tests. Production tables come from the
    /// SAM template.
    pub async fn create_table_if_missing(&self) -> Result<(), StoreError> {
        match self.client.describe_table().table_name(&self.table).send().await {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {}
            Err(e) => return Err(sdk_error(e)),
        }
        let attr = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        let index = |name: &str, pk: &str, sk: &str| {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(pk, KeyType::Hash)?)
                .key_schema(key(sk, KeyType::Range)?)
                .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
                .build()
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk").map_err(corrupt)?)
            .attribute_definitions(attr("sk").map_err(corrupt)?)
            .attribute_definitions(attr("gsi1pk").map_err(corrupt)?)
            .attribute_definitions(attr("gsi1sk").map_err(corrupt)?)
            .attribute_definitions(attr("gsi2pk").map_err(corrupt)?)
            .attribute_definitions(attr("gsi2sk").map_err(corrupt)?)
            .key_schema(key("pk", KeyType::Hash).map_err(corrupt)?)
            .key_schema(key("sk", KeyType::Range).map_err(corrupt)?)
            .global_secondary_indexes(index(HANDOFF_INDEX, "gsi1pk", "gsi1sk").map_err(corrupt)?)
            .global_secondary_indexes(index(WARD_INDEX, "gsi2pk", "gsi2sk").map_err(corrupt)?)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn get<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item.map(from_item).transpose()
    }

    async fn put_plain(&self, item: Item) -> Result<(), StoreError> {
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    /// Every item a query matches, following pages.
    async fn all_items(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query.clone().set_exclusive_start_key(start).send().await.map_err(sdk_error)?;
            out.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }

    /// Every item of a partition whose sort key starts with `prefix`.
    async fn query_prefix<T: DeserializeOwned>(&self, pk: String, prefix: &str) -> Result<Vec<T>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true);
        self.all_items(query).await?.into_iter().map(from_item).collect()
    }

    /// Writes items 25 to a request (the BatchWriteItem maximum), retrying
    /// any the service left unprocessed.
    async fn put_batch(&self, items: Vec<Item>) -> Result<(), StoreError> {
        for chunk in items.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|item| {
                    PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map(|p| WriteRequest::builder().put_request(p).build())
                        .map_err(corrupt)
                })
                .collect::<Result<_, _>>()?;
            for attempt in 0..5u32 {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                requests = out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
            if !requests.is_empty() {
                return Err(StoreError::Unavailable("DynamoDB left items unprocessed after retries".into()));
            }
        }
        Ok(())
    }

    /// One transaction: a conditional Put and the timeline events it
    /// explains. A failed condition is `Conflict`.
    async fn conditional_put_with_events(&self, conditional: Put, events: &[TimelineEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            // Nothing to write with it: a conditional PutItem, cheaper than a transaction.
            let result = self
                .client
                .put_item()
                .table_name(conditional.table_name())
                .set_item(Some(conditional.item().clone()))
                .set_condition_expression(conditional.condition_expression().map(str::to_owned))
                .set_expression_attribute_names(conditional.expression_attribute_names().cloned())
                .set_expression_attribute_values(conditional.expression_attribute_values().cloned())
                .send()
                .await;
            return match result {
                Ok(_) => Ok(()),
                Err(e) if e.as_service_error().is_some_and(|s| s.is_conditional_check_failed_exception()) => {
                    Err(StoreError::Conflict)
                }
                Err(e) => Err(sdk_error(e)),
            };
        }
        let mut items = vec![TransactWriteItem::builder().put(conditional).build()];
        for e in events {
            items.push(put(&self.table, event_item(e)?, None)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(e) if failed_condition(&e).is_some() => Err(StoreError::Conflict),
            Err(e) => Err(sdk_error(e)),
        }
    }

    /// Replaces an item now at `version` if the stored one is at `version - 1`
    /// (or writes it if absent, for version 1).
    async fn replace_versioned(&self, item: Item, version: u32, events: &[TimelineEvent]) -> Result<(), StoreError> {
        let builder = match version {
            0 | 1 => Put::builder().condition_expression("attribute_not_exists(pk)"),
            _ => Put::builder()
                .condition_expression("version = :previous")
                .expression_attribute_values(":previous", AttributeValue::N((version - 1).to_string())),
        };
        let conditional = builder.table_name(&self.table).set_item(Some(item)).build().map_err(corrupt)?;
        self.conditional_put_with_events(conditional, events).await
    }

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<
        (),
        SdkError<
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
            aws_smithy_runtime_api::http::Response,
        >,
    > {
        self.client.transact_write_items().set_transact_items(Some(items)).send().await.map(|_| ())
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn put_licensee(&self, licensee: &Licensee) -> Result<(), StoreError> {
        let mut items = vec![put(&self.table, to_item(licensee, licensee_pk(&licensee.id), "PROFILE".into())?, None)?];
        for area in &licensee.areas {
            let mut item = Item::new();
            item.insert("pk".into(), s(format!("AREA#{}", area.key())));
            item.insert("sk".into(), s("AREA"));
            item.insert("licensee_id".into(), s(licensee.id.as_str()));
            items.push(put(&self.table, item, None)?);
        }
        self.transact(items).await.map_err(sdk_error)
    }

    async fn get_licensee(&self, id: &LicenseeId) -> Result<Option<Licensee>, StoreError> {
        self.get(licensee_pk(id), "PROFILE").await
    }

    async fn licensee_for_area(&self, area: &AreaName) -> Result<Option<LicenseeId>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Area {
            licensee_id: LicenseeId,
        }
        let found: Option<Area> = self.get(format!("AREA#{}", area.key()), "AREA").await?;
        Ok(found.map(|a| a.licensee_id))
    }

    async fn record_lapse(&self, notice: &LapseNotice) -> Result<(), StoreError> {
        let sk = format!("LAPSE#{}#{}", sortable(notice.at), notice.incident_id);
        self.put_plain(to_item(notice, licensee_pk(&notice.licensee_id), sk)?).await
    }

    async fn lapses(&self, licensee: &LicenseeId) -> Result<Vec<LapseNotice>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "LAPSE#").await
    }

    async fn put_caller(&self, caller: &Caller) -> Result<(), StoreError> {
        self.put_plain(to_item(caller, format!("CALLER#{}", caller.id), "PROFILE".into())?).await
    }

    async fn get_caller(&self, id: &CallerId) -> Result<Option<Caller>, StoreError> {
        self.get(format!("CALLER#{id}"), "PROFILE").await
    }

    async fn put_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        let sk = format!("CONTACT#{}", contact.id);
        self.put_plain(to_item(contact, licensee_pk(&contact.licensee_id), sk)?).await
    }

    async fn contacts(&self, licensee: &LicenseeId) -> Result<Vec<Contact>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "CONTACT#").await
    }

    async fn get_contact(&self, licensee: &LicenseeId, id: &ContactId) -> Result<Option<Contact>, StoreError> {
        self.get(licensee_pk(licensee), &format!("CONTACT#{id}")).await
    }

    async fn put_group(&self, group: &Group) -> Result<(), StoreError> {
        let sk = format!("GROUP#{}", group.id);
        self.put_plain(to_item(group, licensee_pk(&group.licensee_id), sk)?).await
    }

    async fn groups(&self, licensee: &LicenseeId) -> Result<Vec<Group>, StoreError> {
        self.query_prefix(licensee_pk(licensee), "GROUP#").await
    }

    async fn create_incident(
        &self,
        incident: &Incident,
        events: &[TimelineEvent],
    ) -> Result<CreateOutcome, StoreError> {
        let key = ReportKey {
            caller_id: incident.caller_id.clone(),
            police_reference: incident.report.police_reference.clone(),
            incident_id: incident.id.clone(),
            fingerprint: incident.fingerprint.clone(),
        };
        let key_pk = report_pk(&key.caller_id, &key.police_reference);
        let not_exists = Some("attribute_not_exists(pk)");
        let mut items = vec![
            put(&self.table, incident_item(incident)?, not_exists)?,
            put(&self.table, to_item(&key, key_pk, "REPORT".into())?, not_exists)?,
        ];
        for e in events {
            items.push(put(&self.table, event_item(e)?, None)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(CreateOutcome::Created),
            Err(e) => match failed_condition(&e) {
                Some(1) => {
                    let existing = self.report_key(&key.caller_id, &key.police_reference).await?;
                    existing.map(CreateOutcome::AlreadyReported).ok_or(StoreError::Conflict)
                }
                Some(_) => Err(StoreError::Conflict),
                None => Err(sdk_error(e)),
            },
        }
    }

    async fn get_incident(&self, id: &IncidentId) -> Result<Option<Incident>, StoreError> {
        self.get(incident_pk(id), "INCIDENT").await
    }

    async fn report_key(
        &self,
        caller: &CallerId,
        reference: &PoliceReference,
    ) -> Result<Option<ReportKey>, StoreError> {
        self.get(report_pk(caller, reference), "REPORT").await
    }

    async fn update_incident(&self, incident: &Incident, events: &[TimelineEvent]) -> Result<(), StoreError> {
        self.replace_versioned(incident_item(incident)?, incident.version, events).await
    }

    async fn mark_handed_on(&self, id: &IncidentId, version: u32, event: &TimelineEvent) -> Result<bool, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(incident_pk(id)))
            .key("sk", s("INCIDENT"))
            .update_expression("SET handoff = :none REMOVE gsi1pk, gsi1sk")
            .condition_expression("version = :version AND attribute_exists(gsi1pk)")
            .expression_attribute_values(":none", AttributeValue::Null(true))
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .build()
            .map_err(corrupt)?;
        let items =
            vec![TransactWriteItem::builder().update(update).build(), put(&self.table, event_item(event)?, None)?];
        match self.transact(items).await {
            Ok(()) => Ok(true),
            Err(e) if failed_condition(&e) == Some(0) => Ok(false),
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn pending_handoffs(&self, before: OffsetDateTime, limit: usize) -> Result<Vec<IncidentId>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(HANDOFF_INDEX)
            .key_condition_expression("gsi1pk = :p AND gsi1sk < :before")
            .expression_attribute_values(":p", s(HANDOFF_PARTITION))
            .expression_attribute_values(":before", s(sortable(before)))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(sdk_error)?;
        out.items
            .unwrap_or_default()
            .iter()
            .map(|item| {
                let pk = item.get("pk").and_then(|v| v.as_s().ok()).map(String::as_str).unwrap_or_default();
                IncidentId::parse(pk.trim_start_matches("INCIDENT#")).map_err(corrupt)
            })
            .collect()
    }

    async fn timeline(&self, id: &IncidentId) -> Result<Vec<TimelineEvent>, StoreError> {
        self.query_prefix(incident_pk(id), "EVENT#").await
    }

    async fn append_event(&self, event: &TimelineEvent) -> Result<(), StoreError> {
        self.put_plain(event_item(event)?).await
    }

    async fn ward_history(
        &self,
        licensee: &LicenseeId,
        ward: &AreaName,
        since: OffsetDateTime,
        until: OffsetDateTime,
        except: &IncidentId,
    ) -> Result<Vec<OffsetDateTime>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(WARD_INDEX)
            .key_condition_expression("gsi2pk = :ward AND gsi2sk BETWEEN :since AND :until")
            .expression_attribute_values(":ward", s(ward_pk(licensee, ward)))
            .expression_attribute_values(":since", s(sortable(since)))
            // '~' sorts after '#', so incidents at exactly `until` are included.
            .expression_attribute_values(":until", s(format!("{}~", sortable(until))));
        let mut times = Vec::new();
        for item in self.all_items(query).await? {
            let sk = item.get("gsi2sk").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let Some((nanos, id)) = sk.split_once('#') else { continue };
            if id == except.as_str() {
                continue;
            }
            let nanos: i128 = nanos.parse().map_err(corrupt)?;
            times.push(OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(corrupt)?);
        }
        Ok(times)
    }

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
        let items = notifications
            .iter()
            .map(|n| to_item(n, incident_pk(&n.incident_id), format!("NOTIFY#{}", n.key())))
            .collect::<Result<Vec<_>, _>>()?;
        self.put_batch(items).await
    }

    async fn notifications(&self, id: &IncidentId) -> Result<Vec<Notification>, StoreError> {
        self.query_prefix(incident_pk(id), "NOTIFY#").await
    }

    async fn get_notification(&self, id: &IncidentId, key: &str) -> Result<Option<Notification>, StoreError> {
        self.get(incident_pk(id), &format!("NOTIFY#{key}")).await
    }

    async fn claim_notification(
        &self,
        id: &IncidentId,
        key: &str,
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
        let sk = format!("NOTIFY#{}", notification.key());
        let conditional = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(notification, incident_pk(&notification.incident_id), sk)?))
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

    async fn put_checklist(&self, items: &[ChecklistItem]) -> Result<(), StoreError> {
        let items = items.iter().map(checklist_item).collect::<Result<Vec<_>, _>>()?;
        self.put_batch(items).await
    }

    async fn update_checklist_item(&self, item: &ChecklistItem, events: &[TimelineEvent]) -> Result<(), StoreError> {
        self.replace_versioned(checklist_item(item)?, item.version, events).await
    }

    async fn checklist(&self, id: &IncidentId) -> Result<Vec<ChecklistItem>, StoreError> {
        self.query_prefix(incident_pk(id), "CHECK#").await
    }

    async fn get_follow_up(&self, id: &IncidentId) -> Result<Option<FollowUp>, StoreError> {
        self.get(incident_pk(id), "FOLLOWUP").await
    }

    async fn put_follow_up(&self, follow_up: &FollowUp, events: &[TimelineEvent]) -> Result<(), StoreError> {
        let item = to_item(follow_up, incident_pk(&follow_up.incident_id), "FOLLOWUP".into())?;
        self.replace_versioned(item, follow_up.version, events).await
    }
}
