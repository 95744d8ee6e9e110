//! `ResponseStore` in memory.

use super::{append, MemoryStore};
use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl ResponseStore for MemoryStore {
    async fn put_checklist(&self, items: &[ChecklistItem]) -> Result<(), StoreError> {
        let mut s = self.state();
        for i in items {
            s.checklists.insert((i.incident_id.clone(), i.section_position, i.position), i.clone());
        }
        Ok(())
    }

    async fn checklist(&self, id: &IncidentId) -> Result<Vec<ChecklistItem>, StoreError> {
        let s = self.state();
        Ok(s.checklists.iter().filter(|((i, _, _), _)| i == id).map(|(_, item)| item.clone()).collect())
    }

    async fn update_checklist_item(&self, item: &ChecklistItem, events: &[TimelineEvent]) -> Result<(), StoreError> {
        let mut s = self.state();
        let key = (item.incident_id.clone(), item.section_position, item.position);
        match s.checklists.get(&key) {
            Some(current) if current.version + 1 == item.version => {}
            _ => return Err(StoreError::Conflict),
        }
        s.checklists.insert(key, item.clone());
        append(&mut s, events);
        Ok(())
    }

    async fn get_follow_up(&self, id: &IncidentId) -> Result<Option<FollowUp>, StoreError> {
        Ok(self.state().follow_ups.get(id).cloned())
    }

    async fn put_follow_up(&self, follow_up: &FollowUp, events: &[TimelineEvent]) -> Result<(), StoreError> {
        let mut s = self.state();
        let stored = s.follow_ups.get(&follow_up.incident_id).map_or(0, |f| f.version);
        if stored + 1 != follow_up.version {
            return Err(StoreError::Conflict);
        }
        s.follow_ups.insert(follow_up.incident_id.clone(), follow_up.clone());
        append(&mut s, events);
        Ok(())
    }
}
