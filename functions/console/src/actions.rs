//! What a `duty` officer does in the console. Each action checks the
//! session's CSRF token, the role, and that the incident and person are the
//! session's licensee's (404 otherwise), and goes on the timeline with the
//! staff member's id.

use crate::posted::{self, CsrfForm};
use crate::{incidents, pages, Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use sim::domain::choice::Choice;
use sim::domain::notification::{AckNote, AckVia, Acknowledgement, EscalationCheck};
use sim::domain::notification::{Notification, NotificationKey, NotificationStatus, Step};
use sim::domain::policy::Channel;
use sim::domain::staff::ConsoleRole;
use sim::domain::{Event, Incident, TimelineEvent};
use sim::ids::ContactId;
use sim::ports::DelayedCheck;
use sim::web;
use std::collections::HashMap;

/// Runs the incident's next escalation step now: an escalation check due at
/// once on the escalation queue (the escalate function runs it as it runs
/// scheduled ones, writing only the messages not yet written, so the
/// scheduled check that follows later finds nothing more to send).
pub async fn escalate_now(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident_id: &str,
) -> Result<Response<String>, Failure> {
    let Some(incident) = incidents::own_incident(deps, who, incident_id).await? else {
        return Ok(pages::not_found());
    };
    if let Err(refused) = posted::read::<posted::CsrfOnly>(who, req, ConsoleRole::Duty) {
        return Ok(*refused);
    }
    let store = &*deps.store;
    let (categorisation, licensee, notifications, follow_up) = tokio::try_join!(
        store.get_categorisation(&incident.id),
        store.get_licensee(&incident.licensee_id),
        store.notifications(&incident.id),
        store.get_follow_up(&incident.id),
    )?;
    let Some(categorisation) = categorisation else {
        return Ok(pages::problem(
            StatusCode::CONFLICT,
            "This incident has not been categorised yet: there is nothing to escalate.",
        ));
    };
    if follow_up.is_some_and(|f| f.closure.is_some()) {
        return Ok(pages::problem(StatusCode::CONFLICT, "This incident is closed."));
    }
    let policy = licensee.and_then(|l| l.policy_for(categorisation.category));
    let next = incidents::Escalation::of(&categorisation, policy.as_ref(), &notifications);
    if next.ran >= next.steps {
        return Ok(pages::problem(StatusCode::CONFLICT, "Every escalation step has run: there is no further step."));
    }
    let next = next.ran;
    let now = deps.clock.now();
    let check =
        EscalationCheck { incident_id: incident.id.clone(), round: categorisation.round, step: next, due_at: now };
    deps.escalation.send(&[check.message(now)]).await?;
    let event = TimelineEvent::new(
        &*deps.ids,
        &incident.id,
        now,
        Event::EscalatedNow { step: next + 1, staff_id: who.member.id.to_string() },
    );
    store.append_event(&event).await?;
    tracing::info!(incident_id = %incident.id, step = next + 1, staff = %who.member.id, "escalated now");
    Ok(back(&incident))
}

#[derive(Deserialize)]
struct OnBehalf {
    csrf: String,
    #[serde(default)]
    note: String,
}

impl CsrfForm for OnBehalf {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Back to the incident's page, where the action shows.
pub(crate) fn back(incident: &Incident) -> Response<String> {
    web::redirect(&format!("/console/incidents/{}", incident.id))
}

/// Records that `contact` acknowledged, as told to the duty officer ("phoned; on the way").
pub async fn acknowledge_for(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident_id: &str,
    contact_id: &str,
) -> Result<Response<String>, Failure> {
    let Some(incident) = incidents::own_incident(deps, who, incident_id).await? else {
        return Ok(pages::not_found());
    };
    let Ok(contact_id) = ContactId::parse(contact_id) else { return Ok(pages::not_found()) };
    let notifications = deps.store.notifications(&incident.id).await?;
    // Only someone this incident alerted, and so a contact of this licensee.
    let Some(alerted) = notifications.iter().filter(|n| n.contact_id == contact_id).max_by_key(|n| n.created_at) else {
        return Ok(pages::not_found());
    };
    let form: OnBehalf = match posted::read(who, req, ConsoleRole::Duty) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let note = match AckNote::parse(&form.note) {
        Ok(note) => Some(note),
        Err(_) if form.note.chars().count() > AckNote::MAX_CHARS => {
            let error = "A note can be at most 200 characters: shorten it and record the acknowledgement again.";
            return incidents::show(deps, who, incident, None, &[error]).await;
        }
        // Nothing typed (or only spaces and invisible characters).
        Err(_) => None,
    };
    let now = deps.clock.now();
    let ack = Acknowledgement {
        incident_id: incident.id.clone(),
        contact_id: contact_id.clone(),
        role: alerted.role.clone(),
        channel: alerted.channel,
        at: now,
        user_agent: String::new(),
        device: "told council staff".to_owned(),
        via: AckVia::Console,
        note,
        recorded_by: Some(who.member.id.clone()),
    };
    let event = TimelineEvent::new(
        &*deps.ids,
        &incident.id,
        now,
        Event::AcknowledgedOnBehalf {
            contact_id: contact_id.clone(),
            role: alerted.role.clone(),
            staff_id: who.member.id.to_string(),
        },
    );
    let recorded = deps.store.acknowledge(&ack, &[event]).await?;
    tracing::info!(incident_id = %incident.id, contact_id = %contact_id, staff = %who.member.id, recorded, "acknowledged on behalf");
    Ok(back(&incident))
}

#[derive(Deserialize)]
struct ResendForm {
    csrf: String,
    #[serde(default)]
    channel: String,
}

impl CsrfForm for ResendForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Queues a person's latest alert again on one channel, through the same
/// write-and-queue step as every fan-out: the notification on that channel
/// (for that alert's step) is written afresh as pending, so the sender claims
/// and sends it once more. Refused while one is still on its way.
pub async fn resend(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident_id: &str,
    contact_id: &str,
) -> Result<Response<String>, Failure> {
    let Some(incident) = incidents::own_incident(deps, who, incident_id).await? else {
        return Ok(pages::not_found());
    };
    let Ok(contact_id) = ContactId::parse(contact_id) else { return Ok(pages::not_found()) };
    let notifications = deps.store.notifications(&incident.id).await?;
    // The alert to send again: their latest (not a briefing).
    let Some(latest) = notifications
        .iter()
        .filter(|n| n.contact_id == contact_id && matches!(n.step, Step::Alert(_)))
        .max_by_key(|n| (n.round, n.step, n.created_at))
    else {
        return Ok(pages::not_found());
    };
    let form: ResendForm = match posted::read(who, req, ConsoleRole::Duty) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let Some(channel) = Channel::parse(&form.channel) else {
        return incidents::show(deps, who, incident, None, &["Choose the channel to send the alert on again."]).await;
    };
    let contact = deps.store.get_contact(&incident.licensee_id, &contact_id).await?;
    if !contact.as_ref().is_some_and(|c| c.reachable(channel)) {
        let error = "That person has no address for that channel in the directory: choose another channel.";
        return incidents::show(deps, who, incident, None, &[error]).await;
    }
    let key = NotificationKey::new(&contact_id, channel, latest.step);
    let on_channel = deps.store.get_notification(&incident.id, &key).await?;
    if on_channel
        .as_ref()
        .is_some_and(|n| matches!(n.status, NotificationStatus::Pending | NotificationStatus::Sending))
    {
        let error = "That alert is already on its way on that channel: wait a minute and look again.";
        return incidents::show(deps, who, incident, None, &[error]).await;
    }
    let now = deps.clock.now();
    let again = Notification {
        deputy_for: latest.deputy_for.clone(),
        widened: latest.widened,
        ..Notification::pending(
            incident.id.clone(),
            &latest.recipient(),
            channel,
            latest.step,
            latest.round,
            latest.required,
            now,
        )
    };
    sim::fanout::write_and_queue(
        &*deps.store,
        &deps.queues,
        &incident.licensee_id,
        std::slice::from_ref(&again),
        &HashMap::new(),
    )
    .await
    .map_err(|e| match e {
        sim::fanout::FanOutError::Store(e) => Failure::Store(e),
        sim::fanout::FanOutError::Queue(e) => Failure::Queue(e),
    })?;
    let event = Event::Resent {
        contact_id: contact_id.clone(),
        channel,
        step: latest.step,
        staff_id: who.member.id.to_string(),
    };
    deps.store.append_event(&TimelineEvent::new(&*deps.ids, &incident.id, now, event)).await?;
    tracing::info!(incident_id = %incident.id, contact_id = %contact_id, channel = channel.as_str(), staff = %who.member.id, "alert re-sent");
    Ok(back(&incident))
}
