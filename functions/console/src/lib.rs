//! The council console, `/console`: staff sign in with their council's
//! OpenID provider, get a server-side session, and see their licensee's
//! incidents (and nothing of any other licensee).
//!
//! - `GET /console/sign-in` starts a sign-in (state, nonce, PKCE) and sends
//!   the browser to the provider; `GET /console/auth/callback` finishes it.
//!   Every refusal creates nothing and is on the audit trail with a reason.
//! - `POST /console/sign-out` (with the session's CSRF token) ends the session.

mod actions;
mod directory;
mod follow_up;
mod handoff;
pub mod http_client;
mod incident_page;
mod incidents;
pub mod oidc;
mod pages;
mod posted;
mod reports;
pub mod session;
mod shares;
mod staff;
mod vault;

use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use oidc::Oidc;
use serde::Deserialize;
use sim::clock::Clock;
use sim::domain::staff::{Login, StaffEmail, StaffMember};
use sim::ids::IdGenerator;
use sim::ids::LicenseeId;
use sim::ports::incident_search::IncidentSearch;
use sim::ports::sessions::{AuditEntry, AuditKind, PendingSignIn, Session, SessionStore};
use sim::ports::staff::StaffStore;
use sim::ports::{ChannelQueues, Queue, Store, StoreError};
use sim::web::{self, Routes};
use std::sync::{Arc, OnceLock};

pub use directory::TestSenders;
pub use incidents::SEARCH_PAGE;
pub use oidc::OidcConfig;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub search: Arc<dyn IncidentSearch>,
    pub staff: Arc<dyn StaffStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub oidc: Oidc,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// The escalation checks' delay queue ("escalate now" sends one due at once).
    pub escalation: Arc<dyn Queue>,
    /// The three sender queues ("re-send" queues one person's alert on one channel).
    pub queues: ChannelQueues,
    /// The briefing checks' queue (closing's briefing, checks due within 15 minutes).
    pub briefings: Arc<dyn Queue>,
    /// Reviews and key dates days ahead, as one-time schedules (as on the responder's page).
    pub scheduler: Arc<dyn sim::ports::Scheduler>,
    /// The licensees whose staff this issuer may sign in (a council's own
    /// Entra tenant: only that council); `None` for a shared pool (Cognito).
    pub licensees: Option<Vec<LicenseeId>>,
    /// The personal-data vault; `None` where it is not deployed (its pages say so).
    pub vault: Option<Arc<sim::vault::Vault>>,
    /// The providers "send a test message" (directory) goes out through, one per channel.
    pub test_senders: TestSenders,
    /// The categorise queue: a partner's acceptance hands its linked incident
    /// on at once, as does a duty officer's "send for categorisation again".
    pub handoff: Arc<dyn Queue>,
}

impl Deps {
    /// Hands incidents on for categorisation through the `handoff` queue.
    pub(crate) fn handoff_sender(&self) -> sim::handoff::Handoff<'_> {
        sim::handoff::Handoff { store: &*self.store, queue: &*self.handoff, clock: &*self.clock, ids: &*self.ids }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Board,
    Search,
    Incident,
    AcknowledgeFor,
    EscalateNow,
    Resend,
    AddKeyDate,
    Close,
    Staff,
    RemoveStaff,
    VaultSubjects,
    VaultSubject,
    VaultErase,
    VaultLog,
    VaultLogCsv,
    VaultSearch,
    SignIn,
    Callback,
    SignOut,
    Reports(reports::Page),
    // Cross-borough shares (issue 19): `shares/`.
    IncidentShares,
    SharedList,
    Shared,
    Directory(directory::Page),
    // An incident categorisation has not taken up, sent again: `handoff.rs`.
    CategoriseAgain,
}

