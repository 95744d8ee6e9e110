//! The console's incident search on the incidents-by-licensee index.

use super::*;
use crate::ids::LicenseeId;
use crate::ports::store::StoreError;
use async_trait::async_trait;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The index the console's incident search queries: every incident item
/// carries `licensee_id` and `received_at` (RFC 3339, UTC), and no other item
/// has both, so the index holds exactly the incidents.
pub const INCIDENTS_INDEX: &str = "incidents-by-licensee";

impl DynamoConsoleStore {
    /// Adds the incident index to an existing table (the local stack and
    /// tests; the SAM template declares it). Waits until it is active.
    pub async fn ensure_incident_index(&self) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate, KeySchemaElement,
            KeyType, Projection, ProjectionType, ScalarAttributeType,
        };
        let table = self.client.describe_table().table_name(&self.table).send().await.map_err(sdk_error)?;
        let has = table
            .table
            .as_ref()
            .and_then(|t| t.global_secondary_indexes.as_ref())
            .is_some_and(|g| g.iter().any(|i| i.index_name() == Some(INCIDENTS_INDEX)));
        if !has {
            let attr = |n: &str| {
                AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build()
            };
            let key = |n: &str, k| KeySchemaElement::builder().attribute_name(n).key_type(k).build();
            let create = CreateGlobalSecondaryIndexAction::builder()
                .index_name(INCIDENTS_INDEX)
                .key_schema(key("licensee_id", KeyType::Hash).map_err(corrupt)?)
                .key_schema(key("received_at", KeyType::Range).map_err(corrupt)?)
                .projection(Projection::builder().projection_type(ProjectionType::KeysOnly).build())
                .build()
                .map_err(corrupt)?;
            self.client
                .update_table()
                .table_name(&self.table)
                .attribute_definitions(attr("licensee_id").map_err(corrupt)?)
                .attribute_definitions(attr("received_at").map_err(corrupt)?)
                .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().create(create).build())
                .send()
                .await
                .map_err(sdk_error)?;
        }
        Ok(())
    }
}

#[async_trait]
impl crate::ports::incident_search::IncidentSearch for DynamoConsoleStore {
    async fn recent_incidents(
        &self,
        licensee: &LicenseeId,
        received: crate::ports::incident_search::Received,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<crate::ports::incident_search::IncidentPage, StoreError> {
        use crate::ids::IncidentId;
        // The cursor is the last key of the previous page, as `received_at#incident`.
        let start = cursor.and_then(|c| c.split_once('#')).and_then(|(at, id)| {
            let id = IncidentId::parse(id).ok()?;
            Some(HashMap::from([
                ("pk".to_owned(), s(format!("INCIDENT#{id}"))),
                ("sk".to_owned(), s("INCIDENT")),
                ("licensee_id".to_owned(), s(licensee.as_str())),
                ("received_at".to_owned(), s(at)),
            ]))
        });
        // RFC 3339 in UTC sorts as time does (to the second), so a range is a key condition.
        let bound = |at: Option<OffsetDateTime>, open: &str| {
            at.and_then(|a| a.replace_nanosecond(0).ok()?.format(&Rfc3339).ok()).unwrap_or_else(|| open.to_owned())
        };
        let (from, to) = (bound(received.from, "0"), bound(received.to.map(|t| t + time::Duration::seconds(1)), "~"));
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(INCIDENTS_INDEX)
            .key_condition_expression("licensee_id = :l AND received_at BETWEEN :from AND :to")
            .expression_attribute_values(":l", s(licensee.as_str()))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .scan_index_forward(false)
            .limit(limit.clamp(1, 100) as i32)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let id_of = |item: &Item| {
            item.get("pk")?.as_s().ok()?.strip_prefix("INCIDENT#").and_then(|id| IncidentId::parse(id).ok())
        };
        let incidents = out.items().iter().filter_map(id_of).collect();
        let next = out.last_evaluated_key().and_then(|k| {
            let at = k.get("received_at")?.as_s().ok()?;
            let id = k.get("pk")?.as_s().ok()?.strip_prefix("INCIDENT#")?;
            Some(format!("{at}#{id}"))
        });
        Ok(crate::ports::incident_search::IncidentPage { incidents, next })
    }
}
