//! The police-facing incident API (API Gateway HTTP API, payload v2):
//!
//! - `POST /v1/incidents`: report an incident (202, or 200 for a retry)
//! - `POST /v1/incidents/{id}/updates`: police amendment, re-categorised
//! - `GET /v1/incidents/{id}`: status for the calling police system
//! - `POST /v1/incidents/{id}/subjects`: a subject record for the vault
//!   (callers granted `may_add_subjects` only)
//!
//! The handler routes on the raw path so the same function serves the local
//! stack and API Gateway. Every error is an RFC 9457 problem.

mod amend;
mod auth;
mod error;
pub mod reads;
mod report;
mod respond;
mod status;
mod strict_json;
mod subjects;

pub use error::IntakeError;

use lambda_http::{Body, Request, Response};
use sim::config::{parsed_or, ConfigError};
use time::Duration;

/// What the handler needs to do its work; built once per Lambda instance:
/// the hand-off wiring it shares with the sweeper, and intake's settings.
pub type Deps = sim::handoff::HandoffDeps<Settings>;

#[derive(Clone)]
pub struct Settings {
    /// How long a lapsed licence is still served: lives come first.
    pub licence_grace: Duration,
    /// How long ago an incident may have occurred when first reported; older
    /// ones (a placeholder 1900-01-01) are refused with 422 rather than
    /// alerted as if fresh.
    pub max_incident_age: Duration,
    /// The personal-data vault; `None` where it is not deployed (subject
    /// records are then refused).
    pub vault: Option<std::sync::Arc<sim::vault::Vault>>,
    /// Callers, areas and licensees kept in the warm container (`reads`):
    /// state rather than a setting, carried here so the hand-off wiring
    /// intake shares with the sweeper stays as it is.
    pub reads: std::sync::Arc<reads::Reads>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            licence_grace: Duration::days(30),
            max_incident_age: sim::domain::incident::DEFAULT_MAX_AGE,
            vault: None,
            reads: Default::default(),
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let days: u16 = parsed_or("LICENCE_GRACE_DAYS", 30)?;
        let max_age: u16 = parsed_or("MAX_INCIDENT_AGE_DAYS", 30)?;
        Ok(Self {
            licence_grace: Duration::days(days.into()),
            max_incident_age: Duration::days(max_age.into()),
            vault: None,
            reads: Default::default(),
        })
    }
}

/// Bodies larger than this are refused: a report is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    match route(deps, &req).await {
        Ok(response) => response,
        Err(error) => error.log_and_respond(),
    }
}

async fn route(deps: &Deps, req: &Request) -> Result<Response<Body>, IntakeError> {
    use lambda_http::http::Method;
    let path = req.uri().path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let method = req.method();
    match segments.as_slice() {
        ["v1", "incidents"] if method == Method::POST => report::post(deps, req).await,
        ["v1", "incidents", id, "updates"] if method == Method::POST => {
            let caller = auth::authenticate(deps, req).await?;
            amend::amend(deps, &caller, id, body_json(req)?).await
        }
        ["v1", "incidents", id] if method == Method::GET => {
            let caller = auth::authenticate(deps, req).await?;
            status::status(deps, &caller, id).await
        }
        ["v1", "incidents", id, "subjects"] if method == Method::POST => {
            let caller = auth::authenticate(deps, req).await?;
            subjects::add(deps, &caller, id, req).await
        }
        ["v1", "incidents"] | ["v1", "incidents", _, "updates" | "subjects"] => {
            Err(IntakeError::MethodNotAllowed("POST"))
        }
        ["v1", "incidents", _] => Err(IntakeError::MethodNotAllowed("GET")),
        _ => Err(IntakeError::NotFound),
    }
}

/// The request body as JSON: 413, 415 and 400 for the ways it can be wrong.
fn body_json(req: &Request) -> Result<serde_json::Value, IntakeError> {
    let content_type = req
        .headers()
        .get(lambda_http::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(IntakeError::UnsupportedMediaType);
    }
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(IntakeError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(IntakeError::MalformedJson("the request body is empty".into()));
    }
    strict_json::from_slice(bytes).map_err(|e| IntakeError::MalformedJson(e.to_string()))
}
