//! A store that can hold one read until another has started: a test then
//! shows two reads overlap (read one after the other, the held one would
//! wait for ever, and the test's timeout fails it) without timing anything.
//! Every other call goes straight to the store it wraps.

use async_trait::async_trait;
use sim::domain::checklist::ChecklistItem;
use sim::domain::delivery::Delivery;
use sim::domain::follow_up::FollowUp;
use sim::domain::incident::{PendingHandoff, PoliceReference};
use sim::domain::notification::{Acknowledgement, Categorisation, Notification, NotificationKey};
use sim::domain::share::Share;
use sim::domain::subject::BlindIndex;
use sim::domain::{AreaName, Caller, Contact, Group, Incident, Licensee, TimelineEvent};
use sim::ids::{CallerId, ContactId, IncidentId, LicenseeId, SubjectId};
use sim::ports::store::*;
use sim::reports::IncidentRow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::Notify;

pub struct HeldStore {
    inner: Arc<dyn Store>,
    /// (held, until): calls to the method `held` wait until `until` has started.
    hold: Mutex<Option<(&'static str, &'static str)>>,
    started: Mutex<HashSet<&'static str>>,
    changed: Notify,
}

impl HeldStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, hold: Mutex::new(None), started: Mutex::new(HashSet::new()), changed: Notify::new() }
    }

    /// From now on, a call to the store method `held` waits until a call to
    /// `until` has started (since this was said).
    pub fn hold(&self, held: &'static str, until: &'static str) {
        self.started.lock().unwrap().clear();
        *self.hold.lock().unwrap() = Some((held, until));
    }

    async fn enter(&self, method: &'static str) {
        self.started.lock().unwrap().insert(method);
        self.changed.notify_waiters();
        let Some((held, until)) = *self.hold.lock().unwrap() else { return };
        if method != held {
            return;
        }
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.started.lock().unwrap().contains(until) {
                return;
            }
            notified.await;
        }
    }
}

#[async_trait]
impl AlertStore for HeldStore {
    async fn get_categorisation(&self, id: &IncidentId) -> Result<Option<Categorisation>, StoreError> {
        self.enter("get_categorisation").await;
        self.inner.get_categorisation(id).await
    }

    async fn incident_and_categorisation(
        &self,
        id: &IncidentId,
    ) -> Result<Option<(sim::domain::Incident, Categorisation)>, StoreError> {
        self.enter("incident_and_categorisation").await;
        self.inner.incident_and_categorisation(id).await
    }

    async fn put_categorisation(
        &self,
        categorisation: &Categorisation,
        previous: Option<(u32, u32)>,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        self.enter("put_categorisation").await;
        self.inner.put_categorisation(categorisation, previous, events).await
    }

    async fn put_notifications(&self, notifications: &[Notification]) -> Result<(), StoreError> {
        self.enter("put_notifications").await;
        self.inner.put_notifications(notifications).await
    }

    async fn incident_record(&self, id: &IncidentId) -> Result<Option<IncidentRecord>, StoreError> {
        self.enter("incident_record").await;
        self.inner.incident_record(id).await
    }

    async fn write_round(&self, round: &RoundWrite<'_>) -> Result<(), StoreError> {
        self.enter("write_round").await;
        self.inner.write_round(round).await
    }

    async fn notifications(&self, id: &IncidentId) -> Result<Vec<Notification>, StoreError> {
        self.enter("notifications").await;
        self.inner.notifications(id).await
    }

    async fn get_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
    ) -> Result<Option<Notification>, StoreError> {
        self.enter("get_notification").await;
        self.inner.get_notification(id, key).await
    }

    async fn claim_notification(
        &self,
        id: &IncidentId,
        key: &NotificationKey,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Option<Notification>, StoreError> {
        self.enter("claim_notification").await;
        self.inner.claim_notification(id, key, now, lease_until).await
    }

    async fn claim_notifications(
        &self,
        keys: &[(IncidentId, NotificationKey)],
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
    ) -> Result<Vec<Claim>, StoreError> {
        self.enter("claim_notifications").await;
        self.inner.claim_notifications(keys, now, lease_until).await
    }

    async fn record_handed(&self, handed: &[(IncidentId, NotificationKey, Handed)]) -> Result<Vec<bool>, StoreError> {
        self.enter("record_handed").await;
        self.inner.record_handed(handed).await
    }

    async fn finish_notification(
        &self,
        notification: &Notification,
        events: &[TimelineEvent],
    ) -> Result<(), StoreError> {
        self.enter("finish_notification").await;
        self.inner.finish_notification(notification, events).await
    }

    async fn acknowledge(&self, ack: &Acknowledgement, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        self.enter("acknowledge").await;
        self.inner.acknowledge(ack, events).await
    }

    async fn acknowledgements(&self, id: &IncidentId) -> Result<Vec<Acknowledgement>, StoreError> {
        self.enter("acknowledgements").await;
        self.inner.acknowledgements(id).await
    }
}