/// The console's route table, built once.
pub fn routes() -> &'static Routes<Route> {
    static ROUTES: OnceLock<Routes<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        Routes::new(&[
            ("/console", Route::Board),
            ("/console/incidents", Route::Search),
            ("/console/incidents/{incident}", Route::Incident),
            ("/console/incidents/{incident}/people/{contact}/acknowledge", Route::AcknowledgeFor),
            ("/console/incidents/{incident}/escalate", Route::EscalateNow),
            ("/console/incidents/{incident}/people/{contact}/resend", Route::Resend),
            ("/console/incidents/{incident}/key-dates", Route::AddKeyDate),
            ("/console/incidents/{incident}/close", Route::Close),
            ("/console/staff", Route::Staff),
            ("/console/staff/{staff}/remove", Route::RemoveStaff),
            ("/console/incidents/{incident}/subjects", Route::VaultSubjects),
            ("/console/incidents/{incident}/subjects/{subject}", Route::VaultSubject),
            ("/console/incidents/{incident}/subjects/{subject}/erase", Route::VaultErase),
            ("/console/vault/log", Route::VaultLog),
            ("/console/vault/log.csv", Route::VaultLogCsv),
            ("/console/vault/search", Route::VaultSearch),
            ("/console/sign-in", Route::SignIn),
            ("/console/auth/callback", Route::Callback),
            ("/console/sign-out", Route::SignOut),
            ("/console/reports", Route::Reports(reports::Page::Report)),
            ("/console/reports/figures.csv", Route::Reports(reports::Page::FiguresCsv)),
            ("/console/reports/incidents.csv", Route::Reports(reports::Page::IncidentsCsv)),
            ("/console/reports/audit", Route::Reports(reports::Page::Audit)),
            ("/console/reports/incidents/{incident}", Route::Reports(reports::Page::Summary)),
            ("/console/reports/incidents/{incident}/audit", Route::Reports(reports::Page::IncidentAudit)),
            ("/console/incidents/{incident}/shares", Route::IncidentShares),
            ("/console/shared", Route::SharedList),
            ("/console/shared/{incident}", Route::Shared),
            ("/console/directory", Route::Directory(directory::Page::Contacts)),
            ("/console/directory/add", Route::Directory(directory::Page::AddContact)),
            ("/console/directory/contacts/{contact}", Route::Directory(directory::Page::Contact)),
            ("/console/directory/contacts/{contact}/edit", Route::Directory(directory::Page::EditContact)),
            ("/console/directory/contacts/{contact}/remove", Route::Directory(directory::Page::RemoveContact)),
            ("/console/directory/contacts/{contact}/test", Route::Directory(directory::Page::TestMessage)),
            ("/console/directory/import", Route::Directory(directory::Page::Import)),
            ("/console/directory/import/apply", Route::Directory(directory::Page::ApplyImport)),
            ("/console/directory/export", Route::Directory(directory::Page::Export)),
            ("/console/directory/gaps", Route::Directory(directory::Page::Gaps)),
            ("/console/directory/groups", Route::Directory(directory::Page::Groups)),
            ("/console/directory/changes", Route::Directory(directory::Page::Changes)),
            ("/console/directory/callers", Route::Directory(directory::Page::Callers)),
            ("/console/directory/callers/{caller}/key", Route::Directory(directory::Page::CallerKey)),
            ("/console/directory/callers/{caller}/revoke", Route::Directory(directory::Page::RevokeCaller)),
            ("/console/incidents/{incident}/categorise-again", Route::CategoriseAgain),
        ])
    })
}

/// A signed-in request: the session and the staff member it belongs to.
pub struct SignedIn {
    pub session: Session,
    pub member: StaffMember,
    /// Share offers awaiting this licensee's acceptance, for the header (issue 19);
    /// `None` where no header is shown (the board's refresh), which then costs no query.
    pub offers_awaiting: Option<usize>,
}

