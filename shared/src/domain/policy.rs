//! Alert policies: per category, which groups are alerted on which channels,
//! how fast they must acknowledge and how escalation proceeds. And resolving
//! a policy's groups to the people and channels to alert.

use super::category::Category;
use super::contact::{Contact, Group, Role};
use super::cover::Directory;
use super::incident::IncidentReport;
use crate::choice;
use crate::ids::{ContactId, GroupId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use time::{Date, OffsetDateTime};

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
#[serde(try_from = "PolicyFields")]
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
    /// The groups whose members must acknowledge: they are chased by
    /// escalation and their messages are queued first. None: every group
    /// of the policy (so a policy without it keeps its meaning). Each must
    /// be one of the policy's groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_groups: Option<Vec<GroupId>>,
}

/// An alert policy as written, before its required groups are checked
/// against its groups.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFields {
    category: Category,
    groups: Vec<GroupId>,
    /// Added when any victim is under 18 (education and youth services).
    #[serde(default)]
    groups_if_victim_under_18: Vec<GroupId>,
    /// WhatsApp is used only for contacts who opted in.
    channels: Vec<Channel>,
    /// None: no acknowledgement expected.
    #[serde(default)]
    acknowledge_within_minutes: Option<u32>,
    #[serde(default)]
    escalation: Vec<EscalationStep>,
    /// Whether the response checklist is opened for the incident.
    #[serde(default)]
    checklist: bool,
    /// The role that leads the response and may close the incident.
    #[serde(default = "default_lead_role")]
    lead_role: Role,
    /// Stakeholder briefings: at most one digest per this many minutes
    /// (a completed section, a category change or closing send at once).
    #[serde(default = "default_briefing_minutes")]
    briefing_every_minutes: u32,
    /// The channels stakeholder briefings go out on.
    #[serde(default = "default_briefing_channels")]
    briefing_channels: Vec<Channel>,
    /// The groups whose members must acknowledge: they are chased by
    /// escalation and their messages are queued first. None: every group
    /// of the policy (so a policy without it keeps its meaning). Each must
    /// be one of the policy's groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    required_groups: Option<Vec<GroupId>>,
}

impl TryFrom<PolicyFields> for AlertPolicy {
    type Error = String;

    fn try_from(p: PolicyFields) -> Result<Self, String> {
        for required in p.required_groups.iter().flatten() {
            if !p.groups.contains(required) && !p.groups_if_victim_under_18.contains(required) {
                return Err(format!("required group {required} is not one of the {} policy's groups", p.category));
            }
        }
        Ok(AlertPolicy {
            category: p.category,
            groups: p.groups,
            groups_if_victim_under_18: p.groups_if_victim_under_18,
            channels: p.channels,
            acknowledge_within_minutes: p.acknowledge_within_minutes,
            escalation: p.escalation,
            checklist: p.checklist,
            lead_role: p.lead_role,
            briefing_every_minutes: p.briefing_every_minutes,
            briefing_channels: p.briefing_channels,
            required_groups: p.required_groups,
        })
    }
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
                required_groups: None,
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
                required_groups: None,
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
                required_groups: None,
            },
        ]
    }

    /// The policy for a category from a licensee's list (or the defaults);
    /// none for RECORD_ONLY or a category the list leaves out.
    pub fn for_category(policies: &[AlertPolicy], category: Category) -> Option<&AlertPolicy> {
        policies.iter().find(|p| p.category == category)
    }

    /// Whether someone alerted for these groups must acknowledge: the policy
    /// expects acknowledgements and one of the groups is required.
    pub fn is_required(&self, groups: &[GroupId]) -> bool {
        self.acknowledge_within_minutes.is_some()
            && self.required_groups.as_ref().is_none_or(|required| groups.iter().any(|g| required.contains(g)))
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
    /// Their role, or the role of the person they stand in for.
    pub role: super::contact::Role,
}

/// Someone a policy would alert who is away, and who is alerted in their place.
#[derive(Debug, Clone, PartialEq)]
pub struct AwayCover {
    pub away: ContactId,
    pub role: Role,
    pub away_until: Date,
    /// Their deputies (or the next on the rota) who are away too, in the order tried.
    pub also_away: Vec<ContactId>,
    /// Who is alerted in their place; none is an alert gap for the role.
    pub stand_in: Option<ContactId>,
}

impl AwayCover {
    /// The timeline entry: who stood in, or the alert gap for the role.
    pub fn event(&self) -> super::Event {
        let also_away = self.also_away.clone();
        let (contact_id, role, away_until) = (self.away.clone(), self.role.clone(), self.away_until);
        match &self.stand_in {
            Some(deputy) => {
                super::Event::AwayDeputyAlerted { contact_id, role, away_until, deputy_id: deputy.clone(), also_away }
            }
            None => super::Event::AwayNobodyAlerted { contact_id, role, away_until, also_away },
        }
    }
}

/// Who to alert and what could not be resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resolution {
    pub recipients: Vec<Recipient>,
    /// Groups the policy names that the licensee does not have.
    pub missing_groups: Vec<GroupId>,
    /// Members with no usable channel for this policy.
    pub unreachable: Vec<ContactId>,
    /// For each rota among the groups, who is on duty at the incident's time
    /// (a rota with nobody in it has no entry).
    pub on_duty: Vec<(GroupId, ContactId)>,
    /// People away, and who is alerted in their place.
    pub away: Vec<AwayCover>,
    /// Recipients alerted only in someone's place: (recipient, the person away).
    pub standing_in: BTreeMap<ContactId, ContactId>,
}

