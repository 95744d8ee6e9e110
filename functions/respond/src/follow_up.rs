//! Closing an incident and adding key dates, from the personal page.
//!
//! - `POST /a/{token}/close`: the policy's lead role only, with a closing
//!   note. Closing tells the groups at once and schedules the reviews at
//!   24 h, 72 h and 7 days, each re-alerting them with the open items.
//! - `POST /a/{token}/key-dates`: any responder adds a funeral, court date,
//!   anniversary or other date; on the day the groups are re-alerted.
//!
//! The record is written first and the checks queued after: a check that ran
//! before the write would find nothing to send. If queueing fails the page
//! says to try again, and pressing the button again (closed already, date
//! already added) queues the checks again; the briefings function sends each
//! review or key date once.

use crate::{posted, show, Deps, PageError};
use lambda_http::Request;
use serde::Deserialize;
use sim::briefings::policy_for;
use sim::domain::choice::Choice;
use sim::domain::follow_up::{BriefingCheck, BriefingReason, Closure, FollowUp, KeyDate, KeyDateKind};
use sim::domain::text::strip_invisible_controls;
use sim::domain::{Event, TimelineEvent};
use sim::links::LinkClaims;
use sim::ports::DelayedCheck;
use sim::ports::StoreError;
use sim::render::{uk_time, when, when_date};
use sim::web::HtmlResponse;
use time::{Date, Duration};

/// Closing notes say how the response ended, briefly.
pub const MAX_CLOSING_NOTE_CHARS: usize = 1000;

/// How far ahead a key date may be.
const MAX_DAYS_AHEAD: i64 = 2 * 366;

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

/// The closing note as typed: invisible and bidi controls stripped, trimmed, not empty, at most 1,000 characters.
pub fn parse_closing_note(text: &str) -> Result<String, &'static str> {
    let text = strip_invisible_controls(text);
    let note = text.trim();
    if note.is_empty() {
        return Err("Write a sentence or two on how the response ended, without names.");
    }
    if note.chars().count() > MAX_CLOSING_NOTE_CHARS {
        return Err("A closing note can be at most 1,000 characters.");
    }
    if note.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
        return Err("A closing note must be plain text.");
    }
    Ok(note.to_owned())
}

pub async fn close(deps: &Deps, token: &str, req: &Request) -> Result<HtmlResponse, PageError> {
    let (claims, form): (_, CloseForm) = posted(deps, token, req)?;
    let store = &*deps.store;
    let Some(incident) = store.get_incident(&claims.incident_id).await? else {
        return Err(PageError::NotFound);
    };
    let (contact, policy) =
        tokio::try_join!(store.get_contact(&incident.licensee_id, &claims.contact_id), policy_for(store, &incident))?;
    let (Some(contact), Some((_, policy))) = (contact, policy) else {
        return Err(PageError::NotFound);
    };
    if contact.role != policy.lead_role {
        return Err(PageError::LeadOnly);
    }
    let follow_up = follow_up_of(deps, &claims).await?;
    if let Some(closure) = &follow_up.closure {
        schedule(deps, &closing_checks(&follow_up, closure)).await?;
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
    let closure = Closure { closed_by: contact.id.clone(), role: contact.role.clone(), at: now, note };
    let mut closed = follow_up.next();
    closed.closure = Some(closure.clone());
    let event = Event::Closed { contact_id: contact.id.clone(), role: contact.role.clone() };
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
    schedule(deps, &closing_checks(&closed, &closure)).await?;
    let note = "The incident is closed. The groups are told now, and re-alerted with the open items at the \
                24-hour, 72-hour and 7-day reviews.";
    show(deps, token, Some(note.to_owned())).await
}

/// The closing update, at once, and the three reviews.
fn closing_checks(follow_up: &FollowUp, closure: &Closure) -> Vec<BriefingCheck> {
    let closed = BriefingCheck {
        incident_id: follow_up.incident_id.clone(),
        reason: BriefingReason::Closed,
        due_at: closure.at,
    };
    std::iter::once(closed).chain(follow_up.after_closing(closure.at)).collect()
}

async fn schedule(deps: &Deps, checks: &[BriefingCheck]) -> Result<(), PageError> {
    let now = deps.clock.now();
    let messages: Vec<_> = checks.iter().map(|c| c.message(now)).collect();
    deps.briefings.send(&messages).await.map_err(|e| PageError::Queue(e.into()))
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
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = match form.date.as_deref().map(|d| Date::parse(d.trim(), format)) {
        Some(Ok(date)) if date >= today && date <= today + Duration::days(MAX_DAYS_AHEAD) => date,
        Some(Ok(_)) => {
            return Err(unprocessable(
                "The key date was not added",
                "The date must be today or within the next two years.",
            ))
        }
        _ => return Err(unprocessable("The key date was not added", "Enter the date as day, month and year.")),
    };
    let store = &*deps.store;
    let Some(incident) = store.get_incident(&claims.incident_id).await? else {
        return Err(PageError::NotFound);
    };
    let follow_up = follow_up_of(deps, &claims).await?;
    let key_date = KeyDate { kind, date, added_by: claims.contact_id.clone(), added_at: now };
    if let Some(existing) = follow_up.key_dates.iter().find(|d| d.kind == kind && d.date == date) {
        schedule(deps, &[follow_up.key_date_check(existing)]).await?;
        return show(deps, token, Some("That key date was already added.".to_owned())).await;
    }
    let mut next = follow_up.next();
    next.key_dates.push(key_date.clone());
    next.key_dates.sort_by_key(|d| d.date);
    let event = Event::KeyDateAdded { contact_id: claims.contact_id.clone(), what: kind, date };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_note_is_required_short_and_plain() {
        assert!(parse_closing_note("  ").is_err());
        assert!(parse_closing_note(&"a".repeat(1001)).is_err());
        assert!(parse_closing_note("Bell\u{7}").is_err());
        assert_eq!(parse_closing_note("Ended \u{202E}weiver\u{202C} booked").unwrap(), "Ended weiver booked");
        assert_eq!(parse_closing_note(" Response ended.\nReview booked. ").unwrap(), "Response ended.\nReview booked.");
    }
}
