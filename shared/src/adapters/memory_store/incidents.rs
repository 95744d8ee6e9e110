//! `IncidentStore` in memory.

use super::{append, MemoryStore};
use crate::domain::incident::{PendingHandoff, PoliceReference};
use crate::domain::{AreaName, Incident, TimelineEvent};
use crate::ids::{CallerId, IncidentId, LicenseeId};
use crate::ports::store::*;
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
impl IncidentStore for MemoryStore {
    async fn create_incident(
        &self,
        incident: &Incident,
        events: &[TimelineEvent],
    ) -> Result<CreateOutcome, StoreError> {
        let mut s = self.state();
        let key = (incident.caller_id.clone(), incident.report.police_reference.as_str().to_owned());
        if let Some(existing) = s.report_keys.get(&key) {
            return Ok(CreateOutcome::AlreadyReported(existing.clone()));
        }
        if s.incidents.contains_key(&incident.id) {
            return Err(StoreError::Conflict);
        }
        s.report_keys.insert(
            key,
            ReportKey {
                caller_id: incident.caller_id.clone(),
                police_reference: incident.report.police_reference.clone(),
                incident_id: incident.id.clone(),
                fingerprint: incident.fingerprint.clone(),
            },
        );
        s.incidents.insert(incident.id.clone(), incident.clone());
        append(&mut s, events);
        Ok(CreateOutcome::Created)
    }

    async fn get_incident(&self, id: &IncidentId) -> Result<Option<Incident>, StoreError> {
        Ok(self.state().incidents.get(id).cloned())
    }

    async fn report_key(
        &self,
        caller: &CallerId,
        reference: &PoliceReference,
    ) -> Result<Option<ReportKey>, StoreError> {
        Ok(self.state().report_keys.get(&(caller.clone(), reference.as_str().to_owned())).cloned())
    }

    async fn update_incident(&self, incident: &Incident, events: &[TimelineEvent]) -> Result<(), StoreError> {
        let mut s = self.state();
        match s.incidents.get(&incident.id) {
            Some(current) if current.version + 1 == incident.version => {}
            _ => return Err(StoreError::Conflict),
        }
        s.incidents.insert(incident.id.clone(), incident.clone());
        append(&mut s, events);
        Ok(())
    }

    async fn clear_handoff(&self, id: &IncidentId, version: u32) -> Result<bool, StoreError> {
        let mut s = self.state();
        match s.incidents.get_mut(id) {
            Some(incident) if incident.version == version => {
                incident.handoff = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn visit_handoff(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
    ) -> Result<bool, StoreError> {
        // Like DynamoDB's `attribute_exists(gsi1pk)`: an abandoned marker has
        // left the sweeper's index and is not visited again.
        Ok(self.replace_marker(id, version, attempts, next, PendingHandoff::swept))
    }

    async fn restart_handoff(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
    ) -> Result<bool, StoreError> {
        // Swept or abandoned alike: here the sweeper's index is the marker itself.
        Ok(self.replace_marker(id, version, attempts, next, |_| true))
    }

    async fn pending_handoffs(&self, before: OffsetDateTime, limit: usize) -> Result<Vec<IncidentId>, StoreError> {
        let s = self.state();
        let mut pending: Vec<(OffsetDateTime, IncidentId)> = s
            .incidents
            .values()
            .filter_map(|i| {
                i.handoff
                    .as_ref()
                    .filter(|h| h.swept() && h.last_sent() < before)
                    .map(|h| (h.last_sent(), i.id.clone()))
            })
            .collect();
        pending.sort();
        Ok(pending.into_iter().take(limit).map(|(_, id)| id).collect())
    }

    async fn timeline(&self, id: &IncidentId) -> Result<Vec<TimelineEvent>, StoreError> {
        Ok(self.state().timelines.get(id).cloned().unwrap_or_default())
    }

    async fn append_event(&self, event: &TimelineEvent) -> Result<(), StoreError> {
        append(&mut self.state(), std::slice::from_ref(event));
        Ok(())
    }

    async fn ward_history(
        &self,
        licensee: &LicenseeId,
        ward: &AreaName,
        since: OffsetDateTime,
        until: OffsetDateTime,
        except: &IncidentId,
    ) -> Result<Vec<OffsetDateTime>, StoreError> {
        let s = self.state();
        let mut times: Vec<OffsetDateTime> = s
            .incidents
            .values()
            .filter(|i| &i.licensee_id == licensee && &i.id != except)
            .filter(|i| i.report.location.ward.as_ref() == Some(ward))
            .map(|i| i.report.occurred_at)
            .filter(|t| *t >= since && *t <= until)
            .collect();
        times.sort();
        Ok(times)
    }
}

impl MemoryStore {
    /// Replaces the incident's hand-off marker if the incident is at
    /// `version` and its marker has counted `attempts` and passes `marker_ok`.
    fn replace_marker(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
        marker_ok: impl Fn(&PendingHandoff) -> bool,
    ) -> bool {
        let mut s = self.state();
        let Some(incident) = s.incidents.get_mut(id) else { return false };
        match &incident.handoff {
            Some(pending) if incident.version == version && pending.attempts == attempts && marker_ok(pending) => {
                incident.handoff = Some(next.clone());
                true
            }
            _ => false,
        }
    }
}
