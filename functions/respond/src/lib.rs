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
//!   incident and adding key dates (`follow_up`), and for the lead role
//!   naming another connected area (`areas`, issue 19).
//!
//! Every form goes through one step (`posted`): verify the link, then the
//! form key, then decode the form into its type. Every refusal is one
//! `PageError`, mapped to its page in one place (`error`).
//!
//! Tampered, unknown or expired links get a plain page with 404 or 410.

mod areas;
mod checklist;
mod error;
mod follow_up;
mod page;
mod scanners;
mod site;

pub use error::PageError;
pub use site::Site;

use lambda_http::http::{header, Method};
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sim::clock::Clock;
use sim::domain::follow_up::FollowUp;
use sim::domain::notification::{Acknowledgement, Notification};
use sim::domain::{Event, Role, TimelineEvent};
use sim::ids::IdGenerator;
use sim::links::{LinkClaims, LinkKey};
use sim::ports::{Queue, Scheduler, Store};
use sim::web::{self, HtmlResponse, Routes};
use std::sync::{Arc, LazyLock};

pub struct Deps {
    pub store: Arc<dyn Store>,
    /// The delay queue of briefing checks.
    pub briefings: Arc<dyn Queue>,
    /// One-time schedules for checks days ahead (reviews, key dates).
    pub scheduler: Arc<dyn Scheduler>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub key: LinkKey,
    /// The public address (`PUBLIC_BASE_URL`): its origin for the Origin
    /// check, its path as the pages' base path.
    pub site: Site,
}

/// What a path under `/a/{token}` addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The page itself; POST acknowledges.
    Page,
    /// One checklist item's form.
    Item,
    Close,
    KeyDates,
    /// The lead names another connected area.
    Areas,
}

/// The responder's route table, built once per process.
pub static ROUTES: LazyLock<Routes<Route>> = LazyLock::new(|| {
    Routes::new(&[
        ("/a/{token}", Route::Page),
        ("/a/{token}/items/{item}", Route::Item),
        ("/a/{token}/close", Route::Close),
        ("/a/{token}/key-dates", Route::KeyDates),
        ("/a/{token}/areas", Route::Areas),
    ])
});

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    let path = deps.site.route_path(req.uri().path()).to_owned();
    let Some(matched) = ROUTES.at(&path) else {
        return PageError::NotFound.to_page(None).map(Body::from);
    };
    let (route, token, item) = (*matched.route, matched.param("token"), matched.param("item"));
    let method = req.method().clone();
    let response = match (&method, route) {
        (&Method::GET | &Method::HEAD, Route::Page) => show(deps, token, None).await,
        (&Method::POST, Route::Page) => acknowledge(deps, token, &req).await,
        (&Method::POST, Route::Item) => checklist::update(deps, token, item, &req).await,
        (&Method::POST, Route::Close) => follow_up::close(deps, token, &req).await,
        (&Method::POST, Route::KeyDates) => follow_up::add_key_date(deps, token, &req).await,
        (&Method::POST, Route::Areas) => areas::add(deps, token, &req).await,
        _ => Err(PageError::MethodNotAllowed),
    };
    let response = response.unwrap_or_else(|error| {
        error.log();
        let back = error
            .offers_way_back()
            .then(|| page::Back::of(deps.site.base_path(), token, route, item, req.body().as_ref()));
        error.to_page(back.as_ref())
    });
    let response = response.map(Body::from);
    if method == Method::HEAD {
        return response.map(|_| Body::Empty);
    }
    response
}

/// The one step every form takes: the link verifies, the POST is a person's
/// from SIM's own page carrying this link's form key, and the form decodes.
pub(crate) fn posted<T: DeserializeOwned>(
    deps: &Deps,
    token: &str,
    req: &Request,
) -> Result<(LinkClaims, T), PageError> {
    let claims = deps.key.verify(token, deps.clock.now())?;
    if scanners::is_scanner(&header_value(req, header::USER_AGENT.as_str())) {
        tracing::info!("scanner POST ignored");
        return Err(PageError::Automated);
    }
    #[derive(Deserialize)]
    struct Keyed {
        #[serde(default)]
        form_key: String,
    }
    let body = req.body().as_ref();
    let keyed: Keyed = web::parse_form(body).map_err(|_| PageError::OtherSite)?;
    if from_another_site(&deps.site, req) || !deps.key.form_key_matches(token, &keyed.form_key) {
        tracing::warn!("POST refused: not from SIM's own page");
        return Err(PageError::OtherSite);
    }
    let form = web::parse_form(body).map_err(|_| PageError::Unreadable)?;
    Ok((claims, form))
}

