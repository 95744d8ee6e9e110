//! UK civil time, the reader's clock: used by the domain (key dates fall due
//! at 09:00 UK time) and by rendering.

use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// UK civil time (GMT, or BST from 01:00 UTC on the last Sunday of March to
/// 01:00 UTC on the last Sunday of October): the reader's clock.
pub fn uk_time(at: OffsetDateTime) -> (OffsetDateTime, &'static str) {
    let last_sunday = |month: Month| {
        let mut day = Date::from_calendar_date(at.year(), month, 31).expect("March and October have 31 days");
        while day.weekday() != Weekday::Sunday {
            day = day.previous_day().expect("in range");
        }
        day.with_hms(1, 0, 0).expect("valid").assume_utc()
    };
    let utc = at.to_offset(UtcOffset::UTC);
    if utc >= last_sunday(Month::March) && utc < last_sunday(Month::October) {
        (utc.to_offset(UtcOffset::from_hms(1, 0, 0).expect("valid")), "BST")
    } else {
        (utc, "GMT")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn uk_time_follows_british_summer_time() {
        assert_eq!(uk_time(datetime!(2026-11-21 01:50 UTC)).1, "GMT");
        assert_eq!(uk_time(datetime!(2026-07-01 12:00 UTC)).0.hour(), 13);
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(uk_time(datetime!(2026-03-29 00:59 UTC)).1, "GMT");
        assert_eq!(uk_time(datetime!(2026-03-29 01:00 UTC)).1, "BST");
        assert_eq!(uk_time(datetime!(2026-10-25 00:59 UTC)).1, "BST");
        assert_eq!(uk_time(datetime!(2026-10-25 01:00 UTC)).1, "GMT");
    }
}
