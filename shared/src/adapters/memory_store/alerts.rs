//! `AlertStore` in memory.

use super::{append, MemoryStore};
use crate::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationKey, NotificationStatus};
use crate::domain::TimelineEvent;
use crate::ids::IncidentId;
use crate::ports::store::*;
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
impl AlertStore for MemoryStore {
    async fn get_categorisation(&self, id: &IncidentId) -> Result<Option<Categorisation>, StoreError> {
        Ok(self.state().categorisations.get(id).cloned())
    }

    async fn incident_and_categorisation(
        &self,
        id: &IncidentId,
    ) -> Result<Option<(crate::domain::Incident, Categorisation)>, StoreError> {
        let s = self.state();
        Ok(s.incidents.get(id).cloned().zip(s.categorisations.get(id).cloned()))
    }

    async fn put_categorisation(
        &self,
        categorisation: &Categorisation,
        previous: Option<(u32, u32)>,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let current = s.categorisations.get(&categorisation.incident_id).map(|c| (c.round, c.incident_version));
        if current != previous {
            return Err(StoreError::Conflict);
        }
        s.categorisations.insert(categorisation.incident_id.clone(), categorisation.clone());
        append(&mut s, events);
        Ok(())
    }

    async fn put_notifications(&self, notifications: &[Notification]) -> Result<(), StoreError> {
        let mut s = self.state();
        for n in notifications {
            s.notifications.insert((n.incident_id.clone(), n.key().to_string()), n.clone());
        }
        Ok(())
    }

    async fn incident_record(&self, id: &IncidentId) -> Result<Option<IncidentRecord>, StoreError> {
        let s = self.state();
        let Some(incident) = s.incidents.get(id) else { return Ok(None) };
        Ok(Some(IncidentRecord {
            incident: incident.clone(),
            categorisation: s.categorisations.get(id).cloned(),
            notifications: s.notifications.iter().filter(|((i, _), _)| i == id).map(|(_, n)| n.clone()).collect(),
            checklist_open: s.checklists.keys().any(|(i, _, _)| i == id),
        }))
    }

    async fn write_round(&self, round: &RoundWrite<'_>) -> Result<(), StoreError> {
        let mut s = self.state();
        let id = &round.categorisation.incident_id;
        let current = s.categorisations.get(id).map(|c| (c.round, c.incident_version));
        if current != round.previous {
            return Err(StoreError::Conflict);
        }
        s.categorisations.insert(id.clone(), round.categorisation.clone());
        if let Some(version) = round.handoff_version {
            // A newer change that arrived meanwhile stays pending.
            if let Some(incident) = s.incidents.get_mut(id).filter(|i| i.version == version) {
                incident.handoff = None;
            }
        }
        for n in round.notifications {
            s.notifications.insert((n.incident_id.clone(), n.key().to_string()), n.clone());
        }
        for i in round.checklist {
            s.checklists.insert((i.incident_id.clone(), i.section_position, i.position), i.clone());
        }
        append(&mut s, round.events);
        Ok(())
    }

    async fn notifications(&self, id: &IncidentId) -> Result<Vec<Notification>, StoreError> {
        let s = self.state();
        Ok(s.notifications.iter().filter(|((i, _), _)| i == id).map(|(_, n)| n.clone()).collect())
    }

    async fn get_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
    ) -> Result<Option<Notification>, StoreError> {
        Ok(self.state().notifications.get(&(id.clone(), key.to_string())).cloned())
    }

    async fn claim_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Notification>, StoreError> {
        let mut s = self.state();
        let Some(n) = s.notifications.get_mut(&(id.clone(), key.to_string())) else {
            return Ok(None);
        };
        let claimable = match n.status {
            NotificationStatus::Pending => true,
            NotificationStatus::Sending => n.lease_until.is_some_and(|l| l < now),
            NotificationStatus::Sent | NotificationStatus::Failed => false,
        };
        if !claimable {
            return Ok(None);
        }
        n.status = NotificationStatus::Sending;
        n.lease_until = Some(lease_until);
        n.attempts += 1;
        Ok(Some(n.clone()))
    }

    async fn claim_notifications(
        &self,
        keys: &[(IncidentId, NotificationKey)],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Vec<Claim>, StoreError> {
        let mut claims = Vec::with_capacity(keys.len());
        for (id, key) in keys {
            let claim = match self.claim_notification(id, key, now, lease_until).await? {
                Some(_) => Claim::Claimed,
                None => self.get_notification(id, key).await?.map_or(Claim::Missing, |n| Claim::Held(Box::new(n))),
            };
            claims.push(claim);
        }
        Ok(claims)
    }

    async fn record_handed(&self, handed: &[(IncidentId, NotificationKey, Handed)]) -> Result<Vec<bool>, StoreError> {
        let mut s = self.state();
        let mut recorded = Vec::with_capacity(handed.len());
        for (id, key, outcome) in handed {
            let Some(n) = s.notifications.get_mut(&(id.clone(), key.to_string())) else {
                recorded.push(false);
                continue;
            };
            if n.status != NotificationStatus::Sending {
                recorded.push(false);
                continue;
            }
            n.lease_until = None;
            match outcome {
                Handed::Sent { provider_message_id, at } => {
                    n.status = NotificationStatus::Sent;
                    n.provider_message_id = Some(provider_message_id.clone());
                    n.sent_at = Some(*at);
                }
                Handed::Released => n.status = NotificationStatus::Pending,
            }
            recorded.push(true);
        }
        Ok(recorded)
    }

    async fn finish_notification(
        &self,
        notification: &Notification,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let key = (notification.incident_id.clone(), notification.key().to_string());
        match s.notifications.get(&key) {
            Some(n) if n.status == NotificationStatus::Sending => {}
            _ => return Err(StoreError::Conflict),
        }
        s.notifications.insert(key, notification.clone());
        append(&mut s, events);
        Ok(())
    }

    async fn acknowledge(&self, ack: &Acknowledgement, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        let mut s = self.state();
        let key = (ack.incident_id.clone(), ack.contact_id.clone());
        if s.acknowledgements.contains_key(&key) {
            return Ok(false);
        }
        s.acknowledgements.insert(key, ack.clone());
        append(&mut s, events);
        Ok(true)
    }

    async fn acknowledgements(&self, id: &IncidentId) -> Result<Vec<Acknowledgement>, StoreError> {
        let s = self.state();
        let mut acks: Vec<Acknowledgement> =
            s.acknowledgements.iter().filter(|((i, _), _)| i == id).map(|(_, a)| a.clone()).collect();
        acks.sort_by_key(|a| a.at);
        Ok(acks)
    }
}
