//! The live board and the incident view (read-only). Every incident is
//! checked against the session's licensee: another licensee's id is 404,
//! exactly as an id that does not exist.

use crate::{pages, Deps, Failure, SignedIn};
use http::Response;
use serde::Serialize;
use sim::domain::checklist::ChecklistItem;
use sim::domain::delivery::{Delivery, DeliveryState};
use sim::domain::follow_up::FollowUp;
use sim::domain::notification::{Acknowledgement, Categorisation, Notification, Step};
use sim::domain::policy::AlertPolicy;
use sim::domain::staff::StaffMember;
use sim::domain::{Contact, Incident, TimelineEvent};
use sim::ids::IncidentId;
use sim::ports::incident_search::Received;
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
    pub deliveries: Vec<Delivery>,
    /// The licensee's staff, to name who did what.
    pub staff: Vec<StaffMember>,
    pub escalation: Option<Escalation>,
    /// Each accepted partner's own checklist section (issue 19), read only.
    pub partner_sections: Vec<sim::shares::PartnerSection>,
}

/// One row of the board.
pub struct BoardRow {
    pub incident: Incident,
    pub categorisation: Option<Categorisation>,
    pub notifications: Vec<Notification>,
    pub acknowledgements: Vec<Acknowledgement>,
    pub checklist: Vec<ChecklistItem>,
    pub deliveries: Vec<Delivery>,
    pub escalation: Option<Escalation>,
}

/// Where an incident's escalation stands in its current round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    /// Escalation steps that have run (0: only the first alerts).
    pub ran: u32,
    /// Steps the policy has.
    pub steps: u32,
    /// When the next step is due, if there is one.
    pub next_due: Option<OffsetDateTime>,
}

impl Escalation {
    /// Step index s writes messages at step s + 1: the highest escalation
    /// step written in this round says how many ran.
    pub fn of(categorisation: &Categorisation, policy: Option<&AlertPolicy>, notifications: &[Notification]) -> Self {
        let ran = notifications
            .iter()
            .filter(|n| n.round == categorisation.round)
            .filter_map(|n| match n.step {
                Step::Alert(step) => Some(step),
                Step::Briefing(_) => None,
            })
            .max()
            .unwrap_or(0);
        let steps = policy.map(|p| p.escalation.as_slice()).unwrap_or_default();
        let next_due = steps
            .get(ran as usize)
            .map(|s| categorisation.decided_at + time::Duration::minutes(s.after_minutes.into()));
        Escalation { ran, steps: steps.len() as u32, next_due }
    }
}

/// The delivery status receipts reported for a notification's current
/// message, if any: one about a message sent before a re-send (another
/// provider id) no longer describes it.
pub fn delivery_of<'a>(deliveries: &'a [Delivery], n: &Notification) -> Option<&'a Delivery> {
    deliveries
        .iter()
        .find(|d| d.key() == n.key() && n.provider_message_id.as_deref() == Some(d.provider_message_id.as_str()))
}

/// The incident named in a path, if it is this session's licensee's; None is a 404.
pub async fn own_incident(deps: &Deps, who: &SignedIn, id: &str) -> Result<Option<Incident>, StoreError> {
    let Ok(id) = IncidentId::parse(id) else { return Ok(None) };
    let incident = deps.store.get_incident(&id).await?.filter(|i| i.licensee_id == who.member.licensee_id);
    match incident {
        // A partner's linked incident only while its share stands accepted (issue 19).
        Some(i) if i.shared_from.is_some() => {
            Ok(sim::shares::may_open(&*deps.store, &who.member.licensee_id, &i).await?.then_some(i))
        }
        other => Ok(other),
    }
}

pub async fn board(
    deps: &Deps,
    who: &SignedIn,
    licensee: Option<&sim::domain::Licensee>,
    licensee_name: &str,
) -> Result<Response<String>, Failure> {
    let page = deps.search.recent_incidents(&who.member.licensee_id, Received::ANY, BOARD_SIZE, None).await?;
    let mut rows = Vec::new();
    for id in page.incidents {
        let store = &*deps.store;
        let (incident, follow_up, categorisation, notifications, acknowledgements, checklist, deliveries) = tokio::try_join!(
            store.get_incident(&id),
            store.get_follow_up(&id),
            store.get_categorisation(&id),
            store.notifications(&id),
            store.acknowledgements(&id),
            store.checklist(&id),
            store.deliveries(&id),
        )?;
        let Some(incident) = incident.filter(|i| i.licensee_id == who.member.licensee_id) else { continue };
        if follow_up.as_ref().is_some_and(|f| f.closure.is_some()) {
            continue;
        }
        if incident.shared_from.is_some() && !sim::shares::may_open(store, &who.member.licensee_id, &incident).await? {
            continue; // a partner's linked incident whose share was withdrawn (issue 19)
        }
        let escalation = categorisation.as_ref().map(|c| {
            let policy = licensee.and_then(|l| l.policy_for(c.category));
            Escalation::of(c, policy.as_ref(), &notifications)
        });
        rows.push(BoardRow {
            incident,
            categorisation,
            notifications,
            acknowledgements,
            checklist,
            deliveries,
            escalation,
        });
    }
    Ok(pages::board(who, licensee_name, &rows, deps.clock.now()))
}

