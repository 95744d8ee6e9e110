//! What categorisation decided for an incident, and the notifications it
//! fanned out: one per contact per channel per escalation step.

use super::category::Category;
use super::policy::{Channel, Recipient};
use crate::choice;
use crate::ids::{ContactId, GroupId, IncidentId, LicenseeId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The incident's current category and how far its fan-out got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Categorisation {
    pub incident_id: IncidentId,
    pub category: Category,
    /// The rule that matched (`default` when none did) and why.
    pub rule: String,
    pub reason: String,
    /// The incident version this categorisation reflects.
    pub incident_version: u32,
    /// Alert rounds run: 1 for the first alert, one more per upgrade.
    pub round: u32,
    /// Whether this round's notifications were all queued.
    pub fanout_done: bool,
    /// Set when a police amendment kept the category but its policy reaches
    /// more people: this round's new notifications are those people's first alerts.
    #[serde(default)]
    pub widened: bool,
    pub acknowledge_within_minutes: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

choice!(
    NotificationStatus {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub incident_id: IncidentId,
    pub contact_id: ContactId,
    pub channel: Channel,
    /// 0 for the first alert; escalation steps count up.
    pub step: Step,
    /// The categorisation round that created it.
    pub round: u32,
    /// Why this person is alerted: the groups they are in.
    pub groups: Vec<GroupId>,
    /// Their role: acknowledgement and escalation are per role.
    pub role: crate::domain::contact::Role,
    /// Set when this is an escalation to a deputy: whose deputy they are.
    #[serde(default)]
    pub deputy_for: Option<ContactId>,
    /// Whether their acknowledgement is required (and chased).
    pub required: bool,
    pub status: NotificationStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// While SENDING: when the sender's claim lapses and another delivery may retry.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub lease_until: Option<OffsetDateTime>,
    /// Provider calls made (each claim counts one).
    #[serde(default)]
    pub attempts: u32,
    /// The provider's id for the accepted message (SNS MessageId, SES MessageId, WhatsApp wamid).
    #[serde(default)]
    pub provider_message_id: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    /// Why the provider refused it, when FAILED.
    #[serde(default)]
    pub failure: Option<String>,
    /// A first alert to someone an amendment added without changing the
    /// category (see `Categorisation::widened`): it reads as a first alert.
    #[serde(default)]
    pub widened: bool,
    /// For a stakeholder briefing (`Step::Briefing`): what it says.
    #[serde(default)]
    pub briefing: Option<super::follow_up::BriefingContent>,
}

impl Notification {
    /// Unique per incident: contact × channel × step.
    pub fn key(&self) -> NotificationKey {
        NotificationKey::new(&self.contact_id, self.channel, self.step)
    }

    /// A new, pending notification to `to` on `channel`.
    pub fn pending(
        incident_id: IncidentId,
        to: &Recipient,
        channel: Channel,
        step: Step,
        round: u32,
        required: bool,
        created_at: OffsetDateTime,
    ) -> Self {
        Self {
            incident_id,
            contact_id: to.contact_id.clone(),
            channel,
            step,
            round,
            groups: to.groups.clone(),
            role: to.role.clone(),
            deputy_for: None,
            required,
            status: NotificationStatus::Pending,
            created_at,
            lease_until: None,
            attempts: 0,
            provider_message_id: None,
            sent_at: None,
            failure: None,
            widened: false,
            briefing: None,
        }
    }

    /// Who this notification is addressed to.
    pub fn recipient(&self) -> Recipient {
        Recipient {
            contact_id: self.contact_id.clone(),
            channels: vec![self.channel],
            groups: self.groups.clone(),
            role: self.role.clone(),
        }
    }

    /// Its sender queue message; `licensee` is the incident's licensee, so
    /// the sender reads the incident and the contact at once.
    pub fn message(&self, licensee: &LicenseeId) -> NotificationMessage {
        NotificationMessage {
            incident_id: self.incident_id.clone(),
            licensee_id: Some(licensee.clone()),
            contact_id: self.contact_id.clone(),
            channel: self.channel,
            step: self.step,
            render: Some(RenderInputs { round: self.round, kind: self.alert_kind(), briefing: self.briefing.clone() }),
        }
    }
}

/// Which message to a person a notification is, within its incident: the
/// first alert (`Alert(0)`), escalation step n (`Alert(n)`), or stakeholder
/// briefing n (`Briefing(n)`). Stored and queued as one number, briefings from
/// 1000, so keys and queue bodies keep their form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u32", from = "u32")]
pub enum Step {
    Alert(u32),
    Briefing(u32),
}

const BRIEFING_STEPS_FROM: u32 = 1000;

impl Step {
    /// The first alert of a round.
    pub const FIRST: Step = Step::Alert(0);
}

impl From<Step> for u32 {
    fn from(step: Step) -> u32 {
        match step {
            Step::Alert(n) => n.min(BRIEFING_STEPS_FROM - 1),
            Step::Briefing(n) => BRIEFING_STEPS_FROM + n,
        }
    }
}

impl From<u32> for Step {
    fn from(n: u32) -> Step {
        match n.checked_sub(BRIEFING_STEPS_FROM) {
            Some(briefing) => Step::Briefing(briefing),
            None => Step::Alert(n),
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", u32::from(*self))
    }
}

/// A notification's identity within its incident: contact × channel × step.
/// Its text form (`contact#channel#step`) is the sort key it is stored under
/// and what the claim's conditional write is keyed on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotificationKey {
    pub contact_id: ContactId,
    pub channel: Channel,
    pub step: Step,
}

impl NotificationKey {
    pub fn new(contact_id: &ContactId, channel: Channel, step: Step) -> Self {
        Self { contact_id: contact_id.clone(), channel, step }
    }
}

impl std::fmt::Display for NotificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}#{}", self.contact_id, self.channel, self.step)
    }
}

