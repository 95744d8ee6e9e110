//! Rendering alerts per channel. Every message carries a summary and a
//! personal link only: category, incident type, area, time. Never a victim's
//! or suspect's details (the incident has none), never a contact's number.

use crate::domain::category::Category;
use crate::domain::choice::Choice;
use crate::domain::follow_up::UpdateContent;
use crate::domain::incident::Incident;
use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// What kind of alert this is: the text differs, because networks block
/// identical repeats and a reminder must read as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    First,
    Reminder,
    /// The category went up (police update).
    Upgrade,
    /// A required role has not acknowledged: to their deputy or an escalation group.
    Escalation,
}

pub struct Alert<'a> {
    pub incident: &'a Incident,
    pub category: Category,
    pub reason: &'a str,
    pub kind: AlertKind,
    /// Minutes the reader has to acknowledge, if acknowledgement is required.
    pub acknowledge_within: Option<u32>,
    /// The reader's personal link.
    pub link: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sms {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The parameters of SIM's approved WhatsApp template `sim_incident_alert`:
/// body {{1}} category, {{2}} incident type, {{3}} area, {{4}} time; URL
/// button suffix {{1}} the link token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppTemplate {
    pub name: &'static str,
    pub language: &'static str,
    pub body: Vec<String>,
    pub button_url_suffix: String,
}

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

/// "01:50 GMT Sat 21 Nov"
pub fn when(at: OffsetDateTime) -> String {
    let (local, zone) = uk_time(at);
    let month = &local.month().to_string()[..3];
    let day = &local.weekday().to_string()[..3];
    format!("{:02}:{:02} {zone} {day} {} {month}", local.hour(), local.minute(), local.day())
}

pub fn words(code: &str) -> String {
    code.replace('_', " ")
}

pub fn area(incident: &Incident) -> String {
    let loc = &incident.report.location;
    match &loc.ward {
        Some(ward) => format!("{} ({})", loc.borough, ward),
        None => loc.borough.to_string(),
    }
}

/// "CRITICAL stabbing in Lambeth (Brixton North)"
fn headline(incident: &Incident, category: Category) -> String {
    format!("{} {} in {}", category.label(), words(incident.report.incident_type.as_str()), area(incident))
}

