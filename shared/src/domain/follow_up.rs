//! After the first alerts: stakeholder briefings (digests of checklist progress,
//! category changes, closure), closing an incident, the review dates that
//! follow and key dates responders add. One `FollowUp` record per incident,
//! versioned, says which updates were sent so each is sent once.

use super::actor::Actor;
use super::checklist::ChecklistItem;
use super::contact::Role;
use super::text::strip_invisible_controls;
use crate::choice;
use crate::ids::IncidentId;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

/// The brief's review dates after closing: 24 hours, 72 hours, 7 days.
pub const REVIEW_AFTER_HOURS: [u32; 3] = [24, 72, 168];

/// Hour of the day (UK time) a key date's re-alert goes out.
pub const KEY_DATE_HOUR: u8 = 9;

choice!(
    KeyDateKind {
        Funeral = "funeral",
        CourtDate = "court_date",
        Anniversary = "anniversary",
        Other = "other",
    }
);

impl KeyDateKind {
    pub fn label(&self) -> &'static str {
        match self {
            KeyDateKind::Funeral => "Funeral",
            KeyDateKind::CourtDate => "Court date",
            KeyDateKind::Anniversary => "Anniversary",
            KeyDateKind::Other => "Key date",
        }
    }
}

/// Why an update is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BriefingReason {
    /// Checklist changes gathered over the licensee's interval.
    Changes,
    /// A checklist section was completed: sent at once.
    SectionComplete { section_id: String },
    /// The category went up: sent at once.
    CategoryChanged,
    /// The lead role closed the incident: sent at once.
    Closed,
    /// A review date after closing.
    Review { after_hours: u32 },
    /// A key date a responder added.
    KeyDate { what: KeyDateKind, date: Date },
}

impl BriefingReason {
    /// Digests report changes since the last update; reviews and key dates
    /// are one-off re-alerts with the open items.
    pub fn is_digest(&self) -> bool {
        matches!(
            self,
            BriefingReason::Changes
                | BriefingReason::SectionComplete { .. }
                | BriefingReason::CategoryChanged
                | BriefingReason::Closed
        )
    }

    pub fn describe(&self) -> String {
        match self {
            BriefingReason::Changes => "progress update".into(),
            BriefingReason::SectionComplete { .. } => "section complete".into(),
            BriefingReason::CategoryChanged => "category changed".into(),
            BriefingReason::Closed => "incident closed".into(),
            BriefingReason::Review { after_hours } if after_hours % 24 == 0 && *after_hours > 72 => {
                format!("{}-day review", after_hours / 24)
            }
            BriefingReason::Review { after_hours } => format!("{after_hours}-hour review"),
            BriefingReason::KeyDate { what, .. } => what.label().to_lowercase(),
        }
    }
}

/// A delay-queue message: an update may be due for this incident at `due_at`.
/// Ids, codes and times only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefingCheck {
    pub incident_id: IncidentId,
    pub reason: BriefingReason,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
}

/// An update recorded before its notifications are queued, so a crash
/// between the two is finished by the redelivery rather than lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentBriefing {
    pub number: u32,
    pub reason: BriefingReason,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub queued: bool,
    /// Kept only until queued, for finishing after a crash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<BriefingContent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closure {
    /// The lead responder, or council staff closing in the lead role's name.
    pub closed_by: Actor,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The lead's closing note: shown on the page, never sent in a message.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyDate {
    pub kind: KeyDateKind,
    pub date: Date,
    pub added_by: Actor,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

impl KeyDate {
    /// When its re-alert goes out: 09:00 UK time on the day.
    pub fn due_at(&self) -> OffsetDateTime {
        let nine = self.date.with_hms(KEY_DATE_HOUR, 0, 0).expect("valid").assume_utc();
        // 09:00 BST is 08:00 UTC.
        let offset = crate::uk_time::uk_time(nine).0.offset();
        nine - Duration::seconds(offset.whole_seconds().into())
    }

    pub fn reason(&self) -> BriefingReason {
        BriefingReason::KeyDate { what: self.kind, date: self.date }
    }
}

