//! Incidents categorisation has not taken up. Intake hands each incident on
//! with a marker that categorisation clears; the sweeper sends it again every
//! minute and, after `HANDOFF_ATTEMPTS`, gives up (an ERROR log and
//! `HandoffAbandonedAlarm`). Until categorised, nobody has been alerted: the
//! board and the incident page say so ("Categorisation delayed" after
//! `DELAYED_AFTER`, "Not categorised" once the sweeper gave up), and a duty
//! officer can send it for categorisation again (`POST
//! /console/incidents/{incident}/categorise-again`): the sweeper's count
//! starts afresh and the incident is handed on at once.

use crate::incidents::{self, age, label, IncidentView};
use crate::pages::{self, when};
use crate::posted;
use crate::{Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use sim::domain::incident::{HandoffReason, PendingHandoff, HANDOFF_ATTEMPTS};
use sim::domain::staff::ConsoleRole;
use sim::domain::{Event, Incident, TimelineEvent};
use sim::handoff::HandoffError;
use sim::web::{html, Markup};
use time::OffsetDateTime;

/// Where an incident's hand-off to categorisation stands, as staff need to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// Pending longer than `DELAYED_AFTER`; the sweeper is still sending it.
    Delayed,
    /// The sweeper gave up: nothing will send it again unless staff do.
    Abandoned,
}

/// How the incident's pending change is doing; `None` when nothing is
/// pending, or it has been pending only a short while.
pub(crate) fn waiting(incident: &Incident, now: OffsetDateTime) -> Option<(Waiting, &PendingHandoff)> {
    let pending = incident.handoff.as_ref()?;
    if !pending.swept() {
        Some((Waiting::Abandoned, pending))
    } else if pending.delayed(now) {
        Some((Waiting::Delayed, pending))
    } else {
        None
    }
}

/// The board's tag on an incident's row.
pub(crate) fn board_tag(incident: &Incident, now: OffsetDateTime) -> Markup {
    html! {
        @match waiting(incident, now) {
            Some((Waiting::Abandoned, _)) if amended(incident) => { strong class="tag" { "Amendment not categorised" } " " }
            Some((Waiting::Abandoned, _)) => { strong class="tag" { "Not categorised" } " " }
            Some((Waiting::Delayed, _)) => { strong class="tag grey" { "Categorisation delayed" } " " }
            None => {}
        }
    }
}

/// Whether what waits is a police amendment (alerts went out for the incident before it).
fn amended(incident: &Incident) -> bool {
    incident.handoff.as_ref().is_some_and(|p| p.reason == HandoffReason::Amended)
}

/// The board's warning above its table, listing the incidents concerned.
/// Not an alert role: the board swaps itself in every 5 seconds.
pub(crate) fn board_banner<'a>(incidents: impl Iterator<Item = &'a Incident>, now: OffsetDateTime) -> Markup {
    let mut abandoned = Vec::new();
    let mut delayed = Vec::new();
    for i in incidents {
        match waiting(i, now) {
            Some((Waiting::Abandoned, _)) => abandoned.push(i),
            Some((Waiting::Delayed, _)) => delayed.push(i),
            None => {}
        }
    }
    let item = |i: &Incident| {
        html! { li {
            a href={ "/console/incidents/" (i.id) } { (label(&i.report.incident_type)) " " (i.report.police_reference.as_str()) }
            " (received " (age(i.received_at, now)) " ago"
            @if amended(i) { "; a police amendment: alerts not updated" }
            ")"
        } }
    };
    html! {
        @if !abandoned.is_empty() {
            div class="warning" role="region" aria-labelledby="not-categorised" {
                h2 id="not-categorised" {
                    "Not categorised: no alerts have been sent for "
                    @if abandoned.len() == 1 { "this incident" } @else { "these incidents" }
                }
                p { "SIM could not categorise "
                    @if abandoned.len() == 1 { "this incident" } @else { "these incidents" }
                    " and has stopped trying. Open each one and send it for categorisation again. \
                     If that does not work within 5 minutes, alert the responders by phone." }
                ul { @for i in &abandoned { (item(i)) } }
            }
        }
        @if !delayed.is_empty() {
            div class="warning" role="region" aria-labelledby="categorisation-delayed" {
                h2 id="categorisation-delayed" { "Categorisation delayed" }
                p { "SIM is still trying to categorise "
                    @if delayed.len() == 1 { "this incident" } @else { "these incidents" }
                    ". Alerts go out as soon as it works. Keep this board open." }
                ul { @for i in &delayed { (item(i)) } }
            }
        }
    }
}

