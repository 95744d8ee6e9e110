//! Everything that happened to an incident, in order. Entries hold ids,
//! codes and plain descriptions, never personal data.

use super::actor::Actor;
use super::area::AreaName;
use super::category::Category;
use super::contact::Role;
use super::follow_up::KeyDateKind;
use super::incident::HandoffReason;
use super::notification::Step;
use super::policy::Channel;
use super::share::ShareActor;
use crate::ids::{CallerId, ContactId, EventId, GroupId, IdGenerator, IncidentId, LicenseeId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Police reported the incident.
    Reported {
        caller_id: CallerId,
    },
    /// Police sent an amendment that changed the incident.
    Amended {
        caller_id: CallerId,
        changes: Vec<String>,
    },
    /// The licensee's licence has lapsed; served within the grace period.
    ServedInLicenceGrace {
        lapsed_on: Date,
    },
    /// The ward police sent is not one the licensee knows: kept on the
    /// incident for operators, left out of every message.
    WardNotRecognised,
    /// Handed on for categorisation.
    HandedOn {
        reason: HandoffReason,
    },
    /// First categorisation: the rule that matched and why.
    Categorised {
        category: Category,
        rule: String,
        reason: String,
    },
    /// A police amendment raised the category; the added groups are alerted.
    CategoryRaised {
        from: Category,
        to: Category,
        rule: String,
        reason: String,
    },
    /// An amendment would lower the category, or leaves it as it was; it stays where it was.
    CategoryKept {
        kept: Category,
        decided: Category,
        rule: String,
    },
    /// An amendment kept the category but its policy now reaches more people (a
    /// victim confirmed under 18 adds education and youth services): they are
    /// alerted in the current round, once.
    AlertsWidened {
        category: Category,
        rule: String,
        reason: String,
        people: usize,
    },
    /// A round of alerts was queued for the senders.
    AlertsQueued {
        round: u32,
        recipients: usize,
        messages: usize,
        channels: Vec<Channel>,
    },
    /// Alerts that could not be addressed: groups the licensee lacks,
    /// members with no usable channel. An operator must fix these.
    AlertGaps {
        missing_groups: Vec<GroupId>,
        unreachable_contacts: Vec<ContactId>,
    },
    /// A rota group was alerted: who was on duty at the incident's time.
    RotaOnDuty {
        group_id: GroupId,
        contact_id: ContactId,
    },
    /// Someone to alert is away until a date: their deputy (or the next on
    /// the rota) was alerted in their place, past any deputies away too.
    AwayDeputyAlerted {
        contact_id: ContactId,
        role: Role,
        away_until: Date,
        deputy_id: ContactId,
        also_away: Vec<ContactId>,
    },
    /// Someone to alert is away and so is every deputy SIM could try: nobody
    /// was alerted in their place for the role. An operator must fix this.
    AwayNobodyAlerted {
        contact_id: ContactId,
        role: Role,
        away_until: Date,
        also_away: Vec<ContactId>,
    },
    /// The response checklist was opened.
    ChecklistOpened {
        items: usize,
    },
    /// A provider refused a message for good (the provider's code only).
    NotificationFailed {
        contact_id: ContactId,
        channel: Channel,
        reason: String,
    },
    /// After a refusal, the same alert was queued on the person's next channel.
    FellBack {
        contact_id: ContactId,
        from: Channel,
        to: Channel,
    },
    /// A responder acknowledged from their personal link.
    Acknowledged {
        contact_id: ContactId,
        role: Role,
        channel: Channel,
    },
    /// Council staff recorded an acknowledgement in the console on the
    /// person's behalf (their note stays on the acknowledgement).
    AcknowledgedOnBehalf {
        contact_id: ContactId,
        role: Role,
        staff_id: String,
    },
    /// Council staff asked for the next escalation step now, not at its time.
    EscalatedNow {
        step: u32,
        staff_id: String,
    },
    /// Council staff sent an incident still not categorised for
    /// categorisation again (the sweeper's attempts start afresh).
    SentForCategorisationAgain {
        staff_id: String,
    },
    /// Council staff queued a person's alert again on one channel.
    Resent {
        contact_id: ContactId,
        channel: Channel,
        step: Step,
        staff_id: String,
    },
    /// An escalation step ran: reminders to silent roles, alerts to deputies or groups.
    Escalated {
        step: u32,
        silent_roles: Vec<Role>,
        messages: usize,
    },
    /// Escalation ended: everyone required acknowledged, or the steps ran out.
    EscalationEnded {
        all_acknowledged: bool,
    },
    /// A responder changed a checklist item (descriptions only; notes stay on the item).
    ChecklistChanged {
        item_id: String,
        section_id: String,
        contact_id: ContactId,
        changes: Vec<String>,
    },
    /// The lead role closed the incident, or council staff in its name (the
    /// closing note stays on the record). Entries from before staff could
    /// act name the responder as `contact_id`.
    Closed {
        #[serde(alias = "contact_id")]
        by: Actor,
        role: Role,
    },
    /// A responder or council staff added a key date (funeral, court date, anniversary).
    KeyDateAdded {
        #[serde(alias = "contact_id")]
        by: Actor,
        what: KeyDateKind,
        date: Date,
    },
    /// A stakeholder briefing went to the incident's groups.
    BriefingSent {
        number: u32,
        reason: String,
        groups: Vec<GroupId>,
        messages: usize,
    },
    /// A connected area is covered by another licensee: a share is offered
    /// (on both licensees' timelines, as are the moves below).
    ShareOffered {
        owner: LicenseeId,
        partner: LicenseeId,
        area: AreaName,
    },
    ShareConfirmed {
        owner: LicenseeId,
        partner: LicenseeId,
        actor: ShareActor,
    },
    ShareAccepted {
        owner: LicenseeId,
        partner: LicenseeId,
        actor: ShareActor,
    },
    ShareRefused {
        owner: LicenseeId,
        partner: LicenseeId,
        actor: ShareActor,
    },
    ShareWithdrawn {
        owner: LicenseeId,
        partner: LicenseeId,
        actor: ShareActor,
    },
    /// A connected area no licensee covers: nobody is told (SIM never shares
    /// with nobody). An alert gap for operators.
    ConnectedAreaUncovered {
        area: AreaName,
    },
    /// Council staff, or the incident's lead through their personal link,
    /// named another area connected to the incident (borough names only,
    /// never why); a share is offered as for police naming.
    ConnectedAreaAdded {
        area: AreaName,
        /// Who named it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Actor>,
        /// Entries written before leads could name areas: the staff member.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        staff_id: Option<String>,
    },
}

