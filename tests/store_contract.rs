//! One contract for the store port, run against the in-memory adapter and
//! the DynamoDB adapter (on moto). Both must behave the same.

use sim::adapters::memory_store::MemoryStore;
use sim::domain::incident::{HandoffReason, PendingHandoff};
use sim::domain::{Event, Incident, IncidentReport, TimelineEvent};
use sim::ids::{IncidentId, SequentialIds};
use sim::ports::store::{CreateOutcome, LapseNotice, ReceiptTarget};
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
        handoff: Some(PendingHandoff::new(HandoffReason::Reported, START)),
        shared_from: None,
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

    // A council's callers, listed per licensee; re-scoping a caller moves it.
    let ids = |list: Vec<sim::domain::Caller>| list.into_iter().map(|c| c.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(store.callers(&sim::demo::lambeth()).await.unwrap()), ["met-cad"]);
    let mut shared = caller.clone();
    shared.licensees.push(sim::demo::kent());
    shared.key_revoked_at = Some(START);
    store.put_caller(&shared).await.unwrap();
    assert_eq!(ids(store.callers(&sim::demo::kent()).await.unwrap()), ["kent-police", "met-cad"]);
    assert_eq!(store.callers(&sim::demo::kent()).await.unwrap()[1].key_revoked_at, Some(START));
    store.put_caller(&caller).await.unwrap();
    assert_eq!(ids(store.callers(&sim::demo::kent()).await.unwrap()), ["kent-police"]);
    assert_eq!(store.get_caller(&sim::demo::met_cad()).await.unwrap().unwrap(), caller);

    let contacts = store.contacts(&sim::demo::lambeth()).await.unwrap();
    assert_eq!(contacts.len(), 10);
    assert!(contacts.iter().all(|c| c.licensee_id == sim::demo::lambeth()));
    assert!(store.contacts(&sim::demo::kent()).await.unwrap().is_empty(), "contacts are scoped to their licensee");
    assert_eq!(store.groups(&sim::demo::lambeth()).await.unwrap().len(), 7);

    // A contact away until a date and a group that is a rota keep both, members in rota order.
    let mut away = contacts.iter().find(|c| c.id.as_str() == "con-comms").unwrap().clone();
    away.away_until = Some(time::macros::date!(2026 - 12 - 24));
    store.put_contact(&away).await.unwrap();
    assert_eq!(store.get_contact(&sim::demo::lambeth(), &away.id).await.unwrap(), Some(away.clone()));
    let mut rota =
        store.groups(&sim::demo::lambeth()).await.unwrap().into_iter().find(|g| g.id.as_str() == "grp-comms").unwrap();
    rota.members = ["con-health", "con-comms", "con-csl"].map(|m| sim::ids::ContactId::parse(m).unwrap()).to_vec();
    rota.rota = Some(sim::domain::rota::Rota::parse("2026-11-02T09:00", 7).unwrap());
    store.put_group(&rota).await.unwrap();
    let stored = store.groups(&sim::demo::lambeth()).await.unwrap();
    assert_eq!(stored.iter().find(|g| g.id == rota.id), Some(&rota));

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
    let met = sim::demo::met_cad();
    let older = Incident {
        handoff: Some(PendingHandoff::new(HandoffReason::Reported, START - Duration::minutes(5))),
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

    // The sweeper's visit counts, once per visit, and moves it behind the others.
    let marker = older.handoff.clone().unwrap();
    let visited = marker.visited(START + Duration::seconds(30));
    assert!(!store.visit_handoff(&older.id, 7, 0, &visited).await.unwrap(), "a version that moved on is left");
    assert!(store.visit_handoff(&older.id, 1, 0, &visited).await.unwrap());
    assert!(!store.visit_handoff(&older.id, 1, 0, &visited).await.unwrap(), "another sweep's visit counts once");
    assert_eq!(store.get_incident(&older.id).await.unwrap().unwrap().handoff, Some(visited.clone()));
    assert_eq!(store.pending_handoffs(START + Duration::seconds(1), 10).await.unwrap(), vec![newer.id.clone()]);
    assert_eq!(
        store.pending_handoffs(START + Duration::minutes(1), 10).await.unwrap(),
        vec![newer.id.clone(), older.id.clone()],
        "ordered by when each was last sent"
    );
    // Given up on: out of the sweeper's index, the marker kept.
    let mut last = visited;
    while last.swept() {
        let next = last.visited(START + Duration::seconds(40));
        assert!(store.visit_handoff(&older.id, 1, last.attempts, &next).await.unwrap());
        last = next;
    }
    assert_eq!(store.pending_handoffs(START + Duration::days(1), 10).await.unwrap(), vec![newer.id.clone()]);
    assert_eq!(store.get_incident(&older.id).await.unwrap().unwrap().handoff, Some(last.clone()));
    // An abandoned marker is not visited again, even with its current count.
    let again = last.visited(START + Duration::seconds(50));
    assert!(!store.visit_handoff(&older.id, 1, last.attempts, &again).await.unwrap(), "abandoned: left alone");
    assert_eq!(store.get_incident(&older.id).await.unwrap().unwrap().handoff, Some(last));

    // Clearing for a version that has moved on leaves the marker in place.
    assert!(!store.clear_handoff(&newer.id, 7).await.unwrap());
    assert!(store.get_incident(&newer.id).await.unwrap().unwrap().handoff.is_some());
    assert!(store.clear_handoff(&newer.id, 1).await.unwrap());
    assert_eq!(store.get_incident(&newer.id).await.unwrap().unwrap().handoff, None);
    assert_eq!(store.pending_handoffs(START + Duration::days(1), 10).await.unwrap(), vec![]);
}

