//! Rotas: a group whose members take turns. Each member covers one turn (e.g.
//! a week from Monday 09:00 UK time) in the order of the group's members, and
//! the turns repeat; only whoever is on duty is alerted, with the next on the
//! rota as their deputy. Turns change at the same UK clock time all year, so a
//! turn spanning the clock change is an hour shorter or longer in UTC.

use crate::uk_time::uk_time;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

/// The longest turn SIM accepts, in days.
pub const MAX_TURN_DAYS: u8 = 28;

/// A rota's schedule: when the first member's turn starts (UK local time) and
/// how many days each turn lasts. Only a valid schedule can be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RotaFields", into = "RotaFields")]
pub struct Rota {
    starts: PrimitiveDateTime,
    turn_days: u8,
}

/// The stored and JSON form: `{"starts": "2026-11-02T09:00", "turn_days": 7}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotaFields {
    starts: String,
    turn_days: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotaError {
    #[error("the rota's start must be a UK date and time like 2026-11-02T09:00")]
    Starts,
    #[error("each turn must last 1 to {MAX_TURN_DAYS} days")]
    TurnDays,
}

const STARTS_FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");

impl Rota {
    pub fn new(starts: PrimitiveDateTime, turn_days: u8) -> Result<Self, RotaError> {
        if !(1..=MAX_TURN_DAYS).contains(&turn_days) {
            return Err(RotaError::TurnDays);
        }
        Ok(Self {
            starts: starts.replace_second(0).and_then(|s| s.replace_nanosecond(0)).map_err(|_| RotaError::Starts)?,
            turn_days,
        })
    }

    /// Weekly turns handed over at 09:00 UK time, the first on `first_day`.
    pub fn weekly_from(first_day: Date) -> Self {
        Self { starts: first_day.with_time(Time::from_hms(9, 0, 0).expect("valid")), turn_days: 7 }
    }

    pub fn parse(starts: &str, turn_days: u8) -> Result<Self, RotaError> {
        let starts = PrimitiveDateTime::parse(starts.trim(), STARTS_FORMAT).map_err(|_| RotaError::Starts)?;
        Self::new(starts, turn_days)
    }

    /// When the first turn starts, UK local time.
    pub fn starts(&self) -> PrimitiveDateTime {
        self.starts
    }

    pub fn turn_days(&self) -> u8 {
        self.turn_days
    }

    /// The number of the turn in progress at `at` (0 for the first; negative
    /// before the rota starts, the turns repeating backwards).
    pub fn turn_at(&self, at: OffsetDateTime) -> i64 {
        let local = uk_time(at).0;
        let local = PrimitiveDateTime::new(local.date(), local.time());
        let minutes = (local - self.starts).whole_minutes();
        minutes.div_euclid(i64::from(self.turn_days) * 24 * 60)
    }

    /// Which of `members` (in rota order) is on duty at `at`; none for an empty rota.
    pub fn on_duty(&self, members: usize, at: OffsetDateTime) -> Option<usize> {
        let n = i64::try_from(members).ok().filter(|n| *n > 0)?;
        usize::try_from(self.turn_at(at).rem_euclid(n)).ok()
    }

    /// When turn `turn` starts, UK local time.
    pub fn turn_starts(&self, turn: i64) -> PrimitiveDateTime {
        self.starts + time::Duration::days(turn * i64::from(self.turn_days))
    }
}

impl TryFrom<RotaFields> for Rota {
    type Error = RotaError;
    fn try_from(f: RotaFields) -> Result<Self, RotaError> {
        Rota::parse(&f.starts, f.turn_days)
    }
}

impl From<Rota> for RotaFields {
    fn from(r: Rota) -> Self {
        RotaFields { starts: r.starts.format(STARTS_FORMAT).expect("formattable"), turn_days: r.turn_days }
    }
}

impl fmt::Display for Rota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let starts = self.starts.format(STARTS_FORMAT).map_err(|_| fmt::Error)?;
        write!(f, "turns of {} day(s) from {starts} UK time", self.turn_days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn schedules_are_parsed_and_bad_ones_refused() {
        let r = Rota::parse("2026-11-02T09:00", 7).unwrap();
        assert_eq!(r, Rota::weekly_from(date!(2026 - 11 - 02)));
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"starts":"2026-11-02T09:00","turn_days":7}"#);
        assert_eq!(serde_json::from_str::<Rota>(r#"{"starts":"2026-11-02T09:00","turn_days":7}"#).unwrap(), r);
        assert_eq!(Rota::parse("2026-11-02 09:00", 7), Err(RotaError::Starts));
        assert_eq!(Rota::parse("2026-11-02T09:00", 0), Err(RotaError::TurnDays));
        assert_eq!(Rota::parse("2026-11-02T09:00", 29), Err(RotaError::TurnDays));
        assert!(serde_json::from_str::<Rota>(r#"{"starts":"2026-11-02T09:00","turn_days":70}"#).is_err());
    }

    #[test]
    fn turns_change_at_0900_uk_time_on_both_sides_of_the_clock_change() {
        // Weekly from Monday 19 October 2026; the clocks go back on Sunday 25 October.
        let r = Rota::weekly_from(date!(2026 - 10 - 19));
        // 19 October is BST: 09:00 UK is 08:00 UTC.
        assert_eq!(r.on_duty(3, datetime!(2026-10-19 07:59 UTC)), Some(2));
        assert_eq!(r.on_duty(3, datetime!(2026-10-19 08:00 UTC)), Some(0));
        // 26 October is GMT: 09:00 UK is 09:00 UTC, so 08:30 UTC is still the first turn.
        assert_eq!(r.on_duty(3, datetime!(2026-10-26 08:30 UTC)), Some(0));
        assert_eq!(r.on_duty(3, datetime!(2026-10-26 09:00 UTC)), Some(1));
        // The turns repeat: the fourth week is the first member's again.
        assert_eq!(r.on_duty(3, datetime!(2026-11-09 12:00 UTC)), Some(0));
        assert_eq!(r.on_duty(0, datetime!(2026-11-09 12:00 UTC)), None);
    }
}