/// Per incident: the updates sent, whether and how it was closed, key dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub incident_id: IncidentId,
    /// 1 when first written; each change adds one (a stale write is refused).
    pub version: u32,
    /// Timeline entries up to this instant are covered by updates sent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub covered_until: Option<OffsetDateTime>,
    #[serde(default)]
    pub briefings: Vec<SentBriefing>,
    #[serde(default)]
    pub closure: Option<Closure>,
    #[serde(default)]
    pub key_dates: Vec<KeyDate>,
}

impl FollowUp {
    /// The record before anything was written (version 0: not stored).
    pub fn new(incident_id: IncidentId) -> Self {
        Self { incident_id, version: 0, covered_until: None, briefings: vec![], closure: None, key_dates: vec![] }
    }

    /// The same record as the next version, to be written conditionally.
    pub fn next(&self) -> Self {
        Self { version: self.version + 1, ..self.clone() }
    }

    pub fn already_sent(&self, reason: &BriefingReason) -> bool {
        !reason.is_digest() && self.briefings.iter().any(|u| &u.reason == reason)
    }

    /// The checks closing schedules: the three reviews. (Key dates are
    /// scheduled when added, whether or not the incident is closed.)
    pub fn after_closing(&self, closed_at: OffsetDateTime) -> Vec<BriefingCheck> {
        REVIEW_AFTER_HOURS
            .iter()
            .map(|h| BriefingCheck {
                incident_id: self.incident_id.clone(),
                reason: BriefingReason::Review { after_hours: *h },
                due_at: closed_at + Duration::hours((*h).into()),
            })
            .collect()
    }

    pub fn key_date_check(&self, date: &KeyDate) -> BriefingCheck {
        BriefingCheck { incident_id: self.incident_id.clone(), reason: date.reason(), due_at: date.due_at() }
    }

    /// What closing schedules: the closing briefing at once and the three
    /// reviews. Queued again when someone closes an incident already closed
    /// (the briefings function sends each once).
    pub fn closing_checks(&self, closure: &Closure) -> Vec<BriefingCheck> {
        let closed =
            BriefingCheck { incident_id: self.incident_id.clone(), reason: BriefingReason::Closed, due_at: closure.at };
        std::iter::once(closed).chain(self.after_closing(closure.at)).collect()
    }

    /// The next version, closed (the caller checked it was open).
    pub fn closed(&self, closure: Closure) -> FollowUp {
        let mut next = self.next();
        next.closure = Some(closure);
        next
    }

    /// The next version with `date` added, in date order; `Err` with the
    /// date already there when the same kind of date on that day was added.
    pub fn with_key_date(&self, date: KeyDate) -> Result<FollowUp, &KeyDate> {
        if let Some(existing) = self.key_dates.iter().find(|d| d.kind == date.kind && d.date == date.date) {
            return Err(existing);
        }
        let mut next = self.next();
        next.key_dates.push(date);
        next.key_dates.sort_by_key(|d| d.date);
        Ok(next)
    }
}

/// Closing notes say how the response ended, briefly.
pub const MAX_CLOSING_NOTE_CHARS: usize = 1000;

/// How far ahead a key date may be, in days.
pub const KEY_DATE_MAX_DAYS_AHEAD: i64 = 2 * 366;

/// The closing note as typed: invisible and bidi controls stripped, trimmed,
/// not empty, at most 1,000 characters, plain text (line breaks allowed).
pub fn parse_closing_note(text: &str) -> Result<String, &'static str> {
    let text = strip_invisible_controls(text);
    let note = text.trim();
    if note.is_empty() {
        return Err("Write a sentence or two on how the response ended, without names.");
    }
    if note.chars().count() > MAX_CLOSING_NOTE_CHARS {
        return Err("A closing note can be at most 1,000 characters.");
    }
    if note.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err("A closing note must be plain text.");
    }
    Ok(note.to_owned())
}

/// A key date as typed (`YYYY-MM-DD`): today (UK) or within the next two years.
pub fn parse_key_date(text: &str, today: Date) -> Result<Date, &'static str> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match Date::parse(text.trim(), format) {
        Ok(date) if date >= today && date <= today + Duration::days(KEY_DATE_MAX_DAYS_AHEAD) => Ok(date),
        Ok(_) => Err("The date must be today or within the next two years."),
        Err(_) => Err("Enter the date as day, month and year."),
    }
}

