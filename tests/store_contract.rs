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
    TimelineEvent::new(
        ids,
        &incident.id,
        START + Duration::minutes(minutes),
        Event::Reported { caller_id: incident.caller_id.clone() },
    )
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

async fn categorisation_and_fan_out_records(store: &dyn Store) {
    use sim::domain::category::Category;
    use sim::domain::checklist::ChecklistTemplate;
    use sim::domain::notification::{Categorisation, Notification};
    use sim::domain::policy::Channel;

    let id = IncidentId::parse("inc-cat").unwrap();
    let first = Categorisation {
        incident_id: id.clone(),
        category: Category::SeriousViolence,
        rule: "serious-weapon-injury".into(),
        reason: "why".into(),
        incident_version: 1,
        round: 1,
        fanout_done: false,
        acknowledge_within_minutes: Some(30),
        decided_at: START,
    };
    assert!(store.get_categorisation(&id).await.unwrap().is_none());
    store.put_categorisation(&first, None, &[]).await.unwrap();
    assert!(matches!(store.put_categorisation(&first, None, &[]).await, Err(StoreError::Conflict)), "only one first");
    let done = Categorisation { fanout_done: true, ..first.clone() };
    assert!(matches!(store.put_categorisation(&done, Some((1, 2)), &[]).await, Err(StoreError::Conflict)));
    store.put_categorisation(&done, Some((1, 1)), &[]).await.unwrap();
    assert_eq!(store.get_categorisation(&id).await.unwrap(), Some(done));

    // 30 notifications: more than one DynamoDB batch.
    let notifications: Vec<Notification> = (0..30)
        .map(|i| {
            let to = sim::domain::policy::Recipient {
                contact_id: sim::ids::ContactId::parse(&format!("con-{i:02}")).unwrap(),
                channels: vec![],
                groups: vec![sim::ids::GroupId::parse("grp-comms").unwrap()],
                role: sim::domain::Role::parse("comms").unwrap(),
            };
            Notification::pending(
                id.clone(),
                &to,
                [Channel::Sms, Channel::Email, Channel::WhatsApp][i % 3],
                0,
                1,
                true,
                START,
            )
        })
        .collect();
    store.put_notifications(&notifications).await.unwrap();
    store.put_notifications(&notifications[..3]).await.unwrap();
    let mut stored = store.notifications(&id).await.unwrap();
    stored.sort_by_key(|n| n.key());
    assert_eq!(stored, notifications, "each once, whatever the writes");

    let checklist = ChecklistTemplate::toolkit().instantiate(&id);
    store.put_checklist(&checklist).await.unwrap();
    assert_eq!(store.checklist(&id).await.unwrap(), checklist, "in section and item order");
    assert!(store.checklist(&IncidentId::parse("inc-other").unwrap()).await.unwrap().is_empty());
}

async fn delivery_receipts(store: &dyn Store) {
    use sim::domain::delivery::{Delivery, DeliveryState};
    use sim::domain::notification::{Notification, NotificationStatus};
    use sim::domain::policy::{Channel, Recipient};

    let id = IncidentId::parse("inc-delivery").unwrap();
    let to = Recipient {
        contact_id: sim::ids::ContactId::parse("con-gold").unwrap(),
        channels: vec![],
        groups: vec![],
        role: sim::domain::Role::parse("gold").unwrap(),
    };
    let pending = Notification::pending(id.clone(), &to, Channel::Email, 0, 1, true, START);
    store.put_notifications(std::slice::from_ref(&pending)).await.unwrap();
    assert!(store.notification_by_provider_id("ses-1").await.unwrap().is_none(), "not sent yet");
    let claimed = store.claim_notification(&id, &pending.key(), START, START + Duration::minutes(1)).await.unwrap();
    let sent = Notification {
        status: NotificationStatus::Sent,
        provider_message_id: Some("ses-1".into()),
        lease_until: None,
        ..claimed.unwrap()
    };
    store.finish_notification(&sent, &[]).await.unwrap();
    // The DynamoDB index is eventually consistent (moto's is immediate).
    assert_eq!(store.notification_by_provider_id("ses-1").await.unwrap(), Some(sent.clone()));
    assert!(store.notification_by_provider_id("ses-2").await.unwrap().is_none());

    let at = |state, minutes| Delivery {
        incident_id: id.clone(),
        contact_id: to.contact_id.clone(),
        channel: Channel::Email,
        step: 0,
        provider_message_id: "ses-1".into(),
        state,
        at: START + Duration::minutes(minutes),
        detail: None,
    };
    let ids = SequentialIds::default();
    let incident = incident("inc-delivery", "REF-DELIVERY", &sim::demo::met_cad());
    assert!(store.record_delivery(&at(DeliveryState::Accepted, 1), &[]).await.unwrap());
    assert!(store.record_delivery(&at(DeliveryState::Read, 3), &[event(&ids, &incident, 3)]).await.unwrap());
    assert!(!store.record_delivery(&at(DeliveryState::Delivered, 2), &[event(&ids, &incident, 2)]).await.unwrap());
    assert!(!store.record_delivery(&at(DeliveryState::Read, 4), &[]).await.unwrap(), "a duplicate");
    assert_eq!(store.delivery(&id, &sent.key()).await.unwrap(), Some(at(DeliveryState::Read, 3)));
    assert_eq!(store.deliveries(&id).await.unwrap(), vec![at(DeliveryState::Read, 3)]);
    assert_eq!(store.timeline(&id).await.unwrap().len(), 1, "the losing write's events are not written");
}

