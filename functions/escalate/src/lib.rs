//! Escalation: when an escalation check falls due, every required role that
//! has no acknowledgement yet is chased, then the next check is scheduled.
//!
//! A role counts as acknowledged when anyone alerted for it (the person, or
//! their deputy alerted in their place) has acknowledged: the first
//! acknowledgement does not silence the other roles. For a silent role, a
//! `deputies` step re-alerts each of its people (reminder text, differing from
//! the first alert) and alerts their deputies; a `groups` step alerts those
//! groups. Deputies follow categorisation's rule (`sim::domain::cover`): the
//! next on the rota for someone alerted through a rota, and a deputy who is
//! away skipped for their own deputy, on the timeline. The checks stop once every required role has acknowledged, when
//! the policy's steps run out, or when a newer categorisation round
//! supersedes this one (it has its own checks). Each step is on the timeline.
//!
//! Checks travel on an SQS delay queue: SIM's own at-least-once queue with a
//! DLQ, no extra service, and the same on the local stack. SQS delays at most
//! 15 minutes, so a check due later re-queues itself for the rest.

use sim::domain::cover::Directory;
use sim::domain::notification::{EscalationCheck, Notification, NotificationKey, Step};
use sim::domain::policy::{resolve_at, AlertTime, AwayCover, EscalationTarget, Recipient};
use sim::domain::{Contact, Event, Role, TimelineEvent};
use sim::fanout::write_and_queue;
use sim::ids::ContactId;
use sim::ports::DelayedCheck;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use time::Duration;

pub use sim::fanout::{Deps, MessageError as EscalateError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not due yet: re-queued for the rest of the wait.
    NotYetDue,
    /// A newer round (a police upgrade) has its own checks.
    Superseded,
    AllAcknowledged,
    /// Reminders and deputy or group alerts were queued.
    Escalated {
        silent_roles: Vec<String>,
        messages: usize,
        next_check: bool,
    },
}

pub async fn handle_message(deps: &Deps, body: &str) -> Result<Outcome, EscalateError> {
    escalate(deps, &sim::ports::parse_message(body)?).await
}

