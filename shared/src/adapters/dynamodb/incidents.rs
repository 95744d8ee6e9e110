//! `IncidentStore` on DynamoDB.

use super::codec::*;
use super::keys::*;
use super::DynamoStore;
use crate::domain::incident::{PendingHandoff, PoliceReference};
use crate::domain::{AreaName, Incident, TimelineEvent};
use crate::ids::{CallerId, IncidentId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use time::OffsetDateTime;

#[async_trait]
impl IncidentStore for DynamoStore {
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
            // A retry's key comes back with the cancellation: no read to answer it.
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(to_item(&key, key_pk, "REPORT".into())?))
                        .condition_expression("attribute_not_exists(pk)")
                        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                        .build()
                        .map_err(corrupt)?,
                )
                .build(),
        ];
        for e in events {
            items.push(put(&self.table, event_item(e)?, None)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(CreateOutcome::Created),
            Err(e) => match failed_condition(&e) {
                Some(1) => {
                    let existing = match cancelled_item(&e, 1) {
                        Some(item) => Some(from_item(item)?),
                        None => self.report_key(&key.caller_id, &key.police_reference).await?,
                    };
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

    async fn clear_handoff(&self, id: &IncidentId, version: u32) -> Result<bool, StoreError> {
        let result = self.update_item(&handoff_clear(&self.table, id, version)?).send().await;
        written(result)
    }

    async fn visit_handoff(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
    ) -> Result<bool, StoreError> {
        // Only a marker still in the sweeper's index; an abandoned one leaves it.
        let update = self.marker_update(id, version, attempts, next, "attribute_exists(gsi1pk)")?;
        let update = if next.swept() {
            update
                .update_expression("SET handoff = :next, gsi1sk = :sk")
                .expression_attribute_values(":sk", s(handoff_sort_key(next, id)))
        } else {
            update.update_expression("SET handoff = :next REMOVE gsi1pk, gsi1sk")
        };
        written(update.send().await)
    }

    async fn restart_handoff(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
    ) -> Result<bool, StoreError> {
        // Unlike a visit, the marker may have left the sweeper's index (given
        // up on): the write puts it back.
        let update = self
            .marker_update(id, version, attempts, next, "attribute_exists(handoff.since)")?
            .update_expression("SET handoff = :next, gsi1pk = :p, gsi1sk = :sk")
            .expression_attribute_values(":p", s(HANDOFF_PARTITION))
            .expression_attribute_values(":sk", s(handoff_sort_key(next, id)));
        written(update.send().await)
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
}

/// The item a cancelled transaction's `index`th write saw when its condition
/// failed, if that write asked for it (`ReturnValuesOnConditionCheckFailure`).
fn cancelled_item<R>(
    err: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
    index: usize,
) -> Option<super::Item> {
    cancellation_reasons(err)?.get(index)?.item().cloned()
}

/// Clears the hand-off marker (and the sweeper's index keys) if the incident
/// is still at `version`: on its own or as one write of categorisation's round.
pub(super) fn handoff_clear(table: &str, id: &IncidentId, version: u32) -> Result<Update, StoreError> {
    Update::builder()
        .table_name(table)
        .key("pk", s(incident_pk(id)))
        .key("sk", s("INCIDENT"))
        .update_expression("SET handoff = :none REMOVE gsi1pk, gsi1sk")
        .condition_expression("version = :version")
        .expression_attribute_values(":none", AttributeValue::Null(true))
        .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
        .build()
        .map_err(corrupt)
}

impl DynamoStore {
    /// An update of the incident's hand-off marker to `next` (`:next`; DynamoDB
    /// refuses values an expression does not use, so the caller adds `:sk`,
    /// its place in the sweeper's index, where it sets it), made only if the incident is
    /// at `version` and its marker meets `guard` and has counted `attempts`
    /// (markers written before visits were counted have no count: none).
    fn marker_update(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
        guard: &str,
    ) -> Result<aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder, StoreError> {
        let counted = if attempts == 0 {
            "(attribute_not_exists(handoff.attempts) OR handoff.attempts = :attempts)"
        } else {
            "handoff.attempts = :attempts"
        };
        Ok(self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(incident_pk(id)))
            .key("sk", s("INCIDENT"))
            .condition_expression(format!("version = :version AND {guard} AND {counted}"))
            .expression_attribute_values(":next", serde_dynamo::to_attribute_value(next).map_err(corrupt)?)
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":attempts", AttributeValue::N(attempts.to_string())))
    }
}
