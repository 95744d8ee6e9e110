//! One incident's report row: the facts the figures are computed from,
//! derived from what the store holds for the incident. Deriving it again
//! from the same records gives the same row, so writing it is idempotent
//! under redelivery and retries.

use crate::domain::category::Category;
use crate::domain::checklist::{ChecklistItem, ItemStatus};
use crate::domain::delivery::{Delivery, DeliveryState};
use crate::domain::follow_up::FollowUp;
use crate::domain::notification::Step;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationStatus};
use crate::domain::policy::Channel;
use crate::domain::{Event, Incident, TimelineEvent};
use crate::ids::{IncidentId, LicenseeId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Duration, OffsetDateTime};

/// The role told when escalation reaches the top (the brief's chief executive at 20 minutes).
pub const CHIEF_EXECUTIVE_ROLE: &str = "chief-executive";

/// Checklist horizons after the police report: 24 hours, 72 hours, 7 days.
pub const CHECKLIST_HORIZONS_HOURS: [i64; 3] = [24, 72, 168];

/// A role alerted for the incident: when it was first reached and first acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRow {
    pub role: String,
    /// Whether its acknowledgement was required.
    pub required: bool,
    /// The first message to anyone in the role handed to a provider.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub alerted_at: Option<OffsetDateTime>,
    /// The first acknowledgement by anyone in the role.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
}

impl RoleRow {
    /// From its first message to its acknowledgement, if both happened.
    pub fn time_to_acknowledge(&self) -> Option<Duration> {
        Some(self.acknowledged_at? - self.alerted_at?)
    }
}

/// What happened to the messages on one channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCounts {
    /// Handed to the provider and accepted (including those a receipt later said failed).
    pub sent: u32,
    /// Of those sent, on the phone or in the inbox (or read), by the provider's receipt.
    #[serde(default)]
    pub delivered: u32,
    /// Will never arrive: refused by the provider when sent, or reported
    /// undeliverable by its receipt afterwards (a hard bounce, an unreachable number).
    pub failed: u32,
    /// Refused, and the same alert queued on the person's next channel.
    pub fell_back: u32,
    /// Not yet handed over (pending or being sent).
    pub pending: u32,
}

/// A checklist section: its items and how many were done (or marked not
/// applicable) by each horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionRow {
    pub section_id: String,
    pub title: String,
    pub items: u32,
    /// Items finished by 24 h, 72 h and 7 days after the police report.
    pub done_by: [u32; 3],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub incident_id: IncidentId,
    pub licensee_id: LicenseeId,
    /// When SIM received the police report: every time is measured from here.
    #[serde(with = "time::serde::rfc3339")]
    pub reported_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// None until categorised.
    #[serde(default)]
    pub category: Option<Category>,
    #[serde(default)]
    pub acknowledge_within_minutes: Option<u32>,
    /// The first message handed to a provider.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub first_message_at: Option<OffsetDateTime>,
    /// When the last required role got its first message (None if one never did).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub all_required_alerted_at: Option<OffsetDateTime>,
    pub roles: Vec<RoleRow>,
    /// Deputies alerted because the person they stand in for was silent.
    pub deputies_alerted: u32,
    pub chief_executive_told: bool,
    pub channels: BTreeMap<Channel, ChannelCounts>,
    pub checklist: Vec<SectionRow>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    /// Timeline entries the row was derived from: a timeline only grows, so
    /// a row from a shorter one is older and never replaces this one.
    pub timeline_events: u32,
}

/// Everything the store holds for one incident that the row is derived from.
pub struct IncidentRecords<'a> {
    pub incident: &'a Incident,
    pub categorisation: Option<&'a Categorisation>,
    pub notifications: &'a [Notification],
    /// The providers' latest word on each sent notification.
    pub deliveries: &'a [Delivery],
    pub acknowledgements: &'a [Acknowledgement],
    pub checklist: &'a [ChecklistItem],
    pub follow_up: Option<&'a FollowUp>,
    pub timeline: &'a [TimelineEvent],
}

