//! Running the response checklist from the personal page: each item has its
//! own small form (status, who has it, a note), posted to
//! `/a/{token}/items/{item}`. The link opens only its own incident's items,
//! and a form from a page older than the item's last change is refused with
//! a message to reload, so nobody overwrites a colleague's update unseen.
//! Each change queues a briefing check (see the briefings function).

use crate::{posted, Deps, PageError};
use lambda_http::Request;
use serde::Deserialize;
use sim::briefings::{check_after_change, policy_for};
use sim::domain::checklist::{Assignee, ChecklistItem, ItemChange, ItemStatus, MAX_NOTES_PER_ITEM};
use sim::domain::choice::Choice;
use sim::domain::notification::Notification;
use sim::domain::{Contact, Event, Role, TimelineEvent};
use sim::ids::ContactId;
use sim::ports::DelayedCheck;
use sim::ports::StoreError;
use sim::web::{self, HtmlResponse};

/// Who an item can be given to: the people alerted for this incident, and their roles.
pub struct People {
    pub roles: Vec<Role>,
    pub people: Vec<(ContactId, String)>,
}

pub fn people_of(notifications: &[Notification], contacts: &[Contact]) -> People {
    let mut roles: Vec<Role> = notifications.iter().map(|n| n.role.clone()).collect();
    roles.sort();
    roles.dedup();
    let mut people: Vec<(ContactId, String)> = contacts
        .iter()
        .filter(|c| notifications.iter().any(|n| n.contact_id == c.id))
        .map(|c| (c.id.clone(), c.name.clone()))
        .collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    People { roles, people }
}

fn parse_assignee(value: &str, me: &ContactId) -> Option<Option<Assignee>> {
    match value {
        "" => Some(None),
        "me" => Some(Some(Assignee::Person(me.clone()))),
        v => {
            if let Some(role) = v.strip_prefix("role:") {
                Role::parse(role).ok().map(|r| Some(Assignee::Role(r)))
            } else {
                let person = v.strip_prefix("person:")?;
                ContactId::parse(person).ok().map(|p| Some(Assignee::Person(p)))
            }
        }
    }
}

const TOO_MANY_NOTES: (&str, &str) = (
    "That note cannot be saved",
    "This item has as many notes as it can keep (200). Record further detail in your own case system.",
);

const NOT_ALERTED: (&str, &str) = (
    "That item was not assigned",
    "Items can be given only to the people and roles alerted for this incident. Choose one from the list.",
);

/// One item's form as posted.
#[derive(Deserialize)]
struct ItemForm {
    version: Option<u32>,
    status: Option<String>,
    assignee: Option<String>,
    note: Option<String>,
}

pub async fn update(deps: &Deps, token: &str, item_id: &str, req: &Request) -> Result<HtmlResponse, PageError> {
    let (claims, form): (_, ItemForm) = posted(deps, token, req)?;
    crate::open_incident(&*deps.store, &claims.incident_id).await?;
    let items = deps.store.checklist(&claims.incident_id).await?;
    let Some(item) = items.iter().find(|i| i.item_id == item_id).cloned() else {
        return Err(PageError::NotFound);
    };
    if form.version != Some(item.version) {
        return Err(PageError::StaleItem);
    }
    let note = match form.note.as_deref().map(ItemChange::parse_note).transpose() {
        Ok(note) => note.flatten(),
        Err(message) => return Err(PageError::Invalid(("That note cannot be saved", message))),
    };
    if note.is_some() && item.notes.len() >= MAX_NOTES_PER_ITEM {
        return Err(PageError::Invalid(TOO_MANY_NOTES));
    }
    let assignee = form.assignee.as_deref().and_then(|v| parse_assignee(v, &claims.contact_id));
    if let Some(Some(assignee)) = &assignee {
        let notifications = deps.store.notifications(&claims.incident_id).await?;
        let alerted = notifications.iter().any(|n| match assignee {
            Assignee::Person(p) => n.contact_id == *p,
            Assignee::Role(r) => n.role == *r,
        });
        if !alerted {
            return Err(PageError::Invalid(NOT_ALERTED));
        }
    }
    let change = ItemChange { status: form.status.as_deref().and_then(ItemStatus::parse), assignee, note };
    let now = deps.clock.now();
    let (next, changes) = item.apply(&change, &claims.contact_id, now);
    if !changes.is_empty() {
        let event = TimelineEvent::new(
            &*deps.ids,
            &claims.incident_id,
            now,
            Event::ChecklistChanged {
                item_id: item.item_id.clone(),
                section_id: item.section_id.clone(),
                contact_id: claims.contact_id.clone(),
                changes,
            },
        );
        match deps.store.update_checklist_item(&next, &[event]).await {
            Ok(()) => tracing::info!(incident_id = %claims.incident_id, item = %item.item_id, "checklist item changed"),
            Err(StoreError::Conflict) => return Err(PageError::StaleItem),
            Err(e) => return Err(e.into()),
        }
        schedule_briefing(deps, &items, &next).await;
    }
    // Back to the page, at the item: a reload does not post again.
    Ok(web::redirect(&format!("{}/a/{token}#item-{}", deps.site.base_path(), item.item_id)))
}

/// Queues the briefing check this change calls for. The change is
/// saved by now: if this fails, the next change's check (or the closing
/// update) reports it too, so the failure is logged, not shown as though the
/// change were lost.
async fn schedule_briefing(deps: &Deps, before: &[ChecklistItem], changed: &ChecklistItem) {
    let queued: Result<(), Box<dyn std::error::Error + Send + Sync>> = async {
        let Some(incident) = deps.store.get_incident(&changed.incident_id).await? else { return Ok(()) };
        let Some((_, policy)) = policy_for(&*deps.store, &incident).await? else { return Ok(()) };
        let now = deps.clock.now();
        let check = check_after_change(before, changed, &policy, now);
        Ok(deps.briefings.send(&[check.message(now)]).await?)
    }
    .await;
    if let Err(error) = queued {
        tracing::error!(incident_id = %changed.incident_id, %error, "briefing check not queued");
    }
}
