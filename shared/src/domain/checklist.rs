//! The response checklist: a template (the toolkit's nine sections, shipped
//! as data, or a licensee's own) instantiated per incident. A partner's
//! linked incident (issue 19) gets the short partner section instead.

use super::contact::Role;
use crate::choice;
use crate::ids::{ContactId, IncidentId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The toolkit's checklist, compiled in: no file is read at start-up.
const DEFAULT_TEMPLATE: &str = include_str!("../../data/checklist.json");

/// The partner's own section on an incident another licensee shares with it
/// (its schools, youth services, reassurance in its area, its named lead).
const PARTNER_TEMPLATE: &str = include_str!("../../data/partner_checklist.json");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateItem {
    pub id: String,
    pub text: String,
    pub owner_role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateSection {
    pub id: String,
    pub title: String,
    pub items: Vec<TemplateItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistTemplate {
    pub name: String,
    #[serde(default)]
    pub source: Option<String>,
    pub sections: Vec<TemplateSection>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the checklist template is not valid: {0}")]
pub struct TemplateError(pub String);

impl ChecklistTemplate {
    pub fn toolkit() -> Self {
        Self::from_json(DEFAULT_TEMPLATE).expect("the shipped checklist is valid")
    }

    /// The default for a partner's linked incident: one short section of its own.
    pub fn partner() -> Self {
        Self::from_json(PARTNER_TEMPLATE).expect("the shipped partner section is valid")
    }

    /// Parses and validates a template.
    pub fn from_json(text: &str) -> Result<Self, TemplateError> {
        let template: Self = serde_json::from_str(text).map_err(|e| TemplateError(e.to_string()))?;
        template.validate()?;
        Ok(template)
    }

    /// Sections with items, every item id unique.
    pub fn validate(&self) -> Result<(), TemplateError> {
        let mut ids = std::collections::HashSet::new();
        if self.sections.is_empty() {
            return Err(TemplateError("it has no sections".into()));
        }
        for s in &self.sections {
            if s.items.is_empty() {
                return Err(TemplateError(format!("section {} has no items", s.id)));
            }
            for i in &s.items {
                if !ids.insert(i.id.clone()) {
                    return Err(TemplateError(format!("item id {} is used twice", i.id)));
                }
            }
        }
        Ok(())
    }

    pub fn instantiate(&self, incident: &IncidentId) -> Vec<ChecklistItem> {
        self.sections
            .iter()
            .enumerate()
            .flat_map(|(section_position, s)| {
                s.items.iter().enumerate().map(move |(position, i)| ChecklistItem {
                    incident_id: incident.clone(),
                    section_position: section_position as u32,
                    section_id: s.id.clone(),
                    section_title: s.title.clone(),
                    position: position as u32,
                    item_id: i.id.clone(),
                    text: i.text.clone(),
                    owner_role: i.owner_role.clone(),
                    status: ItemStatus::Open,
                    assignee: None,
                    notes: Vec::new(),
                    legacy_note: None,
                    version: 1,
                    updated_by: None,
                    updated_at: None,
                })
            })
            .collect()
    }
}

choice!(
    ItemStatus {
        Open = "open",
        InProgress = "in_progress",
        Done = "done",
        NotApplicable = "not_applicable",
    }
);

/// One checklist item of one incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub incident_id: IncidentId,
    /// Order of the section in the checklist.
    pub section_position: u32,
    pub section_id: String,
    pub section_title: String,
    /// Order within the section.
    pub position: u32,
    pub item_id: String,
    pub text: String,
    pub owner_role: Role,
    pub status: ItemStatus,
    /// Who is doing it now, if anyone has taken or been given it.
    #[serde(default)]
    pub assignee: Option<Assignee>,
    /// Every note on the item, oldest first: notes append, never replace.
    #[serde(default)]
    pub notes: Vec<ItemNote>,
    /// The single note items kept before notes appended (author and time
    /// unknown): kept as it was on older records, never set anew.
    #[serde(default, rename = "note", skip_serializing_if = "Option::is_none")]
    pub legacy_note: Option<String>,
    /// Bumped by every change; a change made from an older page is refused.
    pub version: u32,
    #[serde(default)]
    pub updated_by: Option<ContactId>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
}

/// One note on a checklist item, with who wrote it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemNote {
    pub text: String,
    pub by: ContactId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Who an item is assigned to: a role of the incident's groups, or a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Assignee {
    Role(Role),
    Person(ContactId),
}

/// A responder's change to one item, as submitted from their page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemChange {
    pub status: Option<ItemStatus>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<Assignee>>,
    pub note: Option<String>,
}

/// Notes are short working notes, not case files.
pub const MAX_NOTE_CHARS: usize = 280;

/// Notes one item keeps: with `MAX_NOTE_CHARS` each, an item stays well inside
/// a DynamoDB item's 400 KB.
pub const MAX_NOTES_PER_ITEM: usize = 200;

impl ItemChange {
    /// A note as typed: invisible and bidi controls stripped, trimmed, at most
    /// `MAX_NOTE_CHARS`, no control characters.
    pub fn parse_note(text: &str) -> Result<Option<String>, &'static str> {
        let text = crate::domain::text::strip_invisible_controls(text);
        let note = text.trim();
        if note.is_empty() {
            return Ok(None);
        }
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err("A note can be at most 280 characters.");
        }
        if note.chars().any(char::is_control) {
            return Err("A note must be plain text on one line.");
        }
        Ok(Some(note.to_owned()))
    }
}

