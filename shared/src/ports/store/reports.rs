//! Report rows: one per incident, kept under its licensee and month so a
//! period's report is read with one query per month (paged by DynamoDB's
//! 1 MB limit), never a scan. See `docs/data-model.md`.

use super::StoreError;
use crate::ids::LicenseeId;
use crate::reports::IncidentRow;
use async_trait::async_trait;
use time::OffsetDateTime;

/// The rows of a period, and how many requests reading them took.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRows {
    pub rows: Vec<IncidentRow>,
    pub requests: u32,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Writes the incident's row unless a row derived from a longer timeline
    /// is already stored (rows only move forward); false when it was kept.
    /// Writing the same row again is harmless.
    async fn put_report_row(&self, row: &IncidentRow) -> Result<bool, StoreError>;

    /// The licensee's rows for incidents reported from `from` (inclusive) to
    /// `until` (exclusive), in order of the police report.
    async fn report_rows(
        &self,
        licensee: &LicenseeId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<ReportRows, StoreError>;
}
