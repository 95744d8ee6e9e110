//! One contract for the store port, run against the in-memory adapter and
//! the DynamoDB adapter (on moto). Both must behave the same.

use sim::adapters::memory_store::MemoryStore;
use sim::domain::incident::{HandoffReason, PendingHandoff};
use sim::domain::{Event, Incident, IncidentReport, TimelineEvent};
use sim::ids::{IncidentId, SequentialIds};
use sim::ports::store::{CreateOutcome, LapseNotice};
use sim::ports::{Store, StoreError};
use sim_tests::*;
use time::Duration;

fn report(reference: &str) -> IncidentReport {
    let mut body = event_body("intake-report.json");
    body["police_reference"] = reference.into();
    IncidentReport::from_json(&body, START).unwrap()
}

fn incident(id: &str, reference: &str, caller: &sim::ids::CallerId) -> Incident {
    let report = report(reference);
    Incident {
        id: IncidentId::parse(id).unwrap(),
        licensee_id: sim::demo::lambeth(),
        caller_id: caller.clone(),
        fingerprint: report.fingerprint(),
        report,
        received_at: START,
        version: 1,
        handoff: Some(PendingHandoff { reason: HandoffReason::Reported, since: START }),
    }
}

fn event(ids: &SequentialIds, incident: &Incident, minutes: i64) -> TimelineEvent {
    TimelineEvent::new(ids, &incident.id, START + Duration::minutes(minutes), Event::Reported {
        caller_id: incident.caller_id.clone(),
    })
}

async fn reference_data(store: &dyn Store) {
    sim::demo::seed(store, START.date(), &fixed_keys()).await.unwrap();
    let lambeth = store.get_licensee(&sim::demo::lambeth()).await.unwrap().unwrap();
    assert_eq!(lambeth.name, "London Borough of Lambeth");
    let area = sim::domain::AreaName::parse("  lambeth ").unwrap();
    assert_eq!(store.licensee_for_area(&area).await.unwrap(), Some(sim::demo::lambeth()));
    let medway = sim::domain::AreaName::parse("Medway").unwrap();
    assert_eq!(store.licensee_for_area(&medway).await.unwrap(), Some(sim::demo::kent()));
    let nowhere = sim::domain::AreaName::parse("Nowhere").unwrap();
    assert_eq!(store.licensee_for_area(&nowhere).await.unwrap(), None);

    let caller = store.get_caller(&sim::demo::met_cad()).await.unwrap().unwrap();
    assert!(caller.key_hash.matches(&met_key()));
    assert!(!caller.key_hash.matches(&kent_key()));

    let contacts = store.contacts(&sim::demo::lambeth()).await.unwrap();
    assert_eq!(contacts.len(), 10);
    assert!(contacts.iter().all(|c| c.licensee_id == sim::demo::lambeth()));
    assert!(store.contacts(&sim::demo::kent()).await.unwrap().is_empty(), "contacts are scoped to their licensee");
    assert_eq!(store.groups(&sim::demo::lambeth()).await.unwrap().len(), 7);

    let notice = LapseNotice {
        licensee_id: sim::demo::kent(),
        incident_id: IncidentId::parse("inc-9").unwrap(),
        lapsed_on: START.date(),
        at: START,
    };
    store.record_lapse(&notice).await.unwrap();
    assert_eq!(store.lapses(&sim::demo::kent()).await.unwrap(), vec![notice]);
    assert!(store.lapses(&sim::demo::lambeth()).await.unwrap().is_empty());
}