/// The incident a link is for, while its holder may still open it: a
/// partner's linked incident only while its share stands accepted (a
/// withdrawal takes the partner's people's access away, as the console's).
pub(crate) async fn open_incident(
    store: &dyn Store,
    id: &sim::ids::IncidentId,
) -> Result<sim::domain::Incident, PageError> {
    let incident = store.get_incident(id).await?.ok_or(PageError::NotFound)?;
    if !sim::shares::may_open(store, &incident.licensee_id, &incident).await? {
        return Err(PageError::NotFound);
    }
    Ok(incident)
}

/// The incident and the link holder, when they hold its lead role (closing
/// and naming a connected area are the lead's); others are told `refusal`.
pub(crate) async fn as_lead(
    store: &dyn Store,
    claims: &LinkClaims,
    refusal: page::Message,
) -> Result<(sim::domain::Incident, sim::domain::Contact), PageError> {
    let incident = open_incident(store, &claims.incident_id).await?;
    let (contact, policy) = tokio::try_join!(
        store.get_contact(&incident.licensee_id, &claims.contact_id),
        sim::briefings::policy_for(store, &incident)
    )?;
    let (Some(contact), Some((_, policy))) = (contact, policy) else {
        return Err(PageError::NotFound);
    };
    if contact.role != policy.lead_role {
        return Err(PageError::LeadOnly(refusal));
    }
    Ok((incident, contact))
}

/// The page for this link; `note` is a message shown above the summary.
pub(crate) async fn show(deps: &Deps, token: &str, note: Option<String>) -> Result<HtmlResponse, PageError> {
    // A bad signature costs no read; a link to no incident (a scanner's
    // guess, an incident removed) costs one: the incident alone, first.
    // Everything else the page needs is then read at once.
    let claims = deps.key.verify(token, deps.clock.now())?;
    let store = &*deps.store;
    let id = &claims.incident_id;
    let incident = store.get_incident(id).await?.ok_or(PageError::NotFound)?;
    let (may_open, categorisation, acks, checklist, notifications, follow_up, contacts, licensee, partners, owner) = tokio::try_join!(
        sim::shares::may_open(store, &incident.licensee_id, &incident),
        store.get_categorisation(id),
        store.acknowledgements(id),
        store.checklist(id),
        store.notifications(id),
        store.get_follow_up(id),
        store.contacts(&incident.licensee_id),
        store.get_licensee(&incident.licensee_id),
        sim::shares::partner_sections(store, &incident),
        owner_progress(store, &incident),
    )?;
    let (true, Some(categorisation)) = (may_open, categorisation) else {
        return Err(PageError::NotFound);
    };
    // A partner's linked incident is led under its policy for shared incidents.
    let lead_role =
        licensee.and_then(|l| l.policy_for_incident(&incident, categorisation.category)).map(|p| p.lead_role);
    let follow_up = follow_up.unwrap_or_else(|| FollowUp::new(id.clone()));
    let Some(contact) = contacts.iter().find(|c| c.id == claims.contact_id) else {
        return Err(PageError::NotFound);
    };
    let view = page::View {
        base: deps.site.base_path(),
        token,
        incident: &incident,
        categorisation: &categorisation,
        contact,
        acknowledgements: &acks,
        checklist: &checklist,
        partners: &partners,
        owner_progress: owner.as_deref(),
        people: checklist::people_of(&notifications, &contacts),
        form_key: deps.key.form_key(token),
        note,
        follow_up: &follow_up,
        lead_role,
        awaited: awaited(&notifications, &acks),
    };
    Ok(page::incident(&view))
}

