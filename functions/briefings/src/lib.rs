//! Stakeholder briefings: when an update check falls due, the incident's groups
//! are told what changed (a digest of checklist progress, a category change,
//! closing) or re-alerted with the open items (a review date, a key date).
//!
//! Checks travel on a delay queue, chained past SQS's 15 minutes as
//! escalation's are; reviews and key dates, days ahead, arrive from one-time
//! EventBridge schedules (`sim::ports::scheduler`) when due, and one that
//! arrives early waits on the queue for the rest. Responders' changes each
//! queue a check due at the end of the licensee's interval; the first to
//! fall due reports every change not yet covered and the rest find nothing
//! new, so ten clicks make one digest per group. A completed section, a
//! category change and closing queue a check due at once.
//!
//! Each update is sent once: it is recorded on the incident's follow-up
//! record (a versioned, conditional write) before its notifications are
//! written and queued, then marked queued. A redelivery after a crash between
//! the two finds it unqueued and finishes it; the notification keys (contact
//! × channel × update step) and the senders' claim keep anyone from getting
//! it twice.

use sim::briefings::{compose, is_reported, policy_for};
use sim::domain::follow_up::{BriefingCheck, BriefingContent, BriefingReason, FollowUp, SentBriefing};
use sim::domain::notification::{Categorisation, Notification, NotificationKey, Step};
use sim::domain::policy::{resolve, AlertPolicy, Recipient};
use sim::domain::Contact;
use sim::domain::{Event, Incident, TimelineEvent};
use sim::fanout::write_and_queue;
use sim::ids::ContactId;
use sim::ports::DelayedCheck;
use std::collections::{HashMap, HashSet};

pub use sim::fanout::{Deps, MessageError as BriefingError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not due yet: re-queued for the rest of the wait.
    NotYetDue,
    /// A digest check with nothing new since the last update.
    NothingNew,
    /// This review or key date was already sent, or no longer applies.
    AlreadySent,
    /// The incident's category alerts nobody (RECORD_ONLY).
    NobodyToBrief,
    /// A partner's linked incident whose share was withdrawn (issue 19).
    ShareWithdrawn,
    Sent {
        number: u32,
        groups: usize,
        messages: usize,
    },
}

pub async fn handle_message(deps: &Deps, body: &str) -> Result<Outcome, BriefingError> {
    run(deps, &sim::ports::parse_message(body)?).await
}

pub async fn run(deps: &Deps, check: &BriefingCheck) -> Result<Outcome, BriefingError> {
    let store = &*deps.store;
    let now = deps.clock.now();
    if now < check.due_at {
        deps.briefings.send(&[check.message(now)]).await?;
        return Ok(Outcome::NotYetDue);
    }
    // What decides whether anything is due comes first: most digest checks
    // find their changes already reported and stop here.
    let (incident, stored, timeline) = tokio::try_join!(
        store.get_incident(&check.incident_id),
        store.get_follow_up(&check.incident_id),
        store.timeline(&check.incident_id)
    )?;
    let incident = incident.ok_or_else(|| BriefingError::Poison(format!("no incident {}", check.incident_id)))?;
    if incident.shared_from.is_some() && !sim::shares::may_open(store, &incident.licensee_id, &incident).await? {
        // A partner's linked incident whose share was withdrawn: nobody is briefed (issue 19).
        return Ok(Outcome::ShareWithdrawn);
    }
    let mut follow_up = stored.unwrap_or_else(|| FollowUp::new(incident.id.clone()));
    let since = follow_up.covered_until;
    let new: Vec<&TimelineEvent> =
        timeline.iter().filter(|e| since.is_none_or(|s| e.at > s) && is_reported(&e.event)).collect();
    let skip = if follow_up.already_sent(&check.reason) || !applies(&follow_up, &check.reason) {
        Some(Outcome::AlreadySent)
    } else if check.reason.is_digest() && new.is_empty() {
        Some(Outcome::NothingNew)
    } else {
        None
    };
    // A crash left an update recorded but not queued: it is finished first.
    let unfinished = follow_up.briefings.iter().find(|u| !u.queued).cloned();
    if let (None, Some(outcome)) = (&unfinished, &skip) {
        return Ok(outcome.clone());
    }

    let Some((categorisation, policy)) = policy_for(store, &incident).await? else {
        return Ok(Outcome::NobodyToBrief);
    };
    let target = Target { incident: &incident, categorisation: &categorisation, policy: &policy };
    if let Some(unfinished) = unfinished {
        deliver(deps, &target, &mut follow_up, &unfinished).await?;
    }
    if let Some(outcome) = skip {
        return Ok(outcome);
    }
    let checklist = store.checklist(&incident.id).await?;
    let number = follow_up.briefings.len() as u32 + 1;
    let content = compose(number, &check.reason, &new, &checklist, follow_up.closure.is_some());
    let update = SentBriefing { number, reason: check.reason.clone(), at: now, queued: false, content: Some(content) };
    let mut recorded = follow_up.next();
    recorded.covered_until = new.iter().map(|e| e.at).max().or(since);
    recorded.briefings.push(update.clone());
    store.put_follow_up(&recorded, &[]).await?;
    let (groups, messages) = deliver(deps, &target, &mut recorded, &update).await?;
    Ok(Outcome::Sent { number, groups, messages })
}

