//! The response: the incident's checklist and its follow-up record
//! (stakeholder briefings, closing, reviews and key dates).

use super::StoreError;
use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use async_trait::async_trait;

#[async_trait]
pub trait ResponseStore: Send + Sync {
    async fn put_checklist(&self, items: &[ChecklistItem]) -> Result<(), StoreError>;

    /// The incident's checklist in order: section, then item.
    async fn checklist(&self, id: &IncidentId) -> Result<Vec<ChecklistItem>, StoreError>;

    /// Replaces an item if its stored version is `item.version - 1`, with
    /// timeline events; else `Conflict` (someone changed it first).
    async fn update_checklist_item(&self, item: &ChecklistItem, events: &[TimelineEvent]) -> Result<(), StoreError>;

    async fn get_follow_up(&self, id: &IncidentId) -> Result<Option<FollowUp>, StoreError>;

    /// Writes the follow-up record, with timeline events, if the stored one
    /// is at `follow_up.version - 1` (absent for version 1); else `Conflict`.
    async fn put_follow_up(&self, follow_up: &FollowUp, events: &[TimelineEvent]) -> Result<(), StoreError>;
}