/// On a partner's linked incident, the owner's checklist progress by section
/// (read only, while the share stands accepted); None otherwise.
async fn owner_progress(
    store: &dyn Store,
    incident: &sim::domain::Incident,
) -> Result<Option<Vec<sim::domain::follow_up::SectionProgress>>, sim::ports::StoreError> {
    let Some(from) = &incident.shared_from else { return Ok(None) };
    let view = sim::shares::partner_view(store, &incident.licensee_id, &from.incident_id).await?;
    Ok(view.map(|v| v.checklist.into_iter().map(|(_, section)| section).collect()))
}

/// Required roles with no acknowledgement from anyone alerted for them.
fn awaited(notifications: &[Notification], acks: &[Acknowledgement]) -> Vec<Role> {
    let mut roles: Vec<Role> = notifications
        .iter()
        .filter(|n| n.required && !acks.iter().any(|a| a.role == n.role))
        .map(|n| n.role.clone())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// The Acknowledge form: the person must choose; nothing is pre-selected, so
/// a sandbox that submits the form (or presses the button) chooses nothing.
#[derive(Deserialize)]
struct AckForm {
    response: Option<String>,
}

/// What the person chose on the Acknowledge form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Responding,
    CannotRespond,
}

impl AckForm {
    fn answer(&self) -> Option<Answer> {
        match self.response.as_deref() {
            Some("responding") => Some(Answer::Responding),
            Some("cannot_respond") => Some(Answer::CannotRespond),
            _ => None,
        }
    }
}

async fn acknowledge(deps: &Deps, token: &str, req: &Request) -> Result<HtmlResponse, PageError> {
    let (claims, form): (_, AckForm) = match posted(deps, token, req) {
        Ok(posted) => posted,
        Err(PageError::Automated) => return show(deps, token, Some(page::AUTOMATED_NOTE.to_owned())).await,
        Err(e) => return Err(e),
    };
    let Some(answer) = form.answer() else {
        return Err(PageError::Invalid(page::CHOOSE));
    };
    if answer == Answer::CannotRespond {
        tracing::info!(incident_id = %claims.incident_id, "a responder cannot respond; their role stays awaited");
        return show(deps, token, Some(page::CANNOT_RESPOND_NOTE.to_owned())).await;
    }
    let user_agent = header_value(req, header::USER_AGENT.as_str());
    let incident = open_incident(&*deps.store, &claims.incident_id).await?;
    let Some(contact) = deps.store.get_contact(&incident.licensee_id, &claims.contact_id).await? else {
        return Err(PageError::NotFound);
    };
    if deps.store.get_follow_up(&incident.id).await?.is_some_and(|f| f.closure.is_some()) {
        return show(deps, token, Some(page::CLOSED_NOTE.to_owned())).await;
    }
    let now = deps.clock.now();
    let ack = Acknowledgement {
        incident_id: incident.id.clone(),
        contact_id: contact.id.clone(),
        role: contact.role.clone(),
        channel: claims.channel,
        at: now,
        user_agent: user_agent.chars().take(200).collect(),
        device: Acknowledgement::device_of(&user_agent).to_owned(),
        via: sim::domain::notification::AckVia::Link,
        note: None,
        recorded_by: None,
    };
    let event = TimelineEvent::new(
        &*deps.ids,
        &incident.id,
        now,
        Event::Acknowledged { contact_id: contact.id.clone(), role: contact.role.clone(), channel: claims.channel },
    );
    let note = if deps.store.acknowledge(&ack, &[event]).await? {
        tracing::info!(incident_id = %incident.id, contact_id = %contact.id, channel = %claims.channel, "acknowledged");
        "Thank you: your acknowledgement is recorded.".to_owned()
    } else {
        "You had already acknowledged this incident: nothing more to do here.".to_owned()
    };
    show(deps, token, Some(note)).await
}

fn header_value(req: &Request, name: &str) -> String {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// A browser says where a form came from: refuse another site's. Behind
/// CloudFront `Host` is the execute-api host, so the configured public
/// origin is what `Origin` must match.
fn from_another_site(site: &Site, req: &Request) -> bool {
    if header_value(req, "sec-fetch-site") == "cross-site" {
        return true;
    }
    let origin = header_value(req, header::ORIGIN.as_str());
    let host = header_value(req, header::HOST.as_str());
    !origin.is_empty() && origin != "null" && !site.is_own_origin(&origin, &host)
}
