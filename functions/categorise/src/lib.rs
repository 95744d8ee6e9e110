//! Categorisation and fan-out, for one handed-on incident at a time.
//!
//! 1. Read the incident's partition (the incident, its categorisation,
//!    notifications and whether its checklist is open), the licensee's
//!    (profile, contacts, groups) and the ward's history: one query each, all
//!    three at once when the hand-off message names the licensee, the ward
//!    and the ward window the licensee's rules need (read over exactly that
//!    window; read again, after, only if the rules now need a longer one or
//!    the incident's ward or time has changed).
//! 2. Decide the category with the licensee's rules (or the defaults).
//! 3. Write the round in one transaction: the decision (conditional on the
//!    previous one, so concurrent deliveries cannot both act) with the rule
//!    and reason and the round's other timeline entries, the checklist if the
//!    category's policy calls for one, the notifications, one per person
//!    per channel, and the incident's hand-off marker cleared (if the
//!    incident is still at the version categorised: a newer amendment stays
//!    pending). A round over one transaction's 100 items writes the
//!    notifications that do not fit in batches after it. A change that
//!    starts no round clears the marker with its one write too.
//! 4. Queue an ids-only message for each notification on its channel's
//!    queue; then mark the round done.
//!    Who is alerted is decided in the domain (`resolve_at`): on a rota, whoever
//!    is on duty at the incident's time; for anyone away, their deputy at once.
//!    An upgrade also queues a stakeholder briefing for the groups already
//!    responding.
//!
//! A redelivered message finds the round done and changes nothing. A crash
//! part-way leaves the round not done; the redelivery writes the
//! notifications still missing and re-queues every first alert of the round
//! still pending (a sender's claim keeps a message that was queued twice from
//! being sent twice); the round's timeline entries were written with the
//! decision, so they are not written twice. A higher category
//! on a police amendment starts a new round that alerts only people not already
//! alerted; a lower one is only noted. An amendment that keeps the category
//! but changes whom its policy reaches (a victim confirmed under 18 adds
//! education and youth services) alerts the people it adds, once, in the
//! current round, so the round's escalation check chases them too.

use sim::domain::category::{Category, Facts, MAX_WARD_WINDOW_DAYS};
use sim::domain::checklist::ChecklistItem;
use sim::domain::follow_up::{BriefingCheck, BriefingReason};
use sim::domain::notification::{
    Categorisation, EscalationCheck, Notification, NotificationKey, NotificationStatus, Step,
};
use sim::domain::policy::{resolve_at, AlertPolicy, AlertTime, Channel};
use sim::domain::{AreaName, Event, Incident, TimelineEvent};
use sim::fanout::queue_notifications;
use sim::handoff::HandoffMessage;
use sim::ids::{ContactId, LicenseeId};
use sim::ports::store::{Directory, IncidentRecord, RoundWrite, ROUND_WRITE_MAX};
pub use sim::ports::ChannelQueues;
use sim::ports::DelayedCheck;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::OffsetDateTime;

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
    let store = &*deps.store;
    let no_incident = || CategoriseError::Poison(format!("no incident {}", message.incident_id));
    // The message names the licensee (messages queued before it did, do not):
    // then both partitions are read at once, and the ward's history with them
    // when it names the ward, the time and the window the rules need.
    let (record, directory, ward) = match &message.licensee_id {
        Some(licensee) => {
            let ward = async {
                let (Some(ward), Some(occurred_at), Some(days)) =
                    (&message.ward, message.occurred_at, message.ward_window_days)
                else {
                    return Ok(None);
                };
                // No rule may look back further: a larger figure is not read.
                let window = time::Duration::days(days.min(MAX_WARD_WINDOW_DAYS).into());
                let times =
                    store.ward_history(licensee, ward, occurred_at - window, occurred_at, &message.incident_id).await?;
                Ok(Some(WardRead { licensee: licensee.clone(), ward: ward.clone(), occurred_at, window, times }))
            };
            let (record, directory, ward) = tokio::try_join!(
                store.incident_record(&message.incident_id),
                store.directory_snapshot(licensee),
                ward
            )?;
            let record = record.ok_or_else(no_incident)?;
            match directory {
                Some(d) if d.licensee.id == record.incident.licensee_id => (record, Some(d), ward),
                _ => {
                    let directory = store.directory_snapshot(&record.incident.licensee_id).await?;
                    (record, directory, None)
                }
            }
        }
        None => {
            let record = store.incident_record(&message.incident_id).await?.ok_or_else(no_incident)?;
            let directory = store.directory_snapshot(&record.incident.licensee_id).await?;
            (record, directory, None)
        }
    };
    let outcome = categorise_incident(deps, &record, directory, ward).await?;
    // Issue 19: shares for connected areas; accepted partners follow amendments.
    let shares = sim::shares::Ctx { store: &*deps.store, clock: &*deps.clock, ids: &*deps.ids };
    sim::shares::after_categorisation(shares, &record.incident).await?;
    Ok(outcome)
}

