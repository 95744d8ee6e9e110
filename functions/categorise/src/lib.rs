//! Categorisation and fan-out, for one handed-on incident at a time.
//!
//! 1. Decide the category with the licensee's rules (or the defaults), the
//!    ward history answered by one query.
//! 2. Record the decision (conditional on the previous one, so concurrent
//!    deliveries cannot both act) with the rule and reason on the timeline.
//! 3. Open the checklist if the category's policy calls for one.
//! 4. Write one notification per person per channel and queue an ids-only
//!    message for each on its channel's queue; then mark the round done.
//!    Who is alerted is decided in the domain (`resolve_at`): on a rota, whoever
//!    is on duty at the incident's time; for anyone away, their deputy at once.
//!    An upgrade also queues a stakeholder briefing for the groups already
//!    responding.
//!
//! A redelivered message finds the round done and changes nothing. A crash
//! part-way leaves the round not done; the redelivery writes what is missing
//! and re-queues every notification still pending (a sender's claim keeps a
//! message that was queued twice from being sent twice). A higher category
//! on a police amendment starts a new round that alerts only people not already
//! alerted; a lower one is only noted. An amendment that keeps the category
//! but changes whom its policy reaches (a victim confirmed under 18 adds
//! education and youth services) alerts the people it adds, once, in the
//! current round, so the round's escalation check chases them too.

use sim::domain::category::{Category, Facts, RuleSet};
use sim::domain::follow_up::{BriefingCheck, BriefingReason};
use sim::domain::notification::{Categorisation, EscalationCheck, Notification, NotificationKey, Step};
use sim::domain::policy::{resolve_at, AlertTime};
use sim::domain::{Event, Incident, Licensee, TimelineEvent};
use sim::fanout::write_and_queue;
use sim::handoff::HandoffMessage;
use sim::ids::ContactId;
pub use sim::ports::ChannelQueues;
use sim::ports::DelayedCheck;
use std::collections::{HashMap, HashSet};

pub use sim::fanout::{Deps, MessageError as CategoriseError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already categorised at this version and fanned out: nothing to do.
    AlreadyDone,
    /// Same or lower category than before: recorded, nobody new alerted.
    Kept { category: Category },
    /// A round of alerts was queued (none for RECORD_ONLY).
    Alerted { category: Category, round: u32, messages: usize },
}

/// Handles one message body from the categorise queue.
pub async fn handle_message(deps: &Deps, body: &str) -> Result<Outcome, CategoriseError> {
    categorise(deps, &sim::ports::parse_message(body)?).await
}

pub async fn categorise(deps: &Deps, message: &HandoffMessage) -> Result<Outcome, CategoriseError> {
    let incident = deps
        .store
        .get_incident(&message.incident_id)
        .await?
        .ok_or_else(|| CategoriseError::Poison(format!("no incident {}", message.incident_id)))?;
    let outcome = categorise_incident(deps, &incident).await?;
    // Issue 19: shares for connected areas; accepted partners follow amendments.
    let shares = sim::shares::Ctx { store: &*deps.store, clock: &*deps.clock, ids: &*deps.ids };
    sim::shares::after_categorisation(shares, &incident).await?;
    Ok(outcome)
}

