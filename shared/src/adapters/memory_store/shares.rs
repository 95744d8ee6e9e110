//! `ShareStore` in memory.

use super::{append, MemoryStore};
use crate::domain::share::Share;
use crate::domain::{Incident, TimelineEvent};
use crate::ids::{IncidentId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;

#[async_trait]
impl ShareStore for MemoryStore {
    async fn offer_share(&self, share: &Share, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        let mut s = self.state();
        let key = (share.incident_id.clone(), share.partner.clone());
        if s.shares.contains_key(&key) {
            return Ok(false);
        }
        s.shares.insert(key, share.clone());
        append(&mut s, events);
        Ok(true)
    }

    async fn get_share(&self, incident: &IncidentId, partner: &LicenseeId) -> Result<Option<Share>, StoreError> {
        Ok(self.state().shares.get(&(incident.clone(), partner.clone())).cloned())
    }

    async fn shares_of_incident(&self, incident: &IncidentId) -> Result<Vec<Share>, StoreError> {
        let s = self.state();
        Ok(s.shares.iter().filter(|((i, _), _)| i == incident).map(|(_, share)| share.clone()).collect())
    }

    async fn shares_with_partner(&self, partner: &LicenseeId) -> Result<Vec<Share>, StoreError> {
        let s = self.state();
        Ok(s.shares.values().filter(|share| &share.partner == partner).cloned().collect())
    }

    async fn move_share(
        &self,
        share: &Share,
        events: &[TimelineEvent],
        linked: Option<&Incident>,
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let key = (share.incident_id.clone(), share.partner.clone());
        match s.shares.get(&key) {
            Some(current) if current.version + 1 == share.version => {}
            _ => return Err(StoreError::Conflict),
        }
        if let Some(incident) = linked {
            if s.incidents.contains_key(&incident.id) {
                return Err(StoreError::Conflict);
            }
            s.incidents.insert(incident.id.clone(), incident.clone());
        }
        s.shares.insert(key, share.clone());
        append(&mut s, events);
        Ok(())
    }
}
