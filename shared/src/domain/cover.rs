//! Who is alerted in whose place: whoever is on duty on a rota, and the
//! deputy standing in for someone away (at the first alert) or silent (when
//! escalating). One rule for categorisation, escalation and alert gaps.
//!
//! A person's deputy is the next on the rota when they were alerted through a
//! rota, their own `deputy` otherwise. A deputy who is away is skipped for
//! their deputy in turn, at most [`MAX_DEPUTY_CHAIN`] deep; a chain that runs
//! out, loops or names someone not in the directory finds nobody.

use super::contact::{Contact, Group};
use crate::ids::{ContactId, GroupId};
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// How many deputies deep SIM looks for someone who is not away.
pub const MAX_DEPUTY_CHAIN: usize = 3;

/// A licensee's contacts and groups, looked up by id.
pub struct Directory<'a> {
    contacts: HashMap<&'a ContactId, &'a Contact>,
    groups: &'a [Group],
}

/// Who stands in for someone, and the deputies skipped on the way because they are away too.
#[derive(Debug, Clone, PartialEq)]
pub struct StandIn<'a> {
    pub deputy: Option<&'a Contact>,
    pub also_away: Vec<&'a Contact>,
}

impl<'a> Directory<'a> {
    pub fn new(contacts: &'a [Contact], groups: &'a [Group]) -> Self {
        Self { contacts: contacts.iter().map(|c| (&c.id, c)).collect(), groups }
    }

    pub fn contact(&self, id: &ContactId) -> Option<&'a Contact> {
        self.contacts.get(id).copied()
    }

    pub fn group(&self, id: &GroupId) -> Option<&'a Group> {
        self.groups.iter().find(|g| &g.id == id)
    }

    /// Who a group alerts for an incident at `incident_at`: every member, or
    /// for a rota the member on duty then (nobody for an empty rota).
    pub fn called(group: &'a Group, incident_at: OffsetDateTime) -> Vec<&'a ContactId> {
        match &group.rota {
            None => group.members.iter().collect(),
            Some(rota) => {
                rota.on_duty(group.members.len(), incident_at).map(|i| &group.members[i]).into_iter().collect()
            }
        }
    }

    /// The one deputy of `person` alerted through `via`: the next on a rota
    /// among `via` they are on, else their own deputy (away or not).
    pub fn deputy_of(&self, person: &ContactId, via: &[GroupId]) -> Option<&'a ContactId> {
        let on_rota = via.iter().filter_map(|g| self.group(g)).filter(|g| g.rota.is_some()).find_map(|g| {
            let at = g.members.iter().position(|m| m == person)?;
            Some(&g.members[(at + 1) % g.members.len()])
        });
        match on_rota {
            Some(next) => Some(next),
            None => self.contact(person)?.deputy.as_ref().and_then(|d| self.contacts.get_key_value(d).map(|(k, _)| *k)),
        }
    }

    /// Who stands in for `person` at `now`: their deputy, or if that deputy
    /// is away too, the deputy's deputy, and so on (bounded).
    pub fn stand_in(&self, person: &ContactId, via: &[GroupId], now: OffsetDateTime) -> StandIn<'a> {
        let mut seen: HashSet<&ContactId> = HashSet::from([person]);
        let mut also_away = Vec::new();
        let mut at = person;
        for _ in 0..MAX_DEPUTY_CHAIN {
            let Some(next) = self.deputy_of(at, via) else { break };
            let Some(deputy) = self.contact(next).filter(|_| seen.insert(next)) else { break };
            if !deputy.away_at(now) {
                return StandIn { deputy: Some(deputy), also_away };
            }
            also_away.push(deputy);
            at = &deputy.id;
        }
        StandIn { deputy: None, also_away }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::Role;
    use crate::domain::rota::Rota;
    use crate::ids::LicenseeId;
    use time::macros::{date, datetime};

    fn person(id: &str, deputy: Option<&str>, away_until: Option<time::Date>) -> Contact {
        Contact {
            id: ContactId::parse(id).unwrap(),
            licensee_id: LicenseeId::parse("lambeth").unwrap(),
            name: id.into(),
            role: Role::parse("gold").unwrap(),
            organisation: "Lambeth".into(),
            mobile: None,
            whatsapp_opt_in: false,
            email: None,
            deputy: deputy.map(|d| ContactId::parse(d).unwrap()),
            away_until,
            whatsapp_opt_in_given: None,
        }
    }

    fn id(s: &str) -> ContactId {
        ContactId::parse(s).unwrap()
    }

    #[test]
    fn an_away_deputy_is_skipped_for_their_deputy_and_a_loop_finds_nobody() {
        let now = datetime!(2026-11-23 10:00 UTC);
        let away = Some(date!(2026 - 11 - 30));
        let contacts = [
            person("a", Some("b"), away),
            person("b", Some("c"), away),
            person("c", None, None),
            person("x", Some("y"), away),
            person("y", Some("x"), away),
        ];
        let dir = Directory::new(&contacts, &[]);
        let s = dir.stand_in(&id("a"), &[], now);
        assert_eq!(s.deputy.map(|d| d.id.as_str()), Some("c"));
        assert_eq!(s.also_away.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["b"]);
        let nobody = dir.stand_in(&id("x"), &[], now);
        assert_eq!(nobody.deputy, None);
        assert_eq!(nobody.also_away.len(), 1);
        // Back the day after their last day away (UK date).
        assert!(contacts[0].away_at(datetime!(2026-11-30 23:59 UTC)));
        assert!(!contacts[0].away_at(datetime!(2026-12-01 00:00 UTC)));
    }

    #[test]
    fn on_a_rota_the_deputy_is_the_next_on_the_rota() {
        let contacts =
            [person("a", Some("z"), None), person("b", None, Some(date!(2026 - 11 - 30))), person("c", None, None)];
        let rota = Group {
            id: GroupId::parse("grp-duty").unwrap(),
            licensee_id: LicenseeId::parse("lambeth").unwrap(),
            name: "Duty".into(),
            members: vec![id("a"), id("b"), id("c")],
            rota: Some(Rota::weekly_from(date!(2026 - 11 - 02))),
        };
        let groups = [rota];
        let dir = Directory::new(&contacts, &groups);
        let now = datetime!(2026-11-03 10:00 UTC);
        assert_eq!(Directory::called(&groups[0], now), [&id("a")]);
        let s = dir.stand_in(&id("a"), &[groups[0].id.clone()], now);
        assert_eq!(s.deputy.map(|d| d.id.as_str()), Some("c"), "b, next on the rota, is away");
        assert_eq!(dir.stand_in(&id("c"), &[groups[0].id.clone()], now).deputy.map(|d| d.id.as_str()), Some("a"));
    }
}