impl NotificationMessage {
    pub fn key(&self) -> NotificationKey {
        NotificationKey::new(&self.contact_id, self.channel, self.step)
    }
}

/// A sender queue's message body: ids and render inputs only, never
/// personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationMessage {
    pub incident_id: IncidentId,
    /// The incident's licensee, whose directory holds the contact: with it a
    /// sender reads the incident and the contact side by side. Absent from
    /// messages queued before it was added: the sender then reads the
    /// incident first and takes the licensee from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensee_id: Option<LicenseeId>,
    pub contact_id: ContactId,
    pub channel: Channel,
    pub step: Step,
    /// What rendering needs from the notification, so a sender reads
    /// nothing per message. Absent from messages queued before it was added:
    /// the sender then reads the notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<RenderInputs>,
}

/// The notification's part of rendering: its round (a newer round means a
/// newer categorisation to render), which alert it is, and a briefing's
/// content (checklist wording and counts only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderInputs {
    pub round: u32,
    pub kind: AlertKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub briefing: Option<super::follow_up::BriefingContent>,
}

/// Someone acknowledged an incident: pressed Acknowledge on their personal
/// link, replied to their alert, or told council staff, who recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub incident_id: IncidentId,
    pub contact_id: ContactId,
    pub role: crate::domain::contact::Role,
    /// The channel whose link or message they answered (recorded by staff:
    /// the channel of their latest alert).
    pub channel: Channel,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The browser's user agent, shortened, for an acknowledgement by link:
    /// for telling people from scanners later. Empty for the other ways.
    #[serde(default)]
    pub user_agent: String,
    /// The kind of device, from the user agent ("iPhone", "Windows computer",
    /// "headless browser"): shown beside the acknowledgement so a lead can
    /// spot one a machine made.
    #[serde(default = "unknown_device")]
    pub device: String,
    /// How it reached SIM (records from before this field were by link).
    #[serde(default)]
    pub via: AckVia,
    /// What the person said, as council staff recorded it ("phoned; on the way").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<AckNote>,
    /// The staff member who recorded it in the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<crate::domain::staff::StaffId>,
}

