//! DynamoDB store: one table, keys and access patterns in `docs/data-model.md`.
//!
//! Entities are stored as native DynamoDB attributes (serde_dynamo) beside
//! the key attributes `pk`, `sk` and, for incidents awaiting hand-off, the
//! sparse index keys `gsi1pk`/`gsi1sk` and, for incidents with a ward, the
//! ward index keys `gsi2pk`/`gsi2sk`.

mod alerts;
/// Shared with the console adapter (`adapters::dynamodb_console`).
pub(crate) mod codec;
mod deliveries;
mod directory;
mod directory_changes;
mod incidents;
mod keys;
mod reports;
mod response;
mod shares;
mod vault;

pub use keys::{HANDOFF_INDEX, MESSAGE_INDEX, WARD_INDEX};

use crate::domain::TimelineEvent;
use crate::ports::store::StoreError;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, Put, PutRequest, ScalarAttributeType, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use codec::*;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    pub(crate) client: Client,
    pub(crate) table: String,
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
            .attribute_definitions(attr("gsi3pk").map_err(corrupt)?)
            .attribute_definitions(attr("gsi3sk").map_err(corrupt)?)
            .key_schema(key("pk", KeyType::Hash).map_err(corrupt)?)
            .key_schema(key("sk", KeyType::Range).map_err(corrupt)?)
            .global_secondary_indexes(index(HANDOFF_INDEX, "gsi1pk", "gsi1sk").map_err(corrupt)?)
            .global_secondary_indexes(index(WARD_INDEX, "gsi2pk", "gsi2sk").map_err(corrupt)?)
            .global_secondary_indexes(index(MESSAGE_INDEX, "gsi3pk", "gsi3sk").map_err(corrupt)?)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    pub(super) async fn get<T: DeserializeOwned>(&self, pk: String, sk: &str) -> Result<Option<T>, StoreError> {
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

    pub(super) async fn put_plain(&self, item: Item) -> Result<(), StoreError> {
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    /// Every item a query matches, following pages.
    pub(super) async fn all_items(
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
    pub(super) async fn query_prefix<T: DeserializeOwned>(
        &self,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
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

    /// Writes items 25 to a request (the BatchWriteItem maximum), up to
    /// `BATCH_WRITES_AT_ONCE` requests at a time (the chunks are independent,
    /// and a round's notifications over its transaction are on the path to the
    /// first message), retrying any the service left unprocessed.
    pub(super) async fn put_batch(&self, items: Vec<Item>) -> Result<(), StoreError> {
        use futures_util::{StreamExt, TryStreamExt};
        const BATCH_WRITES_AT_ONCE: usize = 8;
        // Collected first: a lazy map over the chunks is not `Send` for async_trait's futures.
        let writes: Vec<_> = items.chunks(25).map(|chunk| self.put_chunk(chunk)).collect();
        futures_util::stream::iter(writes).buffer_unordered(BATCH_WRITES_AT_ONCE).try_collect::<Vec<()>>().await?;
        Ok(())
    }

    /// One BatchWriteItem of at most 25 items, retried for what is left unprocessed.
    async fn put_chunk(&self, chunk: &[Item]) -> Result<(), StoreError> {
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
            let out =
                self.client.batch_write_item().request_items(&self.table, requests).send().await.map_err(sdk_error)?;
            requests = out.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
            if requests.is_empty() {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
        }
        Err(StoreError::Unavailable("DynamoDB left items unprocessed after retries".into()))
    }

    /// One transaction: a conditional Put and the timeline events it
    /// explains. A failed condition is `Conflict`.
    pub(super) async fn conditional_put_with_events(
        &self,
        conditional: Put,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
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
            return if written(result)? { Ok(()) } else { Err(StoreError::Conflict) };
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
    pub(super) async fn replace_versioned(
        &self,
        item: Item,
        version: u32,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        let builder = match version {
            0 | 1 => Put::builder().condition_expression("attribute_not_exists(pk)"),
            _ => Put::builder()
                .condition_expression("version = :previous")
                .expression_attribute_values(":previous", AttributeValue::N((version - 1).to_string())),
        };
        let conditional = builder.table_name(&self.table).set_item(Some(item)).build().map_err(corrupt)?;
        self.conditional_put_with_events(conditional, events).await
    }

    pub(super) async fn transact(
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
