//! Rendering alerts per channel. Every message carries a summary and a
//! personal link only: category, incident type, area, time. Never a victim's
//! or suspect's details (the incident has none), never a contact's number.

mod alert;
mod briefing;
mod sms;

pub use crate::domain::notification::AlertKind;
pub use crate::uk_time::uk_time;
pub use alert::Alert;
pub use briefing::Briefing;
pub use sms::{gsm7, gsm7_length, sms_segments, SMS_MAX_SEPTETS};

use crate::domain::category::Category;
use crate::domain::choice::Choice;
use crate::domain::incident::Incident;
use time::{Date, OffsetDateTime};

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
/// button suffix {{1}} the link token; for alerts, a quick-reply button
/// "Acknowledge" (index 1) whose payload is the same signed token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppTemplate {
    pub name: &'static str,
    pub language: &'static str,
    pub body: Vec<String>,
    pub button_url_suffix: String,
    /// The quick-reply "Acknowledge" button's payload (alerts only): a
    /// signed token the `receipts` function verifies before acknowledging.
    pub acknowledge_payload: Option<String>,
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
pub(crate) fn headline(incident: &Incident, category: Category) -> String {
    format!("{} {} in {}", category.label(), words(incident.report.incident_type.as_str()), area(incident))
}

/// "Tue 1 Dec 2026"
pub fn when_date(date: Date) -> String {
    format!("{} {} {} {}", &date.weekday().to_string()[..3], date.day(), &date.month().to_string()[..3], date.year())
}

pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