impl Alert<'_> {
    fn headline(&self) -> String {
        headline(self.incident, self.category)
    }

    fn expected(&self) -> String {
        match (self.kind, self.acknowledge_within) {
            (AlertKind::Reminder, _) => "You have not acknowledged yet. Acknowledge now".into(),
            (AlertKind::Escalation, _) => "A required role has not acknowledged. Please acknowledge".into(),
            (_, Some(minutes)) => format!("Acknowledge within {minutes} min"),
            (_, None) => "For information; no acknowledgement needed. Details".into(),
        }
    }

    pub fn sms(&self) -> Sms {
        let prefix = match self.kind {
            AlertKind::First => "SIM",
            AlertKind::Reminder => "SIM REMINDER",
            AlertKind::Upgrade => "SIM UPGRADED",
            AlertKind::Escalation => "SIM ESCALATION",
        };
        let tail = format!(". {}: {}", self.expected(), self.link);
        fit_sms(&format!("{prefix}: {} at {}", self.headline(), when(self.incident.report.occurred_at)), &tail)
    }

    pub fn email(&self) -> Email {
        let report = &self.incident.report;
        let lead = match self.kind {
            AlertKind::First => "",
            AlertKind::Reminder => "Reminder: ",
            AlertKind::Upgrade => "Upgraded: ",
            AlertKind::Escalation => "Escalation: ",
        };
        let subject = format!("[SIM] {lead}{} at {}", self.headline(), when(report.occurred_at));
        let victims = match report.victims.len() {
            0 => "none reported".to_owned(),
            n => format!("{n} (most severe injury: {})", words(report.most_severe_injury().as_str())),
        };
        let flags = if report.flags.is_empty() {
            "none".to_owned()
        } else {
            report.flags.iter().map(|f| words(f.as_str())).collect::<Vec<_>>().join(", ")
        };
        let rows = [
            ("Category", format!("{} ({})", self.category.label(), self.reason)),
            ("Incident", words(report.incident_type.as_str())),
            ("Weapon", words(report.weapon.as_str())),
            ("Where", {
                let mut w = area(self.incident);
                if let Some(pd) = &report.location.postcode_district {
                    w.push_str(&format!(", {}", pd.as_str()));
                }
                w
            }),
            ("When", when(report.occurred_at)),
            ("Victims", victims),
            ("Police flags", flags),
            ("Police reference", report.police_reference.as_str().to_owned()),
        ];
        let expected = format!("{}: {}", self.expected(), self.link);
        let footer = "This link is personal to you: do not forward this email. SIM never includes names or \
                      personal details of victims or suspects in messages.";
        let mut text = format!("{}\n\n", self.headline());
        for (k, v) in &rows {
            text.push_str(&format!("{k}: {v}\n"));
        }
        text.push_str(&format!("\n{expected}\n\n{footer}\n"));

        let mut html = format!(
            "<!doctype html><html lang=\"en-GB\"><body style=\"font-family:Arial,sans-serif;font-size:16px;color:#111\">\
             <h1 style=\"font-size:20px\">{}</h1><table role=\"presentation\" style=\"border-collapse:collapse\">",
            escape(&self.headline())
        );
        for (k, v) in &rows {
            html.push_str(&format!(
                "<tr><th scope=\"row\" style=\"text-align:left;padding:4px 12px 4px 0\">{}</th><td style=\"padding:4px 0\">{}</td></tr>",
                escape(k),
                escape(v)
            ));
        }
        html.push_str(&format!(
            "</table><p><a href=\"{link}\" style=\"display:inline-block;background:#0b0c0c;color:#fff;padding:12px 20px;\
             text-decoration:none;font-weight:bold\">{action}</a></p><p style=\"font-size:14px\">{}</p></body></html>",
            escape(footer),
            link = escape(self.link),
            action = escape(&self.expected()),
        ));
        Email { subject, text, html }
    }

    /// `token` is the link's last path segment (the template holds the base URL).
    pub fn whatsapp(&self, token: &str) -> WhatsAppTemplate {
        WhatsAppTemplate {
            name: match self.kind {
                AlertKind::Reminder | AlertKind::Escalation => "sim_incident_reminder",
                _ => "sim_incident_alert",
            },
            language: "en_GB",
            body: vec![
                self.category.label().to_owned(),
                words(self.incident.report.incident_type.as_str()),
                area(self.incident),
                when(self.incident.report.occurred_at),
            ],
            button_url_suffix: token.to_owned(),
        }
    }
}

/// `head` shortened as needed so that it and `tail` (which holds the link,
/// never shortened) fit two GSM-7 segments.
fn fit_sms(head: &str, tail: &str) -> Sms {
    let mut head = gsm7(&crate::domain::text::transliterate_gsm7(head));
    let tail = gsm7(tail);
    while gsm7_septets(&head) + gsm7_septets(&tail) > SMS_MAX_SEPTETS && head.chars().count() > 20 {
        let keep = head.chars().count() - 4;
        head = format!("{}..", head.chars().take(keep).collect::<String>().trim_end_matches('.'));
    }
    Sms { text: format!("{head}{tail}") }
}

/// "Tue 1 Dec 2026"
pub fn when_date(date: Date) -> String {
    format!("{} {} {} {}", &date.weekday().to_string()[..3], date.day(), &date.month().to_string()[..3], date.year())
}

/// A stakeholder update for one reader: what changed or is due, checklist
/// progress and their personal link.
pub struct Update<'a> {
    pub incident: &'a Incident,
    pub category: Category,
    pub content: &'a UpdateContent,
    pub link: &'a str,
}