pub async fn handle(deps: &Deps, req: Request<Vec<u8>>) -> Response<String> {
    let Some(matched) = routes().at(req.uri().path()) else {
        return pages::not_found();
    };
    let route = *matched.route;
    let (req, param) = (&req, |name| matched.param(name));
    let result = match (req.method().clone(), route) {
        (Method::GET, Route::Board) => board(deps, req).await,
        (Method::GET, Route::Search) => {
            for_staff(deps, req, async |who| {
                let form = web::parse_form(req.uri().query().unwrap_or_default().as_bytes()).unwrap_or_default();
                incidents::search(deps, who, &form).await
            })
            .await
        }
        (Method::GET, Route::Incident) => incident(deps, req, param("incident")).await,
        (Method::POST, Route::AcknowledgeFor) => {
            for_staff(deps, req, async |who| {
                actions::acknowledge_for(deps, who, req, param("incident"), param("contact")).await
            })
            .await
        }
        (Method::POST, Route::EscalateNow) => {
            for_staff(deps, req, async |who| actions::escalate_now(deps, who, req, param("incident")).await).await
        }
        (Method::POST, Route::Resend) => {
            for_staff(deps, req, async |who| actions::resend(deps, who, req, param("incident"), param("contact")).await)
                .await
        }
        (Method::POST, Route::AddKeyDate) => {
            for_staff(deps, req, async |who| follow_up::add_key_date(deps, who, req, param("incident")).await).await
        }
        (Method::POST, Route::Close) => {
            for_staff(deps, req, async |who| follow_up::close(deps, who, req, param("incident")).await).await
        }
        (Method::GET, Route::Staff) => for_staff(deps, req, async |who| staff::list(deps, who, &[]).await).await,
        (Method::POST, Route::Staff) => for_staff(deps, req, async |who| staff::add(deps, who, req).await).await,
        (Method::POST, Route::RemoveStaff) => {
            for_staff(deps, req, async |who| staff::remove(deps, who, req, param("staff")).await).await
        }
        (Method::GET | Method::POST, Route::IncidentShares | Route::SharedList | Route::Shared) => {
            for_staff(deps, req, async |who| match (route, req.method() == Method::POST) {
                (Route::IncidentShares, false) => shares::owner_section(deps, who, param("incident")).await,
                (Route::IncidentShares, true) => shares::owner_move(deps, who, req, param("incident")).await,
                (Route::Shared, false) => shares::partner_view(deps, who, param("incident")).await,
                (Route::Shared, true) => shares::partner_move(deps, who, req, param("incident")).await,
                (_, false) => shares::partner_list(deps, who).await,
                (_, true) => Ok(pages::problem(StatusCode::METHOD_NOT_ALLOWED, "That cannot be done here.")),
            })
            .await
        }
        (Method::GET | Method::POST, Route::VaultSubjects | Route::VaultSubject | Route::VaultSearch)
        | (Method::POST, Route::VaultErase)
        | (Method::GET, Route::VaultLog | Route::VaultLogCsv) => {
            for_staff(deps, req, async |who| {
                vault::dispatch(deps, who, route, req, param("incident"), param("subject")).await
            })
            .await
        }
        (Method::GET, Route::SignIn) => start_sign_in(deps, req).await,
        (Method::GET, Route::Callback) => callback(deps, req).await,
        (Method::POST, Route::SignOut) => sign_out(deps, req).await,
        (Method::GET, Route::Reports(page)) => {
            for_staff(deps, req, async |who| {
                reports::handle(deps, who, page, req.uri().query().unwrap_or_default(), param("incident")).await
            })
            .await
        }
        (Method::POST, Route::CategoriseAgain) => {
            for_staff(deps, req, async |who| handoff::send_again(deps, who, req, param("incident")).await).await
        }
        (_, Route::Directory(page)) => directory::handle(deps, req, page, param("contact"), param("caller")).await,
        _ => Ok(pages::problem(StatusCode::METHOD_NOT_ALLOWED, "That cannot be done here.")),
    };
    result.unwrap_or_else(|error| {
        tracing::error!(%error, "console request failed");
        pages::problem(StatusCode::SERVICE_UNAVAILABLE, "The console is unavailable. Try again in a minute.")
    })
}

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the identity provider is unavailable: {0}")]
    Provider(String),
    #[error(transparent)]
    Queue(#[from] sim::ports::QueueError),
    #[error(transparent)]
    Vault(sim::vault::VaultError),
    #[error(transparent)]
    Schedule(sim::ports::ScheduleError),
}

/// The session named by the request's cookie, if it is live and its staff
/// member still exists, with the offers awaiting for the header. An expired
/// session is deleted (and audited).
pub async fn signed_in(deps: &Deps, req: &Request<Vec<u8>>) -> Result<Option<SignedIn>, StoreError> {
    let Some(mut who) = session_of(deps, req).await? else { return Ok(None) };
    who.offers_awaiting = Some(sim::shares::offers_awaiting(&*deps.store, &who.member.licensee_id).await?);
    Ok(Some(who))
}

