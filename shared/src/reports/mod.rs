//! Reports: how fast SIM alerted, who acknowledged and how the response
//! went, per licensee and period (issue 17).
//!
//! Each incident has a report row (`row`), derived from its records and
//! stored under its licensee and month (`ports::store::ReportStore`), so a
//! period's figures (`figures`) are read with one query per month rather
//! than a scan. `refresh` re-derives and stores an incident's row: call it
//! after anything that changes the incident's alerts, acknowledgements,
//! checklist or closure; calling it twice, or with redelivered events, gives
//! the same row. `export` writes figures, rows and timelines as CSV and JSON
//! lines; `chart` (feature `web`) draws the figures as accessible SVG.

#[cfg(feature = "web")]
pub mod chart;
pub mod export;
pub mod figures;
pub mod row;
#[cfg(feature = "web")]
pub mod summary;

pub use figures::{Figures, Report, RoleFigures, SectionFigures, Spread};
pub use row::{ChannelCounts, IncidentRecords, IncidentRow, RoleRow, SectionRow};

use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::{Incident, TimelineEvent};
use crate::ids::{IncidentId, LicenseeId};
use crate::ports::store::{ReportRows, Store, StoreError};
use time::{Date, Month, OffsetDateTime, Time};

/// An incident's records as they stand now, and the report row derived
/// from them (not stored): what the printable summary shows.
pub struct Current {
    pub incident: Incident,
    pub row: IncidentRow,
    pub timeline: Vec<TimelineEvent>,
    pub checklist: Vec<ChecklistItem>,
    pub follow_up: Option<FollowUp>,
}

/// Reads the incident's records (eight requests, all on its own partition)
/// and derives its row. None if there is no such incident.
pub async fn current<S: Store + ?Sized>(store: &S, id: &IncidentId) -> Result<Option<Current>, StoreError> {
    let Some(incident) = store.get_incident(id).await? else {
        return Ok(None);
    };
    let categorisation = store.get_categorisation(id).await?;
    let notifications = store.notifications(id).await?;
    let deliveries = store.deliveries(id).await?;
    let acknowledgements = store.acknowledgements(id).await?;
    let checklist = store.checklist(id).await?;
    let follow_up = store.get_follow_up(id).await?;
    let timeline = store.timeline(id).await?;
    let row = IncidentRow::derive(&IncidentRecords {
        incident: &incident,
        categorisation: categorisation.as_ref(),
        notifications: &notifications,
        deliveries: &deliveries,
        acknowledgements: &acknowledgements,
        checklist: &checklist,
        follow_up: follow_up.as_ref(),
        timeline: &timeline,
    });
    Ok(Some(Current { incident, row, timeline, checklist, follow_up }))
}

/// Re-derives the incident's report row from its records and stores it.
/// None if there is no such incident.
pub async fn refresh<S: Store + ?Sized>(store: &S, id: &IncidentId) -> Result<Option<IncidentRow>, StoreError> {
    let Some(current) = current(store, id).await? else {
        return Ok(None);
    };
    store.put_report_row(&current.row).await?;
    Ok(Some(current.row))
}

/// A period of whole UTC days, `from` to `to` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PeriodError {
    #[error("dates are written YYYY-MM-DD")]
    BadDate,
    #[error("the period ends before it starts")]
    Backwards,
    #[error("a report covers at most 366 days")]
    TooLong,
}

impl Period {
    pub fn parse(from: &str, to: &str) -> Result<Self, PeriodError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let from = Date::parse(from.trim(), format).map_err(|_| PeriodError::BadDate)?;
        let to = Date::parse(to.trim(), format).map_err(|_| PeriodError::BadDate)?;
        Self::new(from, to)
    }

    pub fn new(from: Date, to: Date) -> Result<Self, PeriodError> {
        if to < from {
            return Err(PeriodError::Backwards);
        }
        if (to - from).whole_days() >= 366 {
            return Err(PeriodError::TooLong);
        }
        Ok(Self { from, to })
    }

    /// The calendar month holding `day`.
    pub fn month_of(day: Date) -> Self {
        let from = day.replace_day(1).expect("day 1 exists");
        let to = from.replace_day(day.month().length(day.year())).expect("last day exists");
        Self { from, to }
    }

    pub fn start(&self) -> OffsetDateTime {
        self.from.with_time(Time::MIDNIGHT).assume_utc()
    }

    /// The first instant after the period.
    pub fn end(&self) -> OffsetDateTime {
        self.to.with_time(Time::MIDNIGHT).assume_utc() + time::Duration::DAY
    }
}

/// The (year, month) partitions a half-open time range touches, in order.
pub fn months(from: OffsetDateTime, until: OffsetDateTime) -> Vec<(i32, u8)> {
    let mut out = Vec::new();
    if until <= from {
        return out;
    }
    let last = until - time::Duration::nanoseconds(1);
    let (mut year, mut month) = (from.year(), from.month());
    while (year, month as u8) <= (last.year(), last.month() as u8) {
        out.push((year, month as u8));
        if month == Month::December {
            year += 1;
        }
        month = month.next();
    }
    out
}

/// A licensee's rows for a period, the report computed from them, and the
/// requests reading them took.
pub struct PeriodReport {
    pub licensee: LicenseeId,
    pub period: Period,
    pub rows: Vec<IncidentRow>,
    pub report: Report,
    pub requests: u32,
}

pub async fn for_period<S: crate::ports::ReportStore + ?Sized>(
    store: &S,
    licensee: &LicenseeId,
    period: Period,
) -> Result<PeriodReport, StoreError> {
    let ReportRows { rows, requests } = store.report_rows(licensee, period.start(), period.end()).await?;
    let report = Report::of(&rows);
    Ok(PeriodReport { licensee: licensee.clone(), period, rows, report, requests })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_period_is_whole_days_and_touches_each_month_once() {
        let p = Period::parse("2026-10-30", "2026-12-01").unwrap();
        assert_eq!(p.start(), datetime!(2026-10-30 00:00 UTC));
        assert_eq!(p.end(), datetime!(2026-12-02 00:00 UTC));
        assert_eq!(months(p.start(), p.end()), vec![(2026, 10), (2026, 11), (2026, 12)]);
        let dec = Period::parse("2026-12-01", "2027-01-31").unwrap();
        assert_eq!(months(dec.start(), dec.end()), vec![(2026, 12), (2027, 1)]);
        assert_eq!(Period::month_of(date!(2028 - 02 - 10)).to, date!(2028 - 02 - 29));
        assert_eq!(Period::parse("2026-11-02", "2026-11-01"), Err(PeriodError::Backwards));
        assert_eq!(Period::parse("2026/11/02", "2026-11-01"), Err(PeriodError::BadDate));
        assert_eq!(Period::parse("2025-01-01", "2026-11-01"), Err(PeriodError::TooLong));
    }
}
