//! Running the response checklist from the personal page: each item has its
//! own small form (status, who has it, a note), posted to
//! `/a/{token}/items/{item}`. The link opens only its own incident's items,
//! and a form from a page older than the item's last change is refused with
//! a message to reload, so nobody overwrites a colleague's update unseen.
//! Each change queues a stakeholder-update check (see the updates function).

use crate::{own_page_post, page, refused, Deps, Refusal};
use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, Response};
use sim::domain::checklist::{Assignee, ChecklistItem, ItemChange, ItemStatus};
use sim::domain::choice::Choice;
use sim::domain::notification::Notification;
use sim::domain::{Contact, Event, Role, TimelineEvent};
use sim::ids::ContactId;
use sim::ports::StoreError;
use sim::updates::{check_after_change, policy_for};

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

pub async fn update(deps: &Deps, token: &str, item_id: &str, req: &Request) -> Result<Response<Body>, StoreError> {
    let claims = match deps.key.verify(token, deps.clock.now()) {
        Ok(c) => c,
        Err(error) => return Ok(refused(error)),
    };
    let fields = match own_page_post(deps, token, req) {
        Ok(fields) => fields,
        Err(Refusal::Scanner) => return Ok(page::problem(StatusCode::OK, page::RELOAD)),
        Err(Refusal::Forbidden) => return Ok(Refusal::forbidden_page()),
    };
    let items = deps.store.checklist(&claims.incident_id).await?;
    let Some(item) = items.iter().find(|i| i.item_id == item_id).cloned() else {
        return Ok(page::problem(StatusCode::NOT_FOUND, page::NOT_VALID));
    };
    let stale = page::problem(StatusCode::CONFLICT, page::STALE);
    if fields.get("version").and_then(|v| v.parse::<u32>().ok()) != Some(item.version) {
        return Ok(stale);
    }
    let field = |name: &str| fields.get(name).map(String::as_str);
    let note = match field("note").map(ItemChange::parse_note).transpose() {
        Ok(note) => note.flatten(),
        Err(message) => {
            return Ok(page::problem(StatusCode::UNPROCESSABLE_ENTITY, ("That note cannot be saved", message)))
        }
    };
    let change = ItemChange {
        status: field("status").and_then(ItemStatus::parse),
        assignee: field("assignee").and_then(|v| parse_assignee(v, &claims.contact_id)),
        note,
    };
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
                contact_id: claims.contact_id.to_string(),
                changes,
            },
        );
        match deps.store.update_checklist_item(&next, &[event]).await {
            Ok(()) => tracing::info!(incident_id = %claims.incident_id, item = %item.item_id, "checklist item changed"),
            Err(StoreError::Conflict) => return Ok(stale),
            Err(e) => return Err(e),
        }
        schedule_update(deps, &items, &next).await;
    }
    // Back to the page, at the item: a reload does not post again.
    Ok(Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, format!("/a/{token}#item-{}", item.item_id))
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::Empty)
        .expect("valid response"))
}

/// Queues the stakeholder-update check this change calls for. The change is
/// saved by now: if this fails, the next change's check (or the closing
/// update) reports it too, so the failure is logged, not shown as though the
/// change were lost.
async fn schedule_update(deps: &Deps, before: &[ChecklistItem], changed: &ChecklistItem) {
    let queued: Result<(), Box<dyn std::error::Error + Send + Sync>> = async {
        let Some(incident) = deps.store.get_incident(&changed.incident_id).await? else { return Ok(()) };
        let Some((_, policy)) = policy_for(&*deps.store, &incident).await? else { return Ok(()) };
        let now = deps.clock.now();
        let check = check_after_change(before, changed, &policy, now);
        Ok(deps.updates.send(&[check.message(now)]).await?)
    }
    .await;
    if let Err(error) = queued {
        tracing::error!(incident_id = %changed.incident_id, %error, "stakeholder update check not queued");
    }
}