/// `signed_in` without the header's count: for answers that show no header.
async fn session_of(deps: &Deps, req: &Request<Vec<u8>>) -> Result<Option<SignedIn>, StoreError> {
    let Some(value) = session::cookie(req.headers(), session::SESSION_COOKIE) else {
        return Ok(None);
    };
    let key = session::key_of(value);
    let Some(found) = deps.sessions.get_session(&key).await? else {
        return Ok(None);
    };
    let now = deps.clock.now();
    let idle = now - found.last_seen >= session::IDLE_TIMEOUT;
    let too_old = now - found.created_at >= session::ABSOLUTE_LIFETIME;
    if idle || too_old {
        deps.sessions.delete_session(&key).await?;
        audit(
            deps,
            AuditKind::SessionExpired,
            Some(&found.licensee_id),
            Some(&found.staff_id),
            if idle { "idle" } else { "absolute" },
        )
        .await?;
        return Ok(None);
    }
    let Some(member) = deps.staff.get_staff(&found.licensee_id, &found.staff_id).await? else {
        deps.sessions.delete_session(&key).await?;
        return Ok(None);
    };
    if now - found.last_seen >= session::TOUCH_INTERVAL {
        deps.sessions.touch_session(&key, now).await?;
    }
    Ok(Some(SignedIn { session: found, member, offers_awaiting: None }))
}

/// A page for signed-in staff only: anyone else gets the sign-in page.
async fn for_staff(
    deps: &Deps,
    req: &Request<Vec<u8>>,
    page: impl AsyncFnOnce(&SignedIn) -> Result<Response<String>, Failure>,
) -> Result<Response<String>, Failure> {
    match signed_in(deps, req).await? {
        Some(who) => page(&who).await,
        None => Ok(pages::sign_in(false)),
    }
}

/// The board; its own 5-second refresh (marked by `pages::REFRESH_HEADER`)
/// gets the board without the header, so without the header's count.
async fn board(deps: &Deps, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let signed_out = req.uri().query().is_some_and(|q| q.split('&').any(|p| p == "signed-out"));
    let refresh = req.headers().get(pages::REFRESH_HEADER).is_some_and(|v| v == "board");
    let who = if refresh { session_of(deps, req).await? } else { signed_in(deps, req).await? };
    let Some(who) = who else {
        return Ok(pages::sign_in(signed_out));
    };
    let licensee = deps.store.get_licensee(&who.member.licensee_id).await?;
    let name = licensee.as_ref().map(|l| l.name.clone()).unwrap_or_else(|| who.member.licensee_id.to_string());
    incidents::board(deps, &who, licensee.as_ref(), &name).await
}

#[derive(Deserialize)]
struct ViewQuery {
    kind: Option<String>,
}

async fn incident(deps: &Deps, req: &Request<Vec<u8>>, id: &str) -> Result<Response<String>, Failure> {
    let Some(who) = signed_in(deps, req).await? else {
        return Ok(pages::sign_in(false));
    };
    let query: Option<ViewQuery> = web::parse_form(req.uri().query().unwrap_or_default().as_bytes()).ok();
    incidents::view(deps, &who, id, query.as_ref().and_then(|q| q.kind.as_deref())).await
}

