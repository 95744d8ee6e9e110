//! `ReportStore` on DynamoDB: a row per incident in the partition
//! `REPORTS#<licensee>#<yyyy-mm>` (UTC month of the police report), sorted
//! by the report time, so a period is one Query per month.

use super::codec::*;
use super::keys::sortable;
use super::DynamoStore;
use crate::ids::LicenseeId;
use crate::ports::store::*;
use crate::reports::{months, IncidentRow};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

fn reports_pk(licensee: &LicenseeId, (year, month): (i32, u8)) -> String {
    format!("REPORTS#{licensee}#{year:04}-{month:02}")
}

#[async_trait]
impl ReportStore for DynamoStore {
    async fn put_report_row(&self, row: &IncidentRow) -> Result<bool, StoreError> {
        let month = (row.reported_at.year(), u8::from(row.reported_at.month()));
        let sk = format!("{}#{}", sortable(row.reported_at), row.incident_id);
        let item = to_item(row, reports_pk(&row.licensee_id, month), sk)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR timeline_events <= :events")
            .expression_attribute_values(":events", AttributeValue::N(row.timeline_events.to_string()))
            .send()
            .await;
        written(result)
    }

    async fn report_rows(
        &self,
        licensee: &LicenseeId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<ReportRows, StoreError> {
        let mut rows = Vec::new();
        let mut requests = 0;
        // Sort keys are `<time>#<incident>`: `<t>#` sorts before every row at instant t.
        let low = format!("{}#", sortable(from));
        let high = format!("{}#", sortable(until));
        for month in months(from, until) {
            let mut start = None;
            loop {
                let page = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
                    .expression_attribute_values(":pk", s(reports_pk(licensee, month)))
                    .expression_attribute_values(":low", s(low.clone()))
                    .expression_attribute_values(":high", s(high.clone()))
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                requests += 1;
                for item in page.items.unwrap_or_default() {
                    let row: IncidentRow = from_item(item)?;
                    if row.reported_at < until {
                        rows.push(row);
                    }
                }
                start = page.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(ReportRows { rows, requests })
    }
}
