//! `POST /v1/incidents`: validate, resolve the licensee, store once, hand on.

use crate::respond::json_with;
use crate::{Deps, IntakeError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use sim::domain::incident::{HandoffReason, PendingHandoff};
use sim::domain::{Caller, Entitlement, Event, Incident, IncidentReport, Licensee, TimelineEvent};
use sim::ids::{IncidentId, LicenseeId};
use sim::ports::store::{CreateOutcome, LapseNotice, ReportKey};
use sim::ports::StoreError;
use time::OffsetDateTime;

#[derive(Serialize)]
struct Accepted<'a> {
    id: &'a IncidentId,
    police_reference: &'a str,
    status: &'static str,
    links: Links,
    /// What SIM did not use, for the integrator to fix (never refusal reasons).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<&'static str>,
}

/// Told to police when their ward is not one the licensee knows.
const WARD_NOT_KNOWN: &str = "location.ward is not one of the licensee's known wards (by name or ONS code): the \
     incident is alerted by borough only, and SIM's operators will check the ward";

#[derive(Serialize)]
struct Links {
    #[serde(rename = "self")]
    this: String,
    /// Where amendments are posted (the police API keeps its published path).
    #[serde(rename = "updates")]
    amendments: String,
}

fn accepted(id: &IncidentId, reference: &str, status: StatusCode, warnings: Vec<&'static str>) -> Response<Body> {
    let this = format!("/v1/incidents/{id}");
    let body = Accepted {
        id,
        police_reference: reference,
        status: if status == StatusCode::ACCEPTED { "accepted" } else { "already_received" },
        links: Links { this: this.clone(), amendments: format!("{this}/updates") },
        warnings,
    };
    json_with(status, &body, Some(this))
}

/// `POST /v1/incidents`. A cold container reads the caller and the
/// licensee covering the report's borough at once, then the licensee: two
/// round trips before the transaction rather than three. The answers keep
/// their order: a request without a valid key is answered 401 whatever its
/// body (the area's answer is never looked at, and a request presenting no
/// key reads nothing), then what is wrong with the body, then the borough.
pub async fn post(deps: &Deps, req: &Request) -> Result<Response<Body>, IntakeError> {
    let (caller_id, key) = crate::auth::credentials(req)?;
    let now = deps.clock.now();
    let parsed = crate::body_json(req).and_then(|body| {
        IncidentReport::from_json_within(&body, now, deps.settings.max_incident_age).map_err(IntakeError::Invalid)
    });
    let (store, clock, reads) = (&*deps.store, &*deps.clock, &deps.settings.reads);
    let area = async {
        match &parsed {
            Ok(report) => Some(reads.licensee_for_area(store, clock, &report.location.borough).await),
            Err(_) => None,
        }
    };
    let (caller, area) = tokio::join!(crate::auth::caller_with(deps, &caller_id, &key), area);
    let caller = caller?;
    let report = parsed?;
    let area = area.expect("the area is read for every report that parses");
    accept(deps, &caller, report, area, now).await
}

