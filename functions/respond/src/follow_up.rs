//! Closing an incident and adding key dates, from the personal page.
//!
//! - `POST /a/{token}/close`: the policy's lead role only, with a closing
//!   note. Closing tells the groups at once and schedules the reviews at
//!   24 h, 72 h and 7 days, each re-alerting them with the open items.
//! - `POST /a/{token}/key-dates`: any responder adds a funeral, court date,
//!   anniversary or other date; on the day the groups are re-alerted.
//!
//! The record is written first and the checks scheduled after: a check that
//! ran before the write would find nothing to send. The closing update goes
//! on the queue at once; reviews and key dates become one-time schedules
//! (EventBridge Scheduler), named per incident and check. If scheduling fails
//! the page says to try again, and pressing the button again (closed already,
//! date already added) schedules the checks again: the same names, so no
//! second schedule; the briefings function sends each review or key date once.

use crate::{posted, show, Deps, PageError};
use lambda_http::Request;
use serde::Deserialize;
use sim::domain::choice::Choice;
use sim::domain::follow_up::{
    parse_closing_note, parse_key_date, BriefingCheck, Closure, FollowUp, KeyDate, KeyDateKind,
};
use sim::domain::{Event, TimelineEvent};
use sim::links::LinkClaims;
use sim::ports::{schedule_checks, StoreError};
use sim::render::{uk_time, when, when_date};
use sim::web::HtmlResponse;

#[derive(Deserialize)]
struct CloseForm {
    version: Option<u32>,
    #[serde(default)]
    closing_note: String,
}

#[derive(Deserialize)]
struct KeyDateForm {
    what: Option<String>,
    date: Option<String>,
}

async fn follow_up_of(deps: &Deps, claims: &LinkClaims) -> Result<FollowUp, StoreError> {
    Ok(deps
        .store
        .get_follow_up(&claims.incident_id)
        .await?
        .unwrap_or_else(|| FollowUp::new(claims.incident_id.clone())))
}

fn unprocessable(title: &'static str, text: &'static str) -> PageError {
    PageError::Invalid((title, text))
}

pub async fn close(deps: &Deps, token: &str, req: &Request) -> Result<HtmlResponse, PageError> {
    let (claims, form): (_, CloseForm) = posted(deps, token, req)?;
    let store = &*deps.store;
    let (incident, contact) = crate::as_lead(store, &claims, crate::page::LEAD_ONLY).await?;
    let follow_up = follow_up_of(deps, &claims).await?;
    if let Some(closure) = &follow_up.closure {
        schedule(deps, &follow_up.closing_checks(closure)).await?;
        let note = format!("This incident was already closed at {}.", when(closure.at));
        return show(deps, token, Some(note)).await;
    }
    let note = match parse_closing_note(&form.closing_note) {
        Ok(note) => note,
        Err(message) => return Err(unprocessable("The incident was not closed", message)),
    };
    if form.version != Some(follow_up.version) {
        return Err(PageError::StaleClose);
    }
    let now = deps.clock.now();
    let closure = Closure { closed_by: contact.id.clone().into(), role: contact.role.clone(), at: now, note };
    let closed = follow_up.closed(closure.clone());
    let event = Event::Closed { by: contact.id.clone().into(), role: contact.role.clone() };
    match store.put_follow_up(&closed, &[TimelineEvent::new(&*deps.ids, &incident.id, now, event)]).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(PageError::StaleClose),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(incident_id = %incident.id, contact_id = %contact.id, "incident closed");
    // Personal-data retention runs from the closing: move the vault's dates (and TTL) now.
    if let Err(error) = sim::vault::settle_retention(store, &incident.id, &Default::default()).await {
        tracing::error!(incident_id = %incident.id, %error, "the vault's retention date could not be set at closing");
    }
    schedule(deps, &closed.closing_checks(&closure)).await?;
    let note = "The incident is closed. The groups are told now, and re-alerted with the open items at the \
                24-hour, 72-hour and 7-day reviews.";
    show(deps, token, Some(note.to_owned())).await
}

async fn schedule(deps: &Deps, checks: &[BriefingCheck]) -> Result<(), PageError> {
    let now = deps.clock.now();
    schedule_checks(&*deps.scheduler, &*deps.briefings, checks, now).await.map_err(|e| PageError::Queue(e.into()))
}

pub async fn add_key_date(deps: &Deps, token: &str, req: &Request) -> Result<HtmlResponse, PageError> {
    let (claims, form): (_, KeyDateForm) = posted(deps, token, req)?;
    let now = deps.clock.now();
    let Some(kind) = form.what.as_deref().and_then(KeyDateKind::parse) else {
        return Err(unprocessable(
            "The key date was not added",
            "Choose what the date is: funeral, court date, anniversary or other.",
        ));
    };
    let today = uk_time(now).0.date();
    let date = match parse_key_date(form.date.as_deref().unwrap_or_default(), today) {
        Ok(date) => date,
        Err(message) => return Err(unprocessable("The key date was not added", message)),
    };
    let store = &*deps.store;
    let incident = crate::open_incident(store, &claims.incident_id).await?;
    let follow_up = follow_up_of(deps, &claims).await?;
    let key_date = KeyDate { kind, date, added_by: claims.contact_id.clone().into(), added_at: now };
    let next = match follow_up.with_key_date(key_date.clone()) {
        Ok(next) => next,
        Err(existing) => {
            schedule(deps, &[follow_up.key_date_check(existing)]).await?;
            return show(deps, token, Some("That key date was already added.".to_owned())).await;
        }
    };
    let event = Event::KeyDateAdded { by: claims.contact_id.clone().into(), what: kind, date };
    match store.put_follow_up(&next, &[TimelineEvent::new(&*deps.ids, &incident.id, now, event)]).await {
        Ok(()) => {}
        // Someone else changed the record meanwhile: their change stands; add again.
        Err(StoreError::Conflict) => return Err(PageError::Busy),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(incident_id = %incident.id, kind = kind.as_str(), "key date added");
    schedule(deps, &[next.key_date_check(&key_date)]).await?;
    let note = format!(
        "{} on {} added. The groups will be re-alerted with the open items that morning.",
        kind.label(),
        when_date(date)
    );
    show(deps, token, Some(note)).await
}