/// Checklist progress for one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionProgress {
    pub title: String,
    pub closed: u32,
    pub total: u32,
}

/// Per section, in checklist order: items done or not applicable, of all.
pub fn progress(items: &[ChecklistItem]) -> Vec<(String, SectionProgress)> {
    let mut out: Vec<(String, SectionProgress)> = Vec::new();
    for item in items {
        if out.last().is_none_or(|(id, _)| *id != item.section_id) {
            let fresh = SectionProgress { title: item.section_title.clone(), closed: 0, total: 0 };
            out.push((item.section_id.clone(), fresh));
        }
        let (_, section) = out.last_mut().expect("pushed above");
        section.total += 1;
        section.closed += u32::from(item.is_closed());
    }
    out
}

/// What a stakeholder briefing says, carried on each of its notifications so
/// the senders render it without another read. Checklist wording, counts
/// and codes only: no notes, no names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefingContent {
    pub number: u32,
    pub reason: BriefingReason,
    /// What changed since the last update, or what is due.
    pub lines: Vec<String>,
    pub sections: Vec<SectionProgress>,
    /// Open items (not done, not applicable), listed in reviews and key-date alerts.
    #[serde(default)]
    pub open_items: Vec<String>,
    pub closed: bool,
}

impl BriefingContent {
    pub fn open_count(&self) -> u32 {
        self.sections.iter().map(|s| s.total - s.closed).sum()
    }

    pub fn total(&self) -> u32 {
        self.sections.iter().map(|s| s.total).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_key_date_alerts_at_nine_uk_time_in_summer_and_winter() {
        let kd = |date| KeyDate {
            kind: KeyDateKind::Funeral,
            date,
            added_by: crate::ids::ContactId::parse("con-a").unwrap().into(),
            added_at: datetime!(2026-11-21 02:10 UTC),
        };
        assert_eq!(kd(date!(2026 - 12 - 01)).due_at(), datetime!(2026-12-01 09:00 UTC));
        assert_eq!(kd(date!(2027 - 06 - 01)).due_at(), datetime!(2027-06-01 08:00 UTC));
    }

    #[test]
    fn a_closing_note_is_required_short_and_plain() {
        assert!(parse_closing_note("  ").is_err());
        assert!(parse_closing_note(&"a".repeat(1001)).is_err());
        assert!(parse_closing_note("Bell\u{7}").is_err());
        assert_eq!(parse_closing_note("Ended \u{202E}weiver\u{202C} booked").unwrap(), "Ended weiver booked");
        assert_eq!(parse_closing_note(" Response ended.\nReview booked. ").unwrap(), "Response ended.\nReview booked.");
    }

    #[test]
    fn a_key_date_is_today_or_within_two_years() {
        let today = date!(2026 - 11 - 21);
        assert_eq!(parse_key_date(" 2026-11-21 ", today), Ok(today));
        assert!(parse_key_date("2026-11-20", today).is_err());
        assert!(parse_key_date("2028-12-01", today).is_err());
        assert!(parse_key_date("21/11/2026", today).is_err());
    }

    #[test]
    fn reviews_are_one_off_and_digests_repeat() {
        let mut f = FollowUp::new(IncidentId::parse("inc-1").unwrap());
        let review = BriefingReason::Review { after_hours: 24 };
        f.briefings.push(SentBriefing {
            number: 1,
            reason: review.clone(),
            at: datetime!(2026-11-22 02:10 UTC),
            queued: true,
            content: None,
        });
        f.briefings.push(SentBriefing {
            number: 2,
            reason: BriefingReason::Changes,
            at: datetime!(2026-11-22 02:10 UTC),
            queued: true,
            content: None,
        });
        assert!(f.already_sent(&review));
        assert!(!f.already_sent(&BriefingReason::Review { after_hours: 72 }));
        assert!(!f.already_sent(&BriefingReason::Changes));
        assert_eq!(BriefingReason::Review { after_hours: 168 }.describe(), "7-day review");
        assert_eq!(review.describe(), "24-hour review");
    }
}
