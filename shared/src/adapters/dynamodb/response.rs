//! `ResponseStore` on DynamoDB.

use super::codec::*;
use super::keys::*;
use super::DynamoStore;
use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl ResponseStore for DynamoStore {
    async fn put_checklist(&self, items: &[ChecklistItem]) -> Result<(), StoreError> {
        let items = items.iter().map(checklist_item).collect::<Result<Vec<_>, _>>()?;
        self.put_batch(items).await
    }

    async fn checklist(&self, id: &IncidentId) -> Result<Vec<ChecklistItem>, StoreError> {
        self.query_prefix(incident_pk(id), "CHECK#").await
    }

    async fn update_checklist_item(&self, item: &ChecklistItem, events: &[TimelineEvent]) -> Result<(), StoreError> {
        self.replace_versioned(checklist_item(item)?, item.version, events).await
    }

    async fn get_follow_up(&self, id: &IncidentId) -> Result<Option<FollowUp>, StoreError> {
        self.get(incident_pk(id), "FOLLOWUP").await
    }

    async fn put_follow_up(&self, follow_up: &FollowUp, events: &[TimelineEvent]) -> Result<(), StoreError> {
        let item = to_item(follow_up, incident_pk(&follow_up.incident_id), "FOLLOWUP".into())?;
        self.replace_versioned(item, follow_up.version, events).await
    }
}