async fn categorise_incident(deps: &Deps, incident: &Incident) -> Result<Outcome, CategoriseError> {
    let store = &*deps.store;
    let previous = store.get_categorisation(&incident.id).await?;
    if let Some(p) = &previous {
        if p.incident_version >= incident.version && p.fanout_done {
            return Ok(Outcome::AlreadyDone);
        }
    }
    let licensee = store
        .get_licensee(&incident.licensee_id)
        .await?
        .ok_or_else(|| CategoriseError::Poison(format!("no licensee {}", incident.licensee_id)))?;
    if let Some(p) = previous.as_ref().filter(|p| p.incident_version == incident.version) {
        // A crash interrupted this round's fan-out: finish it.
        return fan_out(deps, incident, &licensee, p).await;
    }

    let rules = licensee.rules.clone().unwrap_or_else(RuleSet::defaults);
    let report = &incident.report;
    let ward_history = match (rules.ward_window(), &report.location.ward) {
        (Some(window), Some(ward)) => {
            store
                .ward_history(&licensee.id, ward, report.occurred_at - window, report.occurred_at, &incident.id)
                .await?
        }
        _ => Vec::new(),
    };
    let decision = rules.decide(&Facts { report, ward_history: &ward_history });
    let now = deps.clock.now();
    let event = |e| TimelineEvent::new(&*deps.ids, &incident.id, now, e);
    let before = previous.as_ref().map(|p| (p.round, p.incident_version));

    if let Some(p) = previous.as_ref().filter(|p| decision.category <= p.category) {
        if decision.category == p.category {
            let newcomers = newly_reached(deps, incident, &licensee, p).await?;
            if newcomers > 0 {
                let widened = Categorisation {
                    incident_version: incident.version,
                    fanout_done: false,
                    widened: true,
                    ..p.clone()
                };
                let events = [event(Event::AlertsWidened {
                    category: p.category,
                    rule: decision.rule.clone(),
                    reason: decision.reason.clone(),
                    people: newcomers,
                })];
                store.put_categorisation(&widened, before, &events).await?;
                tracing::info!(incident_id = %incident.id, category = %p.category, people = newcomers, "alerts widened");
                return fan_out(deps, incident, &licensee, &widened).await;
            }
        }
        let events =
            [event(Event::CategoryKept { kept: p.category, decided: decision.category, rule: decision.rule.clone() })];
        let kept = Categorisation { incident_version: incident.version, ..p.clone() };
        store.put_categorisation(&kept, before, &events).await?;
        tracing::info!(incident_id = %incident.id, category = %p.category, "category kept");
        return Ok(Outcome::Kept { category: p.category });
    }

    let policy = licensee.policy_for_incident(incident, decision.category);
    let categorisation = Categorisation {
        incident_id: incident.id.clone(),
        category: decision.category,
        rule: decision.rule.clone(),
        reason: decision.reason.clone(),
        incident_version: incident.version,
        round: previous.as_ref().map_or(1, |p| p.round + 1),
        fanout_done: false,
        widened: false,
        acknowledge_within_minutes: policy.and_then(|p| p.acknowledge_within_minutes),
        decided_at: now,
    };
    let decided = match &previous {
        None => Event::Categorised { category: decision.category, rule: decision.rule, reason: decision.reason },
        Some(p) => Event::CategoryRaised {
            from: p.category,
            to: decision.category,
            rule: decision.rule,
            reason: decision.reason,
        },
    };
    store.put_categorisation(&categorisation, before, &[event(decided)]).await?;
    tracing::info!(incident_id = %incident.id, category = %categorisation.category, rule = %categorisation.rule, round = categorisation.round, "categorised");
    fan_out(deps, incident, &licensee, &categorisation).await
}