struct Target<'a> {
    incident: &'a Incident,
    categorisation: &'a Categorisation,
    policy: &'a AlertPolicy,
}

/// Reviews follow closing; a key date must be one a responder added.
fn applies(follow_up: &FollowUp, reason: &BriefingReason) -> bool {
    match reason {
        BriefingReason::Review { .. } => follow_up.closure.is_some(),
        BriefingReason::KeyDate { .. } => follow_up.key_dates.iter().any(|d| &d.reason() == reason),
        _ => true,
    }
}

/// Writes and queues the update's notifications to everyone in the
/// incident's groups on the policy's update channels, then marks it queued.
/// Returns (groups, messages queued).
async fn deliver(
    deps: &Deps,
    target: &Target<'_>,
    follow_up: &mut FollowUp,
    update: &SentBriefing,
) -> Result<(usize, usize), BriefingError> {
    let store = &*deps.store;
    let incident = target.incident;
    let content: BriefingContent = update
        .content
        .clone()
        .ok_or_else(|| BriefingError::Poison(format!("update {} of {} has no content", update.number, incident.id)))?;
    let group_ids = target.policy.groups_for(&incident.report);
    let (groups, contacts, notifications) = tokio::try_join!(
        store.groups(&incident.licensee_id),
        store.contacts(&incident.licensee_id),
        store.notifications(&incident.id)
    )?;
    let resolution = resolve(&group_ids, &target.policy.briefing_channels, &groups, &contacts, &HashSet::new());
    let recipients = briefing_recipients(resolution.recipients, &notifications, &contacts, target, &update.reason);
    let step = Step::Briefing(update.number);
    let wanted: Vec<Notification> = recipients
        .iter()
        .flat_map(|r| {
            r.channels.iter().map(|channel| Notification {
                briefing: Some(content.clone()),
                ..Notification::pending(
                    incident.id.clone(),
                    r,
                    *channel,
                    step,
                    target.categorisation.round,
                    false,
                    update.at,
                )
            })
        })
        .collect();
    let existing: HashMap<NotificationKey, Notification> = notifications.into_iter().map(|n| (n.key(), n)).collect();
    let (_, messages) = write_and_queue(store, &deps.queues, &incident.licensee_id, &wanted, &existing).await?;

    let now = deps.clock.now();
    let sent = Event::BriefingSent {
        number: update.number,
        reason: update.reason.describe(),
        groups: group_ids.clone(),
        messages,
    };
    let mut next = follow_up.next();
    for u in next.briefings.iter_mut().filter(|u| u.number == update.number) {
        // Sent: the content lives on in the notifications; the record stays small.
        u.queued = true;
        u.content = None;
    }
    store.put_follow_up(&next, &[TimelineEvent::new(&*deps.ids, &incident.id, now, sent)]).await?;
    *follow_up = next;
    tracing::info!(incident_id = %incident.id, number = update.number, reason = %update.reason.describe(), messages, "stakeholder briefing queued");
    Ok((group_ids.len(), messages))
}

/// Who an update goes to: the current policy's groups, and everyone a first
/// alert reached before (a group alerted at a lower category hears of the
/// upgrade and what follows). A category change is not sent to people whose
/// first alert is that change's own alert: they are reading it already.
fn briefing_recipients(
    mut recipients: Vec<Recipient>,
    notifications: &[Notification],
    contacts: &[Contact],
    target: &Target<'_>,
    reason: &BriefingReason,
) -> Vec<Recipient> {
    let first_alerts: Vec<&Notification> = notifications.iter().filter(|n| n.step == Step::FIRST).collect();
    for n in &first_alerts {
        if recipients.iter().any(|r| r.contact_id == n.contact_id) {
            continue;
        }
        let Some(contact) = contacts.iter().find(|c| c.id == n.contact_id) else { continue };
        let channels = contact.reachable_on(&target.policy.briefing_channels);
        if !channels.is_empty() {
            recipients.push(Recipient { channels, ..n.recipient() });
        }
    }
    if *reason == BriefingReason::CategoryChanged {
        let round = target.categorisation.round;
        let alerted_earlier: HashSet<&ContactId> =
            first_alerts.iter().filter(|n| n.round < round).map(|n| &n.contact_id).collect();
        recipients.retain(|r| alerted_earlier.contains(&r.contact_id));
    }
    recipients
}