async fn incidents(store: &dyn Store) {
    let ids = SequentialIds::default();
    let met = sim::demo::met_cad();
    let first = incident("inc-a", "REF-1", &met);
    let created = store.create_incident(&first, &[event(&ids, &first, 0)]).await.unwrap();
    assert_eq!(created, CreateOutcome::Created);
    assert_eq!(store.get_incident(&first.id).await.unwrap(), Some(first.clone()));

    // Same caller, same reference: the report key answers, nothing is written.
    let again = incident("inc-b", "REF-1", &met);
    match store.create_incident(&again, &[event(&ids, &again, 0)]).await.unwrap() {
        CreateOutcome::AlreadyReported(key) => {
            assert_eq!(key.incident_id, first.id);
            assert_eq!(key.fingerprint, first.fingerprint);
        }
        other => panic!("expected AlreadyReported, got {other:?}"),
    }
    assert_eq!(store.get_incident(&again.id).await.unwrap(), None);
    assert!(store.timeline(&again.id).await.unwrap().is_empty(), "no partial record");

    // Another caller may use the same reference.
    let kent = incident("inc-c", "REF-1", &sim::demo::kent_police());
    assert_eq!(store.create_incident(&kent, &[]).await.unwrap(), CreateOutcome::Created);

    // Updates are conditional on the version.
    let mut next = first.clone();
    next.version = 2;
    next.report.weapon = sim::domain::Weapon::Firearm;
    store.update_incident(&next, &[event(&ids, &first, 5)]).await.unwrap();
    let stale = Incident { version: 2, ..first.clone() };
    assert!(matches!(store.update_incident(&stale, &[]).await, Err(StoreError::Conflict)));
    assert_eq!(store.get_incident(&first.id).await.unwrap().unwrap().report.weapon, sim::domain::Weapon::Firearm);

    // Timeline in time order, whatever the write order.
    store.update_incident(&Incident { version: 3, ..next.clone() }, &[event(&ids, &first, 2)]).await.unwrap();
    let minutes: Vec<i64> =
        store.timeline(&first.id).await.unwrap().iter().map(|e| (e.at - START).whole_minutes()).collect();
    assert_eq!(minutes, [0, 2, 5]);
}

async fn handoffs(store: &dyn Store) {
    let ids = SequentialIds::default();
    let met = sim::demo::met_cad();
    let older = Incident {
        handoff: Some(PendingHandoff { reason: HandoffReason::Reported, since: START - Duration::minutes(5) }),
        ..incident("inc-old", "REF-OLD", &met)
    };
    let newer = incident("inc-new", "REF-NEW", &met);
    let done = Incident { handoff: None, ..incident("inc-done", "REF-DONE", &met) };
    for i in [&newer, &older, &done] {
        store.create_incident(i, &[]).await.unwrap();
    }
    let pending = store.pending_handoffs(START + Duration::seconds(1), 10).await.unwrap();
    assert_eq!(pending, vec![older.id.clone(), newer.id.clone()], "oldest first, handed-on ones absent");
    assert_eq!(store.pending_handoffs(START, 10).await.unwrap(), vec![older.id.clone()]);

    // A hand-off for a version that has moved on leaves the marker in place.
    let handed = TimelineEvent::new(&ids, &older.id, START, Event::HandedOn { reason: HandoffReason::Reported });
    assert!(!store.mark_handed_on(&older.id, 7, &handed).await.unwrap());
    assert!(store.mark_handed_on(&older.id, 1, &handed).await.unwrap());
    assert!(!store.mark_handed_on(&older.id, 1, &handed).await.unwrap(), "only once");
    assert_eq!(store.get_incident(&older.id).await.unwrap().unwrap().handoff, None);
    assert_eq!(store.pending_handoffs(START + Duration::seconds(1), 10).await.unwrap(), vec![newer.id.clone()]);
    assert_eq!(store.timeline(&older.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn memory_store_keeps_reference_data() {
    reference_data(&MemoryStore::new()).await;
}

#[tokio::test]
async fn memory_store_creates_incidents_once_and_updates_by_version() {
    incidents(&MemoryStore::new()).await;
}

#[tokio::test]
async fn memory_store_tracks_pending_handoffs() {
    handoffs(&MemoryStore::new()).await;
}

#[tokio::test]
async fn dynamodb_store_keeps_reference_data() {
    reference_data(&moto_store().await).await;
}

#[tokio::test]
async fn dynamodb_store_creates_incidents_once_and_updates_by_version() {
    incidents(&moto_store().await).await;
}

#[tokio::test]
async fn dynamodb_store_tracks_pending_handoffs() {
    handoffs(&moto_store().await).await;
}