async fn restarted_handoffs(store: &dyn Store) {
    let met = sim::demo::met_cad();
    let stuck = Incident {
        handoff: Some(PendingHandoff::new(HandoffReason::Reported, START - Duration::minutes(10))),
        ..incident("inc-stuck", "REF-STUCK", &met)
    };
    let done = Incident { handoff: None, ..incident("inc-done", "REF-DONE", &met) };
    for i in [&stuck, &done] {
        store.create_incident(i, &[]).await.unwrap();
    }
    // The sweeper gives up on it: out of its index.
    let mut last = stuck.handoff.clone().unwrap();
    while last.swept() {
        let next = last.visited(START);
        assert!(store.visit_handoff(&stuck.id, 1, last.attempts, &next).await.unwrap());
        last = next;
    }
    let later = START + Duration::days(1);
    assert_eq!(store.pending_handoffs(later, 10).await.unwrap(), vec![]);

    // Duty staff send it again: counted afresh and back in the index, once.
    let now = START + Duration::minutes(30);
    let restarted = last.restarted(now);
    assert!(!store.restart_handoff(&stuck.id, 2, last.attempts, &restarted).await.unwrap(), "a version moved on");
    assert!(!store.restart_handoff(&stuck.id, 1, 0, &restarted).await.unwrap(), "a marker visited meanwhile");
    assert!(store.restart_handoff(&stuck.id, 1, last.attempts, &restarted).await.unwrap());
    assert!(!store.restart_handoff(&stuck.id, 1, last.attempts, &restarted).await.unwrap(), "twice is once");
    let marker = store.get_incident(&stuck.id).await.unwrap().unwrap().handoff.unwrap();
    assert_eq!((marker.attempts, marker.last_sent, marker.since), (0, Some(now), stuck.handoff.unwrap().since));
    assert_eq!(store.pending_handoffs(now, 10).await.unwrap(), vec![], "within the sweeper's grace again");
    assert_eq!(store.pending_handoffs(later, 10).await.unwrap(), vec![stuck.id.clone()]);
    // The sweeper visits it as before.
    assert!(store.visit_handoff(&stuck.id, 1, 0, &marker.visited(later)).await.unwrap());

    // An incident categorised meanwhile (no marker) is left as it is.
    assert!(!store.restart_handoff(&done.id, 1, 0, &restarted).await.unwrap());
    assert_eq!(store.get_incident(&done.id).await.unwrap().unwrap().handoff, None);
    assert!(store.clear_handoff(&stuck.id, 1).await.unwrap());
    assert!(!store.restart_handoff(&stuck.id, 1, 1, &restarted).await.unwrap(), "categorised: nothing to restart");
    assert_eq!(store.get_incident(&stuck.id).await.unwrap().unwrap().handoff, None);
    assert_eq!(store.pending_handoffs(later, 10).await.unwrap(), vec![]);
}

/// A first round's categorisation of `id`, its fan-out not yet done: what
/// the categorisation checks and the one-query checks both start from.
fn first_round(id: &IncidentId) -> sim::domain::notification::Categorisation {
    sim::domain::notification::Categorisation {
        incident_id: id.clone(),
        category: sim::domain::category::Category::SeriousViolence,
        rule: "serious-weapon-injury".into(),
        reason: "why".into(),
        incident_version: 1,
        round: 1,
        fanout_done: false,
        widened: false,
        acknowledge_within_minutes: Some(30),
        decided_at: START,
    }
}

/// A required first alert for `contact` in `role` (and `group`, if any) on `channel`, pending.
fn first_alert(
    id: &IncidentId,
    contact: &str,
    role: &str,
    group: Option<&str>,
    channel: sim::domain::policy::Channel,
) -> sim::domain::notification::Notification {
    let to = sim::domain::policy::Recipient {
        contact_id: sim::ids::ContactId::parse(contact).unwrap(),
        channels: vec![],
        groups: group.map(|g| sim::ids::GroupId::parse(g).unwrap()).into_iter().collect(),
        role: sim::domain::Role::parse(role).unwrap(),
    };
    let first = sim::domain::notification::Step::FIRST;
    sim::domain::notification::Notification::pending(id.clone(), &to, channel, first, 1, true, START)
}

