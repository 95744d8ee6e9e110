//! `DirectoryStore` in memory.

use super::MemoryStore;
use crate::domain::{AreaName, Caller, Contact, Group, Licensee};
use crate::ids::{CallerId, ContactId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl DirectoryStore for MemoryStore {
    async fn put_licensee(&self, licensee: &Licensee) -> Result<(), StoreError> {
        let mut s = self.state();
        for area in &licensee.areas {
            s.areas.insert(area.key(), licensee.id.clone());
        }
        s.licensees.insert(licensee.id.clone(), licensee.clone());
        Ok(())
    }

    async fn get_licensee(&self, id: &LicenseeId) -> Result<Option<Licensee>, StoreError> {
        Ok(self.state().licensees.get(id).cloned())
    }

    async fn licensee_for_area(&self, area: &AreaName) -> Result<Option<LicenseeId>, StoreError> {
        Ok(self.state().areas.get(&area.key()).cloned())
    }

    async fn record_lapse(&self, notice: &LapseNotice) -> Result<(), StoreError> {
        self.state().lapses.push(notice.clone());
        Ok(())
    }

    async fn lapses(&self, licensee: &LicenseeId) -> Result<Vec<LapseNotice>, StoreError> {
        Ok(self.state().lapses.iter().filter(|n| &n.licensee_id == licensee).cloned().collect())
    }

    async fn put_caller(&self, caller: &Caller) -> Result<(), StoreError> {
        self.state().callers.insert(caller.id.clone(), caller.clone());
        Ok(())
    }

    async fn get_caller(&self, id: &CallerId) -> Result<Option<Caller>, StoreError> {
        Ok(self.state().callers.get(id).cloned())
    }

    async fn callers(&self, licensee: &LicenseeId) -> Result<Vec<Caller>, StoreError> {
        let mut found: Vec<Caller> =
            self.state().callers.values().filter(|c| c.may_act_for(licensee)).cloned().collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    async fn put_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        let key = (contact.licensee_id.clone(), contact.id.to_string());
        self.state().contacts.insert(key, contact.clone());
        Ok(())
    }

    async fn contacts(&self, licensee: &LicenseeId) -> Result<Vec<Contact>, StoreError> {
        let s = self.state();
        Ok(s.contacts.iter().filter(|((l, _), _)| l == licensee).map(|(_, c)| c.clone()).collect())
    }

    async fn get_contact(&self, licensee: &LicenseeId, id: &ContactId) -> Result<Option<Contact>, StoreError> {
        Ok(self.state().contacts.get(&(licensee.clone(), id.to_string())).cloned())
    }

    async fn put_group(&self, group: &Group) -> Result<(), StoreError> {
        let key = (group.licensee_id.clone(), group.id.to_string());
        self.state().groups.insert(key, group.clone());
        Ok(())
    }

    async fn groups(&self, licensee: &LicenseeId) -> Result<Vec<Group>, StoreError> {
        let s = self.state();
        Ok(s.groups.iter().filter(|((l, _), _)| l == licensee).map(|(_, g)| g.clone()).collect())
    }

    async fn directory_snapshot(&self, licensee: &LicenseeId) -> Result<Option<Directory>, StoreError> {
        let s = self.state();
        let Some(profile) = s.licensees.get(licensee) else { return Ok(None) };
        Ok(Some(Directory {
            licensee: profile.clone(),
            contacts: s.contacts.iter().filter(|((l, _), _)| l == licensee).map(|(_, c)| c.clone()).collect(),
            groups: s.groups.iter().filter(|((l, _), _)| l == licensee).map(|(_, g)| g.clone()).collect(),
        }))
    }
}