async fn ward_history(store: &dyn Store) {
    let met = sim::demo::met_cad();
    let at = |minutes_ago: i64, id: &str, ward: Option<&str>, licensee: &str| {
        let mut i = incident(id, &format!("REF-{id}"), &met);
        i.report.occurred_at = START - Duration::minutes(minutes_ago);
        i.report.location.ward = ward.map(|w| sim::domain::AreaName::parse(w).unwrap());
        i.licensee_id = sim::ids::LicenseeId::parse(licensee).unwrap();
        i
    };
    let day = 24 * 60;
    for i in [
        at(0, "inc-now", Some("Coldharbour"), "lambeth"),
        at(3 * day, "inc-3d", Some("coldharbour"), "lambeth"),
        at(27 * day, "inc-27d", Some("Coldharbour"), "lambeth"),
        at(29 * day, "inc-29d", Some("Coldharbour"), "lambeth"),
        at(2 * day, "inc-other-ward", Some("Brixton North"), "lambeth"),
        at(2 * day, "inc-other-licensee", Some("Coldharbour"), "kent"),
        at(2 * day, "inc-no-ward", None, "lambeth"),
    ] {
        store.create_incident(&i, &[]).await.unwrap();
    }
    let ward = sim::domain::AreaName::parse("Coldharbour").unwrap();
    let history = store
        .ward_history(
            &sim::demo::lambeth(),
            &ward,
            START - Duration::days(28),
            START,
            &IncidentId::parse("inc-now").unwrap(),
        )
        .await
        .unwrap();
    let days: Vec<i64> = history.iter().map(|t| (START - *t).whole_days()).collect();
    assert_eq!(days, [27, 3], "the same licensee's ward, within the window, not the incident itself");
}

#[tokio::test]
async fn a_licensees_own_rules_and_policies_survive_the_store() {
    needs_moto!();
    for store in
        [std::sync::Arc::new(MemoryStore::new()) as std::sync::Arc<dyn Store>, std::sync::Arc::new(moto_store().await)]
    {
        sim::demo::seed(&*store, START.date(), &fixed_keys()).await.unwrap();
        let mut kent = store.get_licensee(&sim::demo::kent()).await.unwrap().unwrap();
        kent.rules = Some(
            sim::domain::category::RuleSet::from_json(
                r#"[{"id": "any-knife", "category": "CRITICAL", "reason": "Knives are critical in Kent",
                     "when": {"all": [{"weapon": ["knife"]}, {"victims": {"count": 1, "under_age": 18}}]}}]"#,
            )
            .unwrap(),
        );
        kent.policies = Some(sim::domain::policy::AlertPolicy::defaults());
        store.put_licensee(&kent).await.unwrap();
        assert_eq!(store.get_licensee(&kent.id).await.unwrap(), Some(kent));
    }
}

/// Runs one contract against both adapters: `NAME::memory` on the in-memory
/// store, `NAME::dynamodb` on DynamoDB in moto.
macro_rules! contract {
    ($($name:ident => $check:ident),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test]
            async fn memory() {
                $check(&MemoryStore::new()).await;
            }

            #[tokio::test]
            async fn dynamodb() {
                if !moto_available(concat!("store_contract::", stringify!($name), "::dynamodb")) {
                    return;
                }
                $check(&moto_store().await).await;
            }
        }
    )*};
}

contract! {
    keeps_reference_data => reference_data,
    creates_incidents_once_and_updates_by_version => incidents,
    tracks_pending_handoffs => handoffs,
    keeps_categorisation_and_fan_out_records => categorisation_and_fan_out_records,
    answers_ward_history => ward_history,
    keeps_delivery_status_forward_only => delivery_receipts,
}
