//! The response checklist: a template (the toolkit's nine sections, shipped
//! as data, or a licensee's own) instantiated per incident.

use super::contact::Role;
use crate::choice;
use crate::ids::IncidentId;
use serde::{Deserialize, Serialize};

/// The toolkit's checklist, compiled in: no file is read at start-up.
const DEFAULT_TEMPLATE: &str = include_str!("../../data/checklist.json");

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
                    version: 1,
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
    pub version: u32,
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
    fn a_licensee_template_is_validated() {
        assert!(ChecklistTemplate::from_json(r#"{"name":"x","sections":[]}"#).is_err());
        let dup = r#"{"name":"x","sections":[{"id":"a","title":"A","items":[
            {"id":"1","text":"t","owner_role":"comms"},{"id":"1","text":"u","owner_role":"comms"}]}]}"#;
        assert!(ChecklistTemplate::from_json(dup).unwrap_err().0.contains("used twice"));
        let bad_role = r#"{"name":"x","sections":[{"id":"a","title":"A","items":[{"id":"1","text":"t","owner_role":"Comms Team"}]}]}"#;
        assert!(ChecklistTemplate::from_json(bad_role).is_err());
    }
}