/// A parsed report from an authenticated caller, with what the store said
/// of its borough's licensee.
async fn accept(
    deps: &Deps,
    caller: &Caller,
    mut report: IncidentReport,
    area: Result<Option<LicenseeId>, StoreError>,
    now: OffsetDateTime,
) -> Result<Response<Body>, IntakeError> {
    // A police retry is found by the transaction's own condition below; only
    // a refusal looks for one first, so a retry of a report accepted before is
    // answered as before without re-checking the licence.
    let served = licensee_for(deps, caller, area).await.and_then(|licensee| {
        match licensee.entitlement(now.date(), deps.settings.licence_grace) {
            Entitlement::Served => Ok((licensee, None)),
            Entitlement::ServedInGrace { lapsed_on } => Ok((licensee, Some(lapsed_on))),
            Entitlement::Refused { reason } => Err(IntakeError::Forbidden(reason)),
        }
    });
    let (licensee, grace) = match served {
        Ok(served) => served,
        Err(refusal) => {
            return match deps.store.report_key(&caller.id, &report.police_reference).await? {
                Some(key) => retry(deps, key, &report, None).await,
                None => Err(refusal),
            }
        }
    };

    // Fingerprinted as sent, before the ward is matched, as a retry will be.
    let fingerprint = report.fingerprint();
    let ward_unmatched = report.match_ward(&licensee.wards);
    let id = IncidentId::generate(&*deps.ids);
    let incident = Incident {
        id: id.clone(),
        licensee_id: licensee.id.clone(),
        caller_id: caller.id.clone(),
        fingerprint,
        report,
        received_at: now,
        version: 1,
        handoff: Some(PendingHandoff::new(HandoffReason::Reported, now)),
        shared_from: None,
    };
    let mut events = vec![TimelineEvent::new(&*deps.ids, &id, now, Event::Reported { caller_id: caller.id.clone() })];
    if ward_unmatched {
        events.push(TimelineEvent::new(&*deps.ids, &id, now, Event::WardNotRecognised));
    }
    if let Some(lapsed_on) = grace {
        events.push(TimelineEvent::new(&*deps.ids, &id, now, Event::ServedInLicenceGrace { lapsed_on }));
    }

    match deps.store.create_incident(&incident, &events).await? {
        CreateOutcome::Created => {}
        // Lost a race with a concurrent retry of the same report.
        CreateOutcome::AlreadyReported(key) => return retry(deps, key, &incident.report, Some(&licensee)).await,
    }
    tracing::info!(incident_id = %id, licensee_id = %licensee.id, caller_id = %caller.id, "incident stored");
    if ward_unmatched {
        // For operators; the ward text itself stays out of logs.
        tracing::warn!(incident_id = %id, licensee_id = %licensee.id, "ward is not one of the licensee's known wards");
    }

    if let Some(lapsed_on) = grace {
        let notice = LapseNotice { licensee_id: licensee.id.clone(), incident_id: id.clone(), lapsed_on, at: now };
        tracing::warn!(incident_id = %id, licensee_id = %licensee.id, %lapsed_on, "served on a lapsed licence within grace");
        if let Err(error) = deps.store.record_lapse(&notice).await {
            // The timeline already records it; the operator list can miss one.
            tracing::warn!(incident_id = %id, error = %error, "could not add to the operators' lapse list");
        }
    }
    hand_on_or_leave_for_sweep(deps, &incident, Some(&licensee)).await;
    let warnings = if ward_unmatched { vec![WARD_NOT_KNOWN] } else { vec![] };
    Ok(accepted(&id, incident.report.police_reference.as_str(), StatusCode::ACCEPTED, warnings))
}

/// The incident is stored with its hand-off marker, so a failure here loses
/// nothing: the sweeper (or the police retry) hands it on. With the
/// incident's licensee in hand, the message names the ward window its rules
/// need, so categorisation reads the ward's history at once.
pub async fn hand_on_or_leave_for_sweep(deps: &Deps, incident: &Incident, licensee: Option<&Licensee>) {
    if let Err(error) = deps.handoff().hand_on(incident, licensee).await {
        tracing::warn!(incident_id = %incident.id, error = %error, "hand-off deferred to the sweeper");
    }
}

async fn retry(
    deps: &Deps,
    key: ReportKey,
    report: &IncidentReport,
    licensee: Option<&Licensee>,
) -> Result<Response<Body>, IntakeError> {
    if key.fingerprint != report.fingerprint() {
        return Err(IntakeError::DuplicateReference { incident_id: key.incident_id });
    }
    if let Some(incident) = deps.store.get_incident(&key.incident_id).await? {
        hand_on_or_leave_for_sweep(deps, &incident, licensee).await;
    }
    tracing::info!(incident_id = %key.incident_id, "police retry answered with the stored incident");
    Ok(accepted(&key.incident_id, key.police_reference.as_str(), StatusCode::OK, vec![]))
}

/// The licensee covering the borough (`area`: the store's answer for it),
/// if this caller may report to it.
async fn licensee_for(
    deps: &Deps,
    caller: &Caller,
    area: Result<Option<LicenseeId>, StoreError>,
) -> Result<Licensee, IntakeError> {
    // The borough is free text: the answer (and so the log) never repeats it.
    let not_covered = || {
        IntakeError::Forbidden(
            "No SIM licensee covers the borough in location.borough. Send the borough's or district's name \
             (e.g. Lambeth) or its ONS code (e.g. E09000022); if it is right, call the SIM service desk."
                .into(),
        )
    };
    let id = area?.ok_or_else(not_covered)?;
    if !caller.may_act_for(&id) {
        return Err(IntakeError::Forbidden(
            "This API key is not authorised to report incidents in the borough in location.borough.".into(),
        ));
    }
    deps.settings.reads.licensee(&*deps.store, &*deps.clock, &id).await?.ok_or_else(not_covered)
}
