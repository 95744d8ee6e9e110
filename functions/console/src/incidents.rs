//! The live board and the incident view (read-only). Every incident is
//! checked against the session's licensee: another licensee's id is 404,
//! exactly as an id that does not exist.

use crate::{pages, Deps, Failure, SignedIn};
use http::Response;
use serde::Serialize;
use sim::domain::checklist::ChecklistItem;
use sim::domain::follow_up::FollowUp;
use sim::domain::notification::{Acknowledgement, Categorisation, Notification};
use sim::domain::{Contact, Incident, TimelineEvent};
use sim::ids::IncidentId;
use sim::ports::StoreError;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How many of the newest incidents the board looks at.
const BOARD_SIZE: usize = 50;

/// Everything the incident view shows.
pub struct IncidentView {
    pub incident: Incident,
    pub categorisation: Option<Categorisation>,
    pub notifications: Vec<Notification>,
    pub acknowledgements: Vec<Acknowledgement>,
    pub checklist: Vec<ChecklistItem>,
    pub follow_up: Option<FollowUp>,
    pub timeline: Vec<TimelineEvent>,
    pub contacts: Vec<Contact>,
}

/// One row of the board.
pub struct BoardRow {
    pub incident: Incident,
    pub categorisation: Option<Categorisation>,
    pub notifications: Vec<Notification>,
    pub acknowledgements: Vec<Acknowledgement>,
    pub checklist: Vec<ChecklistItem>,
}

/// The incident named in a path, if it is this session's licensee's; None is a 404.
pub async fn own_incident(deps: &Deps, who: &SignedIn, id: &str) -> Result<Option<Incident>, StoreError> {
    let Ok(id) = IncidentId::parse(id) else { return Ok(None) };
    Ok(deps.store.get_incident(&id).await?.filter(|i| i.licensee_id == who.member.licensee_id))
}

pub async fn board(deps: &Deps, who: &SignedIn, licensee_name: &str) -> Result<Response<String>, Failure> {
    let page = deps.search.recent_incidents(&who.member.licensee_id, BOARD_SIZE, None).await?;
    let mut rows = Vec::new();
    for id in page.incidents {
        let store = &*deps.store;
        let (incident, follow_up, categorisation, notifications, acknowledgements, checklist) = tokio::try_join!(
            store.get_incident(&id),
            store.get_follow_up(&id),
            store.get_categorisation(&id),
            store.notifications(&id),
            store.acknowledgements(&id),
            store.checklist(&id),
        )?;
        let Some(incident) = incident.filter(|i| i.licensee_id == who.member.licensee_id) else { continue };
        if follow_up.as_ref().is_some_and(|f| f.closure.is_some()) {
            continue;
        }
        rows.push(BoardRow { incident, categorisation, notifications, acknowledgements, checklist });
    }
    Ok(pages::board(who, licensee_name, &rows, deps.clock.now()))
}

pub async fn view(deps: &Deps, who: &SignedIn, id: &str, kind: Option<&str>) -> Result<Response<String>, Failure> {
    let Some(incident) = own_incident(deps, who, id).await? else {
        return Ok(pages::not_found());
    };
    let store = &*deps.store;
    let id = &incident.id;
    let (categorisation, notifications, acknowledgements, checklist, follow_up, timeline, contacts) = tokio::try_join!(
        store.get_categorisation(id),
        store.notifications(id),
        store.acknowledgements(id),
        store.checklist(id),
        store.get_follow_up(id),
        store.timeline(id),
        store.contacts(&incident.licensee_id),
    )?;
    let view = IncidentView {
        incident,
        categorisation,
        notifications,
        acknowledgements,
        checklist,
        follow_up,
        timeline,
        contacts,
    };
    Ok(pages::incident(who, &view, kind, deps.clock.now()))
}

/// The snake_case name serde gives an enum value ("life_threatening" → "life threatening").
pub fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s.replace('_', " "),
        Ok(serde_json::Value::Object(o)) => {
            o.get("kind").and_then(|k| k.as_str()).map(|s| s.replace('_', " ")).unwrap_or_default()
        }
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Messages per channel: (sent, failed, waiting).
pub fn per_channel(notifications: &[Notification]) -> BTreeMap<String, (usize, usize, usize)> {
    let mut counts = BTreeMap::new();
    for n in notifications {
        let entry = counts.entry(label(&n.channel)).or_insert((0, 0, 0));
        match label(&n.status).as_str() {
            "sent" | "delivered" => entry.0 += 1,
            "failed" => entry.1 += 1,
            _ => entry.2 += 1,
        }
    }
    counts
}

/// A duration as people say it: "4 min", "2 h 5 min", "3 days".
pub fn age(since: OffsetDateTime, now: OffsetDateTime) -> String {
    let minutes = (now - since).whole_minutes().max(0);
    match minutes {
        0..=59 => format!("{minutes} min"),
        60..=2879 => format!("{} h {} min", minutes / 60, minutes % 60),
        _ => format!("{} days", minutes / 1440),
    }
}