#[async_trait]
impl DeliveryStore for HeldStore {
    async fn receipt_target(&self, provider_message_id: &str) -> Result<Option<ReceiptTarget>, StoreError> {
        self.enter("receipt_target").await;
        self.inner.receipt_target(provider_message_id).await
    }

    async fn record_test_delivery(
        &self,
        test: &TestMessageRecord,
        delivery: &TestDelivery,
    ) -> Result<bool, StoreError> {
        self.enter("record_test_delivery").await;
        self.inner.record_test_delivery(test, delivery).await
    }

    async fn delivery(&self, id: &IncidentId, key: &NotificationKey) -> Result<Option<Delivery>, StoreError> {
        self.enter("delivery").await;
        self.inner.delivery(id, key).await
    }

    async fn record_delivery(&self, delivery: &Delivery, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        self.enter("record_delivery").await;
        self.inner.record_delivery(delivery, events).await
    }

    async fn deliveries(&self, id: &IncidentId) -> Result<Vec<Delivery>, StoreError> {
        self.enter("deliveries").await;
        self.inner.deliveries(id).await
    }
}

#[async_trait]
impl DirectoryStore for HeldStore {
    async fn put_licensee(&self, licensee: &Licensee) -> Result<(), StoreError> {
        self.enter("put_licensee").await;
        self.inner.put_licensee(licensee).await
    }

    async fn get_licensee(&self, id: &LicenseeId) -> Result<Option<Licensee>, StoreError> {
        self.enter("get_licensee").await;
        self.inner.get_licensee(id).await
    }

    async fn licensee_for_area(&self, area: &AreaName) -> Result<Option<LicenseeId>, StoreError> {
        self.enter("licensee_for_area").await;
        self.inner.licensee_for_area(area).await
    }

    async fn record_lapse(&self, notice: &LapseNotice) -> Result<(), StoreError> {
        self.enter("record_lapse").await;
        self.inner.record_lapse(notice).await
    }

    async fn lapses(&self, licensee: &LicenseeId) -> Result<Vec<LapseNotice>, StoreError> {
        self.enter("lapses").await;
        self.inner.lapses(licensee).await
    }

    async fn put_caller(&self, caller: &Caller) -> Result<(), StoreError> {
        self.enter("put_caller").await;
        self.inner.put_caller(caller).await
    }

    async fn get_caller(&self, id: &CallerId) -> Result<Option<Caller>, StoreError> {
        self.enter("get_caller").await;
        self.inner.get_caller(id).await
    }

    async fn callers(&self, licensee: &LicenseeId) -> Result<Vec<Caller>, StoreError> {
        self.enter("callers").await;
        self.inner.callers(licensee).await
    }

    async fn put_contact(&self, contact: &Contact) -> Result<(), StoreError> {
        self.enter("put_contact").await;
        self.inner.put_contact(contact).await
    }

    async fn contacts(&self, licensee: &LicenseeId) -> Result<Vec<Contact>, StoreError> {
        self.enter("contacts").await;
        self.inner.contacts(licensee).await
    }

    async fn get_contact(&self, licensee: &LicenseeId, id: &ContactId) -> Result<Option<Contact>, StoreError> {
        self.enter("get_contact").await;
        self.inner.get_contact(licensee, id).await
    }

    async fn put_group(&self, group: &Group) -> Result<(), StoreError> {
        self.enter("put_group").await;
        self.inner.put_group(group).await
    }

    async fn groups(&self, licensee: &LicenseeId) -> Result<Vec<Group>, StoreError> {
        self.enter("groups").await;
        self.inner.groups(licensee).await
    }

    async fn directory_snapshot(&self, licensee: &LicenseeId) -> Result<Option<Directory>, StoreError> {
        self.enter("directory_snapshot").await;
        self.inner.directory_snapshot(licensee).await
    }
}