impl Event {
    /// The person this entry is about, if any (an export names them for council staff only).
    pub fn contact(&self) -> Option<&str> {
        match self {
            Event::NotificationFailed { contact_id, .. }
            | Event::FellBack { contact_id, .. }
            | Event::Acknowledged { contact_id, .. }
            | Event::ChecklistChanged { contact_id, .. }
            | Event::Resent { contact_id, .. }
            | Event::AcknowledgedOnBehalf { contact_id, .. }
            | Event::RotaOnDuty { contact_id, .. }
            | Event::AwayDeputyAlerted { contact_id, .. }
            | Event::AwayNobodyAlerted { contact_id, .. } => Some(contact_id.as_str()),
            Event::Closed { by, .. } | Event::KeyDateAdded { by, .. } => by.contact().map(|c| c.as_str()),
            Event::ConnectedAreaAdded { by: Some(by), .. } => by.contact().map(|c| c.as_str()),
            _ => None,
        }
    }

    /// The council staff member who did this, if staff did (the console names them).
    pub fn staff(&self) -> Option<&str> {
        match self {
            Event::AcknowledgedOnBehalf { staff_id, .. }
            | Event::EscalatedNow { staff_id, .. }
            | Event::SentForCategorisationAgain { staff_id }
            | Event::Resent { staff_id, .. }
            | Event::ConnectedAreaAdded { staff_id: Some(staff_id), .. } => Some(staff_id.as_str()),
            Event::Closed { by, .. } | Event::KeyDateAdded { by, .. } => by.staff().map(|s| s.as_str()),
            Event::ConnectedAreaAdded { by: Some(by), .. } => by.staff().map(|s| s.as_str()),
            _ => None,
        }
    }

