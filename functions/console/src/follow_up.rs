//! Closing an incident and adding key dates from the console: the same
//! domain steps as the responder's page (`FollowUp::closed`,
//! `FollowUp::with_key_date`, the same note and date rules), with council
//! staff as the actor. Staff close in the name of the policy's lead role.
//! The record is written first and the briefing checks queued after, as on
//! the responder's page; pressing again re-queues them (each briefing is
//! sent once).

use crate::actions::back;
use crate::posted::{self, CsrfForm};
use crate::{incidents, pages, Deps, Failure, SignedIn};
use http::{Request, Response, StatusCode};
use serde::Deserialize;
use sim::briefings::policy_for;
use sim::domain::choice::Choice;
use sim::domain::follow_up::{
    parse_closing_note, parse_key_date, BriefingCheck, Closure, FollowUp, KeyDate, KeyDateKind,
};
use sim::domain::staff::ConsoleRole;
use sim::domain::{Actor, Event, Incident, TimelineEvent};
use sim::ports::{schedule_checks, StoreError};
use time::OffsetDateTime;

#[derive(Deserialize)]
struct CloseForm {
    csrf: String,
    version: Option<u32>,
    #[serde(default)]
    closing_note: String,
}

impl CsrfForm for CloseForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize)]
struct KeyDateForm {
    csrf: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    date: String,
}

impl CsrfForm for KeyDateForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn follow_up_of(deps: &Deps, incident: &Incident) -> Result<FollowUp, StoreError> {
    Ok(deps.store.get_follow_up(&incident.id).await?.unwrap_or_else(|| FollowUp::new(incident.id.clone())))
}

/// The same split as the responder's page: due soon on the queue, days ahead as schedules.
async fn schedule(deps: &Deps, checks: &[BriefingCheck]) -> Result<(), Failure> {
    schedule_checks(&*deps.scheduler, &*deps.briefings, checks, deps.clock.now()).await.map_err(Failure::Schedule)
}

/// Writes the follow-up with `event` on the timeline. `Some(page)`, the
/// incident's page again saying `changed`, when someone changed the
/// follow-up meanwhile (the store's version check).
async fn record(
    deps: &Deps,
    who: &SignedIn,
    incident: &Incident,
    next: &FollowUp,
    event: Event,
    now: OffsetDateTime,
    changed: &str,
) -> Result<Option<Response<String>>, Failure> {
    match deps.store.put_follow_up(next, &[TimelineEvent::new(&*deps.ids, &incident.id, now, event)]).await {
        Ok(()) => Ok(None),
        Err(StoreError::Conflict) => incidents::show(deps, who, incident.clone(), None, &[changed]).await.map(Some),
        Err(e) => Err(e.into()),
    }
}

pub async fn close(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident_id: &str,
) -> Result<Response<String>, Failure> {
    let Some(incident) = incidents::own_incident(deps, who, incident_id).await? else {
        return Ok(pages::not_found());
    };
    let form: CloseForm = match posted::read(who, req, ConsoleRole::Duty) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let store = &*deps.store;
    let Some((_, policy)) = policy_for(store, &incident).await? else {
        return Ok(pages::problem(
            StatusCode::CONFLICT,
            "This incident has not been categorised yet, so it has no lead role to close it for.",
        ));
    };
    let follow_up = follow_up_of(deps, &incident).await?;
    if let Some(closure) = &follow_up.closure {
        schedule(deps, &follow_up.closing_checks(closure)).await?;
        return Ok(back(&incident));
    }
    let note = match parse_closing_note(&form.closing_note) {
        Ok(note) => note,
        Err(message) => return incidents::show(deps, who, incident, None, &[message]).await,
    };
    let stale = "Someone changed this incident's follow-up meanwhile: check the page and close it again.";
    if form.version != Some(follow_up.version) {
        return incidents::show(deps, who, incident, None, &[stale]).await;
    }
    let now = deps.clock.now();
    let by = Actor::from(who.member.id.clone());
    let closure = Closure { closed_by: by.clone(), role: policy.lead_role.clone(), at: now, note };
    let closed = follow_up.closed(closure.clone());
    let event = Event::Closed { by, role: policy.lead_role.clone() };
    if let Some(page) = record(deps, who, &incident, &closed, event, now, stale).await? {
        return Ok(page);
    }
    tracing::info!(incident_id = %incident.id, staff = %who.member.id, "incident closed in the console");
    // Personal-data retention runs from the closing, as when the lead closes on the responder's page.
    if let Err(error) = sim::vault::settle_retention(store, &incident.id, &Default::default()).await {
        tracing::error!(incident_id = %incident.id, %error, "the vault's retention date could not be set at closing");
    }
    schedule(deps, &closed.closing_checks(&closure)).await?;
    Ok(back(&incident))
}

pub async fn add_key_date(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    incident_id: &str,
) -> Result<Response<String>, Failure> {
    let Some(incident) = incidents::own_incident(deps, who, incident_id).await? else {
        return Ok(pages::not_found());
    };
    let form: KeyDateForm = match posted::read(who, req, ConsoleRole::Duty) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let now = deps.clock.now();
    let mut errors = Vec::new();
    let kind = KeyDateKind::parse(&form.what);
    if kind.is_none() {
        errors.push("Choose what the date is: funeral, court date, anniversary or other.");
    }
    let date = parse_key_date(&form.date, sim::render::uk_time(now).0.date()).map_err(|e| errors.push(e)).ok();
    let (Some(kind), Some(date)) = (kind, date) else {
        return incidents::show(deps, who, incident, None, &errors).await;
    };
    let follow_up = follow_up_of(deps, &incident).await?;
    let by = Actor::from(who.member.id.clone());
    let key_date = KeyDate { kind, date, added_by: by.clone(), added_at: now };
    let next = match follow_up.with_key_date(key_date.clone()) {
        Ok(next) => next,
        Err(existing) => {
            schedule(deps, &[follow_up.key_date_check(existing)]).await?;
            return Ok(back(&incident));
        }
    };
    let event = Event::KeyDateAdded { by, what: kind, date };
    let busy = "Someone changed this incident's follow-up meanwhile: add the date again.";
    if let Some(page) = record(deps, who, &incident, &next, event, now, busy).await? {
        return Ok(page);
    }
    tracing::info!(incident_id = %incident.id, kind = kind.as_str(), staff = %who.member.id, "key date added in the console");
    schedule(deps, &[next.key_date_check(&key_date)]).await?;
    Ok(back(&incident))
}