async fn categorisation_and_fan_out_records(store: &dyn Store) {
    use sim::domain::checklist::ChecklistTemplate;
    use sim::domain::notification::{Categorisation, Notification};
    use sim::domain::policy::Channel;

    let id = IncidentId::parse("inc-cat").unwrap();
    let first = first_round(&id);
    assert!(store.get_categorisation(&id).await.unwrap().is_none());
    store.put_categorisation(&first, None, &[]).await.unwrap();
    assert!(matches!(store.put_categorisation(&first, None, &[]).await, Err(StoreError::Conflict)), "only one first");
    let done = Categorisation { fanout_done: true, ..first.clone() };
    assert!(matches!(store.put_categorisation(&done, Some((1, 2)), &[]).await, Err(StoreError::Conflict)));
    store.put_categorisation(&done, Some((1, 1)), &[]).await.unwrap();
    assert_eq!(store.get_categorisation(&id).await.unwrap(), Some(done.clone()));
    assert_eq!(store.incident_and_categorisation(&id).await.unwrap(), None, "no incident, nothing to render");
    let stored = incident("inc-cat", "REF-CAT", &sim::demo::met_cad());
    store.create_incident(&stored, &[]).await.unwrap();
    assert_eq!(store.incident_and_categorisation(&id).await.unwrap(), Some((stored, done)), "both, read together");

    // 30 notifications: more than one DynamoDB batch.
    let notifications: Vec<Notification> = (0..30)
        .map(|i| {
            let channel = [Channel::Sms, Channel::Email, Channel::WhatsApp][i % 3];
            first_alert(&id, &format!("con-{i:02}"), "comms", Some("grp-comms"), channel)
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

/// Categorisation's reads and its one write: the licensee's directory in
/// one query, the incident with its categorisation, notifications and
/// checklist in another, and a round written all at once or not at all.
async fn directory_snapshot_and_round_writes(store: &dyn Store) {
    use sim::domain::category::Category;
    use sim::domain::checklist::ChecklistTemplate;
    use sim::domain::notification::Categorisation;
    use sim::domain::policy::Channel;
    use sim::ports::store::{IncidentRecord, RoundWrite};

    sim::demo::seed(store, START.date(), &fixed_keys()).await.unwrap();
    let lambeth = sim::demo::lambeth();
    // Items sorted among the directory's (a lapse notice, callers) are not part of it.
    let notice = LapseNotice {
        licensee_id: lambeth.clone(),
        incident_id: IncidentId::parse("inc-9").unwrap(),
        lapsed_on: START.date(),
        at: START,
    };
    store.record_lapse(&notice).await.unwrap();
    let snapshot = store.directory_snapshot(&lambeth).await.unwrap().expect("Lambeth is there");
    assert_eq!(snapshot.licensee, store.get_licensee(&lambeth).await.unwrap().unwrap());
    let sorted_contacts = |mut c: Vec<sim::domain::Contact>| {
        c.sort_by(|a, b| a.id.cmp(&b.id));
        c
    };
    let sorted_groups = |mut g: Vec<sim::domain::Group>| {
        g.sort_by(|a, b| a.id.cmp(&b.id));
        g
    };
    assert_eq!(snapshot.contacts.len(), 10);
    assert_eq!(sorted_contacts(snapshot.contacts), sorted_contacts(store.contacts(&lambeth).await.unwrap()));
    assert_eq!(sorted_groups(snapshot.groups), sorted_groups(store.groups(&lambeth).await.unwrap()));
    let kent = store.directory_snapshot(&sim::demo::kent()).await.unwrap().expect("Kent is there");
    assert!(kent.contacts.is_empty() && kent.groups.is_empty(), "scoped to the licensee");
    let nobody = sim::ids::LicenseeId::parse("lic-nobody").unwrap();
    assert_eq!(store.directory_snapshot(&nobody).await.unwrap(), None);

    let id = IncidentId::parse("inc-round").unwrap();
    assert_eq!(store.incident_record(&id).await.unwrap(), None, "no incident, no record");
    let stored = incident("inc-round", "REF-ROUND", &sim::demo::met_cad());
    let ids = SequentialIds::default();
    let reported = event(&ids, &stored, 0);
    store.create_incident(&stored, std::slice::from_ref(&reported)).await.unwrap();
    let fresh =
        IncidentRecord { incident: stored.clone(), categorisation: None, notifications: vec![], checklist_open: false };
    assert_eq!(store.incident_record(&id).await.unwrap(), Some(fresh), "the timeline is not part of it");

    let categorisation = first_round(&id);
    let notification = |contact: &str, channel| first_alert(&id, contact, "gold", None, channel);
    let notifications = vec![
        notification("con-a", Channel::Sms),
        notification("con-a", Channel::Email),
        notification("con-b", Channel::WhatsApp),
    ];
    let checklist = ChecklistTemplate::toolkit().instantiate(&id);
    let events = vec![event(&ids, &stored, 1), event(&ids, &stored, 2)];
    let round = RoundWrite {
        categorisation: &categorisation,
        previous: None,
        events: &events,
        notifications: &notifications,
        checklist: &checklist,
        handoff_version: Some(1),
    };
    assert_eq!(round.items(), 1 + 2 + 1 + 3 + checklist.len(), "the hand-off marker is one of its writes");
    store.write_round(&round).await.unwrap();

    // A second first round (a concurrent delivery) writes nothing of its own.
    let late = vec![notification("con-c", Channel::Sms)];
    let late_events = vec![event(&ids, &stored, 3)];
    let again = RoundWrite { notifications: &late, events: &late_events, checklist: &[], ..round };
    assert!(matches!(store.write_round(&again).await, Err(StoreError::Conflict)));

    let record = store.incident_record(&id).await.unwrap().unwrap();
    assert_eq!(record.incident, Incident { handoff: None, ..stored.clone() }, "the marker cleared with the round");
    assert_eq!(store.pending_handoffs(START + Duration::days(1), 10).await.unwrap(), vec![]);
    assert_eq!(record.categorisation, Some(categorisation.clone()));
    let mut got = record.notifications.clone();
    got.sort_by_key(|n| n.key());
    let mut want = notifications.clone();
    want.sort_by_key(|n| n.key());
    assert_eq!(got, want, "the round's notifications, not the conflicting one's");
    assert!(record.checklist_open);
    assert_eq!(store.checklist(&id).await.unwrap(), checklist);
    assert_eq!(store.timeline(&id).await.unwrap(), vec![reported, events[0].clone(), events[1].clone()]);

    // The next write must name this round as previous.
    let done = Categorisation { fanout_done: true, ..categorisation };
    store.put_categorisation(&done, Some((1, 1)), &[]).await.unwrap();
    assert_eq!(store.incident_record(&id).await.unwrap().unwrap().categorisation, Some(done.clone()));

    // An amendment stored while a round for version 1 was being decided: the
    // round is written, the amendment's marker stays.
    let amended = Incident {
        version: 2,
        handoff: Some(PendingHandoff::new(HandoffReason::Amended, START + Duration::minutes(1))),
        ..stored.clone()
    };
    store.update_incident(&amended, &[]).await.unwrap();
    let raised = Categorisation { round: 2, category: Category::Critical, ..done };
    let round = RoundWrite {
        categorisation: &raised,
        previous: Some((1, 1)),
        events: &[],
        notifications: &[],
        checklist: &[],
        handoff_version: Some(1),
    };
    store.write_round(&round).await.unwrap();
    let record = store.incident_record(&id).await.unwrap().unwrap();
    assert_eq!(record.categorisation, Some(raised));
    assert_eq!(record.incident, amended, "the newer change stays pending");
    assert_eq!(store.pending_handoffs(START + Duration::days(1), 10).await.unwrap(), vec![id.clone()]);
}

async fn batch_claims(store: &dyn Store) {
    use sim::domain::notification::{Notification, NotificationStatus};
    use sim::domain::policy::{Channel, Recipient};
    use sim::ports::store::{Claim, Handed};

    let id = IncidentId::parse("inc-batch").unwrap();
    let to = |contact: &str| Recipient {
        contact_id: sim::ids::ContactId::parse(contact).unwrap(),
        channels: vec![],
        groups: vec![],
        role: sim::domain::Role::parse("gold").unwrap(),
    };
    let [a, b, c, d, missing] = ["con-a", "con-b", "con-c", "con-d", "con-missing"]
        .map(|contact| Notification::pending(id.clone(), &to(contact), Channel::Sms, 0.into(), 1, true, START));
    store.put_notifications(&[a.clone(), b.clone(), c.clone(), d.clone()]).await.unwrap();
    let lease = START + Duration::minutes(1);
    // c is sent already; d is held by another delivery's live lease.
    store.claim_notification(&id, &c.key(), START, lease).await.unwrap().unwrap();
    let sent_c = Notification { status: NotificationStatus::Sent, lease_until: None, attempts: 1, ..c.clone() };
    store.finish_notification(&sent_c, &[]).await.unwrap();
    store.claim_notification(&id, &d.key(), START, lease).await.unwrap().unwrap();

    let keys = |ns: &[&Notification]| ns.iter().map(|n| (id.clone(), n.key())).collect::<Vec<_>>();
    let claims = store.claim_notifications(&keys(&[&a, &b, &c, &d, &missing]), START, lease).await.unwrap();
    assert_eq!(claims.len(), 5);
    assert_eq!(claims[0], Claim::Claimed, "a pending one is claimed");
    assert_eq!(claims[1], Claim::Claimed, "beside ones already taken");
    assert!(matches!(&claims[2], Claim::Held(n) if n.status == NotificationStatus::Sent), "{:?}", claims[2]);
    assert!(matches!(&claims[3], Claim::Held(n) if n.status == NotificationStatus::Sending), "{:?}", claims[3]);
    assert_eq!(claims[4], Claim::Missing);
    assert_eq!(store.get_notification(&id, &a.key()).await.unwrap().unwrap().status, NotificationStatus::Sending);

    let at = START + Duration::seconds(5);
    let handed = [
        (id.clone(), a.key(), Handed::Sent { provider_message_id: "sns-batch-a".into(), at }),
        (id.clone(), b.key(), Handed::Released),
        (id.clone(), c.key(), Handed::Sent { provider_message_id: "sns-batch-c".into(), at }),
    ];
    assert_eq!(store.record_handed(&handed).await.unwrap(), vec![true, true, false], "c was no longer SENDING");
    let sent_a = Notification {
        status: NotificationStatus::Sent,
        provider_message_id: Some("sns-batch-a".into()),
        sent_at: Some(at),
        attempts: 1,
        ..a.clone()
    };
    assert_eq!(store.get_notification(&id, &a.key()).await.unwrap(), Some(sent_a.clone()));
    assert_eq!(
        store.receipt_target("sns-batch-a").await.unwrap(),
        Some(ReceiptTarget::Alert(sent_a)),
        "found by its id"
    );
    assert_eq!(store.get_notification(&id, &c.key()).await.unwrap(), Some(sent_c), "c untouched");
    let released = store.get_notification(&id, &b.key()).await.unwrap().unwrap();
    assert_eq!((released.status, released.lease_until), (NotificationStatus::Pending, None));

    // b again; d once its lease has lapsed; a, sent, never again.
    let later = lease + Duration::seconds(1);
    let claims = store.claim_notifications(&keys(&[&b, &d, &a]), later, later + Duration::minutes(1)).await.unwrap();
    assert_eq!(claims[..2], [Claim::Claimed, Claim::Claimed]);
    assert!(matches!(&claims[2], Claim::Held(n) if n.status == NotificationStatus::Sent));
    let b_again = store.get_notification(&id, &b.key()).await.unwrap().unwrap();
    assert_eq!((b_again.status, b_again.attempts), (NotificationStatus::Sending, 2), "each claim counts an attempt");
}

async fn delivery_receipts(store: &dyn Store) {
    use sim::domain::delivery::{Delivery, DeliveryState};
    use sim::domain::notification::{Notification, NotificationStatus};
    use sim::domain::policy::{Channel, Recipient};
    use sim::ports::store::{TestDelivery, TestMessageRecord, TestOutcome};

    let id = IncidentId::parse("inc-delivery").unwrap();
    let to = Recipient {
        contact_id: sim::ids::ContactId::parse("con-gold").unwrap(),
        channels: vec![],
        groups: vec![],
        role: sim::domain::Role::parse("gold").unwrap(),
    };
    let pending = Notification::pending(id.clone(), &to, Channel::Email, 0.into(), 1, true, START);
    store.put_notifications(std::slice::from_ref(&pending)).await.unwrap();
    assert!(store.receipt_target("ses-1").await.unwrap().is_none(), "not sent yet");
    let claimed = store.claim_notification(&id, &pending.key(), START, START + Duration::minutes(1)).await.unwrap();
    let sent = Notification {
        status: NotificationStatus::Sent,
        provider_message_id: Some("ses-1".into()),
        lease_until: None,
        ..claimed.unwrap()
    };
    store.finish_notification(&sent, &[]).await.unwrap();
    // The DynamoDB index is eventually consistent (moto's is immediate).
    assert_eq!(store.receipt_target("ses-1").await.unwrap(), Some(ReceiptTarget::Alert(sent.clone())));
    assert!(store.receipt_target("ses-2").await.unwrap().is_none());

    let at = |state, minutes| Delivery {
        incident_id: id.clone(),
        contact_id: to.contact_id.clone(),
        channel: Channel::Email,
        step: 0.into(),
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

    // A test message the provider took is found by its id through the same
    // index, and its delivery status moves only forward; one it did not take is not.
    let lambeth = sim::demo::lambeth();
    let test = |minutes: i64, outcome| TestMessageRecord {
        licensee_id: lambeth.clone(),
        contact_id: to.contact_id.clone(),
        channel: Channel::Sms,
        at: START + Duration::minutes(minutes),
        by: "staff-jo".into(),
        outcome,
        delivery: None,
    };
    let sent_test = test(1, TestOutcome::Sent { provider_message_id: "eum-test-1".into() });
    let refused = test(2, TestOutcome::Refused { reason: "invalid number".into() });
    store.record_test_message(&sent_test).await.unwrap();
    store.record_test_message(&refused).await.unwrap();
    assert_eq!(store.receipt_target("eum-test-1").await.unwrap(), Some(ReceiptTarget::Test(sent_test.clone())));
    let status = |state, minutes: i64, detail: Option<&str>| TestDelivery {
        state,
        at: START + Duration::minutes(minutes),
        detail: detail.map(str::to_owned),
    };
    let delivered = status(DeliveryState::Delivered, 3, None);
    assert!(store.record_test_delivery(&sent_test, &status(DeliveryState::Accepted, 2, None)).await.unwrap());
    assert!(store.record_test_delivery(&sent_test, &delivered).await.unwrap());
    assert!(
        !store.record_test_delivery(&sent_test, &status(DeliveryState::Delivered, 4, None)).await.unwrap(),
        "a duplicate"
    );
    let late_delay = status(DeliveryState::FailedTemporary, 5, Some("delayed"));
    assert!(!store.record_test_delivery(&sent_test, &late_delay).await.unwrap(), "behind the stored status");
    let tests = store.test_messages(&lambeth, &to.contact_id).await.unwrap();
    assert_eq!(tests.iter().map(|t| t.delivery.clone()).collect::<Vec<_>>(), [Some(delivered.clone()), None]);
    let Some(ReceiptTarget::Test(found)) = store.receipt_target("eum-test-1").await.unwrap() else {
        panic!("the test message is no longer found by its id");
    };
    assert_eq!(found.delivery, Some(delivered), "found with its delivery status");
    let elsewhere = TestMessageRecord { licensee_id: sim::demo::kent(), ..sent_test.clone() };
    assert!(
        !store.record_test_delivery(&elsewhere, &status(DeliveryState::Read, 6, None)).await.unwrap(),
        "no such test"
    );
    assert!(store.test_messages(&sim::demo::kent(), &to.contact_id).await.unwrap().is_empty(), "nothing created");
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

async fn directory_changes(store: &dyn Store) {
    use sim::domain::policy::Channel;
    use sim::ports::store::{ChangeRecord, DirectoryChange, TestMessageRecord, TestOutcome};
    sim::demo::seed(store, START.date(), &fixed_keys()).await.unwrap();
    let lambeth = sim::demo::lambeth();
    let template = store.contacts(&lambeth).await.unwrap().remove(0);
    let contact = |i: usize| sim::domain::Contact {
        id: sim::ids::ContactId::parse(&format!("c-{i:03}")).unwrap(),
        name: format!("Person {i}"),
        ..template.clone()
    };
    let record = |version: u32, by: &str| ChangeRecord {
        licensee_id: lambeth.clone(),
        version,
        at: START,
        by: by.into(),
        how: "import".into(),
        added: vec![],
        changed: vec![],
        removed: vec![],
        groups: vec![],
        values: vec![],
        values_omitted: 0,
    };
    assert_eq!(store.directory_version(&lambeth).await.unwrap(), 0);
    // 250 contacts and the group of them: more than two DynamoDB transactions.
    let mut gold = store.groups(&lambeth).await.unwrap().into_iter().find(|g| g.id.as_str() == "grp-gold").unwrap();
    gold.members = (0..250).map(|i| contact(i).id).collect();
    let big = DirectoryChange {
        licensee_id: lambeth.clone(),
        base_version: 0,
        put_contacts: (0..250).map(contact).collect(),
        remove_contacts: vec![template.id.clone()],
        put_groups: vec![gold.clone()],
        record: record(1, "first"),
    };
    assert_eq!(store.apply_directory_change(&big).await.unwrap(), 1);
    assert_eq!(store.directory_version(&lambeth).await.unwrap(), 1);
    let contacts = store.contacts(&lambeth).await.unwrap();
    assert_eq!(contacts.len(), 250 + 10 - 1);
    assert!(store.get_contact(&lambeth, &template.id).await.unwrap().is_none(), "removed");
    let stored_gold = store.groups(&lambeth).await.unwrap().into_iter().find(|g| g.id == gold.id).unwrap();
    assert_eq!(stored_gold, gold);

    // A change planned against version 0 is now stale: refused, nothing written.
    let stale = DirectoryChange {
        put_contacts: vec![sim::domain::Contact { name: "Stale".into(), ..contact(1) }],
        remove_contacts: vec![contact(2).id],
        record: record(1, "stale"),
        ..big.clone()
    };
    assert!(matches!(store.apply_directory_change(&stale).await, Err(StoreError::Conflict)));
    assert_eq!(store.get_contact(&lambeth, &contact(1).id).await.unwrap().unwrap().name, "Person 1");
    assert!(store.get_contact(&lambeth, &contact(2).id).await.unwrap().is_some());
    let next = DirectoryChange { base_version: 1, record: record(2, "second"), ..stale };
    assert_eq!(store.apply_directory_change(&next).await.unwrap(), 2);
    assert_eq!(store.get_contact(&lambeth, &contact(1).id).await.unwrap().unwrap().name, "Stale");
    let audit: Vec<(u32, String)> =
        store.directory_changes(&lambeth).await.unwrap().into_iter().map(|r| (r.version, r.by)).collect();
    assert_eq!(audit, [(1, "first".into()), (2, "second".into())]);
    assert!(store.directory_changes(&sim::demo::kent()).await.unwrap().is_empty());

    let test = |minutes: i64, outcome| TestMessageRecord {
        licensee_id: lambeth.clone(),
        contact_id: contact(1).id,
        channel: Channel::Sms,
        at: START + Duration::minutes(minutes),
        by: "staff-jo".into(),
        outcome,
        delivery: None,
    };
    let later = test(5, TestOutcome::Refused { reason: "invalid number".into() });
    let earlier = test(1, TestOutcome::Sent { provider_message_id: "m-1".into() });
    store.record_test_message(&later).await.unwrap();
    store.record_test_message(&earlier).await.unwrap();
    let found = store.test_messages(&lambeth, &contact(1).id).await.unwrap();
    assert_eq!(found.iter().map(|r| r.at).collect::<Vec<_>>(), [earlier.at, later.at], "oldest first");
    // Two channels tested at the same instant are both kept.
    let email = TestMessageRecord { channel: Channel::Email, ..later.clone() };
    store.record_test_message(&email).await.unwrap();
    let found = store.test_messages(&lambeth, &contact(1).id).await.unwrap();
    assert_eq!(found.len(), 3, "a test on another channel at the same instant overwrote one");
    assert!(store.test_messages(&lambeth, &contact(10).id).await.unwrap().is_empty(), "per contact");
}

/// The vault's storage: one data key per incident and per subject (created once, deleted to
/// shred), records written once with their blind-index entry, the access log
/// appended never overwritten, and each scoped to its licensee.
async fn vault_records(store: &dyn Store) {
    use sim::domain::subject::BlindIndex;
    use sim::ids::{AccessId, SubjectId};
    use sim::ports::keys::WrappedKey;
    use sim::ports::store::{AccessAction, AccessEntry, IncidentKey, SealedSubject, SubjectKey, SubjectRef};
    let lambeth = sim::demo::lambeth();
    let inc = |id: &str| IncidentId::parse(id).unwrap();
    let key = IncidentKey {
        licensee_id: lambeth.clone(),
        incident_id: inc("inc-v1"),
        wrapped: WrappedKey::from_bytes(b"wrapped"),
        created_at: START,
        retain_until: START + Duration::days(365),
    };
    store.create_incident_key(&key).await.unwrap();
    let again = IncidentKey { wrapped: WrappedKey::from_bytes(b"other"), ..key.clone() };
    assert!(matches!(store.create_incident_key(&again).await, Err(StoreError::Conflict)), "one key per incident");
    assert_eq!(store.incident_key(&key.incident_id).await.unwrap(), Some(key.clone()));

    let person = BlindIndex::of(b"k", "A Person", None);
    let subject = |incident: &str, id: &str, licensee: &sim::ids::LicenseeId| SealedSubject {
        licensee_id: licensee.clone(),
        incident_id: inc(incident),
        subject_id: SubjectId::parse(id).unwrap(),
        role: sim::domain::subject::SubjectRole::Witness,
        sealed: "c2VhbGVk".into(),
        blind_index: person.clone(),
        created_at: START,
        retain_until: START + Duration::days(365),
    };
    let a = subject("inc-v1", "sub-b", &lambeth);
    let b = subject("inc-v1", "sub-a", &lambeth);
    let c = subject("inc-v2", "sub-c", &lambeth);
    let elsewhere = subject("inc-v3", "sub-d", &sim::demo::kent());
    for s in [&a, &b, &c, &elsewhere] {
        store.put_subject(s).await.unwrap();
    }
    assert!(matches!(store.put_subject(&a).await, Err(StoreError::Conflict)), "never overwritten");
    assert_eq!(store.subject(&a.incident_id, &a.subject_id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.subjects(&inc("inc-v1")).await.unwrap(), vec![b.clone(), a.clone()], "by subject id");
    let at = |s: &SealedSubject| SubjectRef { incident_id: s.incident_id.clone(), subject_id: s.subject_id.clone() };
    assert_eq!(store.find_subjects(&lambeth, &person).await.unwrap(), vec![at(&b), at(&a), at(&c)]);
    assert!(store.find_subjects(&lambeth, &BlindIndex::of(b"k", "Nobody", None)).await.unwrap().is_empty());

    // Each subject's own key: written once, moved with the incident's retention, deleted alone.
    let own = |s: &SealedSubject| SubjectKey {
        licensee_id: s.licensee_id.clone(),
        incident_id: s.incident_id.clone(),
        subject_id: s.subject_id.clone(),
        wrapped: WrappedKey::from_bytes(s.subject_id.as_str().as_bytes()),
        created_at: START,
        retain_until: START + Duration::days(365),
    };
    store.put_subject_key(&own(&a)).await.unwrap();
    store.put_subject_key(&own(&b)).await.unwrap();
    assert!(matches!(store.put_subject_key(&own(&a)).await, Err(StoreError::Conflict)), "never overwritten");
    assert_eq!(store.subject_key(&a.incident_id, &a.subject_id).await.unwrap(), Some(own(&a)));
    assert_eq!(store.subjects(&inc("inc-v1")).await.unwrap().len(), 2, "keys are not records");
    let later = START + Duration::days(700);
    store.set_retention(&inc("inc-v1"), later).await.unwrap();
    assert_eq!(store.incident_key(&key.incident_id).await.unwrap().unwrap().retain_until, later);
    assert_eq!(store.subject(&a.incident_id, &a.subject_id).await.unwrap().unwrap().retain_until, later);
    assert_eq!(store.subject_key(&b.incident_id, &b.subject_id).await.unwrap().unwrap().retain_until, later);
    assert_eq!(store.subject(&c.incident_id, &c.subject_id).await.unwrap().unwrap().retain_until, c.retain_until);
    store.delete_subject_key(&a.incident_id, &a.subject_id).await.unwrap();
    assert_eq!(store.subject_key(&a.incident_id, &a.subject_id).await.unwrap(), None);
    assert!(store.subject_key(&b.incident_id, &b.subject_id).await.unwrap().is_some(), "the others stay");
    let a = store.subject(&a.incident_id, &a.subject_id).await.unwrap().unwrap();

    store.delete_subject(&a).await.unwrap();
    assert_eq!(store.subject(&a.incident_id, &a.subject_id).await.unwrap(), None);
    assert_eq!(store.find_subjects(&lambeth, &person).await.unwrap(), vec![at(&b), at(&c)]);
    store.delete_incident_key(&key.incident_id).await.unwrap();
    assert_eq!(store.incident_key(&key.incident_id).await.unwrap(), None);

    let entry = |id: &str, minutes: i64| AccessEntry {
        id: AccessId::parse(id).unwrap(),
        licensee_id: lambeth.clone(),
        incident_id: Some(inc("inc-v1")),
        subject_id: Some(b.subject_id.clone()),
        action: AccessAction::View,
        reader: "staff-1".into(),
        role: "safeguarding_lead".into(),
        lawful_basis: Some("serious_violence_duty_s16".into()),
        reason: "Planning".into(),
        fields: vec!["name".into()],
        address: Some("203.0.113.7".into()),
        break_glass: false,
        at: START + Duration::minutes(minutes),
    };
    store.append_access(&entry("acc-2", 5)).await.unwrap();
    store.append_access(&entry("acc-1", 1)).await.unwrap();
    let changed = AccessEntry { reason: "rewritten".into(), ..entry("acc-1", 1) };
    assert!(matches!(store.append_access(&changed).await, Err(StoreError::Conflict)), "append-only");
    assert_eq!(store.access_log(&lambeth).await.unwrap(), vec![entry("acc-1", 1), entry("acc-2", 5)]);
    assert!(store.access_log(&sim::demo::kent()).await.unwrap().is_empty());
}

/// Report rows: kept per licensee and month, read back by period in report
/// order, a row from a shorter timeline never replaces a longer one's.
async fn report_rows(store: &dyn Store) {
    use sim::reports::IncidentRow;
    use time::macros::datetime;

    let row = |id: &str, licensee: sim::ids::LicenseeId, at: time::OffsetDateTime, events: u32| IncidentRow {
        incident_id: IncidentId::parse(id).unwrap(),
        licensee_id: licensee,
        reported_at: at,
        occurred_at: at,
        category: None,
        acknowledge_within_minutes: None,
        first_message_at: None,
        all_required_alerted_at: None,
        roles: vec![],
        deputies_alerted: 0,
        chief_executive_told: false,
        channels: Default::default(),
        checklist: vec![],
        closed_at: None,
        timeline_events: events,
    };
    let lambeth = sim::demo::lambeth();
    let last_of_october = row("inc-oct", lambeth.clone(), datetime!(2026-10-31 23:59:59.999 UTC), 1);
    let first_of_november = row("inc-nov", lambeth.clone(), datetime!(2026-11-01 00:00 UTC), 1);
    let later = row("inc-nov2", lambeth.clone(), datetime!(2026-11-30 23:59 UTC), 3);
    let kent = row("inc-kent", sim::demo::kent(), datetime!(2026-11-10 00:00 UTC), 1);
    for r in [&later, &first_of_november, &last_of_october, &kent] {
        assert!(store.put_report_row(r).await.unwrap());
    }
    assert!(store.put_report_row(&later).await.unwrap(), "the same row again is harmless");
    let stale = IncidentRow { deputies_alerted: 9, ..row("inc-nov2", lambeth.clone(), later.reported_at, 2) };
    assert!(!store.put_report_row(&stale).await.unwrap(), "a row from a shorter timeline is refused");

    let november =
        store.report_rows(&lambeth, datetime!(2026-11-01 00:00 UTC), datetime!(2026-12-01 00:00 UTC)).await.unwrap();
    assert_eq!(november.rows, vec![first_of_november.clone(), later.clone()], "in order, Lambeth's only");
    assert_eq!(november.requests, 1);
    let both =
        store.report_rows(&lambeth, datetime!(2026-10-31 00:00 UTC), datetime!(2026-11-30 23:59 UTC)).await.unwrap();
    assert_eq!(both.rows, vec![last_of_october, first_of_november], "the end is excluded");
    assert_eq!(both.requests, 2, "one query per month");
    let none = store.report_rows(&lambeth, datetime!(2026-12-01 00:00 UTC), datetime!(2027-01-01 00:00 UTC)).await;
    assert!(none.unwrap().rows.is_empty());
}

async fn shares(store: &dyn Store) {
    use sim::domain::share::{Share, ShareAction, ShareActor, ShareSide, ShareState, SharedFrom};
    let ids = SequentialIds::default();
    let owner = incident("inc-owner", "REF-SHARE", &sim::demo::met_cad());
    store.create_incident(&owner, &[]).await.unwrap();
    let southwark = sim::ids::LicenseeId::parse("southwark").unwrap();
    let area = sim::domain::AreaName::parse("Southwark").unwrap();
    let offer = Share::offer(&owner.id, &owner.licensee_id, &southwark, &area, START);
    let offered = Event::ShareOffered { owner: owner.licensee_id.clone(), partner: southwark.clone(), area };
    assert!(store.offer_share(&offer, &[TimelineEvent::new(&ids, &owner.id, START, offered)]).await.unwrap());
    assert!(!store.offer_share(&offer, &[]).await.unwrap(), "one share per incident and partner");
    assert_eq!(store.get_share(&owner.id, &southwark).await.unwrap(), Some(offer.clone()));
    assert_eq!(store.shares_of_incident(&owner.id).await.unwrap(), vec![offer.clone()]);
    assert_eq!(store.shares_with_partner(&southwark).await.unwrap(), vec![offer.clone()]);
    assert!(store.shares_with_partner(&sim::demo::kent()).await.unwrap().is_empty());
    assert_eq!(store.timeline(&owner.id).await.unwrap().len(), 1, "the offer is on the owner's timeline once");

    let confirmed = offer.apply(ShareSide::Owner, ShareAction::Confirm, ShareActor::Policy, START).unwrap();
    store.move_share(&confirmed, &[], None).await.unwrap();
    assert!(matches!(store.move_share(&confirmed, &[], None).await, Err(StoreError::Conflict)), "moved once");
    let staff = ShareActor::Staff("stf-duty".into());
    let accepted = confirmed.apply(ShareSide::Partner, ShareAction::Accept, staff.clone(), START).unwrap();
    let linked = Incident {
        id: accepted.partner_incident_id.clone(),
        licensee_id: southwark.clone(),
        shared_from: Some(SharedFrom { incident_id: owner.id.clone(), owner: owner.licensee_id.clone() }),
        ..owner.clone()
    };
    let on_both = |incident: &Incident| {
        let event =
            Event::ShareAccepted { owner: owner.licensee_id.clone(), partner: southwark.clone(), actor: staff.clone() };
        TimelineEvent::new(&ids, &incident.id, START, event)
    };
    let events = [on_both(&owner), on_both(&linked)];
    // A stale version moves nothing, linked incident included.
    let stale = sim::domain::share::Share { version: 2, ..accepted.clone() };
    assert!(matches!(store.move_share(&stale, &events, Some(&linked)).await, Err(StoreError::Conflict)));
    assert_eq!(store.get_incident(&linked.id).await.unwrap(), None);
    store.move_share(&accepted, &events, Some(&linked)).await.unwrap();
    assert_eq!(store.get_incident(&linked.id).await.unwrap(), Some(linked.clone()));
    assert_eq!(store.timeline(&linked.id).await.unwrap().len(), 1);
    assert_eq!(store.timeline(&owner.id).await.unwrap().len(), 2);
    let listed = store.shares_with_partner(&southwark).await.unwrap();
    assert_eq!(listed.iter().map(|s| s.state).collect::<Vec<_>>(), vec![ShareState::Accepted], "the list follows");
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
    restarts_a_handoff_the_sweeper_gave_up_on => restarted_handoffs,
    keeps_categorisation_and_fan_out_records => categorisation_and_fan_out_records,
    answers_ward_history => ward_history,
    applies_versioned_directory_changes => directory_changes,
    keeps_the_vaults_keys_records_and_access_log => vault_records,
    keeps_report_rows_by_licensee_and_month => report_rows,
    keeps_delivery_status_forward_only => delivery_receipts,
    moves_shares_only_as_allowed_and_opens_the_linked_incident_once => shares,
    claims_and_records_a_batch_each_on_its_own => batch_claims,
    reads_a_directory_and_an_incident_in_one_query_and_writes_a_round_at_once => directory_snapshot_and_round_writes,
}
