//! `POST /v1/incidents/{id}/subjects`: police add a subject record (victim,
//! suspect, witness, associate) to the personal-data vault. Only callers
//! granted `may_add_subjects` may; the record is sealed before it is stored,
//! and neither the answer, an error nor a log line repeats a value sent.

use crate::auth::incident_for;
use crate::respond::json;
use crate::{Deps, IntakeError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use sim::domain::subject::{SubjectRecord, SubjectSource};
use sim::domain::Caller;
use sim::ids::{IncidentId, SubjectId};
use sim::vault::Reader;

#[derive(Serialize)]
struct Stored<'a> {
    id: &'a SubjectId,
    incident_id: &'a IncidentId,
    status: &'static str,
}

pub async fn add(deps: &Deps, caller: &Caller, id: &str, req: &Request) -> Result<Response<Body>, IntakeError> {
    if !caller.may_add_subjects {
        return Err(IntakeError::Forbidden(
            "This API key may not add subject records. The council grants that permission separately, under its \
             data-sharing agreement with your force."
                .into(),
        ));
    }
    let Some(vault) = deps.settings.vault.as_ref() else {
        return Err(IntakeError::Forbidden("This SIM deployment does not hold subject records.".into()));
    };
    let incident = incident_for(deps, caller, id).await?;
    // A parser's message may quote the body: say only where to look.
    let body = crate::body_json(req).map_err(|e| match e {
        IntakeError::MalformedJson(_) => {
            IntakeError::MalformedJson("check its syntax (details are withheld: the body holds personal data)".into())
        }
        other => other,
    })?;
    let source = SubjectSource::Police { caller_id: caller.id.clone() };
    let record = SubjectRecord::from_json(&body, deps.clock.now().date(), source).map_err(IntakeError::Invalid)?;
    let by = Reader { id: caller.id.to_string(), role: "police".into(), address: None };
    let subject = vault.add(&incident.licensee_id, &incident.id, &record, &by).await?;
    tracing::info!(incident_id = %incident.id, subject_id = %subject, caller_id = %caller.id, "subject record sealed and stored");
    let body = Stored { id: &subject, incident_id: &incident.id, status: "stored" };
    Ok(json(StatusCode::CREATED, &body))
}
