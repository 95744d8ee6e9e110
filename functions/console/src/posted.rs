//! A posted console form, read one way: the body parsed (400 if it cannot
//! be), its CSRF token compared in constant time with the session's (403,
//! "the form has expired"), then the role the action needs (403). Duty
//! actions, shares and the directory all read their forms through `read`;
//! pages with another shape of body (an upload) check the token with
//! `csrf_ok` and answer `expired()`.

use crate::{pages, session, SignedIn};
use http::{Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use sim::domain::staff::ConsoleRole;
use sim::web;

/// A form that carries the session's CSRF token.
pub(crate) trait CsrfForm: DeserializeOwned {
    fn csrf(&self) -> &str;
}

/// The answer given instead of the form: boxed, as a `Response` is large.
pub(crate) type Refused = Box<Response<String>>;

/// The posted form, checked: a 400 if it cannot be read, a 403 for a stale
/// form, then a 403 unless the signed-in person has `role`.
pub(crate) fn read<F: CsrfForm>(who: &SignedIn, req: &Request<Vec<u8>>, role: ConsoleRole) -> Result<F, Refused> {
    let Ok(form) = web::parse_form::<F>(req.body()) else { return Err(Box::new(unreadable())) };
    match refusal(who, form.csrf(), role) {
        Some(refused) => Err(Box::new(refused)),
        None => Ok(form),
    }
}

/// The checks on a token already in hand: a 403 for a stale form, then a 403
/// unless the signed-in person has `role`.
pub(crate) fn refusal(who: &SignedIn, csrf: &str, role: ConsoleRole) -> Option<Response<String>> {
    if !csrf_ok(who, csrf) {
        return Some(expired());
    }
    if !who.member.has(role) {
        return Some(pages::problem(StatusCode::FORBIDDEN, not_allowed(role)));
    }
    None
}

pub(crate) fn csrf_ok(who: &SignedIn, presented: &str) -> bool {
    session::equal(presented, &who.session.csrf)
}

/// The answer to a form whose CSRF token is not the session's.
pub(crate) fn expired() -> Response<String> {
    pages::problem(StatusCode::FORBIDDEN, "That form has expired. Go back, reload the page and try again.")
}

/// The answer to a body that is not a form of the expected shape.
pub(crate) fn unreadable() -> Response<String> {
    pages::problem(StatusCode::BAD_REQUEST, "The form could not be read. Go back and try again.")
}

fn not_allowed(role: ConsoleRole) -> &'static str {
    match role {
        ConsoleRole::Duty => "Only duty officers can do that.",
        ConsoleRole::Admin => "Only your council's SIM administrators can do that.",
        ConsoleRole::Dpo => "Only your council's data protection officer can do that.",
        ConsoleRole::Viewer => "Only your council's console staff can do that.",
    }
}

/// A form read as its field pairs (the directory's contact form has
/// columns that grow with the CSV file); a missing field reads as empty.
pub(crate) struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// A field's value, empty when absent.
    pub fn one(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::deserialize(deserializer).map(Fields)
    }
}

impl CsrfForm for Fields {
    fn csrf(&self) -> &str {
        self.one("csrf")
    }
}

/// A form with nothing but its token (a button).
#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    /// Absent reads as empty, so a form without one is stale (403), not unreadable.
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}
