//! The page behind each personal link, `/a/{token}`:
//!
//! - `GET` shows the incident summary, what is expected of this person,
//!   whether they have acknowledged, and an Acknowledge button. Opening the
//!   page changes nothing: mail scanners and chat previews open links.
//! - `POST` (the button: a plain form, no JavaScript) records the
//!   acknowledgement once. It must carry the form key only SIM's own page
//!   has, and must not come from another site.
//! - `HEAD`, and anything from a known link-scanner agent, changes nothing.
//!
//! - Below the page: each checklist item's form (`checklist`), closing the
//!   incident and adding key dates (`follow_up`).
//!
//! Tampered, unknown or expired links get a plain page with 404 or 410.

mod checklist;
mod follow_up;
mod form;
mod page;
mod scanners;

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Request, Response};
use sim::clock::Clock;
use sim::domain::follow_up::FollowUp;
use sim::domain::notification::Acknowledgement;
use sim::domain::{Event, TimelineEvent};
use sim::ids::IdGenerator;
use sim::links::{LinkClaims, LinkError, LinkKey};
use sim::ports::{Queue, Store, StoreError};
use std::sync::Arc;

pub struct Deps {
    pub store: Arc<dyn Store>,
    /// The delay queue of stakeholder-update checks.
    pub updates: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub key: LinkKey,
}

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix("/a/") else {
        return page::problem(StatusCode::NOT_FOUND, page::NOT_VALID);
    };
    // `/a/{token}` is the page; below it, one checklist item's form, closing, and key dates.
    let (token, target) = if let Some((token, item)) = rest.split_once("/items/") {
        (token, Target::Item(item))
    } else if let Some(token) = rest.strip_suffix("/close") {
        (token, Target::Close)
    } else if let Some(token) = rest.strip_suffix("/key-dates") {
        (token, Target::KeyDates)
    } else {
        (rest, Target::Page)
    };
    let bad_item = matches!(target, Target::Item(i) if i.is_empty() || i.contains('/'));
    if token.is_empty() || token.contains('/') || bad_item {
        return page::problem(StatusCode::NOT_FOUND, page::NOT_VALID);
    }
    let response: Result<Response<Body>, follow_up::Failure> = match (req.method().clone(), target) {
        (Method::GET, Target::Page) => show(deps, token, None).await.map_err(Into::into),
        (Method::HEAD, Target::Page) => {
            show(deps, token, None).await.map(|r| r.map(|_| Body::Empty)).map_err(Into::into)
        }
        (Method::POST, Target::Page) => acknowledge(deps, token, &req).await.map_err(Into::into),
        (Method::POST, Target::Item(item)) => checklist::update(deps, token, item, &req).await.map_err(Into::into),
        (Method::POST, Target::Close) => follow_up::close(deps, token, &req).await,
        (Method::POST, Target::KeyDates) => follow_up::add_key_date(deps, token, &req).await,
        _ => Ok(page::problem(StatusCode::METHOD_NOT_ALLOWED, page::NOT_VALID)),
    };
    response.unwrap_or_else(|error| {
        tracing::error!(%error, "responder page failed");
        page::problem(StatusCode::SERVICE_UNAVAILABLE, page::TRY_AGAIN)
    })
}

enum Target<'a> {
    Page,
    Item(&'a str),
    Close,
    KeyDates,
}

/// The page for a link that does not verify: no detail beyond "expired" or "not valid".
pub(crate) fn refused(error: LinkError) -> Response<Body> {
    match error {
        LinkError::Expired => page::problem(StatusCode::GONE, page::EXPIRED),
        LinkError::Invalid => page::problem(StatusCode::NOT_FOUND, page::NOT_VALID),
    }
}