impl IncidentRow {
    pub fn derive(r: &IncidentRecords<'_>) -> Self {
        let reported_at = r.incident.received_at;
        // Alerts and escalations only: stakeholder briefings are not alerts.
        let alerts: Vec<&Notification> = r.notifications.iter().filter(|n| matches!(n.step, Step::Alert(_))).collect();
        let first_message_at = alerts.iter().filter_map(|n| n.sent_at).min();

        let mut roles: BTreeMap<String, RoleRow> = BTreeMap::new();
        for n in alerts.iter().filter(|n| n.deputy_for.is_none()) {
            let row = roles.entry(n.role.to_string()).or_insert_with(|| RoleRow {
                role: n.role.to_string(),
                required: false,
                alerted_at: None,
                acknowledged_at: None,
            });
            row.required |= n.required;
            row.alerted_at = earliest(row.alerted_at, n.sent_at);
        }
        for ack in r.acknowledgements {
            if let Some(row) = roles.get_mut(ack.role.as_str()) {
                row.acknowledged_at = earliest(row.acknowledged_at, Some(ack.at));
            }
        }
        let required: Vec<&RoleRow> = roles.values().filter(|r| r.required).collect();
        let all_required_alerted_at = if required.is_empty() || required.iter().any(|r| r.alerted_at.is_none()) {
            None
        } else {
            required.iter().filter_map(|r| r.alerted_at).max()
        };

        let deputies: BTreeSet<&str> =
            alerts.iter().filter(|n| n.deputy_for.is_some()).map(|n| n.contact_id.as_str()).collect();
        let chief_executive_told = alerts.iter().any(|n| {
            matches!(n.step, Step::Alert(s) if s > 0)
                && n.role.as_str() == CHIEF_EXECUTIVE_ROLE
                && n.status == NotificationStatus::Sent
        });

        let mut channels: BTreeMap<Channel, ChannelCounts> = BTreeMap::new();
        for n in r.notifications {
            let c = channels.entry(n.channel).or_default();
            match n.status {
                NotificationStatus::Sent => c.sent += 1,
                NotificationStatus::Failed => c.failed += 1,
                NotificationStatus::Pending | NotificationStatus::Sending => c.pending += 1,
            }
        }
        for d in r.deliveries {
            let c = channels.entry(d.channel).or_default();
            match d.state {
                DeliveryState::Delivered | DeliveryState::Read => c.delivered += 1,
                DeliveryState::FailedPermanent => c.failed += 1,
                DeliveryState::Accepted | DeliveryState::Unknown | DeliveryState::FailedTemporary => {}
            }
        }
        for e in r.timeline {
            if let Event::FellBack { from, .. } = &e.event {
                channels.entry(*from).or_default().fell_back += 1;
            }
        }

        let mut checklist: Vec<SectionRow> = Vec::new();
        for item in r.checklist {
            if checklist.last().is_none_or(|s| s.section_id != item.section_id) {
                checklist.push(SectionRow {
                    section_id: item.section_id.clone(),
                    title: item.section_title.clone(),
                    items: 0,
                    done_by: [0; 3],
                });
            }
            let section = checklist.last_mut().expect("pushed above");
            section.items += 1;
            // An item's last change is when it was finished (a note added
            // after that moves it later: the figure errs on the slow side).
            let finished = matches!(item.status, ItemStatus::Done | ItemStatus::NotApplicable);
            if let (true, Some(at)) = (finished, item.updated_at) {
                for (i, hours) in CHECKLIST_HORIZONS_HOURS.iter().enumerate() {
                    if at <= reported_at + Duration::hours(*hours) {
                        section.done_by[i] += 1;
                    }
                }
            }
        }

        IncidentRow {
            incident_id: r.incident.id.clone(),
            licensee_id: r.incident.licensee_id.clone(),
            reported_at,
            occurred_at: r.incident.report.occurred_at,
            category: r.categorisation.map(|c| c.category),
            acknowledge_within_minutes: r.categorisation.and_then(|c| c.acknowledge_within_minutes),
            first_message_at,
            all_required_alerted_at,
            roles: roles.into_values().collect(),
            deputies_alerted: deputies.len() as u32,
            chief_executive_told,
            channels,
            checklist,
            closed_at: r.follow_up.and_then(|f| f.closure.as_ref()).map(|c| c.at),
            timeline_events: r.timeline.len() as u32,
        }
    }

    pub fn time_to_first_message(&self) -> Option<Duration> {
        Some(self.first_message_at? - self.reported_at)
    }

    pub fn time_to_all_required(&self) -> Option<Duration> {
        Some(self.all_required_alerted_at? - self.reported_at)
    }

    pub fn time_to_close(&self) -> Option<Duration> {
        Some(self.closed_at? - self.reported_at)
    }
}

fn earliest(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
