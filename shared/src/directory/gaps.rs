//! Alert gaps: what categorisation would miss if an incident came now, from
//! the licensee's policies and its directory as they stand.

use crate::domain::category::Category;
use crate::domain::cover::Directory;
use crate::domain::policy::{AlertPolicy, Channel, EscalationTarget};
use crate::domain::{Contact, Group, Licensee, Role};
use crate::ids::{ContactId, GroupId};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime};

/// One way an alert would fall through. `categories` are those whose policy
/// the gap affects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gap {
    /// A policy names a group the licensee does not have.
    MissingGroup { group: GroupId, categories: Vec<Category> },
    /// A policy names a group with nobody in it.
    EmptyGroup { group: GroupId, categories: Vec<Category> },
    /// A group lists someone who is not in the directory.
    MemberNotInDirectory { group: GroupId, contact: ContactId },
    /// Nobody alerted for the category holds the role that leads the response.
    NobodyInRole { role: Role, category: Category },
    /// People hold the leading role, but none has a deputy SIM can reach.
    NoDeputyInRole { role: Role, category: Category },
    /// Alerted for these categories but reachable on none of their channels.
    NoUsableChannel { contact: ContactId, name: String, categories: Vec<Category> },
    /// The policy alerts on WhatsApp and the person has a mobile but has not opted in.
    WhatsAppWithoutOptIn { contact: ContactId, name: String, categories: Vec<Category> },
    /// The deputy named is not in the directory.
    DeputyNotInDirectory { contact: ContactId, name: String, deputy: ContactId },
    /// Alerted for these categories, away now, and nobody can be alerted in
    /// their place: no deputy, or every deputy SIM would try is away too.
    AwayWithNobodyInTheirPlace {
        contact: ContactId,
        name: String,
        away_until: Date,
        deputies_away: Vec<ContactId>,
        categories: Vec<Category>,
    },
    /// A rota turn in the next [`ROTA_LOOKAHEAD_DAYS`] days with nobody to
    /// alert: whoever is on duty is away, and so is everyone after them on the rota SIM would try.
    RotaWithoutCover { group: GroupId, turn_starts: PrimitiveDateTime, on_duty: ContactId, categories: Vec<Category> },
}

/// How far ahead alert gaps look for rota turns without cover.
pub const ROTA_LOOKAHEAD_DAYS: i64 = 28;

fn names(categories: &[Category]) -> String {
    categories.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gap::MissingGroup { group, categories } => {
                write!(f, "group {group} is named by the {} policy but does not exist", names(categories))
            }
            Gap::EmptyGroup { group, categories } => {
                write!(f, "group {group} is named by the {} policy but has nobody in it", names(categories))
            }
            Gap::MemberNotInDirectory { group, contact } => {
                write!(f, "group {group} lists {contact}, who is not in the directory")
            }
            Gap::NobodyInRole { role, category } => {
                write!(f, "nobody alerted for {} has the role {role} that leads the response", category.label())
            }
            Gap::NoDeputyInRole { role, category } => {
                write!(f, "nobody with the role {role} (leading {}) has a deputy SIM can reach", category.label())
            }
            Gap::NoUsableChannel { contact, name, categories } => write!(
                f,
                "{name} ({contact}) is alerted for {} but has no mobile or email SIM can use",
                names(categories)
            ),
            Gap::WhatsAppWithoutOptIn { contact, name, categories } => {
                write!(f, "{name} ({contact}) would get {} alerts on WhatsApp but has not opted in", names(categories))
            }
            Gap::DeputyNotInDirectory { contact, name, deputy } => {
                write!(f, "{name} ({contact}) has deputy {deputy}, who is not in the directory")
            }
            Gap::AwayWithNobodyInTheirPlace { contact, name, away_until, deputies_away, categories } => {
                write!(f, "{name} ({contact}) is alerted for {} but is away until {away_until}, and ", names(categories))?;
                match deputies_away.as_slice() {
                    [] => write!(f, "has no deputy to alert in their place"),
                    away => write!(
                        f,
                        "their deputies are away too ({})",
                        away.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                }
            }
            Gap::RotaWithoutCover { group, turn_starts, on_duty, categories } => write!(
                f,
                "rota {group} ({}) has nobody to alert in the turn from {} {:02}:{:02} UK time: {on_duty} is on duty but \
                 away, and so is everyone after them on the rota",
                names(categories),
                turn_starts.date(),
                turn_starts.hour(),
                turn_starts.minute()
            ),
        }
    }
}