/// The page for this link; `note` is a message shown above the summary.
pub(crate) async fn show(deps: &Deps, token: &str, note: Option<String>) -> Result<Response<Body>, StoreError> {
    let claims: LinkClaims = match deps.key.verify(token, deps.clock.now()) {
        Ok(c) => c,
        Err(error) => return Ok(refused(error)),
    };
    let store = &*deps.store;
    let id = &claims.incident_id;
    let (incident, categorisation, acks, checklist, notifications, follow_up) = tokio::try_join!(
        store.get_incident(id),
        store.get_categorisation(id),
        store.acknowledgements(id),
        store.checklist(id),
        store.notifications(id),
        store.get_follow_up(id),
    )?;
    let (Some(incident), Some(categorisation)) = (incident, categorisation) else {
        return Ok(page::problem(StatusCode::NOT_FOUND, page::NOT_VALID));
    };
    let (contacts, licensee) =
        tokio::try_join!(store.contacts(&incident.licensee_id), store.get_licensee(&incident.licensee_id))?;
    let lead_role = licensee.and_then(|l| l.policy_for(categorisation.category)).map(|p| p.lead_role);
    let follow_up = follow_up.unwrap_or_else(|| FollowUp::new(id.clone()));
    let Some(contact) = contacts.iter().find(|c| c.id == claims.contact_id) else {
        return Ok(page::problem(StatusCode::NOT_FOUND, page::NOT_VALID));
    };
    let view = page::View {
        token,
        incident: &incident,
        categorisation: &categorisation,
        contact,
        acknowledgements: &acks,
        checklist: &checklist,
        people: checklist::people_of(&notifications, &contacts),
        form_key: deps.key.form_key(token),
        note,
        follow_up: &follow_up,
        lead_role,
    };
    Ok(page::incident(&view))
}

async fn acknowledge(deps: &Deps, token: &str, req: &Request) -> Result<Response<Body>, StoreError> {
    let claims: LinkClaims = match deps.key.verify(token, deps.clock.now()) {
        Ok(c) => c,
        Err(error) => return Ok(refused(error)),
    };
    let user_agent = header_value(req, header::USER_AGENT.as_str());
    if let Err(response) = own_page_post(deps, token, req) {
        return match response {
            Refusal::Scanner => show(deps, token, None).await,
            Refusal::Forbidden => Ok(Refusal::forbidden_page()),
        };
    }
    let Some(incident) = deps.store.get_incident(&claims.incident_id).await? else {
        return Ok(page::problem(StatusCode::NOT_FOUND, page::NOT_VALID));
    };
    let Some(contact) = deps.store.get_contact(&incident.licensee_id, &claims.contact_id).await? else {
        return Ok(page::problem(StatusCode::NOT_FOUND, page::NOT_VALID));
    };
    let now = deps.clock.now();
    let ack = Acknowledgement {
        incident_id: incident.id.clone(),
        contact_id: contact.id.clone(),
        role: contact.role.clone(),
        channel: claims.channel,
        at: now,
        user_agent: user_agent.chars().take(200).collect(),
    };
    let event = TimelineEvent::new(
        &*deps.ids,
        &incident.id,
        now,
        Event::Acknowledged {
            contact_id: contact.id.to_string(),
            role: contact.role.to_string(),
            channel: claims.channel,
        },
    );
    let note = if deps.store.acknowledge(&ack, &[event]).await? {
        tracing::info!(incident_id = %incident.id, contact_id = %contact.id, channel = %claims.channel, "acknowledged");
        "Thank you: your acknowledgement is recorded.".to_owned()
    } else {
        "You had already acknowledged this incident: nothing more to do here.".to_owned()
    };
    show(deps, token, Some(note)).await
}

pub(crate) enum Refusal {
    /// A link scanner: shown the page, nothing changed.
    Scanner,
    /// Another site's form, or one without this page's key.
    Forbidden,
}

impl Refusal {
    pub(crate) fn forbidden_page() -> Response<Body> {
        page::problem(StatusCode::FORBIDDEN, page::RELOAD)
    }
}

/// A POST counts only from a person on SIM's own page: not a known scanner,
/// not another site, and carrying the page's form key. Returns the form.
pub(crate) fn own_page_post(
    deps: &Deps,
    token: &str,
    req: &Request,
) -> Result<std::collections::HashMap<String, String>, Refusal> {
    if scanners::is_scanner(&header_value(req, header::USER_AGENT.as_str())) {
        tracing::info!("scanner POST ignored");
        return Err(Refusal::Scanner);
    }
    let fields = form::parse(&String::from_utf8_lossy(req.body().as_ref()));
    let form_key = fields.get("form_key").map(String::as_str).unwrap_or_default();
    if from_another_site(req) || !deps.key.form_key_matches(token, form_key) {
        tracing::warn!("POST refused: not from SIM's own page");
        return Err(Refusal::Forbidden);
    }
    Ok(fields)
}

fn header_value(req: &Request, name: &str) -> String {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// A browser says where a form came from: refuse another site's.
fn from_another_site(req: &Request) -> bool {
    if header_value(req, "sec-fetch-site") == "cross-site" {
        return true;
    }
    let origin = header_value(req, header::ORIGIN.as_str());
    let host = header_value(req, header::HOST.as_str());
    !origin.is_empty() && origin != "null" && origin.split("://").nth(1) != Some(host.as_str())
}