impl Update<'_> {
    fn headline(&self) -> String {
        headline(self.incident, self.category)
    }

    fn title(&self) -> String {
        let c = self.content;
        match &c.reason {
            r if r.is_digest() => format!("Update {}", c.number),
            r => capitalise(&r.describe()),
        }
    }

    fn progress(&self) -> String {
        let c = self.content;
        let state = if c.closed { "Closed. " } else { "" };
        format!("{state}{} of {} checklist items open", c.open_count(), c.total())
    }

    pub fn sms(&self) -> Sms {
        let c = self.content;
        let mut summary = match c.lines.len() {
            0 => String::new(),
            _ if !c.reason.is_digest() => format!(" {}", c.lines[0]),
            n => format!(" {n} change{}.", if n == 1 { "" } else { "s" }),
        };
        if let Some(complete) = c.lines.iter().find(|l| l.starts_with("Section complete")) {
            summary.push_str(&format!(" {complete}"));
        }
        let head = format!("SIM {}: {}.{summary}", self.title().to_uppercase(), self.headline());
        let tail = format!(" {}: {}", self.progress(), self.link);
        fit_sms(&head, &tail)
    }

    pub fn email(&self) -> Email {
        let c = self.content;
        let subject = format!("[SIM] {}: {}", self.title(), self.headline());
        let footer = "This link is personal to you: do not forward this email. Updates carry checklist progress \
                      only; notes and names stay on the page.";
        let mut text = format!("{}\n{}\n\n", self.title(), self.headline());
        let mut html = format!(
            "<!doctype html><html lang=\"en-GB\"><body style=\"font-family:Arial,sans-serif;font-size:16px;color:#111\">\
             <h1 style=\"font-size:20px\">{}: {}</h1>",
            escape(&self.title()),
            escape(&self.headline())
        );
        let mut list = |heading: &str, lines: &[String]| {
            if lines.is_empty() {
                return;
            }
            text.push_str(&format!("{heading}\n"));
            html.push_str(&format!("<h2 style=\"font-size:18px\">{}</h2><ul>", escape(heading)));
            for l in lines {
                text.push_str(&format!("- {l}\n"));
                html.push_str(&format!("<li>{}</li>", escape(l)));
            }
            text.push('\n');
            html.push_str("</ul>");
        };
        let what = if c.reason.is_digest() { "What changed" } else { "Why you are receiving this" };
        list(what, &c.lines);
        list("Open items", &c.open_items);
        let sections: Vec<String> =
            c.sections.iter().map(|s| format!("{}: {} of {} done", s.title, s.closed, s.total)).collect();
        list("Checklist progress", &sections);
        let action = format!("{}. Open the checklist", self.progress());
        text.push_str(&format!("{action}: {}\n\n{footer}\n", self.link));
        html.push_str(&format!(
            "<p><a href=\"{link}\" style=\"display:inline-block;background:#0b0c0c;color:#fff;padding:12px 20px;\
             text-decoration:none;font-weight:bold\">{action}</a></p><p style=\"font-size:14px\">{}</p></body></html>",
            escape(footer),
            link = escape(self.link),
            action = escape(&action),
        ));
        Email { subject, text, html }
    }

    /// `sim_incident_update`: body {{1}} category, {{2}} incident type,
    /// {{3}} area, {{4}} what the update is; URL button suffix the token.
    pub fn whatsapp(&self, token: &str) -> WhatsAppTemplate {
        WhatsAppTemplate {
            name: "sim_incident_update",
            language: "en_GB",
            body: vec![
                self.category.label().to_owned(),
                words(self.incident.report.incident_type.as_str()),
                area(self.incident),
                format!("{}. {}", self.title(), self.progress()),
            ],
            button_url_suffix: token.to_owned(),
        }
    }
}

pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Two concatenated GSM-7 segments of 153 septets each.
pub const SMS_MAX_SEPTETS: usize = 306;

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENDED: &str = "^{}\\[~]|€";