impl Resolution {
    /// Whose place `recipient` is alerted in, if they stand in for someone away.
    pub fn stands_in_for(&self, recipient: &ContactId) -> Option<&ContactId> {
        self.standing_in.get(recipient)
    }
}

/// The two times that decide who is alerted: the incident's time picks who
/// is on duty on a rota; the time of the alert (the categorisation round's)
/// decides who is away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertTime {
    pub incident_at: OffsetDateTime,
    pub now: OffsetDateTime,
}

#[derive(Default)]
struct Called {
    groups: BTreeSet<GroupId>,
    /// Alerted as themselves (not only in someone's place).
    themselves: bool,
    stands_in_for: Option<(ContactId, Role)>,
}

/// Resolves groups to every member: what stakeholder briefings use (they
/// inform the whole group, rota or not, away or not). Alerts use [`resolve_at`].
pub fn resolve(
    groups: &[GroupId],
    channels: &[Channel],
    licensee_groups: &[Group],
    contacts: &[Contact],
    already_alerted: &HashSet<ContactId>,
) -> Resolution {
    resolve_with(groups, channels, licensee_groups, contacts, already_alerted, None)
}

/// Resolves groups to the people to alert: one entry per person however many
/// groups they are in, channels limited to what the policy uses and the person
/// has (WhatsApp only with opt-in), and anyone in `already_alerted` left out. A
/// rota alerts only whoever is on duty at the incident's time; someone away
/// is left out and their deputy alerted in their place (see `cover`).
pub fn resolve_at(
    groups: &[GroupId],
    channels: &[Channel],
    licensee_groups: &[Group],
    contacts: &[Contact],
    already_alerted: &HashSet<ContactId>,
    when: AlertTime,
) -> Resolution {
    resolve_with(groups, channels, licensee_groups, contacts, already_alerted, Some(when))
}

fn resolve_with(
    groups: &[GroupId],
    channels: &[Channel],
    licensee_groups: &[Group],
    contacts: &[Contact],
    already_alerted: &HashSet<ContactId>,
    when: Option<AlertTime>,
) -> Resolution {
    let directory = Directory::new(contacts, licensee_groups);
    let mut resolution = Resolution::default();
    let mut called: BTreeMap<ContactId, Called> = BTreeMap::new();
    let mut unreachable: BTreeSet<ContactId> = BTreeSet::new();
    let mut away: BTreeMap<ContactId, AwayCover> = BTreeMap::new();
    for gid in groups {
        let Some(group) = directory.group(gid) else {
            resolution.missing_groups.push(gid.clone());
            continue;
        };
        let on_call = match when {
            Some(when) => Directory::called(group, when.incident_at),
            None => group.members.iter().collect(),
        };
        if group.rota.is_some() && when.is_some() {
            resolution.on_duty.extend(on_call.iter().map(|m| (gid.clone(), (*m).clone())));
        }
        for member in on_call {
            if already_alerted.contains(member) {
                continue;
            }
            match directory.contact(member) {
                None => {
                    unreachable.insert(member.clone());
                }
                Some(person) if when.is_some_and(|w| person.away_at(w.now)) => {
                    let now = when.map_or(OffsetDateTime::UNIX_EPOCH, |w| w.now);
                    let cover = directory.stand_in(member, std::slice::from_ref(gid), now);
                    let stand_in = cover.deputy.filter(|d| !already_alerted.contains(&d.id));
                    if let Some(deputy) = stand_in {
                        let entry = called.entry(deputy.id.clone()).or_default();
                        entry.groups.insert(gid.clone());
                        entry.stands_in_for.get_or_insert_with(|| (member.clone(), person.role.clone()));
                    }
                    away.entry(member.clone()).or_insert_with(|| AwayCover {
                        away: member.clone(),
                        role: person.role.clone(),
                        away_until: person.away_until.unwrap_or(now.date()),
                        also_away: cover.also_away.iter().map(|c| c.id.clone()).collect(),
                        stand_in: cover.deputy.map(|d| d.id.clone()),
                    });
                }
                Some(_) => {
                    let entry = called.entry(member.clone()).or_default();
                    entry.groups.insert(gid.clone());
                    entry.themselves = true;
                }
            }
        }
    }
    for (contact_id, c) in called {
        let Some(contact) = directory.contact(&contact_id) else { continue };
        let usable = contact.reachable_on(channels);
        if usable.is_empty() {
            unreachable.insert(contact_id);
            continue;
        }
        let role = match c.stands_in_for.filter(|_| !c.themselves) {
            Some((away, role)) => {
                resolution.standing_in.insert(contact_id.clone(), away);
                role
            }
            None => contact.role.clone(),
        };
        resolution.recipients.push(Recipient {
            contact_id,
            channels: usable,
            groups: c.groups.into_iter().collect(),
            role,
        });
    }
    resolution.unreachable = unreachable.into_iter().collect();
    resolution.away = away.into_values().collect();
    resolution
}
