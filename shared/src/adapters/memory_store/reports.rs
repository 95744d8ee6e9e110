//! `ReportStore` in memory.

use super::MemoryStore;
use crate::ids::LicenseeId;
use crate::ports::store::*;
use crate::reports::IncidentRow;
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
impl ReportStore for MemoryStore {
    async fn put_report_row(&self, row: &IncidentRow) -> Result<bool, StoreError> {
        let mut s = self.state();
        let key = (row.licensee_id.clone(), row.reported_at, row.incident_id.clone());
        if s.report_rows.get(&key).is_some_and(|stored| stored.timeline_events > row.timeline_events) {
            return Ok(false);
        }
        s.report_rows.insert(key, row.clone());
        Ok(true)
    }

    async fn report_rows(
        &self,
        licensee: &LicenseeId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<ReportRows, StoreError> {
        let s = self.state();
        let rows: Vec<IncidentRow> = s
            .report_rows
            .iter()
            .filter(|((l, at, _), _)| l == licensee && *at >= from && *at < until)
            .map(|(_, row)| row.clone())
            .collect();
        // As the DynamoDB adapter: one query per calendar month of the period.
        Ok(ReportRows { rows, requests: crate::reports::months(from, until).len() as u32 })
    }
}