pub async fn view(deps: &Deps, who: &SignedIn, id: &str, kind: Option<&str>) -> Result<Response<String>, Failure> {
    let Some(incident) = own_incident(deps, who, id).await? else {
        return Ok(pages::not_found());
    };
    show(deps, who, incident, kind, &[]).await
}

/// The incident view of an incident already checked to be the session's
/// licensee's; with `errors`, a form on it was refused (422, error summary).
pub async fn show(
    deps: &Deps,
    who: &SignedIn,
    incident: Incident,
    kind: Option<&str>,
    errors: &[&str],
) -> Result<Response<String>, Failure> {
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
    let (deliveries, staff, licensee, partner_sections) = tokio::try_join!(
        store.deliveries(id),
        deps.staff.staff(&incident.licensee_id),
        store.get_licensee(&incident.licensee_id),
        sim::shares::partner_sections(store, &incident),
    )?;
    let escalation = categorisation.as_ref().map(|c| {
        let policy = licensee.as_ref().and_then(|l| l.policy_for(c.category));
        Escalation::of(c, policy.as_ref(), &notifications)
    });
    let view = IncidentView {
        incident,
        categorisation,
        notifications,
        acknowledgements,
        checklist,
        follow_up,
        timeline,
        contacts,
        deliveries,
        staff,
        escalation,
        partner_sections,
    };
    Ok(crate::incident_page::incident(who, &view, kind, deps.clock.now(), errors))
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

/// Messages per channel: (sent, failed, waiting). A message the provider
/// accepted but a receipt later reported undeliverable counts as failed.
pub fn per_channel(notifications: &[Notification], deliveries: &[Delivery]) -> BTreeMap<String, (usize, usize, usize)> {
    let mut counts = BTreeMap::new();
    for n in notifications {
        let entry = counts.entry(label(&n.channel)).or_insert((0, 0, 0));
        let undeliverable = delivery_of(deliveries, n).is_some_and(|d| d.state == DeliveryState::FailedPermanent);
        match label(&n.status).as_str() {
            "sent" if undeliverable => entry.1 += 1,
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

/// The past-incidents search form, as the browser sends it (all optional).
#[derive(Debug, Default, serde::Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub ward: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub page: String,
}

/// How many incidents one search page shows.
pub const SEARCH_PAGE: usize = 25;

/// At most this many index reads fill one search page.
pub const SEARCH_READS: usize = 8;

fn day(text: &str, end: bool) -> Result<Option<OffsetDateTime>, &'static str> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let date = time::Date::parse(text.trim(), time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| "Enter dates as day, month and year, for example 2026-11-21.")?;
    let time =
        if end { time::Time::from_hms(23, 59, 59).unwrap_or(time::Time::MIDNIGHT) } else { time::Time::MIDNIGHT };
    Ok(Some(date.with_time(time).assume_utc()))
}

/// Past incidents: the date range is a key condition on the index (paged by
/// DynamoDB); category, ward and police reference narrow each page read, and
/// reads go on until the page is full (at most `SEARCH_READS` of them).
pub async fn search(deps: &Deps, who: &SignedIn, form: &SearchForm) -> Result<Response<String>, Failure> {
    use sim::domain::choice::Choice;
    let mut errors = Vec::new();
    let from = day(&form.from, false).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let to = day(&form.to, true).unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    let category =
        sim::domain::category::Category::ALL.iter().find(|(text, _)| *text == form.category).map(|(_, c)| *c);
    if !form.category.is_empty() && category.is_none() {
        errors.push("Choose a category from the list.");
    }
    if !errors.is_empty() {
        return Ok(pages::search(who, form, &[], None, &errors));
    }
    let received = Received { from, to };
    let mut cursor = (!form.page.is_empty()).then(|| form.page.clone());
    let (ward, reference) = (form.ward.trim().to_lowercase(), form.reference.trim().to_lowercase());
    let mut rows = Vec::new();
    // Filters other than dates narrow what each index page holds: keep
    // reading until the page is full, the index ends, or the bound is hit
    // (then the page is short and "Older incidents" reads on). Each read
    // asks only for as many as the page still lacks, so the cursor never
    // skips a match.
    for _ in 0..SEARCH_READS {
        let wanted = SEARCH_PAGE - rows.len();
        let page = deps.search.recent_incidents(&who.member.licensee_id, received, wanted, cursor.as_deref()).await?;
        for id in &page.incidents {
            let (incident, categorisation) =
                tokio::try_join!(deps.store.get_incident(id), deps.store.get_categorisation(id))?;
            let Some(incident) = incident.filter(|i| i.licensee_id == who.member.licensee_id) else { continue };
            let ward_ok = ward.is_empty()
                || incident.report.location.ward.as_ref().is_some_and(|w| w.as_str().to_lowercase().contains(&ward));
            let reference_ok =
                reference.is_empty() || incident.report.police_reference.as_str().to_lowercase().contains(&reference);
            let category_ok = category.is_none() || categorisation.as_ref().map(|c| c.category) == category;
            if ward_ok && reference_ok && category_ok {
                rows.push((incident, categorisation));
            }
        }
        cursor = page.next;
        if cursor.is_none() || rows.len() >= SEARCH_PAGE {
            break;
        }
    }
    Ok(pages::search(who, form, &rows, cursor.as_deref(), &[]))
}
