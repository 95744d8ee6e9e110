//! Stakeholder briefings: when a responder's change calls for one, and what an
//! update says. Sending them is the `briefings` function's work.

use crate::domain::checklist::ChecklistItem;
use crate::domain::choice::Choice;
use crate::domain::follow_up::{progress, BriefingCheck, BriefingContent, BriefingReason};
use crate::domain::notification::Categorisation;
use crate::domain::policy::AlertPolicy;
use crate::domain::{Event, Incident, TimelineEvent};
use crate::ports::{Store, StoreError};
use crate::render::{when_date, words};
use time::{Duration, OffsetDateTime};

/// The incident's categorisation and the alert policy it falls under, if any
/// (RECORD_ONLY has none: nobody is alerted, nobody is updated).
pub async fn policy_for(
    store: &dyn Store,
    incident: &Incident,
) -> Result<Option<(Categorisation, AlertPolicy)>, StoreError> {
    let (categorisation, licensee) =
        tokio::try_join!(store.get_categorisation(&incident.id), store.get_licensee(&incident.licensee_id))?;
    let (Some(categorisation), Some(licensee)) = (categorisation, licensee) else { return Ok(None) };
    Ok(licensee.policy_for_incident(incident, categorisation.category).map(|p| (categorisation, p)))
}

/// The check to queue after `changed` (the item as now stored) replaced its
/// earlier self in `before`: at once if it completed its section, else at the
/// end of the policy's gathering interval, so changes arrive as one digest.
pub fn check_after_change(
    before: &[ChecklistItem],
    changed: &ChecklistItem,
    policy: &AlertPolicy,
    now: OffsetDateTime,
) -> BriefingCheck {
    let section: Vec<&ChecklistItem> = before.iter().filter(|i| i.section_id == changed.section_id).collect();
    let was_complete = section.iter().all(|i| i.is_closed());
    let now_complete =
        section.iter().all(|i| if i.item_id == changed.item_id { changed.is_closed() } else { i.is_closed() });
    let (reason, due_at) = if now_complete && !was_complete {
        (BriefingReason::SectionComplete { section_id: changed.section_id.clone() }, now)
    } else {
        (BriefingReason::Changes, now + Duration::minutes(policy.briefing_every_minutes.into()))
    };
    BriefingCheck { incident_id: changed.incident_id.clone(), reason, due_at }
}

/// Whether an update reports this timeline entry.
pub fn is_reported(event: &Event) -> bool {
    matches!(
        event,
        Event::ChecklistChanged { .. }
            | Event::CategoryRaised { .. }
            | Event::Closed { .. }
            | Event::KeyDateAdded { .. }
    )
}

/// Open items listed in a review or key-date update; the page has the rest.
const MAX_OPEN_LISTED: usize = 20;

/// Update `number` for `reason`, reporting `events` (entries not yet covered)
/// against the checklist as it is now. Checklist wording, roles and counts
/// only: the notes and who made each change stay on the page.
pub fn compose(
    number: u32,
    reason: &BriefingReason,
    events: &[&TimelineEvent],
    checklist: &[ChecklistItem],
    closed: bool,
) -> BriefingContent {
    let mut lines = Vec::new();
    match reason {
        BriefingReason::Review { .. } => {
            lines.push(format!("The {} is due: please review the response and its open items.", reason.describe()))
        }
        BriefingReason::KeyDate { what, date } => lines.push(format!(
            "{} today ({}): a time of heightened risk. Please review the open items.",
            what.label(),
            when_date(*date)
        )),
        _ => {}
    }
    let mut items_seen: Vec<&str> = Vec::new();
    let mut sections_touched: Vec<&str> = Vec::new();
    for e in events {
        match &e.event {
            Event::ChecklistChanged { item_id, section_id, .. } => {
                if !sections_touched.contains(&section_id.as_str()) {
                    sections_touched.push(section_id);
                }
                if items_seen.contains(&item_id.as_str()) {
                    continue;
                }
                items_seen.push(item_id);
                if let Some(item) = checklist.iter().find(|i| &i.item_id == item_id) {
                    lines.push(format!("{}: {} - now {}.", item.section_title, item.text, words(item.status.as_str())));
                }
            }
            Event::CategoryRaised { from, to, .. } => {
                lines.push(format!("Category raised from {} to {}.", from.label(), to.label()))
            }
            Event::Closed { role, .. } => {
                lines.push(format!("The incident was closed by the {} lead.", role.as_str().replace('-', " ")))
            }
            Event::KeyDateAdded { what, date, .. } => {
                lines.push(format!("Key date added: {} on {}.", what.label(), when_date(*date)))
            }
            _ => {}
        }
    }
    let sections = progress(checklist);
    for (id, s) in &sections {
        if sections_touched.contains(&id.as_str()) && s.closed == s.total {
            lines.push(format!("Section complete: {}.", s.title));
        }
    }
    let open_items = if reason.is_digest() {
        vec![]
    } else {
        let open: Vec<&ChecklistItem> = checklist.iter().filter(|i| !i.is_closed()).collect();
        let mut listed: Vec<String> =
            open.iter().take(MAX_OPEN_LISTED).map(|i| format!("{}: {}", i.section_title, i.text)).collect();
        if open.len() > MAX_OPEN_LISTED {
            listed.push(format!("and {} more on the page", open.len() - MAX_OPEN_LISTED));
        }
        listed
    };
    BriefingContent {
        number,
        reason: reason.clone(),
        lines,
        sections: sections.into_iter().map(|(_, s)| s).collect(),
        open_items,
        closed,
    }
}