impl ChecklistItem {
    /// The item after `change` by `by` at `at`, and plain descriptions of
    /// what changed (no note text: notes stay on the item).
    pub fn apply(&self, change: &ItemChange, by: &ContactId, at: OffsetDateTime) -> (ChecklistItem, Vec<String>) {
        let mut next = self.clone();
        let mut changes = Vec::new();
        if let Some(status) = change.status.filter(|s| *s != self.status) {
            changes.push(format!("status {} → {status}", self.status));
            next.status = status;
        }
        if let Some(assignee) = change.assignee.clone().filter(|a| *a != self.assignee) {
            changes.push(match &assignee {
                Some(Assignee::Role(r)) => format!("assigned to the {r} role"),
                Some(Assignee::Person(p)) => format!("assigned to {p}"),
                None => "unassigned".to_owned(),
            });
            next.assignee = assignee;
        }
        if let Some(text) = change.note.clone() {
            changes.push("note added".to_owned());
            next.notes.push(ItemNote { text, by: by.clone(), at });
        }
        if !changes.is_empty() {
            next.version += 1;
            next.updated_by = Some(by.clone());
            next.updated_at = Some(at);
        }
        (next, changes)
    }

    /// The notes to show, oldest first: an older record's single note (no
    /// author or time) and then every note added since.
    pub fn all_notes(&self) -> impl Iterator<Item = (&str, Option<&ItemNote>)> {
        let legacy = self.legacy_note.as_deref().map(|text| (text, None));
        legacy.into_iter().chain(self.notes.iter().map(|n| (n.text.as_str(), Some(n))))
    }

    /// Done or not applicable: nothing left to do.
    pub fn is_closed(&self) -> bool {
        matches!(self.status, ItemStatus::Done | ItemStatus::NotApplicable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toolkit_checklist_has_its_nine_sections_in_order() {
        let t = ChecklistTemplate::toolkit();
        let ids: Vec<&str> = t.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "incident-reporting",
                "incident-categorisation",
                "response-plan",
                "communications",
                "health-planning",
                "community-liaison",
                "relationship-mapping",
                "education-engagement",
                "review-and-ongoing-management"
            ]
        );
        let items = t.instantiate(&IncidentId::parse("inc-1").unwrap());
        assert_eq!(items.len(), t.sections.iter().map(|s| s.items.len()).sum::<usize>());
        assert!(items.iter().all(|i| i.status == ItemStatus::Open && i.version == 1));
    }

    #[test]
    fn notes_append_with_their_author_and_time_and_an_older_single_note_is_kept() {
        let item = ChecklistTemplate::toolkit().instantiate(&IncidentId::parse("inc-1").unwrap()).remove(0);
        let (gold, comms) = (ContactId::parse("con-gold").unwrap(), ContactId::parse("con-comms").unwrap());
        let t0 = time::macros::datetime!(2026-11-21 02:10 UTC);
        let note = |text: &str| ItemChange { note: Some(text.to_owned()), ..ItemChange::default() };
        let (item, changes) = item.apply(&note("First"), &gold, t0);
        assert_eq!(changes, ["note added"]);
        let (item, _) = item.apply(&note("Second"), &comms, t0 + time::Duration::minutes(5));
        let notes: Vec<(&str, &str)> = item.notes.iter().map(|n| (n.text.as_str(), n.by.as_str())).collect();
        assert_eq!(notes, [("First", "con-gold"), ("Second", "con-comms")]);
        assert_eq!(item.version, 3);

        let mut old = serde_json::to_value(&item).unwrap();
        old.as_object_mut().unwrap().remove("notes");
        old["note"] = "Before".into();
        let old: ChecklistItem = serde_json::from_value(old).unwrap();
        assert_eq!(old.all_notes().map(|(t, _)| t).collect::<Vec<_>>(), ["Before"]);
        assert_eq!(serde_json::to_value(&old).unwrap()["note"], "Before", "kept when the item is written again");
    }

    #[test]
    fn a_licensee_template_is_validated() {
        assert!(ChecklistTemplate::from_json(r#"{"name":"x","sections":[]}"#).is_err());
        let dup = r#"{"name":"x","sections":[{"id":"a","title":"A","items":[
            {"id":"1","text":"t","owner_role":"comms"},{"id":"1","text":"u","owner_role":"comms"}]}]}"#;
        assert!(ChecklistTemplate::from_json(dup).unwrap_err().0.contains("used twice"));
        let bad_role = r#"{"name":"x","sections":[{"id":"a","title":"A","items":[{"id":"1","text":"t","owner_role":"Comms Team"}]}]}"#;
        assert!(ChecklistTemplate::from_json(bad_role).is_err());
    }
}