#[async_trait]
impl DirectoryChangeStore for HeldStore {
    async fn directory_version(&self, licensee: &LicenseeId) -> Result<u32, StoreError> {
        self.enter("directory_version").await;
        self.inner.directory_version(licensee).await
    }

    async fn apply_directory_change(&self, change: &DirectoryChange) -> Result<u32, StoreError> {
        self.enter("apply_directory_change").await;
        self.inner.apply_directory_change(change).await
    }

    async fn directory_changes(&self, licensee: &LicenseeId) -> Result<Vec<ChangeRecord>, StoreError> {
        self.enter("directory_changes").await;
        self.inner.directory_changes(licensee).await
    }

    async fn record_test_message(&self, record: &TestMessageRecord) -> Result<(), StoreError> {
        self.enter("record_test_message").await;
        self.inner.record_test_message(record).await
    }

    async fn test_messages(
        &self,
        licensee: &LicenseeId,
        contact: &ContactId,
    ) -> Result<Vec<TestMessageRecord>, StoreError> {
        self.enter("test_messages").await;
        self.inner.test_messages(licensee, contact).await
    }
}

#[async_trait]
impl IncidentStore for HeldStore {
    async fn create_incident(
        &self,
        incident: &Incident,
        events: &[TimelineEvent],
    ) -> Result<CreateOutcome, StoreError> {
        self.enter("create_incident").await;
        self.inner.create_incident(incident, events).await
    }

    async fn get_incident(&self, id: &IncidentId) -> Result<Option<Incident>, StoreError> {
        self.enter("get_incident").await;
        self.inner.get_incident(id).await
    }

    async fn report_key(
        &self,
        caller: &CallerId,
        reference: &PoliceReference,
    ) -> Result<Option<ReportKey>, StoreError> {
        self.enter("report_key").await;
        self.inner.report_key(caller, reference).await
    }

    async fn update_incident(&self, incident: &Incident, events: &[TimelineEvent]) -> Result<(), StoreError> {
        self.enter("update_incident").await;
        self.inner.update_incident(incident, events).await
    }

    async fn clear_handoff(&self, id: &IncidentId, version: u32) -> Result<bool, StoreError> {
        self.enter("clear_handoff").await;
        self.inner.clear_handoff(id, version).await
    }

    async fn visit_handoff(
        &self,
        id: &IncidentId,
        version: u32,
        attempts: u32,
        next: &PendingHandoff,
    ) -> Result<bool, StoreError> {
        self.enter("visit_handoff").await;
        self.inner.visit_handoff(id, version, attempts, next).await
    }

    async fn pending_handoffs(&self, before: OffsetDateTime, limit: usize) -> Result<Vec<IncidentId>, StoreError> {
        self.enter("pending_handoffs").await;
        self.inner.pending_handoffs(before, limit).await
    }

    async fn timeline(&self, id: &IncidentId) -> Result<Vec<TimelineEvent>, StoreError> {
        self.enter("timeline").await;
        self.inner.timeline(id).await
    }

    async fn append_event(&self, event: &TimelineEvent) -> Result<(), StoreError> {
        self.enter("append_event").await;
        self.inner.append_event(event).await
    }

    async fn ward_history(
        &self,
        licensee: &LicenseeId,
        ward: &AreaName,
        since: OffsetDateTime,
        until: OffsetDateTime,
        except: &IncidentId,
    ) -> Result<Vec<OffsetDateTime>, StoreError> {
        self.enter("ward_history").await;
        self.inner.ward_history(licensee, ward, since, until, except).await
    }
}

#[async_trait]
impl ReportStore for HeldStore {
    async fn put_report_row(&self, row: &IncidentRow) -> Result<bool, StoreError> {
        self.enter("put_report_row").await;
        self.inner.put_report_row(row).await
    }

    async fn report_rows(
        &self,
        licensee: &LicenseeId,
        from: OffsetDateTime,
        until: OffsetDateTime,
    ) -> Result<ReportRows, StoreError> {
        self.enter("report_rows").await;
        self.inner.report_rows(licensee, from, until).await
    }
}

#[async_trait]
impl ResponseStore for HeldStore {
    async fn put_checklist(&self, items: &[ChecklistItem]) -> Result<(), StoreError> {
        self.enter("put_checklist").await;
        self.inner.put_checklist(items).await
    }

    async fn checklist(&self, id: &IncidentId) -> Result<Vec<ChecklistItem>, StoreError> {
        self.enter("checklist").await;
        self.inner.checklist(id).await
    }

