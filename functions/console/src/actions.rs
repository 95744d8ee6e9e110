//! What a `duty` officer does in the console. Each action checks the
//! session's CSRF token, the role, and that the incident and person are the
//! session's licensee's (404 otherwise), and goes on the timeline with the
//! staff member's id.

use crate::{incidents, pages, session, Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use sim::domain::notification::Step;
use sim::domain::notification::{Acknowledgement, EscalationCheck};
use sim::domain::staff::ConsoleRole;
use sim::domain::{Event, TimelineEvent};
use sim::ids::ContactId;
use sim::ports::DelayedCheck;
use sim::web;

/// Longest note kept with an acknowledgement recorded on someone's behalf.
pub const NOTE_LIMIT: usize = 200;

#[derive(Deserialize)]
struct CsrfOnly {
    csrf: String,
}

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
    let form = web::parse_form::<CsrfOnly>(req.body()).map(|f| f.csrf).unwrap_or_default();
    if let Some(refusal) = may_act(who, &form) {
        return Ok(refusal);
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
    let steps = licensee.and_then(|l| l.policy_for(categorisation.category)).map(|p| p.escalation.len()).unwrap_or(0);
    // Step index s writes messages at step s + 1: the highest escalation
    // step written this round says which ran.
    let next = notifications
        .iter()
        .filter(|n| n.round == categorisation.round)
        .filter_map(|n| match n.step {
            Step::Alert(step) => Some(step),
            Step::Briefing(_) => None,
        })
        .max()
        .unwrap_or(0);
    if next as usize >= steps {
        return Ok(pages::problem(StatusCode::CONFLICT, "Every escalation step has run: there is no further step."));
    }
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
    Ok(web::redirect(&format!("/console/incidents/{}", incident.id)))
}

#[derive(Deserialize)]
struct OnBehalf {
    csrf: String,
    #[serde(default)]
    note: String,
}

/// The checks every action shares: a 404 for anything not this licensee's,
/// a 403 for a stale form or a role that may not act.
fn may_act(who: &SignedIn, csrf: &str) -> Option<Response<String>> {
    if !session::equal(csrf, &who.session.csrf) {
        return Some(pages::problem(
            StatusCode::FORBIDDEN,
            "That form has expired. Go back, reload the page and try again.",
        ));
    }
    if !who.member.has(ConsoleRole::Duty) {
        return Some(pages::problem(StatusCode::FORBIDDEN, "Only duty officers can do that."));
    }
    None
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
    let Ok(form) = web::parse_form::<OnBehalf>(req.body()) else {
        return Ok(pages::problem(StatusCode::BAD_REQUEST, "The form could not be read. Go back and try again."));
    };
    if let Some(refusal) = may_act(who, &form.csrf) {
        return Ok(refusal);
    }
    let note: String = form.note.trim().chars().filter(|c| !c.is_control()).take(NOTE_LIMIT).collect();
    let now = deps.clock.now();
    let ack = Acknowledgement {
        incident_id: incident.id.clone(),
        contact_id: contact_id.clone(),
        role: alerted.role.clone(),
        channel: alerted.channel,
        at: now,
        user_agent: if note.is_empty() {
            format!("Recorded in the console by {}", who.member.name)
        } else {
            format!("Recorded in the console by {}: {note}", who.member.name)
        },
        device: "console (recorded by staff)".to_owned(),
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
    Ok(web::redirect(&format!("/console/incidents/{}", incident.id)))
}
