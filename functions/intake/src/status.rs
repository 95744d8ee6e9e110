//! `GET /v1/incidents/{id}`: what police may see of an incident's progress.
//! No contact details and no personal data: ids, times, codes.

use crate::auth::incident_for;
use crate::respond::json;
use crate::{Deps, IntakeError};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use sim::domain::follow_up::progress;
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
    /// "pending" until categorisation has taken up the latest change (it
    /// clears the marker), then "done". Values kept stable for police callers.
    handoff: &'static str,
    /// Who has acknowledged, by role (never names or contact details).
    acknowledgements: Vec<RoleAck>,
    /// Required roles alerted that have not acknowledged yet.
    awaiting: Vec<String>,
    /// Response checklist progress by section (empty until it is opened).
    checklist: Vec<SectionProgress>,
    /// When the lead role closed the incident; null while open.
    #[serde(with = "time::serde::rfc3339::option")]
    closed_at: Option<OffsetDateTime>,
    /// Delivery of the alerts per person (by role, never who) and channel:
    /// the furthest state the provider reported.
    delivery: Vec<DeliveryEntry>,
    /// Messages that will never arrive (bounced, unreachable, failed).
    delivery_failures: usize,
    timeline: Vec<Entry>,
    /// Other areas police named as connected to the incident (names only).
    connected_areas: Vec<String>,
    /// The other licensees the incident is shared with (issue 19): where
    /// each share stands and, once accepted, who has acknowledged by role.
    shared_with: Vec<Partner>,
}

#[derive(Serialize)]
struct Partner {
    licensee_id: String,
    share: String,
    acknowledgements: Vec<String>,
    awaiting: Vec<String>,
}

#[derive(Serialize)]
struct DeliveryEntry {
    role: String,
    channel: String,
    state: String,
}

#[derive(Serialize)]
struct SectionProgress {
    section: String,
    title: String,
    done: u32,
    total: u32,
}

#[derive(Serialize)]
struct RoleAck {
    role: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

#[derive(Serialize)]
struct Entry {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    kind: &'static str,
}

pub async fn status(deps: &Deps, caller: &Caller, id: &str) -> Result<Response<Body>, IntakeError> {
    let incident = incident_for(deps, caller, id).await?;
    let store = &*deps.store;
    let (timeline, categorisation, acks, notifications, items, follow_up, deliveries) = tokio::try_join!(
        store.timeline(&incident.id),
        store.get_categorisation(&incident.id),
        store.acknowledgements(&incident.id),
        store.notifications(&incident.id),
        store.checklist(&incident.id),
        store.get_follow_up(&incident.id),
        store.deliveries(&incident.id),
    )?;
    // Only an incident with connected areas can have shares: no request otherwise.
    let shared_with = if incident.report.connected_areas.is_empty() {
        Vec::new()
    } else {
        sim::shares::involved(store, &incident.id).await?
    };
    let delivery = sim::domain::delivery::per_person_and_channel(&deliveries)
        .into_iter()
        .map(|(contact, channel, state)| DeliveryEntry {
            role: notifications
                .iter()
                .find(|n| n.contact_id == contact)
                .map_or_else(|| "unknown".to_owned(), |n| n.role.to_string()),
            channel: channel.to_string(),
            state: state.to_string(),
        })
        .collect();
    let checklist = progress(&items)
        .into_iter()
        .map(|(section, p)| SectionProgress { section, title: p.title, done: p.closed, total: p.total })
        .collect();
    // The first acknowledgement of each role.
    let mut acknowledgements: Vec<RoleAck> = Vec::new();
    for a in &acks {
        if !acknowledgements.iter().any(|r| r.role == a.role.as_str()) {
            acknowledgements.push(RoleAck { role: a.role.to_string(), at: a.at });
        }
    }
    let mut awaiting: Vec<String> = notifications
        .iter()
        .filter(|n| n.required && !acknowledgements.iter().any(|r| r.role == n.role.as_str()))
        .map(|n| n.role.to_string())
        .collect();
    awaiting.sort();
    awaiting.dedup();
    let body = Status {
        id: incident.id.to_string(),
        police_reference: incident.report.police_reference.as_str().to_owned(),
        licensee_id: incident.licensee_id.to_string(),
        received_at: incident.received_at,
        version: incident.version,
        category: categorisation.map(|c| c.category.to_string()),
        handoff: if incident.handoff.is_some() { "pending" } else { "done" },
        acknowledgements,
        awaiting,
        checklist,
        closed_at: follow_up.and_then(|f| f.closure).map(|c| c.at),
        delivery,
        delivery_failures: sim::domain::delivery::failures(&deliveries),
        timeline: timeline.iter().map(|e| Entry { at: e.at, kind: e.event.kind() }).collect(),
        connected_areas: incident.report.connected_areas.iter().map(|a| a.as_str().to_owned()).collect(),
        shared_with: shared_with
            .into_iter()
            .map(|p| Partner {
                licensee_id: p.licensee_id.to_string(),
                share: p.state.to_string(),
                acknowledgements: p.acknowledged,
                awaiting: p.awaiting,
            })
            .collect(),
    };
    Ok(json(StatusCode::OK, &body))
}
