//! In-memory store: same behaviour as the DynamoDB adapter (conditional
//! writes, atomic create), for the local stack and handler tests.

use crate::domain::checklist::ChecklistItem;
use crate::domain::follow_up::FollowUp;
use crate::domain::incident::PoliceReference;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationStatus};
use crate::domain::{AreaName, Caller, Contact, Group, Incident, Licensee, TimelineEvent};
use crate::ids::{CallerId, ContactId, IncidentId, LicenseeId};
use crate::ports::store::{CreateOutcome, LapseNotice, ReportKey, Store, StoreError};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use time::OffsetDateTime;

// The console's incident search (issue 13), reading this store's map.
mod incident_search;

#[derive(Default)]
struct State {
    licensees: HashMap<LicenseeId, Licensee>,
    areas: HashMap<String, LicenseeId>,
    lapses: Vec<LapseNotice>,
    callers: HashMap<CallerId, Caller>,
    contacts: BTreeMap<(LicenseeId, String), Contact>,
    groups: BTreeMap<(LicenseeId, String), Group>,
    incidents: HashMap<IncidentId, Incident>,
    report_keys: HashMap<(CallerId, String), ReportKey>,
    timelines: HashMap<IncidentId, Vec<TimelineEvent>>,
    categorisations: HashMap<IncidentId, Categorisation>,
    notifications: BTreeMap<(IncidentId, String), Notification>,
    checklists: BTreeMap<(IncidentId, u32, u32), ChecklistItem>,
    follow_ups: HashMap<IncidentId, FollowUp>,
    acknowledgements: BTreeMap<(IncidentId, ContactId), Acknowledgement>,
}

#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("memory store lock")
    }
}

fn append(state: &mut State, events: &[TimelineEvent]) {
    for e in events {
        let timeline = state.timelines.entry(e.incident_id.clone()).or_default();
        timeline.push(e.clone());
        // Same order as DynamoDB's sort key: time, then event id.
        timeline.sort_by(|a, b| (a.at, a.id.as_str()).cmp(&(b.at, b.id.as_str())));
    }
}

#[async_trait]
impl Store for MemoryStore {
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

    async fn mark_handed_on(&self, id: &IncidentId, version: u32, event: &TimelineEvent) -> Result<bool, StoreError> {
        let mut s = self.state();
        let Some(incident) = s.incidents.get_mut(id) else {
            return Ok(false);
        };
        if incident.version != version || incident.handoff.is_none() {
            return Ok(false);
        }
        incident.handoff = None;
        append(&mut s, std::slice::from_ref(event));
        Ok(true)
    }

    async fn pending_handoffs(&self, before: OffsetDateTime, limit: usize) -> Result<Vec<IncidentId>, StoreError> {
        let s = self.state();
        let mut pending: Vec<(OffsetDateTime, IncidentId)> = s
            .incidents
            .values()
            .filter_map(|i| i.handoff.as_ref().filter(|h| h.since < before).map(|h| (h.since, i.id.clone())))
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

    async fn get_categorisation(&self, id: &IncidentId) -> Result<Option<Categorisation>, StoreError> {
        Ok(self.state().categorisations.get(id).cloned())
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
            s.notifications.insert((n.incident_id.clone(), n.key()), n.clone());
        }
        Ok(())
    }

    async fn notifications(&self, id: &IncidentId) -> Result<Vec<Notification>, StoreError> {
        let s = self.state();
        Ok(s.notifications.iter().filter(|((i, _), _)| i == id).map(|(_, n)| n.clone()).collect())
    }

    async fn get_notification(&self, id: &IncidentId, key: &str) -> Result<Option<Notification>, StoreError> {
        Ok(self.state().notifications.get(&(id.clone(), key.to_owned())).cloned())
    }

    async fn claim_notification(
        &self,
        id: &IncidentId,
        key: &str,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Notification>, StoreError> {
        let mut s = self.state();
        let Some(n) = s.notifications.get_mut(&(id.clone(), key.to_owned())) else {
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

    async fn finish_notification(
        &self,
        notification: &Notification,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        let mut s = self.state();
        let key = (notification.incident_id.clone(), notification.key());
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

    async fn put_checklist(&self, items: &[ChecklistItem]) -> Result<(), StoreError> {
        let mut s = self.state();
        for i in items {
            s.checklists.insert((i.incident_id.clone(), i.section_position, i.position), i.clone());
        }
        Ok(())
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

    async fn checklist(&self, id: &IncidentId) -> Result<Vec<ChecklistItem>, StoreError> {
        let s = self.state();
        Ok(s.checklists.iter().filter(|((i, _, _), _)| i == id).map(|(_, item)| item.clone()).collect())
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