async fn start_sign_in(deps: &Deps, _req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let started = deps.oidc.start().await.map_err(|e| Failure::Provider(e.to_string()))?;
    let cookie = session::random_token();
    let pending = PendingSignIn {
        key: session::key_of(&cookie),
        state: started.state,
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        return_to: "/console".to_owned(),
        expires_at: deps.clock.now() + session::SIGN_IN_LIFETIME,
    };
    deps.sessions.put_pending(&pending).await?;
    let mut response = web::redirect(&started.url);
    *response.status_mut() = StatusCode::FOUND;
    set_cookie(&mut response, &session::set_cookie(session::SIGN_IN_COOKIE, &cookie, Some(session::SIGN_IN_LIFETIME)));
    Ok(response)
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(deps: &Deps, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let query: CallbackQuery = match web::parse_form(req.uri().query().unwrap_or_default().as_bytes()) {
        Ok(q) => q,
        Err(_) => return refuse(deps, "unreadable_callback", None).await,
    };
    let pending = match session::cookie(req.headers(), session::SIGN_IN_COOKIE) {
        Some(value) => deps.sessions.take_pending(&session::key_of(value)).await?,
        None => None,
    };
    let Some(pending) = pending.filter(|p| p.expires_at > deps.clock.now()) else {
        return refuse(deps, "no_sign_in_in_progress", None).await;
    };
    if query.error.is_some() {
        return refuse(deps, "provider_refused", None).await;
    }
    if !query.state.as_deref().is_some_and(|s| session::equal(s, &pending.state)) {
        return refuse(deps, "wrong_state", None).await;
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return refuse(deps, "no_code", None).await;
    };
    let verified = match deps.oidc.finish(&code, &pending.pkce_verifier, &pending.nonce).await {
        Ok(v) => v,
        Err(error) => {
            match &error {
                oidc::OidcError::Discovery(detail) | oidc::OidcError::Exchange(detail) => {
                    tracing::warn!(reason = error.code(), detail, "console sign-in refused")
                }
                _ => tracing::warn!(reason = error.code(), "console sign-in refused"),
            }
            return refuse(deps, error.code(), None).await;
        }
    };
    let login = Login { issuer: verified.issuer, subject: verified.subject };
    let member = match deps.staff.staff_by_login(&login).await? {
        Some(m) => Some(m),
        None => match verified.verified_email.as_deref().and_then(|e| StaffEmail::parse(e).ok()) {
            Some(email) => match deps.staff.staff_by_email(&email).await? {
                Some(m) if m.login.is_none() && deps.staff.pin_login(&m, &login).await? => Some(m),
                _ => None,
            },
            None => None,
        },
    };
    let Some(member) = member else {
        return refuse(deps, "unknown_person", None).await;
    };
    if deps.licensees.as_ref().is_some_and(|allowed| !allowed.contains(&member.licensee_id)) {
        return refuse(deps, "other_licensee", Some(&member)).await;
    }
    let value = session::random_token();
    let now = deps.clock.now();
    let new = Session {
        key: session::key_of(&value),
        staff_id: member.id.clone(),
        licensee_id: member.licensee_id.clone(),
        csrf: session::random_token(),
        created_at: now,
        last_seen: now,
        expires_at: now + session::ABSOLUTE_LIFETIME,
    };
    deps.sessions.put_session(&new).await?;
    audit(deps, AuditKind::SignedIn, Some(&member.licensee_id), Some(&member.id), "signed_in").await?;
    tracing::info!(licensee = %member.licensee_id, staff = %member.id, "console sign-in");
    let mut response = web::redirect(&pending.return_to);
    set_cookie(&mut response, &session::set_cookie(session::SESSION_COOKIE, &value, None));
    set_cookie(&mut response, &session::clear_cookie(session::SIGN_IN_COOKIE));
    Ok(response)
}

/// A refused sign-in: audited, nothing created, the sign-in cookie cleared.
async fn refuse(deps: &Deps, reason: &str, member: Option<&StaffMember>) -> Result<Response<String>, Failure> {
    tracing::warn!(reason, "console sign-in refused");
    audit(deps, AuditKind::Refused, member.map(|m| &m.licensee_id), member.map(|m| &m.id), reason).await?;
    let mut response = pages::refused();
    set_cookie(&mut response, &session::clear_cookie(session::SIGN_IN_COOKIE));
    Ok(response)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn sign_out(deps: &Deps, req: &Request<Vec<u8>>) -> Result<Response<String>, Failure> {
    let Some(who) = signed_in(deps, req).await? else {
        return Ok(pages::sign_in(false));
    };
    let form: Option<CsrfForm> = web::parse_form(req.body()).ok();
    if !form.is_some_and(|f| session::equal(&f.csrf, &who.session.csrf)) {
        return Ok(posted::expired());
    }
    deps.sessions.delete_session(&who.session.key).await?;
    audit(deps, AuditKind::SignedOut, Some(&who.member.licensee_id), Some(&who.member.id), "signed_out").await?;
    let mut response = web::redirect("/console?signed-out");
    set_cookie(&mut response, &session::clear_cookie(session::SESSION_COOKIE));
    Ok(response)
}

pub(crate) async fn audit(
    deps: &Deps,
    kind: AuditKind,
    licensee: Option<&LicenseeId>,
    staff: Option<&sim::domain::staff::StaffId>,
    reason: &str,
) -> Result<(), StoreError> {
    deps.sessions
        .record_audit(&AuditEntry {
            at: deps.clock.now(),
            kind,
            licensee_id: licensee.cloned(),
            staff_id: staff.cloned(),
            reason: reason.to_owned(),
        })
        .await
}

fn set_cookie(response: &mut Response<String>, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