/// A ward's history read before the rules were known: the licensee's other
/// incidents in the ward over the window the hand-off message named.
struct WardRead {
    licensee: LicenseeId,
    ward: AreaName,
    occurred_at: OffsetDateTime,
    /// How far back before `occurred_at` was read.
    window: time::Duration,
    times: Vec<OffsetDateTime>,
}

/// The version categorisation takes up, if its hand-off marker is set: the
/// round's write clears the marker if the incident is still at it.
fn pending_version(record: &IncidentRecord) -> Option<u32> {
    record.incident.handoff.as_ref().map(|_| record.incident.version)
}

/// Clears a marker left on a version already categorised (one set before
/// categorisation cleared markers: intake cleared them then, after its queue
/// send, and one that failed left it): one small conditional write, none
/// when there is no marker, as there normally is not.
async fn clear_left_marker(deps: &Deps, record: &IncidentRecord, categorised: u32) -> Result<(), CategoriseError> {
    if let Some(version) = pending_version(record).filter(|v| *v <= categorised) {
        deps.store.clear_handoff(&record.incident.id, version).await?;
    }
    Ok(())
}

async fn categorise_incident(
    deps: &Deps,
    record: &IncidentRecord,
    directory: Option<Directory>,
    ward_read: Option<WardRead>,
) -> Result<Outcome, CategoriseError> {
    let store = &*deps.store;
    let incident = &record.incident;
    let previous = record.categorisation.as_ref();
    if let Some(p) = previous {
        if p.incident_version >= incident.version && p.fanout_done {
            clear_left_marker(deps, record, p.incident_version).await?;
            return Ok(Outcome::AlreadyDone);
        }
    }
    let directory =
        directory.ok_or_else(|| CategoriseError::Poison(format!("no licensee {}", incident.licensee_id)))?;
    let licensee = &directory.licensee;
    if let Some(p) = previous.filter(|p| p.incident_version == incident.version) {
        // A crash interrupted this round's fan-out: finish it.
        let outcome = finish_round(deps, record, &directory, p).await?;
        clear_left_marker(deps, record, p.incident_version).await?;
        return Ok(outcome);
    }

    let rules = licensee.rules_or_defaults();
    let report = &incident.report;
    let ward_history = match (rules.ward_window(), &report.location.ward) {
        (Some(window), Some(ward)) => {
            let since = report.occurred_at - window;
            // Read with the incident if the message named this ward and time
            // (an amendment may have changed them since) and a window at least
            // the rules' (they may have changed since): narrowed to the rules' window.
            let read = ward_read.filter(|r| {
                r.licensee == licensee.id
                    && &r.ward == ward
                    && r.occurred_at == report.occurred_at
                    && r.window >= window
            });
            match read {
                Some(read) => read.times.into_iter().filter(|t| *t >= since).collect(),
                None => store.ward_history(&licensee.id, ward, since, report.occurred_at, &incident.id).await?,
            }
        }
        _ => Vec::new(),
    };
    let decision = rules.decide(&Facts { report, ward_history: &ward_history });
    let now = deps.clock.now();
    let event = |e| TimelineEvent::new(&*deps.ids, &incident.id, now, e);
    let before = previous.map(|p| (p.round, p.incident_version));

    if let Some(p) = previous.filter(|p| decision.category <= p.category) {
        if decision.category == p.category {
            let newcomers = newly_reached(deps, record, &directory, p);
            if newcomers > 0 {
                let widened = Categorisation {
                    incident_version: incident.version,
                    fanout_done: false,
                    widened: true,
                    ..p.clone()
                };
                let events = vec![event(Event::AlertsWidened {
                    category: p.category,
                    rule: decision.rule.clone(),
                    reason: decision.reason.clone(),
                    people: newcomers,
                })];
                tracing::info!(incident_id = %incident.id, category = %p.category, people = newcomers, "alerts widened");
                return start_round(deps, record, &directory, widened, before, events).await;
            }
        }
        let events =
            [event(Event::CategoryKept { kept: p.category, decided: decision.category, rule: decision.rule.clone() })];
        let kept = Categorisation { incident_version: incident.version, ..p.clone() };
        // One write: the kept decision, its timeline entry and the marker cleared.
        store
            .write_round(&RoundWrite {
                categorisation: &kept,
                previous: before,
                events: &events,
                notifications: &[],
                checklist: &[],
                handoff_version: pending_version(record),
            })
            .await?;
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
        round: previous.map_or(1, |p| p.round + 1),
        fanout_done: false,
        widened: false,
        acknowledge_within_minutes: policy.and_then(|p| p.acknowledge_within_minutes),
        decided_at: now,
    };
    let decided = match previous {
        None => Event::Categorised { category: decision.category, rule: decision.rule, reason: decision.reason },
        Some(p) => Event::CategoryRaised {
            from: p.category,
            to: decision.category,
            rule: decision.rule,
            reason: decision.reason,
        },
    };
    tracing::info!(incident_id = %incident.id, category = %categorisation.category, rule = %categorisation.rule, round = categorisation.round, "categorised");
    start_round(deps, record, &directory, categorisation, before, vec![event(decided)]).await
}