/// Septets the text takes in GSM-7, or None if it needs UCS-2.
pub fn gsm7_length(text: &str) -> Option<usize> {
    text.chars().try_fold(0, |n, c| {
        if GSM7_BASIC.contains(c) {
            Some(n + 1)
        } else if GSM7_EXTENDED.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    })
}

fn gsm7_septets(text: &str) -> usize {
    gsm7_length(text).unwrap_or(usize::MAX / 2)
}

/// The text in plain GSM-7: anything else becomes its nearest ASCII or is dropped,
/// so one stray character never turns the message into a 70-character UCS-2 one.
pub fn gsm7(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            c if GSM7_BASIC.contains(c) => Some(c),
            '‘' | '’' => Some('\''),
            '“' | '”' => Some('"'),
            '–' | '—' | '→' => Some('-'),
            c if c.is_whitespace() => Some(' '),
            _ => None,
        })
        .collect()
}

/// SMS segments the text needs (GSM-7: 160, then 153 per segment).
pub fn sms_segments(text: &str) -> Option<usize> {
    let n = gsm7_length(text)?;
    Some(if n <= 160 { 1 } else { n.div_ceil(153) })
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

    fn incident(ward: &str) -> Incident {
        use crate::domain::incident::IncidentReport;
        let report = IncidentReport::from_json(
            &serde_json::json!({
                "police_reference": "REF-1", "occurred_at": "2026-11-21T01:50:00Z",
                "location": {"borough": "Barking and Dagenham", "ward": ward},
                "incident_type": "acid_attack", "weapon": "corrosive_substance"
            }),
            datetime!(2026-11-21 02:10 UTC),
        )
        .unwrap();
        Incident {
            id: crate::ids::IncidentId::parse("inc-0123456789abcdef0123456789abcdef").unwrap(),
            licensee_id: crate::ids::LicenseeId::parse("lbbd").unwrap(),
            caller_id: crate::ids::CallerId::parse("met-cad").unwrap(),
            fingerprint: report.fingerprint(),
            report,
            received_at: datetime!(2026-11-21 02:10 UTC),
            version: 1,
            handoff: None,
        }
    }

    #[test]
    fn an_sms_stays_within_two_gsm7_segments_and_keeps_its_link_whatever_the_place() {
        // 80 characters, the longest area name SIM accepts, with accents.
        let incident = incident("Thamés View and Castle Point (north) & Becontrée Heath, Village Mayesbrook Parso");
        let link = format!("https://sim.lbbd.example/a/{}", "x".repeat(90));
        for kind in [AlertKind::First, AlertKind::Reminder, AlertKind::Upgrade, AlertKind::Escalation] {
            let alert = Alert {
                incident: &incident,
                category: Category::SeriousViolence,
                reason: "r",
                kind,
                acknowledge_within: Some(30),
                link: &link,
            };
            let sms = alert.sms();
            assert!(sms_segments(&sms.text).unwrap() <= 2, "{} ({} septets)", sms.text, sms.text.len());
            assert!(sms.text.ends_with(&link), "{}", sms.text);
        }
        let first = Alert {
            incident: &incident,
            category: Category::Critical,
            reason: "r",
            kind: AlertKind::First,
            acknowledge_within: Some(10),
            link: &link,
        };
        let reminder = Alert { kind: AlertKind::Reminder, ..first };
        assert_ne!(first.sms().text, reminder.sms().text, "a reminder never repeats the first text");
        assert!(first.email().html.contains("Barking and Dagenham"));
        assert!(!first.email().html.contains("<script"), "escaped");
    }

    #[test]
    fn gsm7_counts_extended_characters_twice_and_replaces_the_rest() {
        assert_eq!(gsm7_length("abc€"), Some(5));
        assert_eq!(gsm7_length("naïve"), None);
        assert_eq!(gsm7("St Mary’s – naïve ✓"), "St Mary's - nave ");
        assert_eq!(sms_segments(&"a".repeat(160)), Some(1));
        assert_eq!(sms_segments(&"a".repeat(161)), Some(2));
        assert_eq!(sms_segments(&"a".repeat(307)), Some(3));
    }
}
