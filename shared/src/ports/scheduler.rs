//! The scheduler port: one-time schedules days ahead (reviews after closing,
//! key dates), each delivering one small message to the briefings queue when
//! it falls due. On AWS, EventBridge Scheduler; on the local stack, an
//! in-memory scheduler that fires due schedules itself.
//!
//! A schedule is named after its incident and check, so asking twice (a
//! redelivery, a second press of a button) leaves one schedule.

use super::queue::{DelayedCheck, Queue, QueueError, MAX_QUEUE_DELAY_SECONDS};
use super::Cause;
use crate::domain::choice::Choice;
use crate::domain::follow_up::{BriefingCheck, BriefingReason};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// The time zone every schedule expression is written in.
pub const SCHEDULE_TIME_ZONE: &str = "Europe/London";

/// EventBridge Scheduler's limit on a schedule's name.
const MAX_NAME: usize = 64;

/// A schedule's name: letters, digits, `-`, `_` and `.`, at most 64
/// characters, derived from what it is for and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduleName(String);

impl ScheduleName {
    /// `{check}-{incident}` (for example `review-168h-inc-…`), or, when that
    /// would be too long, the check and a digest of the incident id.
    pub fn for_check(check: &BriefingCheck) -> Self {
        let what = match &check.reason {
            BriefingReason::Review { after_hours } => format!("review-{after_hours}h"),
            BriefingReason::KeyDate { what, date } => {
                format!("{}-{:04}{:02}{:02}", what.as_str(), date.year(), u8::from(date.month()), date.day())
            }
            // Digests and prompt updates travel on the queue; named all the same.
            other => other.describe().replace(' ', "-"),
        };
        let readable = format!("{what}-{}", check.incident_id);
        if readable.len() <= MAX_NAME {
            return Self(readable);
        }
        let digest = hex::encode(Sha256::digest(check.incident_id.as_str().as_bytes()));
        let mut name = format!("{what}-{digest}");
        name.truncate(MAX_NAME);
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ScheduleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One message to deliver once, at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeSchedule {
    pub name: ScheduleName,
    /// When it falls due (UTC); written as UK civil time in the expression.
    pub at: OffsetDateTime,
    /// The queue message it delivers (ids, codes and times only).
    pub body: String,
}

impl OneTimeSchedule {
    pub fn for_check(check: &BriefingCheck) -> Self {
        Self {
            name: ScheduleName::for_check(check),
            at: check.due_at,
            body: serde_json::to_string(check).expect("checks serialise"),
        }
    }

    /// `at(yyyy-mm-ddThh:mm:ss)` in UK civil time, for `SCHEDULE_TIME_ZONE`.
    /// Seconds are rounded up to the next minute: schedules fire within their
    /// minute, and a check delivered early waits on the queue for the rest.
    pub fn expression(&self) -> String {
        let (local, _) = crate::uk_time::uk_time(self.at);
        let local = PrimitiveDateTime::new(local.date(), local.time());
        let rounded = if local.second() == 0 && local.nanosecond() == 0 {
            local
        } else {
            local.replace_second(0).expect("valid").replace_nanosecond(0).expect("valid") + time::Duration::minutes(1)
        };
        let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
        format!("at({})", rounded.format(format).expect("formats"))
    }
}

/// Reads an `at(…)` expression in Europe/London back to the instant it
/// names: what the in-memory scheduler fires on (as EventBridge Scheduler
/// would). A time in the hour the clocks go back names its first occurrence
/// (BST); a time in the hour skipped in spring names the instant an hour on.
pub fn instant_of(expression: &str) -> Option<OffsetDateTime> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let local = PrimitiveDateTime::parse(inner, format).ok()?;
    let as_bst = local.assume_utc() - time::Duration::hours(1);
    if crate::uk_time::uk_time(as_bst).1 == "BST" {
        Some(as_bst)
    } else {
        Some(local.assume_utc())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("the scheduler is unavailable")]
    Unavailable(#[source] Cause),
    #[error("the scheduler refused the request")]
    Permanent(#[source] Cause),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

#[async_trait]
pub trait Scheduler: Send + Sync {
    /// Creates the schedule, or does nothing if one of that name exists.
    async fn create(&self, schedule: &OneTimeSchedule) -> Result<(), ScheduleError>;
}

/// A briefing check on its way: on the queue (held back up to 15 minutes)
/// when due within SQS's delay, otherwise as a one-time schedule. Checks due
/// already or soon never become schedules, so a retry long after a schedule
/// fired (and was deleted) cannot leave one in the past.
pub async fn schedule_checks(
    scheduler: &dyn Scheduler,
    queue: &dyn Queue,
    checks: &[BriefingCheck],
    now: OffsetDateTime,
) -> Result<(), ScheduleError> {
    let (soon, later): (Vec<&BriefingCheck>, Vec<&BriefingCheck>) =
        checks.iter().partition(|c| (c.due_at - now).whole_seconds() <= MAX_QUEUE_DELAY_SECONDS);
    if !soon.is_empty() {
        let messages: Vec<_> = soon.iter().map(|c| c.message(now)).collect();
        queue.send(&messages).await?;
    }
    for check in later {
        scheduler.create(&OneTimeSchedule::for_check(check)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::follow_up::KeyDateKind;
    use crate::ids::IncidentId;
    use time::macros::{date, datetime};

    fn review(incident: &str, due_at: OffsetDateTime) -> BriefingCheck {
        BriefingCheck {
            incident_id: IncidentId::parse(incident).unwrap(),
            reason: BriefingReason::Review { after_hours: 168 },
            due_at,
        }
    }

    #[test]
    fn names_follow_incident_and_check_and_stay_within_64_characters() {
        let check = review("inc-1", datetime!(2026-11-28 10:00 UTC));
        assert_eq!(ScheduleName::for_check(&check).as_str(), "review-168h-inc-1");
        let key_date = BriefingCheck {
            reason: BriefingReason::KeyDate { what: KeyDateKind::CourtDate, date: date!(2027 - 01 - 05) },
            ..check.clone()
        };
        assert_eq!(ScheduleName::for_check(&key_date).as_str(), "court_date-20270105-inc-1");
        let long = review(&format!("inc-{}", "a".repeat(60)), check.due_at);
        let other = review(&format!("inc-{}", "b".repeat(60)), check.due_at);
        let name = ScheduleName::for_check(&long);
        assert!(name.as_str().len() <= 64 && name.as_str().starts_with("review-168h-"));
        assert_ne!(name, ScheduleName::for_check(&other));
    }

    #[test]
    fn expressions_are_uk_civil_time_and_read_back_to_the_same_instant() {
        // Summer: 09:00 UTC is 10:00 BST.
        let summer = OneTimeSchedule::for_check(&review("inc-1", datetime!(2026-07-01 09:00 UTC)));
        assert_eq!(summer.expression(), "at(2026-07-01T10:00:00)");
        assert_eq!(instant_of(&summer.expression()), Some(datetime!(2026-07-01 09:00 UTC)));
        // Winter: GMT.
        let winter = OneTimeSchedule::for_check(&review("inc-1", datetime!(2026-11-28 09:00:30 UTC)));
        assert_eq!(winter.expression(), "at(2026-11-28T09:01:00)");
        assert_eq!(instant_of(&winter.expression()), Some(datetime!(2026-11-28 09:01 UTC)));
        // The repeated hour in October names its first occurrence; the skipped hour in March an hour on.
        assert_eq!(instant_of("at(2026-10-25T01:30:00)"), Some(datetime!(2026-10-25 00:30 UTC)));
        assert_eq!(instant_of("at(2026-03-29T01:30:00)"), Some(datetime!(2026-03-29 01:30 UTC)));
        assert_eq!(instant_of("rate(5 minutes)"), None);
    }
}
