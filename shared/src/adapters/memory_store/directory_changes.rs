//! `DirectoryChangeStore` in memory: the version check and the writes under
//! one lock, so a change is applied whole or not at all.

use super::MemoryStore;
use crate::ids::{ContactId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl DirectoryChangeStore for MemoryStore {
    async fn directory_version(&self, licensee: &LicenseeId) -> Result<u32, StoreError> {
        Ok(self.state().directory_versions.get(licensee).copied().unwrap_or(0))
    }

    async fn apply_directory_change(&self, change: &DirectoryChange) -> Result<u32, StoreError> {
        let mut s = self.state();
        let current = s.directory_versions.get(&change.licensee_id).copied().unwrap_or(0);
        if current != change.base_version {
            return Err(StoreError::Conflict);
        }
        let version = current + 1;
        for id in &change.remove_contacts {
            s.contacts.remove(&(change.licensee_id.clone(), id.to_string()));
        }
        for c in &change.put_contacts {
            s.contacts.insert((c.licensee_id.clone(), c.id.to_string()), c.clone());
        }
        for g in &change.put_groups {
            s.groups.insert((g.licensee_id.clone(), g.id.to_string()), g.clone());
        }
        s.directory_changes.push(ChangeRecord { version, ..change.record.clone() });
        s.directory_versions.insert(change.licensee_id.clone(), version);
        Ok(version)
    }

    async fn directory_changes(&self, licensee: &LicenseeId) -> Result<Vec<ChangeRecord>, StoreError> {
        Ok(self.state().directory_changes.iter().filter(|r| &r.licensee_id == licensee).cloned().collect())
    }

    async fn record_test_message(&self, record: &TestMessageRecord) -> Result<(), StoreError> {
        // One record per contact, instant and channel (DynamoDB's key): a write again replaces it.
        let mut s = self.state();
        s.test_messages.retain(|t| {
            (&t.licensee_id, &t.contact_id, t.at, t.channel)
                != (&record.licensee_id, &record.contact_id, record.at, record.channel)
        });
        s.test_messages.push(record.clone());
        Ok(())
    }

    async fn test_messages(
        &self,
        licensee: &LicenseeId,
        contact: &ContactId,
    ) -> Result<Vec<TestMessageRecord>, StoreError> {
        let s = self.state();
        let mut found: Vec<TestMessageRecord> = s
            .test_messages
            .iter()
            .filter(|r| &r.licensee_id == licensee && &r.contact_id == contact)
            .cloned()
            .collect();
        // Oldest first, as DynamoDB's sort key gives them.
        found.sort_by_key(|r| r.at);
        Ok(found)
    }
}
