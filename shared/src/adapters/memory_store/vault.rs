//! `VaultStore` in memory.

use super::MemoryStore;
use crate::domain::subject::BlindIndex;
use crate::ids::{IncidentId, LicenseeId, SubjectId};
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl VaultStore for MemoryStore {
    async fn create_incident_key(&self, key: &IncidentKey) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.vault_keys.contains_key(&key.incident_id) {
            return Err(StoreError::Conflict);
        }
        s.vault_keys.insert(key.incident_id.clone(), key.clone());
        Ok(())
    }

    async fn incident_key(&self, incident: &IncidentId) -> Result<Option<IncidentKey>, StoreError> {
        Ok(self.state().vault_keys.get(incident).cloned())
    }

    async fn set_retention(&self, incident: &IncidentId, until: time::OffsetDateTime) -> Result<(), StoreError> {
        let mut s = self.state();
        if let Some(key) = s.vault_keys.get_mut(incident) {
            key.retain_until = until;
        }
        for ((i, _), subject) in s.subjects.iter_mut() {
            if i == incident {
                subject.retain_until = until;
            }
        }
        for ((i, _), key) in s.subject_keys.iter_mut() {
            if i == incident {
                key.retain_until = until;
            }
        }
        Ok(())
    }

    async fn delete_incident_key(&self, incident: &IncidentId) -> Result<(), StoreError> {
        self.state().vault_keys.remove(incident);
        Ok(())
    }

    async fn put_subject_key(&self, key: &SubjectKey) -> Result<(), StoreError> {
        let mut s = self.state();
        let id = (key.incident_id.clone(), key.subject_id.clone());
        if s.subject_keys.contains_key(&id) {
            return Err(StoreError::Conflict);
        }
        s.subject_keys.insert(id, key.clone());
        Ok(())
    }

    async fn subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError> {
        Ok(self.state().subject_keys.get(&(incident.clone(), subject.clone())).cloned())
    }

    async fn delete_subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<(), StoreError> {
        self.state().subject_keys.remove(&(incident.clone(), subject.clone()));
        Ok(())
    }

    async fn put_subject(&self, subject: &SealedSubject) -> Result<(), StoreError> {
        let mut s = self.state();
        let key = (subject.incident_id.clone(), subject.subject_id.clone());
        if s.subjects.contains_key(&key) {
            return Err(StoreError::Conflict);
        }
        s.subjects.insert(key, subject.clone());
        Ok(())
    }

    async fn subject(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SealedSubject>, StoreError> {
        Ok(self.state().subjects.get(&(incident.clone(), subject.clone())).cloned())
    }

    async fn subjects(&self, incident: &IncidentId) -> Result<Vec<SealedSubject>, StoreError> {
        let s = self.state();
        Ok(s.subjects.iter().filter(|((i, _), _)| i == incident).map(|(_, v)| v.clone()).collect())
    }

    async fn delete_subject(&self, subject: &SealedSubject) -> Result<(), StoreError> {
        self.state().subjects.remove(&(subject.incident_id.clone(), subject.subject_id.clone()));
        Ok(())
    }

    async fn find_subjects(&self, licensee: &LicenseeId, index: &BlindIndex) -> Result<Vec<SubjectRef>, StoreError> {
        let s = self.state();
        Ok(s.subjects
            .values()
            .filter(|r| &r.licensee_id == licensee && &r.blind_index == index)
            .map(|r| SubjectRef { incident_id: r.incident_id.clone(), subject_id: r.subject_id.clone() })
            .collect())
    }

    async fn append_access(&self, entry: &AccessEntry) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.access_log.iter().any(|e| e.id == entry.id) {
            return Err(StoreError::Conflict);
        }
        s.access_log.push(entry.clone());
        Ok(())
    }

    async fn access_log(&self, licensee: &LicenseeId) -> Result<Vec<AccessEntry>, StoreError> {
        let s = self.state();
        let mut out: Vec<AccessEntry> = s.access_log.iter().filter(|e| &e.licensee_id == licensee).cloned().collect();
        out.sort_by(|a, b| (a.at, a.id.as_str()).cmp(&(b.at, b.id.as_str())));
        Ok(out)
    }
}
