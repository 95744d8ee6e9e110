//! Alert policies: per category, which groups are alerted on which channels,
//! how fast they must acknowledge and how escalation proceeds. And resolving
//! a policy's groups to the people and channels to alert.

use super::category::Category;
use super::contact::{Contact, Group, Role};
use super::incident::IncidentReport;
use crate::choice;
use crate::ids::{ContactId, GroupId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

choice!(
    Channel {
        Sms = "sms",
        Email = "email",
        WhatsApp = "whatsapp",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum EscalationTarget {
    /// The deputies of everyone required who has not acknowledged.
    Deputies,
    /// These groups, in addition.
    Groups(Vec<GroupId>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    /// Minutes after the first alert.
    pub after_minutes: u32,
    pub alert: EscalationTarget,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertPolicy {
    pub category: Category,
    pub groups: Vec<GroupId>,
    /// Added when any victim is under 18 (education and youth services).
    #[serde(default)]
    pub groups_if_victim_under_18: Vec<GroupId>,
    /// WhatsApp is used only for contacts who opted in.
    pub channels: Vec<Channel>,
    /// None: no acknowledgement expected.
    #[serde(default)]
    pub acknowledge_within_minutes: Option<u32>,
    #[serde(default)]
    pub escalation: Vec<EscalationStep>,
    /// Whether the response checklist is opened for the incident.
    #[serde(default)]
    pub checklist: bool,
    /// The role that leads the response and may close the incident.
    #[serde(default = "default_lead_role")]
    pub lead_role: Role,
    /// Stakeholder briefings: at most one digest per this many minutes
    /// (a completed section, a category change or closing send at once).
    #[serde(default = "default_briefing_minutes")]
    pub briefing_every_minutes: u32,
    /// The channels stakeholder briefings go out on.
    #[serde(default = "default_briefing_channels")]
    pub briefing_channels: Vec<Channel>,
}

fn default_lead_role() -> Role {
    Role::parse("community-safety-lead").expect("valid role")
}

fn default_briefing_minutes() -> u32 {
    30
}

fn default_briefing_channels() -> Vec<Channel> {
    vec![Channel::Email]
}

fn group(id: &str) -> GroupId {
    GroupId::parse(id).expect("default group ids are valid")
}

impl AlertPolicy {
    /// The brief's defaults (§6). They name the standard group ids a licensee
    /// sets up: grp-gold, grp-community-safety, grp-comms, grp-police-liaison,
    /// grp-health, grp-education-youth, grp-chief-executive.
    pub fn defaults() -> Vec<AlertPolicy> {
        let all_channels = vec![Channel::Sms, Channel::WhatsApp, Channel::Email];
        vec![
            AlertPolicy {
                category: Category::Critical,
                groups: ["grp-gold", "grp-community-safety", "grp-comms", "grp-police-liaison"].map(group).into(),
                groups_if_victim_under_18: vec![],
                channels: all_channels.clone(),
                acknowledge_within_minutes: Some(10),
                escalation: vec![
                    EscalationStep { after_minutes: 10, alert: EscalationTarget::Deputies },
                    EscalationStep {
                        after_minutes: 20,
                        alert: EscalationTarget::Groups(vec![group("grp-chief-executive")]),
                    },
                ],
                checklist: true,
                lead_role: Role::parse("gold").expect("valid role"),
                briefing_every_minutes: default_briefing_minutes(),
                // CRITICAL: a text as well, so nobody misses an update at night.
                briefing_channels: vec![Channel::Sms, Channel::Email],
            },
            AlertPolicy {
                category: Category::SeriousViolence,
                groups: ["grp-community-safety", "grp-comms", "grp-health"].map(group).into(),
                groups_if_victim_under_18: vec![group("grp-education-youth")],
                channels: all_channels,
                acknowledge_within_minutes: Some(30),
                escalation: vec![EscalationStep { after_minutes: 30, alert: EscalationTarget::Deputies }],
                checklist: true,
                lead_role: default_lead_role(),
                briefing_every_minutes: default_briefing_minutes(),
                briefing_channels: default_briefing_channels(),
            },
            AlertPolicy {
                category: Category::IncidentOfNote,
                groups: vec![group("grp-community-safety")],
                groups_if_victim_under_18: vec![],
                channels: vec![Channel::Email],
                acknowledge_within_minutes: None,
                escalation: vec![],
                checklist: false,
                lead_role: default_lead_role(),
                briefing_every_minutes: default_briefing_minutes(),
                briefing_channels: default_briefing_channels(),
            },
        ]
    }

    /// The policy for a category from a licensee's list (or the defaults);
    /// none for RECORD_ONLY or a category the list leaves out.
    pub fn for_category(policies: &[AlertPolicy], category: Category) -> Option<&AlertPolicy> {
        policies.iter().find(|p| p.category == category)
    }

    /// The groups this policy alerts for this incident.
    pub fn groups_for(&self, report: &IncidentReport) -> Vec<GroupId> {
        let mut groups = self.groups.clone();
        if report.victims.iter().any(|v| v.age_band.is_under_18()) {
            groups.extend(self.groups_if_victim_under_18.iter().cloned());
        }
        groups
    }
}

/// One person to alert, on the channels they can be reached on.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub contact_id: ContactId,
    pub channels: Vec<Channel>,
    /// The groups they are alerted as part of (a person may be in several).
    pub groups: Vec<GroupId>,
    pub role: super::contact::Role,
}

/// Who to alert and what could not be resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resolution {
    pub recipients: Vec<Recipient>,
    /// Groups the policy names that the licensee does not have.
    pub missing_groups: Vec<GroupId>,
    /// Members with no usable channel for this policy.
    pub unreachable: Vec<ContactId>,
}

/// Resolves groups to contacts: one entry per person however many groups
/// they are in, channels limited to what the policy uses and the person has
/// (WhatsApp only with opt-in), and anyone in `already_alerted` left out.
pub fn resolve(
    groups: &[GroupId],
    channels: &[Channel],
    licensee_groups: &[Group],
    contacts: &[Contact],
    already_alerted: &HashSet<ContactId>,
) -> Resolution {
    let mut resolution = Resolution::default();
    let mut members: BTreeMap<ContactId, BTreeSet<GroupId>> = BTreeMap::new();
    for gid in groups {
        match licensee_groups.iter().find(|g| &g.id == gid) {
            None => resolution.missing_groups.push(gid.clone()),
            Some(g) => {
                for m in &g.members {
                    members.entry(m.clone()).or_default().insert(gid.clone());
                }
            }
        }
    }
    for (contact_id, in_groups) in members {
        if already_alerted.contains(&contact_id) {
            continue;
        }
        let Some(contact) = contacts.iter().find(|c| c.id == contact_id) else {
            resolution.unreachable.push(contact_id);
            continue;
        };
        let usable = contact.reachable_on(channels);
        if usable.is_empty() {
            resolution.unreachable.push(contact_id);
        } else {
            resolution.recipients.push(Recipient {
                contact_id,
                channels: usable,
                groups: in_groups.into_iter().collect(),
                role: contact.role.clone(),
            });
        }
    }
    resolution
}