    /// Short name shown in status answers.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Reported { .. } => "reported",
            Event::Amended { .. } => "amended",
            Event::ServedInLicenceGrace { .. } => "served_in_licence_grace",
            Event::WardNotRecognised => "ward_not_recognised",
            Event::HandedOn { .. } => "handed_on",
            Event::Categorised { .. } => "categorised",
            Event::CategoryRaised { .. } => "category_raised",
            Event::CategoryKept { .. } => "category_kept",
            Event::AlertsWidened { .. } => "alerts_widened",
            Event::AlertsQueued { .. } => "alerts_queued",
            Event::AlertGaps { .. } => "alert_gaps",
            Event::RotaOnDuty { .. } => "rota_on_duty",
            Event::AwayDeputyAlerted { .. } => "away_deputy_alerted",
            Event::AwayNobodyAlerted { .. } => "away_nobody_alerted",
            Event::ChecklistOpened { .. } => "checklist_opened",
            Event::NotificationFailed { .. } => "notification_failed",
            Event::FellBack { .. } => "fell_back",
            Event::Acknowledged { .. } => "acknowledged",
            Event::AcknowledgedOnBehalf { .. } => "acknowledged_on_behalf",
            Event::EscalatedNow { .. } => "escalated_now",
            Event::SentForCategorisationAgain { .. } => "sent_for_categorisation_again",
            Event::Resent { .. } => "resent",
            Event::Escalated { .. } => "escalated",
            Event::EscalationEnded { .. } => "escalation_ended",
            Event::ChecklistChanged { .. } => "checklist_changed",
            Event::Closed { .. } => "closed",
            Event::KeyDateAdded { .. } => "key_date_added",
            Event::BriefingSent { .. } => "briefing_sent",
            Event::ShareOffered { .. } => "share_offered",
            Event::ShareConfirmed { .. } => "share_confirmed",
            Event::ShareAccepted { .. } => "share_accepted",
            Event::ShareRefused { .. } => "share_refused",
            Event::ShareWithdrawn { .. } => "share_withdrawn",
            Event::ConnectedAreaUncovered { .. } => "alert_gap_connected_area",
            Event::ConnectedAreaAdded { .. } => "connected_area_added",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub id: EventId,
    pub incident_id: IncidentId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub event: Event,
}

impl TimelineEvent {
    pub fn new(ids: &dyn IdGenerator, incident_id: &IncidentId, at: OffsetDateTime, event: Event) -> Self {
        Self { id: EventId::generate(ids), incident_id: incident_id.clone(), at, event }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closings_and_key_dates_written_before_actors_still_read() {
        let old: Event = serde_json::from_value(serde_json::json!(
            {"kind": "closed", "contact_id": "con-gold", "role": "gold"}
        ))
        .unwrap();
        assert_eq!(old.contact(), Some("con-gold"));
        let date = serde_json::to_value(time::macros::date!(2026 - 11 - 26)).unwrap();
        let old: Event = serde_json::from_value(serde_json::json!(
            {"kind": "key_date_added", "contact_id": "con-gold", "what": "funeral", "date": date}
        ))
        .unwrap();
        assert_eq!(old.contact(), Some("con-gold"));
        let staff = Event::Closed {
            by: Actor::from(crate::domain::staff::StaffId::parse("stf-dee").unwrap()),
            role: Role::parse("gold").unwrap(),
        };
        let again: Event = serde_json::from_str(&serde_json::to_string(&staff).unwrap()).unwrap();
        assert_eq!((again.staff(), again.contact()), (Some("stf-dee"), None));
    }

    #[test]
    fn a_connected_area_names_staff_or_the_lead_and_old_entries_still_read() {
        let old: Event = serde_json::from_value(serde_json::json!(
            {"kind": "connected_area_added", "area": "Southwark", "staff_id": "stf-dee"}
        ))
        .unwrap();
        assert_eq!((old.staff(), old.contact()), (Some("stf-dee"), None));
        let area = AreaName::parse("Southwark").unwrap();
        let lead = Event::ConnectedAreaAdded {
            area,
            by: Some(Actor::from(ContactId::parse("con-gold").unwrap())),
            staff_id: None,
        };
        let again: Event = serde_json::from_str(&serde_json::to_string(&lead).unwrap()).unwrap();
        assert_eq!((again.staff(), again.contact()), (None, Some("con-gold")));
    }
}