/// Opens the checklist if needed, writes and queues this round's
/// notifications, and marks the round done.
async fn fan_out(
    deps: &Deps,
    incident: &Incident,
    licensee: &Licensee,
    categorisation: &Categorisation,
) -> Result<Outcome, CategoriseError> {
    let store = &*deps.store;
    let now = deps.clock.now();
    let event = |e| TimelineEvent::new(&*deps.ids, &incident.id, now, e);
    let mut events = Vec::new();
    let mut queued = 0;

    if let Some(policy) = licensee.policy_for_incident(incident, categorisation.category) {
        if policy.checklist && store.checklist(&incident.id).await?.is_empty() {
            let template = licensee.checklist_for_incident(incident);
            let items = template.instantiate(&incident.id);
            store.put_checklist(&items).await?;
            events.push(event(Event::ChecklistOpened { items: items.len() }));
        }

        let existing: HashMap<NotificationKey, Notification> =
            store.notifications(&incident.id).await?.into_iter().map(|n| (n.key(), n)).collect();
        let alerted_before = alerted_before(&existing, categorisation);
        let (groups, contacts) = tokio::try_join!(store.groups(&licensee.id), store.contacts(&licensee.id))?;
        // Who is on duty is decided by the incident's time; who is away, by the round's.
        let when = AlertTime {
            incident_at: incident.report.occurred_at,
            now: if categorisation.widened { now } else { categorisation.decided_at },
        };
        let resolution = resolve_at(
            &policy.groups_for(&incident.report),
            &policy.channels,
            &groups,
            &contacts,
            &alerted_before,
            when,
        );
        events.extend(resolution.on_duty.iter().map(|(group_id, contact_id)| {
            event(Event::RotaOnDuty { group_id: group_id.clone(), contact_id: contact_id.clone() })
        }));
        events.extend(resolution.away.iter().map(|a| event(a.event())));
        if resolution.away.iter().any(|a| a.stand_in.is_none()) {
            tracing::warn!(incident_id = %incident.id, "away with nobody to stand in");
        }
        if !resolution.missing_groups.is_empty() || !resolution.unreachable.is_empty() {
            tracing::warn!(incident_id = %incident.id, missing = resolution.missing_groups.len(), unreachable = resolution.unreachable.len(), "alert gaps");
            events.push(event(Event::AlertGaps {
                missing_groups: resolution.missing_groups.clone(),
                unreachable_contacts: resolution.unreachable.clone(),
            }));
        }

        let round: Vec<Notification> = resolution
            .recipients
            .iter()
            .flat_map(|r| {
                r.channels.iter().map(|channel| Notification {
                    widened: categorisation.widened,
                    deputy_for: resolution.stands_in_for(&r.contact_id).cloned(),
                    ..Notification::pending(
                        incident.id.clone(),
                        r,
                        *channel,
                        Step::FIRST,
                        categorisation.round,
                        policy.acknowledge_within_minutes.is_some(),
                        if categorisation.widened { now } else { categorisation.decided_at },
                    )
                })
            })
            .collect();
        let (channels, messages) = write_and_queue(store, &deps.queues, &round, &existing).await?;
        queued = messages;
        // Chase silent roles from the policy's first escalation step (a widened
        // round's check is already on its way: it chases the added people too).
        let first_step = policy.escalation.first().filter(|_| !categorisation.widened);
        if let (Some(_), Some(first)) = (policy.acknowledge_within_minutes, first_step) {
            let check = EscalationCheck {
                incident_id: incident.id.clone(),
                round: categorisation.round,
                step: 0,
                due_at: categorisation.decided_at + time::Duration::minutes(first.after_minutes.into()),
            };
            deps.escalation.send(&[check.message(now)]).await?;
        }
        if categorisation.round > 1 && !categorisation.widened {
            // The groups already responding hear of the upgrade in an update at once.
            let check = BriefingCheck {
                incident_id: incident.id.clone(),
                reason: BriefingReason::CategoryChanged,
                due_at: now,
            };
            deps.briefings.send(&[check.message(now)]).await?;
        }
        events.push(event(Event::AlertsQueued {
            round: categorisation.round,
            recipients: resolution.recipients.len(),
            messages: queued,
            channels,
        }));
    }

    let done = Categorisation { fanout_done: true, ..categorisation.clone() };
    store.put_categorisation(&done, Some((categorisation.round, categorisation.incident_version)), &events).await?;
    tracing::info!(incident_id = %incident.id, round = categorisation.round, messages = queued, "fan-out done");
    Ok(Outcome::Alerted { category: categorisation.category, round: categorisation.round, messages: queued })
}

/// Who has had a first alert before this fan-out: everyone alerted in an
/// earlier round and, when the round is widened, everyone already alerted in it.
fn alerted_before(
    existing: &HashMap<NotificationKey, Notification>,
    categorisation: &Categorisation,
) -> HashSet<ContactId> {
    existing
        .values()
        .filter(|n| n.round < categorisation.round || (categorisation.widened && n.step == Step::FIRST))
        .map(|n| n.contact_id.clone())
        .collect()
}

/// How many people the category's policy reaches for the amended incident
/// that no first alert has reached yet.
async fn newly_reached(
    deps: &Deps,
    incident: &Incident,
    licensee: &Licensee,
    categorisation: &Categorisation,
) -> Result<usize, CategoriseError> {
    let Some(policy) = licensee.policy_for_incident(incident, categorisation.category) else { return Ok(0) };
    let store = &*deps.store;
    let (groups, contacts, notifications) =
        tokio::try_join!(store.groups(&licensee.id), store.contacts(&licensee.id), store.notifications(&incident.id))?;
    let alerted: HashSet<ContactId> =
        notifications.iter().filter(|n| n.step == Step::FIRST).map(|n| n.contact_id.clone()).collect();
    let when = AlertTime { incident_at: incident.report.occurred_at, now: deps.clock.now() };
    let resolution =
        resolve_at(&policy.groups_for(&incident.report), &policy.channels, &groups, &contacts, &alerted, when);
    Ok(resolution.recipients.len())
}