pub async fn escalate(deps: &Deps, check: &EscalationCheck) -> Result<Outcome, EscalateError> {
    let store = &*deps.store;
    let now = deps.clock.now();
    if now < check.due_at {
        deps.escalation.send(&[check.message(now)]).await?;
        return Ok(Outcome::NotYetDue);
    }
    let poison = |what: &str| EscalateError::Poison(format!("{what} of {} is missing", check.incident_id));
    let incident = store.get_incident(&check.incident_id).await?.ok_or_else(|| poison("the incident"))?;
    let categorisation = store.get_categorisation(&incident.id).await?.ok_or_else(|| poison("the categorisation"))?;
    if categorisation.round != check.round {
        return Ok(Outcome::Superseded);
    }
    if incident.shared_from.is_some() && !sim::shares::may_open(store, &incident.licensee_id, &incident).await? {
        // A partner's linked incident whose share was withdrawn: nobody is chased (issue 19).
        return Ok(Outcome::Superseded);
    }
    let licensee = store.get_licensee(&incident.licensee_id).await?.ok_or_else(|| poison("the licensee"))?;
    let Some(policy) = licensee.policy_for_incident(&incident, categorisation.category) else {
        return Ok(Outcome::Superseded);
    };
    let event = |e| TimelineEvent::new(&*deps.ids, &incident.id, now, e);

    let (notifications, acks) =
        tokio::try_join!(store.notifications(&incident.id), store.acknowledgements(&incident.id))?;
    let acknowledged: HashSet<&ContactId> = acks.iter().map(|a| &a.contact_id).collect();
    let required: BTreeSet<&Role> = notifications.iter().filter(|n| n.required).map(|n| &n.role).collect();
    let answered: HashSet<&Role> =
        notifications.iter().filter(|n| acknowledged.contains(&n.contact_id)).map(|n| &n.role).collect();
    let silent: Vec<&Role> = required.into_iter().filter(|r| !answered.contains(r)).collect();
    if silent.is_empty() {
        store.append_event(&event(Event::EscalationEnded { all_acknowledged: true })).await?;
        return Ok(Outcome::AllAcknowledged);
    }
    let Some(step) = policy.escalation.get(check.step as usize) else {
        store.append_event(&event(Event::EscalationEnded { all_acknowledged: false })).await?;
        return Ok(Outcome::Escalated { silent_roles: names(&silent), messages: 0, next_check: false });
    };

    let (all_contacts, all_groups) = tokio::try_join!(store.contacts(&licensee.id), store.groups(&licensee.id))?;
    let directory = Directory::new(&all_contacts, &all_groups);
    let step_no = check.step + 1;
    let mut wanted: Vec<Notification> = Vec::new();
    let mut events = Vec::new();
    let add = |wanted: &mut Vec<Notification>,
               contact: &Contact,
               role: &Role,
               deputy_for: Option<ContactId>,
               required: bool| {
        let to = Recipient { contact_id: contact.id.clone(), channels: vec![], groups: vec![], role: role.clone() };
        for channel in contact.reachable_on(&policy.channels) {
            let n = Notification::pending(
                incident.id.clone(),
                &to,
                channel,
                Step::Alert(step_no),
                check.round,
                required,
                now,
            );
            wanted.push(Notification { deputy_for: deputy_for.clone(), ..n });
        }
    };
    match &step.alert {
        EscalationTarget::Deputies => {
            // The people first alerted for each silent role (themselves, or in the place of
            // someone away), not counting deputies escalation already alerted for it.
            let people: BTreeMap<&ContactId, &Notification> = notifications
                .iter()
                .filter(|n| n.required && n.step == Step::FIRST && silent.contains(&&n.role))
                .map(|n| (&n.contact_id, n))
                .collect();
            for (id, first) in people {
                let Some(person) = directory.contact(id) else { continue };
                add(&mut wanted, person, &first.role, first.deputy_for.clone(), true);
                // Their deputy (the next on the rota they were alerted through), skipping anyone away.
                let cover = directory.stand_in(id, &first.groups, now);
                if let Some(away) = cover.also_away.first() {
                    events.push(event(
                        AwayCover {
                            away: away.id.clone(),
                            role: first.role.clone(),
                            away_until: away.away_until.unwrap_or(now.date()),
                            also_away: cover.also_away[1..].iter().map(|c| c.id.clone()).collect(),
                            stand_in: cover.deputy.map(|d| d.id.clone()),
                        }
                        .event(),
                    ));
                }
                if let Some(deputy) = cover.deputy {
                    add(&mut wanted, deputy, &first.role, Some(person.id.clone()), true);
                }
            }
        }
        EscalationTarget::Groups(groups) => {
            let when = AlertTime { incident_at: incident.report.occurred_at, now };
            let resolution = resolve_at(groups, &policy.channels, &all_groups, &all_contacts, &HashSet::new(), when);
            for r in &resolution.recipients {
                if let Some(contact) = directory.contact(&r.contact_id) {
                    // Told, not chased: escalation groups are informed that roles are silent.
                    add(&mut wanted, contact, &r.role, resolution.stands_in_for(&r.contact_id).cloned(), false);
                }
            }
            events.extend(resolution.away.iter().map(|a| event(a.event())));
        }
    }

    // Write what is missing; queue what is still pending (a redelivery after a
    // crash re-queues, and the senders' claim keeps that from sending twice).
    // A person can be both silent and someone's deputy: one message per channel.
    let mut seen = HashSet::new();
    wanted.retain(|n| seen.insert(n.key()));
    let existing: HashMap<NotificationKey, Notification> = notifications.iter().map(|n| (n.key(), n.clone())).collect();
    let (_, messages) = write_and_queue(store, &deps.queues, &incident.licensee_id, &wanted, &existing).await?;

    let next = policy.escalation.get(step_no as usize).map(|s| EscalationCheck {
        incident_id: incident.id.clone(),
        round: check.round,
        step: step_no,
        due_at: categorisation.decided_at + Duration::minutes(s.after_minutes.into()),
    });
    if let Some(next) = &next {
        deps.escalation.send(&[next.message(now)]).await?;
    }
    events.push(event(Event::Escalated {
        step: step_no,
        silent_roles: silent.iter().map(|r| (*r).clone()).collect(),
        messages,
    }));
    for e in &events {
        store.append_event(e).await?;
    }
    tracing::info!(incident_id = %incident.id, step = step_no, silent = silent.len(), messages, "escalated");
    Ok(Outcome::Escalated { silent_roles: names(&silent), messages, next_check: next.is_some() })
}

fn names(roles: &[&Role]) -> Vec<String> {
    roles.iter().map(|r| r.to_string()).collect()
}