/// The incident page's banner: the warning (with the duty officer's button
/// once the sweeper gave up), or, just after a duty officer sent it again,
/// that it was sent.
pub(crate) fn incident_banner(who: &SignedIn, v: &IncidentView, now: OffsetDateTime) -> Markup {
    let i = &v.incident;
    let Some(pending) = &i.handoff else { return html! {} };
    let amendment = amended(i);
    // Sent again by staff, and the sweeper has not visited it since.
    let sent_again = v.timeline.iter().rev().find_map(|e| match &e.event {
        Event::SentForCategorisationAgain { staff_id } if Some(e.at) == pending.last_sent => Some((e.at, staff_id)),
        _ => None,
    });
    if let Some((at, staff_id)) = sent_again.filter(|(at, _)| now - *at < sim::domain::incident::DELAYED_AFTER) {
        let name = v.staff.iter().find(|m| m.id.as_str() == staff_id).map_or(staff_id.as_str(), |m| &m.name);
        return html! {
            div class="done" role="status" {
                h2 { "Sent for categorisation again" }
                p { (name) " sent it " (when(at)) ". Alerts go out as soon as it is categorised, usually within a \
                     minute. Reload this page to check: its category will show here." }
            }
        };
    }
    let duty = who.member.has(ConsoleRole::Duty);
    html! {
        @match waiting(i, now) {
            Some((Waiting::Abandoned, _)) => {
                div class="warning" role="region" aria-labelledby="not-categorised" {
                    @if amendment {
                        h2 id="not-categorised" { "Police amendment not categorised: alerts have not been updated" }
                        p { "SIM could not categorise the police's latest change to this incident and has stopped \
                             trying after " (HANDOFF_ATTEMPTS) " attempts. Responders were alerted about the \
                             incident as it was before." }
                    } @else {
                        h2 id="not-categorised" { "Not categorised: no alerts have been sent for this incident" }
                        p { "SIM could not categorise this incident and has stopped trying after "
                            (HANDOFF_ATTEMPTS) " attempts. Nobody has been alerted by SIM." }
                    }
                    @if duty {
                        p { "Send it for categorisation again. If it is still not categorised within 5 minutes, \
                             alert the responders by phone and tell your SIM administrator." }
                        form method="post" action={ "/console/incidents/" (i.id) "/categorise-again" } {
                            input type="hidden" name="csrf" value=(who.session.csrf);
                            button type="submit" { "Send for categorisation again" }
                        }
                    } @else {
                        p { "Tell the duty officer now: they can send it for categorisation again, \
                             or alert the responders by phone." }
                    }
                }
            }
            Some((Waiting::Delayed, pending)) => {
                div class="warning" role="region" aria-labelledby="categorisation-delayed" {
                    h2 id="categorisation-delayed" { "Categorisation delayed" }
                    p {
                        @if amendment { "The police's latest change" } @else { "This incident" }
                        " came in " (age(pending.since, now)) " ago and is not categorised yet, so "
                        @if amendment { "alerts have not been updated. " } @else { "no alerts have gone out. " }
                        "SIM tries again every minute. If it stops trying, this page will say so and "
                        "a duty officer can send it again."
                    }
                }
            }
            None => {}
        }
    }
}

/// `POST /console/incidents/{incident}/categorise-again` (duty officers):
/// the sweeper's count starts afresh and the incident is handed on at once,
/// on the timeline with who asked. One categorised meanwhile is left alone.
pub async fn send_again(
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
    let Some(pending) = &incident.handoff else { return Ok(categorised()) };
    let now = deps.clock.now();
    let next = pending.restarted(now);
    if !deps.store.restart_handoff(&incident.id, incident.version, pending.attempts, &next).await? {
        // Categorised, amended or visited by the sweeper since it was read.
        return Ok(match deps.store.get_incident(&incident.id).await?.and_then(|i| i.handoff) {
            None => categorised(),
            Some(_) => pages::problem(
                StatusCode::CONFLICT,
                "This incident changed while you were looking at it, so nothing was sent. \
                 Go back, reload the page and look again.",
            ),
        });
    }
    let event = Event::SentForCategorisationAgain { staff_id: who.member.id.to_string() };
    deps.store.append_event(&TimelineEvent::new(&*deps.ids, &incident.id, now, event)).await?;
    let incident = Incident { handoff: Some(next), ..incident };
    // Had the queue failed, the sweeper would send it after its grace: the marker is back in its index.
    deps.handoff_sender().hand_on(&incident, None).await.map_err(|HandoffError::Queue(e)| Failure::Queue(e))?;
    tracing::info!(incident_id = %incident.id, staff = %who.member.id, "sent for categorisation again");
    Ok(crate::actions::back(&incident))
}

/// The answer when there is nothing left to send: nothing is changed.
fn categorised() -> Response<String> {
    pages::problem(
        StatusCode::CONFLICT,
        "This incident has been categorised meanwhile: alerts have gone out as its policy says. \
         Nothing was changed. Go back to the incident and reload it to see its category.",
    )
}
