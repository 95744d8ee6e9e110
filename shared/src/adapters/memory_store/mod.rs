//! In-memory store: same behaviour as the DynamoDB adapter (conditional
//! writes, atomic create), for the local stack and handler tests. One file
//! per aggregate, as the port is split.

mod alerts;
mod deliveries;
mod directory;
mod directory_changes;
mod incidents;
mod reports;
mod response;
mod shares;
// The console's incident search (issue 13), reading this store's map.
mod incident_search;
mod vault;

use crate::domain::checklist::ChecklistItem;
use crate::domain::delivery::Delivery;
use crate::domain::follow_up::FollowUp;
use crate::domain::notification::{Acknowledgement, Categorisation, Notification};
use crate::domain::{Caller, Contact, Group, Incident, Licensee, TimelineEvent};
use crate::ids::SubjectId;
use crate::ids::{CallerId, ContactId, IncidentId, LicenseeId};
use crate::ports::store::{
    AccessEntry, ChangeRecord, IncidentKey, LapseNotice, ReportKey, SealedSubject, SubjectKey, TestMessageRecord,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use time::OffsetDateTime;

#[derive(Default)]
pub(super) struct State {
    pub(super) licensees: HashMap<LicenseeId, Licensee>,
    pub(super) areas: HashMap<String, LicenseeId>,
    pub(super) lapses: Vec<LapseNotice>,
    pub(super) callers: HashMap<CallerId, Caller>,
    pub(super) contacts: BTreeMap<(LicenseeId, String), Contact>,
    pub(super) groups: BTreeMap<(LicenseeId, String), Group>,
    pub(super) incidents: HashMap<IncidentId, Incident>,
    pub(super) report_keys: HashMap<(CallerId, String), ReportKey>,
    pub(super) timelines: HashMap<IncidentId, Vec<TimelineEvent>>,
    pub(super) categorisations: HashMap<IncidentId, Categorisation>,
    pub(super) notifications: BTreeMap<(IncidentId, String), Notification>,
    pub(super) checklists: BTreeMap<(IncidentId, u32, u32), ChecklistItem>,
    pub(super) follow_ups: HashMap<IncidentId, FollowUp>,
    pub(super) acknowledgements: BTreeMap<(IncidentId, ContactId), Acknowledgement>,
    pub(super) directory_versions: HashMap<LicenseeId, u32>,
    pub(super) directory_changes: Vec<ChangeRecord>,
    pub(super) test_messages: Vec<TestMessageRecord>,
    pub(super) vault_keys: HashMap<IncidentId, IncidentKey>,
    pub(super) subjects: BTreeMap<(IncidentId, SubjectId), SealedSubject>,
    pub(super) subject_keys: BTreeMap<(IncidentId, SubjectId), SubjectKey>,
    pub(super) access_log: Vec<AccessEntry>,
    pub(super) report_rows: BTreeMap<(LicenseeId, OffsetDateTime, IncidentId), crate::reports::IncidentRow>,
    pub(super) deliveries: BTreeMap<(IncidentId, String), Delivery>,
    pub(super) shares: BTreeMap<(IncidentId, LicenseeId), crate::domain::share::Share>,
}

#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().expect("memory store lock")
    }
}

pub(super) fn append(state: &mut State, events: &[TimelineEvent]) {
    for e in events {
        let timeline = state.timelines.entry(e.incident_id.clone()).or_default();
        timeline.push(e.clone());
        // Same order as DynamoDB's sort key: time, then event id.
        timeline.sort_by(|a, b| (a.at, a.id.as_str()).cmp(&(b.at, b.id.as_str())));
    }
}
