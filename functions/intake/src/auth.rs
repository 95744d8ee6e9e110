//! Caller authentication: `Authorization: Bearer sim_<caller>_<secret>`,
//! checked in constant time against the stored hash.

use crate::{Deps, IntakeError};
use lambda_http::Request;
use sim::domain::{ApiKey, Caller};

pub async fn authenticate(deps: &Deps, req: &Request) -> Result<Caller, IntakeError> {
    let presented = req
        .headers()
        .get(lambda_http::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or(IntakeError::Unauthorised)?;
    let (caller_id, key) = ApiKey::parse(presented.trim()).ok_or(IntakeError::Unauthorised)?;
    let caller = deps.store.get_caller(&caller_id).await?.ok_or(IntakeError::Unauthorised)?;
    if caller.key_hash.matches(&key) {
        Ok(caller)
    } else {
        Err(IntakeError::Unauthorised)
    }
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