choice!(
    /// How an acknowledgement reached SIM.
    AckVia {
        Link = "link",
        WhatsAppReply = "whatsapp_reply",
        SmsReply = "sms_reply",
        Console = "console",
    }
);

// `choice!` derives no Default, so it cannot be derived here.
#[allow(clippy::derivable_impls)]
impl Default for AckVia {
    fn default() -> Self {
        AckVia::Link
    }
}

impl AckVia {
    pub fn label(&self) -> &'static str {
        match self {
            AckVia::Link => "personal link",
            AckVia::WhatsAppReply => "WhatsApp reply",
            AckVia::SmsReply => "SMS reply",
            AckVia::Console => "recorded in the console",
        }
    }
}

/// A short note kept with an acknowledgement: one line of plain text,
/// invisible and bidi controls removed, other controls and line breaks as
/// spaces, trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AckNote(String);

impl AckNote {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let cleaned: String = crate::domain::text::strip_invisible_controls(text)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let note = cleaned.trim();
        if note.is_empty() {
            return Err("a note needs some text");
        }
        if note.chars().count() > Self::MAX_CHARS {
            return Err("a note can be at most 200 characters");
        }
        Ok(Self(note.to_owned()))
    }
}

crate::text_newtype!(AckNote);

fn unknown_device() -> String {
    UNKNOWN_DEVICE.to_owned()
}

pub const UNKNOWN_DEVICE: &str = "unrecognised device";

impl Acknowledgement {
    /// The kind of device a user agent names, in words; never the agent itself.
    pub fn device_of(user_agent: &str) -> &'static str {
        let ua = user_agent.to_ascii_lowercase();
        let has = |s: &str| ua.contains(s);
        if has("headless") || has("phantomjs") || has("electron/") {
            "headless browser"
        } else if has("iphone") {
            "iPhone"
        } else if has("ipad") {
            "iPad"
        } else if has("android") {
            if has("mobile") {
                "Android phone"
            } else {
                "Android tablet"
            }
        } else if has("windows") {
            "Windows computer"
        } else if has("cros") {
            "Chromebook"
        } else if has("macintosh") || has("mac os x") {
            "Mac"
        } else if has("linux") {
            "Linux computer"
        } else {
            UNKNOWN_DEVICE
        }
    }
}

/// What kind of alert this is: the text differs, because networks block
/// identical repeats and a reminder must read as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    First,
    Reminder,
    /// The category went up (police amendment).
    Upgrade,
    /// A required role has not acknowledged: to their deputy or an escalation group.
    Escalation,
}

impl Notification {
    /// Which alert this notification carries: the first of its round, the
    /// alert of an upgrade, an escalation to a deputy or escalation group, or
    /// a reminder to a silent required person.
    pub fn alert_kind(&self) -> AlertKind {
        match (self.step, self.round, &self.deputy_for, self.required) {
            (Step::FIRST, _, _, _) if self.widened => AlertKind::First,
            (Step::FIRST, 1, _, _) => AlertKind::First,
            (Step::FIRST, _, _, _) => AlertKind::Upgrade,
            (_, _, Some(_), _) | (_, _, None, false) => AlertKind::Escalation,
            _ => AlertKind::Reminder,
        }
    }
}