/// Every group a policy can alert: its own, the under-18 ones and its escalation groups.
fn policy_groups(policy: &AlertPolicy) -> Vec<GroupId> {
    let mut all = policy.groups.clone();
    all.extend(policy.groups_if_victim_under_18.iter().cloned());
    for step in &policy.escalation {
        if let EscalationTarget::Groups(g) = &step.alert {
            all.extend(g.iter().cloned());
        }
    }
    all
}

/// The gaps of a licensee's directory against its policies (or the defaults),
/// if an incident came at `now` (who is away) or in the next weeks (rota turns).
pub fn alert_gaps(licensee: &Licensee, contacts: &[Contact], groups: &[Group], now: OffsetDateTime) -> Vec<Gap> {
    let policies = licensee.policies.clone().unwrap_or_else(AlertPolicy::defaults);
    let by_id: BTreeMap<&ContactId, &Contact> = contacts.iter().map(|c| (&c.id, c)).collect();
    let group = |id: &GroupId| groups.iter().find(|g| &g.id == id);
    let mut missing: BTreeMap<GroupId, BTreeSet<Category>> = BTreeMap::new();
    let mut empty: BTreeMap<GroupId, BTreeSet<Category>> = BTreeMap::new();
    let mut no_channel: BTreeMap<&ContactId, BTreeSet<Category>> = BTreeMap::new();
    let mut no_opt_in: BTreeMap<&ContactId, BTreeSet<Category>> = BTreeMap::new();
    let mut away_uncovered: BTreeMap<&ContactId, (Vec<ContactId>, BTreeSet<Category>)> = BTreeMap::new();
    let mut rotas: BTreeMap<&GroupId, BTreeSet<Category>> = BTreeMap::new();
    let directory = Directory::new(contacts, groups);
    let mut gaps = Vec::new();
    let reachable = |c: &Contact, channels: &[Channel]| !c.reachable_on(channels).is_empty();

    for policy in &policies {
        let mut alerted: BTreeSet<&ContactId> = BTreeSet::new();
        for gid in policy_groups(policy) {
            match group(&gid) {
                None => {
                    missing.entry(gid).or_default().insert(policy.category);
                }
                Some(g) if g.members.is_empty() => {
                    empty.entry(gid).or_default().insert(policy.category);
                }
                Some(g) => {
                    alerted.extend(g.members.iter().filter_map(|m| by_id.get(m).map(|c| &c.id)));
                    if g.rota.is_some() {
                        rotas.entry(&g.id).or_default().insert(policy.category);
                    }
                    // Rotas are checked turn by turn below; here, everyone else away now.
                    for c in g.members.iter().filter_map(|m| by_id.get(m)).filter(|c| c.away_at(now)) {
                        let cover = directory.stand_in(&c.id, std::slice::from_ref(&g.id), now);
                        if cover.deputy.is_none() && g.rota.is_none() {
                            let away: Vec<ContactId> = cover.also_away.iter().map(|d| d.id.clone()).collect();
                            away_uncovered.entry(&c.id).or_insert((away, BTreeSet::new())).1.insert(policy.category);
                        }
                    }
                }
            }
        }
        for id in &alerted {
            let c = by_id[id];
            if !reachable(c, &policy.channels) {
                no_channel.entry(id).or_default().insert(policy.category);
            }
            if policy.channels.contains(&Channel::WhatsApp) && c.mobile.is_some() && !c.whatsapp_opt_in {
                no_opt_in.entry(id).or_default().insert(policy.category);
            }
        }
        let leads: Vec<&Contact> = alerted.iter().map(|id| by_id[id]).filter(|c| c.role == policy.lead_role).collect();
        if leads.is_empty() {
            gaps.push(Gap::NobodyInRole { role: policy.lead_role.clone(), category: policy.category });
        } else if policy.acknowledge_within_minutes.is_some()
            && !leads.iter().any(|c| {
                // On a rota, the deputy is the next on the rota.
                directory
                    .deputy_of(&c.id, &policy.groups)
                    .and_then(|d| by_id.get(d))
                    .is_some_and(|d| d.id != c.id && reachable(d, &policy.channels))
            })
        {
            gaps.push(Gap::NoDeputyInRole { role: policy.lead_role.clone(), category: policy.category });
        }
    }
    let list = |set: BTreeSet<Category>| set.into_iter().collect::<Vec<_>>();
    gaps.extend(missing.into_iter().map(|(group, c)| Gap::MissingGroup { group, categories: list(c) }));
    gaps.extend(empty.into_iter().map(|(group, c)| Gap::EmptyGroup { group, categories: list(c) }));
    for g in groups {
        for m in g.members.iter().filter(|m| !by_id.contains_key(m)) {
            gaps.push(Gap::MemberNotInDirectory { group: g.id.clone(), contact: m.clone() });
        }
    }
    for (id, c) in no_channel {
        gaps.push(Gap::NoUsableChannel { contact: id.clone(), name: by_id[id].name.clone(), categories: list(c) });
    }
    for (id, c) in no_opt_in {
        gaps.push(Gap::WhatsAppWithoutOptIn { contact: id.clone(), name: by_id[id].name.clone(), categories: list(c) });
    }
    for c in contacts {
        if let Some(d) = c.deputy.as_ref().filter(|d| !by_id.contains_key(d)) {
            gaps.push(Gap::DeputyNotInDirectory { contact: c.id.clone(), name: c.name.clone(), deputy: d.clone() });
        }
    }
    for (id, (deputies_away, c)) in away_uncovered {
        let person = by_id[id];
        gaps.push(Gap::AwayWithNobodyInTheirPlace {
            contact: id.clone(),
            name: person.name.clone(),
            away_until: person.away_until.unwrap_or(now.date()),
            deputies_away,
            categories: list(c),
        });
    }
    for (gid, c) in rotas {
        let Some(g) = directory.group(gid) else { continue };
        gaps.extend(rota_gaps(&directory, g, now).into_iter().map(|(turn_starts, on_duty)| Gap::RotaWithoutCover {
            group: gid.clone(),
            turn_starts,
            on_duty,
            categories: list(c.clone()),
        }));
    }
    gaps.sort();
    gaps.dedup();
    gaps
}

/// The turns of a rota, from now to [`ROTA_LOOKAHEAD_DAYS`] ahead, in which
/// nobody could be alerted: (when the turn starts, who is on duty). Checked
/// hour by hour, as who is away changes at midnight and turns at their handover.
fn rota_gaps(directory: &Directory<'_>, group: &Group, now: OffsetDateTime) -> Vec<(PrimitiveDateTime, ContactId)> {
    let Some(rota) = &group.rota else { return Vec::new() };
    let mut gaps: Vec<(PrimitiveDateTime, ContactId)> = Vec::new();
    for hour in 0..ROTA_LOOKAHEAD_DAYS * 24 {
        let at = now + Duration::hours(hour);
        let Some(i) = rota.on_duty(group.members.len(), at) else { break };
        let on_duty = &group.members[i];
        let Some(person) = directory.contact(on_duty) else { continue };
        if !person.away_at(at) || directory.stand_in(on_duty, std::slice::from_ref(&group.id), at).deputy.is_some() {
            continue;
        }
        let turn_starts = rota.turn_starts(rota.turn_at(at));
        if !gaps.iter().any(|(t, _)| *t == turn_starts) {
            gaps.push((turn_starts, on_duty.clone()));
        }
    }
    gaps
}