/// What a round writes and queues, worked out from what was read.
#[derive(Default)]
struct RoundPlan {
    policy: Option<AlertPolicy>,
    /// The round's timeline entries (written with the decision).
    events: Vec<TimelineEvent>,
    /// The checklist, when this round opens it.
    checklist: Vec<ChecklistItem>,
    /// Notifications to write (not yet stored).
    new: Vec<Notification>,
    /// Notifications to queue: the round's, still pending.
    to_queue: Vec<Notification>,
}

/// Works out the round: who is alerted on which channel, the checklist, and
/// the timeline entries saying so. Reads nothing.
fn plan_round(
    deps: &Deps,
    record: &IncidentRecord,
    directory: &Directory,
    categorisation: &Categorisation,
) -> RoundPlan {
    let incident = &record.incident;
    let now = deps.clock.now();
    let event = |e| TimelineEvent::new(&*deps.ids, &incident.id, now, e);
    let Some(policy) = directory.licensee.policy_for_incident(incident, categorisation.category) else {
        return RoundPlan::default();
    };
    let mut events = Vec::new();
    let mut checklist = Vec::new();
    if policy.checklist && !record.checklist_open {
        let template = directory.licensee.checklist_for_incident(incident);
        checklist = template.instantiate(&incident.id);
        events.push(event(Event::ChecklistOpened { items: checklist.len() }));
    }

    let existing: HashMap<NotificationKey, &Notification> = record.notifications.iter().map(|n| (n.key(), n)).collect();
    let alerted_before = alerted_before(&record.notifications, categorisation);
    // Who is on duty is decided by the incident's time; who is away, by the round's.
    let when = AlertTime {
        incident_at: incident.report.occurred_at,
        now: if categorisation.widened { now } else { categorisation.decided_at },
    };
    let resolution = resolve_at(
        &policy.groups_for(&incident.report),
        &policy.channels,
        &directory.groups,
        &directory.contacts,
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

    let wanted = resolution.recipients.iter().flat_map(|r| {
        r.channels.iter().map(|channel| Notification {
            widened: categorisation.widened,
            deputy_for: resolution.stands_in_for(&r.contact_id).cloned(),
            ..Notification::pending(
                incident.id.clone(),
                r,
                *channel,
                Step::FIRST,
                categorisation.round,
                policy.is_required(&r.groups),
                if categorisation.widened { now } else { categorisation.decided_at },
            )
        })
    });
    let (mut new, mut to_queue) = (Vec::new(), Vec::new());
    for n in wanted {
        match existing.get(&n.key()) {
            None => {
                new.push(n.clone());
                to_queue.push(n);
            }
            Some(stored) if stored.status == NotificationStatus::Pending => to_queue.push((*stored).clone()),
            Some(_) => {}
        }
    }
    let channels: Vec<Channel> =
        to_queue.iter().map(|n| n.channel).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    events.push(event(Event::AlertsQueued {
        round: categorisation.round,
        recipients: resolution.recipients.len(),
        messages: to_queue.len(),
        channels,
    }));
    RoundPlan { policy: Some(policy), events, checklist, new, to_queue }
}

/// Writes a new round (the decision with `first_events`), queues it and
/// marks it done.
async fn start_round(
    deps: &Deps,
    record: &IncidentRecord,
    directory: &Directory,
    categorisation: Categorisation,
    before: Option<(u32, u32)>,
    first_events: Vec<TimelineEvent>,
) -> Result<Outcome, CategoriseError> {
    let store = &*deps.store;
    let plan = plan_round(deps, record, directory, &categorisation);
    let mut events = first_events;
    events.extend(plan.events.iter().cloned());
    // Nothing to queue or check afterwards (RECORD_ONLY): done in the one write.
    let nothing_after = plan.policy.is_none();
    let written = Categorisation { fanout_done: nothing_after, ..categorisation };
    // The transaction takes the decision, the timeline, the marker and the
    // checklist, and as many notifications as fit; the rest are written in
    // batches after it.
    let handoff_version = pending_version(record);
    let fixed = RoundWrite::fixed_items(events.len(), handoff_version.is_some());
    let (checklist_in, checklist_after) = if fixed + plan.checklist.len() <= ROUND_WRITE_MAX {
        (&plan.checklist[..], &[][..])
    } else {
        (&[][..], &plan.checklist[..])
    };
    let room = ROUND_WRITE_MAX.saturating_sub(fixed + checklist_in.len());
    let (head, rest) = plan.new.split_at(plan.new.len().min(room));
    store
        .write_round(&RoundWrite {
            categorisation: &written,
            previous: before,
            events: &events,
            notifications: head,
            checklist: checklist_in,
            handoff_version,
        })
        .await?;
    if nothing_after {
        tracing::info!(incident_id = %written.incident_id, round = written.round, "recorded, nobody to alert");
        return Ok(Outcome::Alerted { category: written.category, round: written.round, messages: 0 });
    }
    if !checklist_after.is_empty() {
        store.put_checklist(checklist_after).await?;
    }
    store.put_notifications(rest).await?;
    queue_and_finish(deps, &record.incident, &plan, &written).await
}

/// Finishes a round a crash interrupted: its decision and timeline entries
/// are stored; writes what is still missing, re-queues what is pending and
/// marks it done.
async fn finish_round(
    deps: &Deps,
    record: &IncidentRecord,
    directory: &Directory,
    categorisation: &Categorisation,
) -> Result<Outcome, CategoriseError> {
    let store = &*deps.store;
    let mut plan = plan_round(deps, record, directory, categorisation);
    if !plan.checklist.is_empty() {
        store.put_checklist(&plan.checklist).await?;
    }
    store.put_notifications(&plan.new).await?;
    // The round's first alerts already stored and still pending are queued
    // again too (a widened round no longer resolves to those it wrote).
    let mut to_queue: BTreeMap<String, Notification> =
        plan.to_queue.drain(..).map(|n| (n.key().to_string(), n)).collect();
    for n in &record.notifications {
        if n.round == categorisation.round && n.step == Step::FIRST && n.status == NotificationStatus::Pending {
            to_queue.entry(n.key().to_string()).or_insert_with(|| n.clone());
        }
    }
    plan.to_queue = to_queue.into_values().collect();
    tracing::info!(incident_id = %categorisation.incident_id, round = categorisation.round, "finishing an interrupted round");
    queue_and_finish(deps, &record.incident, &plan, categorisation).await
}

/// Queues the round's pending notifications and its checks, then marks the
/// round done (one conditional write, no timeline entries: they were written
/// with the decision).
async fn queue_and_finish(
    deps: &Deps,
    incident: &Incident,
    plan: &RoundPlan,
    categorisation: &Categorisation,
) -> Result<Outcome, CategoriseError> {
    let now = deps.clock.now();
    let queued = async {
        queue_notifications(&deps.queues, &incident.licensee_id, &plan.to_queue).await.map_err(CategoriseError::from)
    };
    let checks = async {
        let Some(policy) = &plan.policy else { return Ok::<_, CategoriseError>(()) };
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
        Ok(())
    };
    let ((_, messages), ()) = tokio::try_join!(queued, checks)?;
    let done = Categorisation { fanout_done: true, ..categorisation.clone() };
    deps.store.put_categorisation(&done, Some((categorisation.round, categorisation.incident_version)), &[]).await?;
    tracing::info!(incident_id = %incident.id, round = categorisation.round, messages, "fan-out done");
    Ok(Outcome::Alerted { category: categorisation.category, round: categorisation.round, messages })
}

/// Who has had a first alert before this fan-out: everyone alerted in an
/// earlier round and, when the round is widened, everyone already alerted in it.
fn alerted_before(existing: &[Notification], categorisation: &Categorisation) -> HashSet<ContactId> {
    existing
        .iter()
        .filter(|n| n.round < categorisation.round || (categorisation.widened && n.step == Step::FIRST))
        .map(|n| n.contact_id.clone())
        .collect()
}

/// How many people the category's policy reaches for the amended incident
/// that no first alert has reached yet.
fn newly_reached(
    deps: &Deps,
    record: &IncidentRecord,
    directory: &Directory,
    categorisation: &Categorisation,
) -> usize {
    let incident = &record.incident;
    let Some(policy) = directory.licensee.policy_for_incident(incident, categorisation.category) else { return 0 };
    let alerted: HashSet<ContactId> =
        record.notifications.iter().filter(|n| n.step == Step::FIRST).map(|n| n.contact_id.clone()).collect();
    let when = AlertTime { incident_at: incident.report.occurred_at, now: deps.clock.now() };
    let resolution = resolve_at(
        &policy.groups_for(&incident.report),
        &policy.channels,
        &directory.groups,
        &directory.contacts,
        &alerted,
        when,
    );
    resolution.recipients.len()
}
