//! `GET /v1/incidents/{id}`: what police may see of an incident's progress.
//! No contact details and no personal data: ids, times, codes.

use crate::auth::incident_for;
use crate::respond::json;
use crate::{Deps, IntakeError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use sim::domain::Caller;
use time::OffsetDateTime;

#[derive(Serialize)]
struct Status {
    id: String,
    police_reference: String,
    licensee_id: String,
    #[serde(with = "time::serde::rfc3339")]
    received_at: OffsetDateTime,
    version: u32,
    /// Null until categorisation has run.
    category: Option<String>,
    handoff: &'static str,
    timeline: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    kind: &'static str,
}

pub async fn status(deps: &Deps, caller: &Caller, id: &str) -> Result<Response<Body>, IntakeError> {
    let incident = incident_for(deps, caller, id).await?;
    let (timeline, categorisation) =
        tokio::try_join!(deps.store.timeline(&incident.id), deps.store.get_categorisation(&incident.id))?;
    let body = Status {
        id: incident.id.to_string(),
        police_reference: incident.report.police_reference.as_str().to_owned(),
        licensee_id: incident.licensee_id.to_string(),
        received_at: incident.received_at,
        version: incident.version,
        category: categorisation.map(|c| c.category.to_string()),
        handoff: if incident.handoff.is_some() { "pending" } else { "done" },
        timeline: timeline.iter().map(|e| Entry { at: e.at, kind: e.event.kind() }).collect(),
    };
    Ok(json(StatusCode::OK, &body))
}