/// An escalation check, delivered through a delay queue at `due_at`: ids and
/// times only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationCheck {
    pub incident_id: IncidentId,
    /// The categorisation round it belongs to; a newer round supersedes it.
    pub round: u32,
    /// Index into the alert policy's escalation steps.
    pub step: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::Role;
    use time::macros::datetime;

    fn notification(step: u32, round: u32, required: bool, deputy_for: Option<&str>) -> Notification {
        let step = Step::Alert(step);
        let to = Recipient {
            contact_id: ContactId::parse("con-gold").unwrap(),
            channels: vec![Channel::Sms],
            groups: vec![],
            role: Role::parse("gold").unwrap(),
        };
        let id = IncidentId::parse("inc-0123456789abcdef0123456789abcdef").unwrap();
        Notification {
            deputy_for: deputy_for.map(|d| ContactId::parse(d).unwrap()),
            ..Notification::pending(id, &to, Channel::Sms, step, round, required, datetime!(2026-11-21 02:10 UTC))
        }
    }

    #[test]
    fn the_alert_kind_follows_the_step_round_and_who_is_chased() {
        assert_eq!(notification(0, 1, true, None).alert_kind(), AlertKind::First);
        assert_eq!(notification(0, 2, true, None).alert_kind(), AlertKind::Upgrade, "a later round is an upgrade");
        let added = Notification { widened: true, ..notification(0, 2, true, None) };
        assert_eq!(added.alert_kind(), AlertKind::First, "someone an amendment added hears it as a first alert");
        assert_eq!(notification(1, 1, true, None).alert_kind(), AlertKind::Reminder, "a silent required person");
        assert_eq!(notification(1, 1, true, Some("con-csl")).alert_kind(), AlertKind::Escalation, "a deputy");
        assert_eq!(notification(2, 1, false, None).alert_kind(), AlertKind::Escalation, "an escalation group");
    }

    #[test]
    fn a_notification_key_reads_as_its_stored_sort_key() {
        let key = NotificationKey::new(&ContactId::parse("con-gold").unwrap(), Channel::WhatsApp, Step::Alert(3));
        assert_eq!(key.to_string(), "con-gold#whatsapp#3");
        let briefing = NotificationKey::new(&ContactId::parse("con-gold").unwrap(), Channel::Email, Step::Briefing(2));
        assert_eq!(briefing.to_string(), "con-gold#email#1002", "briefings keep their stored form");
        assert_eq!(Step::from(1002), Step::Briefing(2));
        assert_eq!(Step::from(2), Step::Alert(2));
        assert_eq!(notification(3, 1, true, None).key().to_string(), "con-gold#sms#3");
    }

    #[test]
    fn the_device_is_named_in_words_and_a_headless_browser_stands_out() {
        for (ua, device) in [
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", "iPhone"),
            (
                "Mozilla/5.0 (Linux; Android 13; CUBOT P80 Build/TP1A; wv) AppleWebKit/537.36 Mobile Safari/537.36",
                "Android phone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0",
                "Windows computer",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
                "headless browser",
            ),
            ("curl/8.5.0", UNKNOWN_DEVICE),
        ] {
            assert_eq!(Acknowledgement::device_of(ua), device, "{ua}");
        }
    }
}

#[cfg(test)]
mod ack_tests {
    use super::*;

    #[test]
    fn a_note_is_one_clean_bounded_line() {
        assert_eq!(AckNote::parse("  phoned;\non the way\u{202E} ").unwrap().as_str(), "phoned; on the way");
        assert!(AckNote::parse(" \u{200B} ").is_err());
        assert!(AckNote::parse(&"a".repeat(201)).is_err());
        assert!(AckNote::parse(&"a".repeat(200)).is_ok());
    }

    #[test]
    fn an_acknowledgement_stored_before_via_and_note_reads_as_by_link() {
        let old = serde_json::json!({
            "incident_id": "inc-1", "contact_id": "con-1", "role": "gold", "channel": "sms",
            "at": "2026-11-21T02:10:00Z", "user_agent": "Mozilla/5.0 (iPhone)", "device": "iPhone"
        });
        let ack: Acknowledgement = serde_json::from_value(old).unwrap();
        assert_eq!((ack.via, ack.note, ack.recorded_by), (AckVia::Link, None, None));
    }
}