    async fn update_checklist_item(&self, item: &ChecklistItem, events: &[TimelineEvent]) -> Result<(), StoreError> {
        self.enter("update_checklist_item").await;
        self.inner.update_checklist_item(item, events).await
    }

    async fn get_follow_up(&self, id: &IncidentId) -> Result<Option<FollowUp>, StoreError> {
        self.enter("get_follow_up").await;
        self.inner.get_follow_up(id).await
    }

    async fn put_follow_up(&self, follow_up: &FollowUp, events: &[TimelineEvent]) -> Result<(), StoreError> {
        self.enter("put_follow_up").await;
        self.inner.put_follow_up(follow_up, events).await
    }
}

#[async_trait]
impl ShareStore for HeldStore {
    async fn offer_share(&self, share: &Share, events: &[TimelineEvent]) -> Result<bool, StoreError> {
        self.enter("offer_share").await;
        self.inner.offer_share(share, events).await
    }

    async fn get_share(&self, incident: &IncidentId, partner: &LicenseeId) -> Result<Option<Share>, StoreError> {
        self.enter("get_share").await;
        self.inner.get_share(incident, partner).await
    }

    async fn shares_of_incident(&self, incident: &IncidentId) -> Result<Vec<Share>, StoreError> {
        self.enter("shares_of_incident").await;
        self.inner.shares_of_incident(incident).await
    }

    async fn shares_with_partner(&self, partner: &LicenseeId) -> Result<Vec<Share>, StoreError> {
        self.enter("shares_with_partner").await;
        self.inner.shares_with_partner(partner).await
    }

    async fn move_share(
        &self,
        share: &Share,
        events: &[TimelineEvent],
        linked: Option<&Incident>,
    ) -> Result<(), StoreError> {
        self.enter("move_share").await;
        self.inner.move_share(share, events, linked).await
    }
}

#[async_trait]
impl VaultStore for HeldStore {
    async fn create_incident_key(&self, key: &IncidentKey) -> Result<(), StoreError> {
        self.enter("create_incident_key").await;
        self.inner.create_incident_key(key).await
    }

    async fn incident_key(&self, incident: &IncidentId) -> Result<Option<IncidentKey>, StoreError> {
        self.enter("incident_key").await;
        self.inner.incident_key(incident).await
    }

    async fn set_retention(&self, incident: &IncidentId, until: OffsetDateTime) -> Result<(), StoreError> {
        self.enter("set_retention").await;
        self.inner.set_retention(incident, until).await
    }

    async fn delete_incident_key(&self, incident: &IncidentId) -> Result<(), StoreError> {
        self.enter("delete_incident_key").await;
        self.inner.delete_incident_key(incident).await
    }

    async fn put_subject_key(&self, key: &SubjectKey) -> Result<(), StoreError> {
        self.enter("put_subject_key").await;
        self.inner.put_subject_key(key).await
    }

    async fn subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError> {
        self.enter("subject_key").await;
        self.inner.subject_key(incident, subject).await
    }

    async fn delete_subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<(), StoreError> {
        self.enter("delete_subject_key").await;
        self.inner.delete_subject_key(incident, subject).await
    }

    async fn put_subject(&self, subject: &SealedSubject) -> Result<(), StoreError> {
        self.enter("put_subject").await;
        self.inner.put_subject(subject).await
    }

    async fn subject(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SealedSubject>, StoreError> {
        self.enter("subject").await;
        self.inner.subject(incident, subject).await
    }

    async fn subjects(&self, incident: &IncidentId) -> Result<Vec<SealedSubject>, StoreError> {
        self.enter("subjects").await;
        self.inner.subjects(incident).await
    }

    async fn delete_subject(&self, subject: &SealedSubject) -> Result<(), StoreError> {
        self.enter("delete_subject").await;
        self.inner.delete_subject(subject).await
    }

    async fn find_subjects(&self, licensee: &LicenseeId, index: &BlindIndex) -> Result<Vec<SubjectRef>, StoreError> {
        self.enter("find_subjects").await;
        self.inner.find_subjects(licensee, index).await
    }

    async fn append_access(&self, entry: &AccessEntry) -> Result<(), StoreError> {
        self.enter("append_access").await;
        self.inner.append_access(entry).await
    }

    async fn access_log(&self, licensee: &LicenseeId) -> Result<Vec<AccessEntry>, StoreError> {
        self.enter("access_log").await;
        self.inner.access_log(licensee).await
    }
}
