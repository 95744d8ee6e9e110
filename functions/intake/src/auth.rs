//! Caller authentication: `Authorization: Bearer sim_<caller>_<secret>`,
//! checked in constant time against the stored hash.

use crate::{Deps, IntakeError};
use lambda_http::Request;
use sim::domain::{ApiKey, Caller};
use sim::ids::CallerId;

pub async fn authenticate(deps: &Deps, req: &Request) -> Result<Caller, IntakeError> {
    let (caller_id, key) = credentials(req)?;
    caller_with(deps, &caller_id, &key).await
}

/// The caller id and key a request presents, read without any I/O: a
/// request presenting none is refused before anything is read.
pub fn credentials(req: &Request) -> Result<(CallerId, ApiKey), IntakeError> {
    let presented = req
        .headers()
        .get(lambda_http::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_credentials)
        .ok_or(IntakeError::Unauthorised)?;
    ApiKey::parse(presented.trim()).ok_or(IntakeError::Unauthorised)
}

/// The caller whose key was presented, checked in constant time.
pub async fn caller_with(deps: &Deps, caller_id: &CallerId, key: &ApiKey) -> Result<Caller, IntakeError> {
    let reads = &deps.settings.reads;
    for fresh in [false, true] {
        let caller =
            reads.caller(&*deps.store, &*deps.clock, caller_id, fresh).await?.ok_or(IntakeError::Unauthorised)?;
        if caller.accepts(key) {
            return Ok(caller);
        }
        // Not the kept caller's key: read again before refusing, so a rotated key works at once.
    }
    Err(IntakeError::Unauthorised)
}

/// The credentials of a `Bearer` authorization: the scheme name is
/// case-insensitive (RFC 9110 §11.1), so `BEARER` and `bearer` are `Bearer`.
fn bearer_credentials(value: &str) -> Option<&str> {
    let value = value.trim_start();
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim()).filter(|c| !c.is_empty())
}

/// The incident, if it belongs to a licensee this caller acts for. Anything
/// else is "not found", so a caller cannot learn another licensee's ids.
pub async fn incident_for(deps: &Deps, caller: &Caller, id: &str) -> Result<sim::domain::Incident, IntakeError> {
    let id = sim::ids::IncidentId::parse(id).map_err(|_| IntakeError::NotFound)?;
    match deps.store.get_incident(&id).await? {
        Some(incident) if caller.may_act_for(&incident.licensee_id) => Ok(incident),
        _ => Err(IntakeError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_credentials;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for header in ["Bearer k", "bearer k", "BEARER k", "bEaReR   k "] {
            assert_eq!(bearer_credentials(header), Some("k"), "{header}");
        }
        for header in ["Basic k", "Bearerk", "Bearer ", "k"] {
            assert_eq!(bearer_credentials(header), None, "{header}");
        }
    }
}
