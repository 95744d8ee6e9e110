//! The personal-data vault: police add subject records through intake
//! (only with the permission), records open only where they were sealed,
//! every access is logged with its condition and reason, retention and
//! erasure make records unreadable, and no personal value leaks into a
//! response, log line or queue body. KMS and DynamoDB checks run on moto.

use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::kms::KmsKeys;
use sim::adapters::memory_keys::MemoryKeys;
use sim::adapters::memory_store::MemoryStore;
use sim::clock::{Clock, ManualClock};
use sim::domain::subject::{SubjectRecord, SubjectSource};
use sim::ids::{IncidentId, LicenseeId, SequentialIds};
use sim::ports::keys::{KeyContext, KeyError, KeyProvider};
use sim::ports::store::prelude::*;
use sim::ports::store::{AccessAction, SealedSubject, SubjectRef, VaultStore};
use sim::vault::{Agreement, DpoAlert, Purpose, Reader, Vault, VaultError};
use sim_tests::*;
use std::sync::Arc;
use time::macros::date;
use time::Duration;

/// A name that appears nowhere else, so finding it anywhere is a leak.
const CANARY: &str = "Quillon Zarathustra-Vex";

fn subject_body(name: &str) -> serde_json::Value {
    serde_json::json!({
        "role": "victim",
        "name": name,
        "date_of_birth": "2009-04-17",
        "address": "12 Canaryvex Street",
        "postcode": "SE11 5QY",
        "school": "Canaryvex Academy",
        "safeguarding_flags": ["child"],
        "note": "Canaryvex note"
    })
}

fn record(name: &str) -> SubjectRecord {
    let source = SubjectSource::Council { staff_id: "staff-1".into() };
    SubjectRecord::from_json(&subject_body(name), START.date(), source).unwrap()
}

fn lead() -> Reader {
    Reader { id: "staff-lead".into(), role: "dpo".into(), address: Some("203.0.113.7".into()) }
}

fn purpose() -> Purpose {
    Purpose {
        lawful_basis: "dpa2018_sch1_para18_safeguarding".into(),
        reason: "Planning the school safety response".into(),
        emergency: false,
    }
}

fn vault_on(store: Arc<dyn sim::ports::Store>, keys: Arc<dyn KeyProvider>, clock: Arc<dyn Clock>) -> Vault {
    Vault {
        keys,
        store,
        clock,
        ids: Arc::new(SequentialIds::default()),
        index_key: b"a test blind-index key of 32 bytes".to_vec(),
        agreement: Agreement::default(),
        dpo_alert: None,
    }
}

fn memory_vault() -> (Vault, Arc<MemoryStore>, Arc<ManualClock>) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(START));
    (vault_on(store.clone(), Arc::new(MemoryKeys::new()), clock.clone()), store, clock)
}

fn inc(id: &str) -> IncidentId {
    IncidentId::parse(id).unwrap()
}

/// Reports the fixture incident; returns its id.
async fn reported(h: &Harness) -> String {
    let response = h.call(event("intake-report.json")).await;
    assert_eq!(response.status(), 202);
    json(&response)["id"].as_str().unwrap().to_owned()
}

async fn grant_subjects(h: &Harness) {
    let mut met = h.store.get_caller(&sim::demo::met_cad()).await.unwrap().unwrap();
    met.may_add_subjects = true;
    h.store.put_caller(&met).await.unwrap();
    // A warm intake sees a caller's new permission once its kept read lapses (`READ_TTL`).
    h.clock.advance(intake::reads::READ_TTL);
}

fn post_subject(id: &str, body: String) -> lambda_http::Request {
    request("POST", &format!("/v1/incidents/{id}/subjects"), Some(&met_key()), Some(body))
}

fn body_text(response: &lambda_http::Response<lambda_http::Body>) -> String {
    String::from_utf8_lossy(response.body().as_ref()).into_owned()
}

#[tokio::test]
async fn police_without_the_permission_get_403_and_nothing_is_stored() {
    let h = memory_harness().await;
    let id = reported(&h).await;
    let response = h.call(post_subject(&id, subject_body(CANARY).to_string())).await;
    assert_eq!(response.status(), 403);
    assert_eq!(header(&response, "content-type"), Some("application/problem+json"));
    assert!(!body_text(&response).contains("Quillon"));
    assert!(h.store.subjects(&inc(&id)).await.unwrap().is_empty(), "nothing stored");
    assert!(h.store.incident_key(&inc(&id)).await.unwrap().is_none(), "no data key made");
    assert!(h.store.access_log(&sim::demo::lambeth()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_permitted_caller_stores_a_sealed_record_that_listed_roles_read_with_a_logged_reason() {
    let h = memory_harness().await;
    let id = reported(&h).await;
    grant_subjects(&h).await;
    let response = h.call(post_subject(&id, subject_body(CANARY).to_string())).await;
    assert_eq!(response.status(), 201, "{}", body_text(&response));
    let subject = sim::ids::SubjectId::parse(json(&response)["id"].as_str().unwrap()).unwrap();
    assert!(!body_text(&response).contains("Quillon"));

    let stored = h.store.subject(&inc(&id), &subject).await.unwrap().unwrap();
    let at_rest = serde_json::to_string(&stored).unwrap()
        + &serde_json::to_string(&h.store.incident_key(&inc(&id)).await.unwrap()).unwrap();
    for value in ["Quillon", "Canaryvex", "SE11", "2009-04-17"] {
        assert!(!at_rest.contains(value), "{value} stored in clear");
    }

    let vault = h.deps.settings.vault.as_ref().unwrap();
    let lambeth = sim::demo::lambeth();
    let shown = vault.read(&lambeth, &inc(&id), &subject, &lead(), &purpose()).await.unwrap();
    assert_eq!(shown.record.name.as_str(), CANARY);
    assert!(!shown.break_glass);

    // A role outside the agreement is refused, and the refusal is logged.
    let youth = Reader { id: "staff-yw".into(), role: "youth_worker".into(), address: None };
    let refused = vault.read(&lambeth, &inc(&id), &subject, &youth, &purpose()).await;
    assert!(matches!(refused, Err(VaultError::Refused(_))), "{refused:?}");
    // No reason, or a condition the agreement does not list: refused too.
    let blank = Purpose { reason: "  ".into(), ..purpose() };
    assert!(matches!(vault.read(&lambeth, &inc(&id), &subject, &lead(), &blank).await, Err(VaultError::Refused(_))));
    // Break-glass: shown, flagged for the DPO.
    let emergency = Purpose { emergency: true, reason: "Child missing tonight".into(), ..purpose() };
    assert!(vault.read(&lambeth, &inc(&id), &subject, &youth, &emergency).await.unwrap().break_glass);

    let log = vault.access_log(&lambeth).await.unwrap();
    let actions: Vec<AccessAction> = log.iter().map(|e| e.action).collect();
    use AccessAction::*;
    assert_eq!(actions, [Add, View, Refused, Refused, View]);
    assert_eq!(log[0].reader, "met-cad");
    let view = &log[1];
    assert_eq!(view.reader, "staff-lead");
    assert_eq!(view.role, "dpo");
    assert_eq!(view.lawful_basis.as_deref(), Some("dpa2018_sch1_para18_safeguarding"));
    assert_eq!(view.reason, "Planning the school safety response");
    assert_eq!(view.address.as_deref(), Some("203.0.113.7"));
    assert!(view.fields.contains(&"date_of_birth".to_owned()));
    assert_eq!((log[4].break_glass, log[4].role.as_str()), (true, "youth_worker"));
    assert!(!serde_json::to_string(&log).unwrap().contains("Quillon"), "the log holds no values");
}

#[tokio::test]
async fn no_personal_value_reaches_a_response_log_line_queue_body_message_status_or_timeline() {
    let h = memory_harness().await;
    let logs = sim_tests::logs::captured_logs();
    let id = reported(&h).await;
    grant_subjects(&h).await;
    let mut responses = Vec::new();
    responses.push(h.call(post_subject(&id, subject_body(CANARY).to_string())).await);
    // Every way of being wrong, each carrying the canary.
    let mut bad_role = subject_body(CANARY);
    bad_role["role"] = CANARY.into();
    bad_role["postcode"] = CANARY.into();
    bad_role["date_of_birth"] = CANARY.into();
    bad_role["safeguarding_flags"] = serde_json::json!([CANARY]);
    bad_role[CANARY] = CANARY.into();
    bad_role["nickname"] = CANARY.into();
    responses.push(h.call(post_subject(&id, bad_role.to_string())).await);
    responses.push(h.call(post_subject(&id, format!("{{\"name\": \"{CANARY}\", \"name\": \"{CANARY}\"}}"))).await);
    responses.push(h.call(post_subject(&id, format!("{{\"name\": \"{CANARY}\" \"x"))).await);
    responses.push(h.call(post_subject("inc-unknown", subject_body(CANARY).to_string())).await);
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [201, 422, 400, 400, 404]);
    let bad = json(&responses[1]);
    assert!(bad["errors"].as_array().unwrap().len() >= 6, "{bad}");

    // The incident goes on through categorisation and every channel's sender.
    let queues = memory_channel_queues();
    let handed_on = categorise_handed_on(&h, &categoriser(&h, queues.clone())).await;
    assert!(!handed_on.is_empty(), "the incident was handed on");
    let recorder = Arc::new(sim::adapters::recording_sender::RecordingSender::default());
    let links = sim::sending::Links {
        key: sim::links::LinkKey::generate(),
        base_url: "https://sim.example".into(),
        lifetime: Duration::days(7),
    };
    let mut queue_bodies = handed_on;
    for (channel, queue) in [
        (sim::domain::policy::Channel::Sms, &queues.sms),
        (sim::domain::policy::Channel::Email, &queues.email),
        (sim::domain::policy::Channel::WhatsApp, &queues.whatsapp),
    ] {
        let deps = sim::sending::SenderDeps {
            clock: h.clock.clone(),
            ids: h.ids.clone(),
            pacer: sim::sending::Pacer::per_second(0.0),
            ..sim::sending::SenderDeps::new(channel, h.store.clone(), recorder.clone(), links.clone())
        };
        for body in drain(&**queue).await {
            let text = body.to_string();
            sim::sending::send_message(&deps, &text).await.expect("sent");
            queue_bodies.push(text);
        }
    }
    assert!(!recorder.sent().is_empty(), "alerts were sent");
    let status = h.call(request("GET", &format!("/v1/incidents/{id}"), Some(&met_key()), None)).await;
    assert_eq!(status.status(), 200);

    let mut seen = logs.text();
    assert!(seen.contains("subject record sealed and stored"), "logs were captured: {seen}");
    for r in responses.iter().chain([&status]) {
        seen.push_str(&body_text(r));
    }
    seen.push_str(&queue_bodies.join("\n"));
    for message in recorder.sent() {
        match message {
            sim::ports::Outgoing::Sms { text, .. } => seen.push_str(&text),
            sim::ports::Outgoing::Email { email, .. } => {
                seen.push_str(&format!("{}{}{}", email.subject, email.text, email.html))
            }
            sim::ports::Outgoing::WhatsApp { template, .. } => seen.push_str(&format!("{template:?}")),
        }
    }
    seen.push_str(&format!("{:?}", h.store.timeline(&inc(&id)).await.unwrap()));
    for part in ["Quillon", "Zarathustra", "Canaryvex"] {
        assert!(!seen.contains(part), "{part} leaked:\n{seen}");
    }
}

#[tokio::test]
async fn a_record_moved_to_another_incident_or_subject_fails_to_open() {
    let (vault, store, _) = memory_vault();
    let lic = sim::demo::lambeth();
    let first = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    let other = vault.add(&lic, &inc("inc-2"), &record("Someone Else"), &lead()).await.unwrap();
    let sealed = store.subject(&inc("inc-1"), &first).await.unwrap().unwrap();

    // Copied into another incident (which has its own key).
    let moved = SealedSubject { incident_id: inc("inc-2"), ..sealed.clone() };
    store.put_subject(&moved).await.unwrap();
    let opened = vault.read(&lic, &inc("inc-2"), &first, &lead(), &purpose()).await;
    assert!(matches!(opened, Err(VaultError::Unopenable)), "{opened:?}");
    // Copied with its key into an incident that has none.
    let key = store.incident_key(&inc("inc-1")).await.unwrap().unwrap();
    store.create_incident_key(&sim::ports::store::IncidentKey { incident_id: inc("inc-3"), ..key }).await.unwrap();
    store.put_subject(&SealedSubject { incident_id: inc("inc-3"), ..sealed.clone() }).await.unwrap();
    assert!(matches!(vault.read(&lic, &inc("inc-3"), &first, &lead(), &purpose()).await, Err(VaultError::Unopenable)));
    // Relabelled as another subject of the same incident.
    store.put_subject(&SealedSubject { subject_id: other.clone(), ..sealed.clone() }).await.unwrap();
    assert!(matches!(vault.read(&lic, &inc("inc-1"), &other, &lead(), &purpose()).await, Err(VaultError::Unopenable)));
    // Read as another licensee: not found.
    let kent = sim::demo::kent();
    assert!(matches!(vault.read(&kent, &inc("inc-1"), &first, &lead(), &purpose()).await, Err(VaultError::NotFound)));
    // Where it belongs, it opens.
    assert_eq!(
        vault.read(&lic, &inc("inc-1"), &first, &lead(), &purpose()).await.unwrap().record.name.as_str(),
        CANARY
    );
}

/// Closes the incident now, as the lead responder's page does.
async fn close(store: &dyn sim::ports::Store, clock: &ManualClock, incident: &str) {
    use sim::domain::follow_up::{Closure, FollowUp};
    let mut closed = FollowUp::new(inc(incident)).next();
    let by = sim::ids::ContactId::parse("con-gold").unwrap();
    let role = sim::domain::contact::Role::parse("gold").unwrap();
    closed.closure = Some(Closure { closed_by: by.into(), role, at: clock.now(), note: "closed".into() });
    store.put_follow_up(&closed, &[]).await.unwrap();
}

#[tokio::test]
async fn after_the_retention_date_the_record_is_refused_and_the_data_key_is_gone() {
    let (vault, store, clock) = memory_vault();
    let lic = sim::demo::lambeth();
    let subject = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    // Retention runs from the closing, not from the first record: a year open is nothing.
    clock.advance(Duration::days(400));
    assert!(vault.read(&lic, &inc("inc-1"), &subject, &lead(), &purpose()).await.is_ok(), "open: kept");
    close(&*store, &clock, "inc-1").await;
    let closed_at = clock.now();
    assert_eq!(
        sim::vault::settle_retention(&*store, &inc("inc-1"), &Agreement::default()).await.unwrap(),
        Some(sim::domain::data_sharing::months_after(closed_at, 12)),
    );
    let stored = store.subject(&inc("inc-1"), &subject).await.unwrap().unwrap();
    assert_eq!(stored.retain_until, sim::domain::data_sharing::months_after(closed_at, 12), "the TTL moved too");
    // Twelve calendar months after the closing: readable to the minute before, refused after.
    clock.advance(sim::domain::data_sharing::months_after(closed_at, 12) - closed_at - Duration::minutes(1));
    assert!(vault.read(&lic, &inc("inc-1"), &subject, &lead(), &purpose()).await.is_ok(), "within retention");
    clock.advance(Duration::minutes(2));
    let late = vault.read(&lic, &inc("inc-1"), &subject, &lead(), &purpose()).await;
    assert!(matches!(late, Err(VaultError::Expired)), "{late:?}");
    assert!(store.incident_key(&inc("inc-1")).await.unwrap().is_none(), "data key shredded");
    assert!(matches!(vault.read(&lic, &inc("inc-1"), &subject, &lead(), &purpose()).await, Err(VaultError::Expired)));
    let log = vault.access_log(&lic).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == AccessAction::Shred).count(), 1);
}

#[tokio::test]
async fn the_licensees_own_agreement_sets_who_may_view_the_conditions_and_the_retention() {
    let (vault, store, clock) = memory_vault();
    let lic = sim::demo::lambeth();
    let agreement = serde_json::json!({
        "roles": ["duty"], "lawful_conditions": ["lambeth_isa_2026_clause_4"], "retention_months": 6
    });
    let licensee = serde_json::json!({
        "id": "lambeth", "name": "Lambeth", "tier": { "tier": "london_free" }, "status": { "status": "active" },
        "areas": ["Lambeth"], "data_sharing": agreement
    });
    store.put_licensee(&serde_json::from_value(licensee).unwrap()).await.unwrap();
    let subject = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    let duty = Reader { id: "staff-duty".into(), role: "duty".into(), address: None };
    let theirs = Purpose { lawful_basis: "lambeth_isa_2026_clause_4".into(), ..purpose() };
    let shown = vault.read(&lic, &inc("inc-1"), &subject, &duty, &theirs).await.unwrap();
    assert!(!shown.break_glass, "duty is listed in Lambeth's agreement");
    let dpo_refused = vault.read(&lic, &inc("inc-1"), &subject, &lead(), &theirs).await;
    assert!(matches!(dpo_refused, Err(VaultError::Refused(_))), "dpo is not listed: {dpo_refused:?}");
    let default_condition = vault.read(&lic, &inc("inc-1"), &subject, &duty, &purpose()).await;
    assert!(matches!(default_condition, Err(VaultError::Refused(_))), "only Lambeth's conditions are offered");
    close(&*store, &clock, "inc-1").await;
    let closed_at = clock.now();
    clock.advance(sim::domain::data_sharing::months_after(closed_at, 6) - closed_at - Duration::minutes(1));
    assert!(vault.read(&lic, &inc("inc-1"), &subject, &duty, &theirs).await.is_ok(), "within six months");
    clock.advance(Duration::minutes(2));
    let late = vault.read(&lic, &inc("inc-1"), &subject, &duty, &theirs).await;
    assert!(matches!(late, Err(VaultError::Expired)), "six months after closing: {late:?}");
}

#[tokio::test]
async fn erasure_shreds_one_subjects_key_so_a_restored_copy_of_its_record_never_opens() {
    let (vault, store, _) = memory_vault();
    let lic = sim::demo::lambeth();
    let erased = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    let kept = vault.add(&lic, &inc("inc-1"), &record("Someone Else"), &lead()).await.unwrap();
    // What a backup of the records holds: the sealed record, as it was.
    let backup = store.subject(&inc("inc-1"), &erased).await.unwrap().unwrap();
    vault.erase(&lic, &inc("inc-1"), &erased, &lead(), "Erasure request ER-13").await.unwrap();
    assert!(store.subject_key(&inc("inc-1"), &erased).await.unwrap().is_none(), "its key is gone");
    store.put_subject(&backup).await.unwrap();
    let restored = vault.read(&lic, &inc("inc-1"), &erased, &lead(), &purpose()).await;
    assert!(matches!(restored, Err(VaultError::Unopenable)), "{restored:?}");
    let other = vault.read(&lic, &inc("inc-1"), &kept, &lead(), &purpose()).await.unwrap();
    assert_eq!(other.record.name.as_str(), "Someone Else", "the other subject still opens");
}

#[tokio::test]
async fn erasure_makes_one_subject_unreadable_and_is_logged() {
    let (vault, _, _) = memory_vault();
    let lic = sim::demo::lambeth();
    let erased = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    let kept = vault.add(&lic, &inc("inc-1"), &record("Someone Else"), &lead()).await.unwrap();
    let dpo = Reader { id: "staff-dpo".into(), role: "dpo".into(), address: None };
    vault.erase(&lic, &inc("inc-1"), &erased, &dpo, "Erasure request ER-12").await.unwrap();
    assert!(matches!(vault.read(&lic, &inc("inc-1"), &erased, &dpo, &purpose()).await, Err(VaultError::NotFound)));
    assert_eq!(
        vault.read(&lic, &inc("inc-1"), &kept, &dpo, &purpose()).await.unwrap().record.name.as_str(),
        "Someone Else"
    );
    let found = vault.search(&lic, CANARY, Some(date!(2009 - 04 - 17)), &dpo, &purpose()).await.unwrap();
    assert!(found.is_empty(), "the blind-index entry went with it");
    let log = vault.access_log(&lic).await.unwrap();
    let erasure = log.iter().find(|e| e.action == AccessAction::Erase).unwrap();
    assert_eq!((erasure.subject_id.as_ref(), erasure.reason.as_str()), (Some(&erased), "Erasure request ER-12"));
}

#[tokio::test]
async fn a_subject_access_search_finds_both_records_of_one_person_across_two_incidents() {
    let (vault, _, _) = memory_vault();
    let lic = sim::demo::lambeth();
    let a = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    let b = vault.add(&lic, &inc("inc-2"), &record("quillon  ZARATHUSTRA vex"), &lead()).await.unwrap();
    vault.add(&lic, &inc("inc-2"), &record("Someone Else"), &lead()).await.unwrap();
    vault.add(&sim::demo::kent(), &inc("inc-9"), &record(CANARY), &lead()).await.unwrap();
    let dpo = Reader { id: "staff-dpo".into(), role: "dpo".into(), address: None };
    let sar = Purpose { reason: "Subject access request SAR-3".into(), ..purpose() };
    let mut found = vault.search(&lic, CANARY, Some(date!(2009 - 04 - 17)), &dpo, &sar).await.unwrap();
    found.sort();
    let expected = vec![
        SubjectRef { incident_id: inc("inc-1"), subject_id: a },
        SubjectRef { incident_id: inc("inc-2"), subject_id: b },
    ];
    assert_eq!(found, expected, "both records, this licensee only");
    let log = vault.access_log(&lic).await.unwrap();
    let search = log.iter().find(|e| e.action == AccessAction::Search).unwrap();
    assert_eq!(search.reason, "Subject access request SAR-3");
}

// --- On moto: KMS with encryption context, DynamoDB records and log ---

async fn moto_kms_key(config: &aws_config::SdkConfig) -> String {
    let client = aws_sdk_kms::Client::new(config);
    let key = client.create_key().description(unique("sim-vault")).send().await.expect("key created in moto");
    key.key_metadata.unwrap().key_id
}

#[tokio::test]
async fn kms_unwraps_a_data_key_only_under_its_own_context() {
    needs_moto!();
    let config = moto().await;
    let keys = KmsKeys::from_config(&config, moto_kms_key(&config).await);
    let context = KeyContext { licensee_id: LicenseeId::parse("lic-a").unwrap(), incident_id: inc("inc-1") };
    let data = keys.generate(&context).await.unwrap();
    let unwrapped = keys.unwrap(&data.wrapped, &context).await.unwrap();
    assert_eq!(unwrapped.bytes(), data.plain.bytes());
    let moved = KeyContext { incident_id: inc("inc-2"), ..context.clone() };
    let refused = keys.unwrap(&data.wrapped, &moved).await;
    assert!(matches!(refused, Err(KeyError::Refused(_))), "{refused:?}");
}

#[tokio::test]
async fn on_kms_and_dynamodb_a_moved_record_fails_and_every_view_is_logged() {
    needs_moto!();
    let config = moto().await;
    let store = Arc::new(DynamoStore::from_config(&config, unique("sim-vault")));
    store.create_table_if_missing().await.unwrap();
    let keys = Arc::new(KmsKeys::from_config(&config, moto_kms_key(&config).await));
    let clock = Arc::new(ManualClock::new(START));
    let vault = vault_on(store.clone(), keys, clock.clone());
    let lic = sim::demo::lambeth();
    let subject = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    vault.add(&lic, &inc("inc-2"), &record(CANARY), &lead()).await.unwrap();
    assert_eq!(
        vault.read(&lic, &inc("inc-1"), &subject, &lead(), &purpose()).await.unwrap().record.name.as_str(),
        CANARY
    );

    let sealed = store.subject(&inc("inc-1"), &subject).await.unwrap().unwrap();
    store.put_subject(&SealedSubject { incident_id: inc("inc-2"), ..sealed }).await.unwrap();
    let moved = vault.read(&lic, &inc("inc-2"), &subject, &lead(), &purpose()).await;
    assert!(matches!(moved, Err(VaultError::Unopenable)), "{moved:?}");

    let found = vault.search(&lic, CANARY, Some(date!(2009 - 04 - 17)), &lead(), &purpose()).await.unwrap();
    assert_eq!(found.len(), 3, "two added and the copy: {found:?}");

    // Retention from the closing: the stored dates (DynamoDB's TTL) move at once.
    close(&*store, &clock, "inc-1").await;
    let until = sim::vault::settle_retention(&*store, &inc("inc-1"), &Agreement::default()).await.unwrap().unwrap();
    assert_eq!(until, sim::domain::data_sharing::months_after(clock.now(), 12));
    assert_eq!(store.subject(&inc("inc-1"), &subject).await.unwrap().unwrap().retain_until, until);
    clock.advance(until - clock.now() + Duration::minutes(1));
    assert!(matches!(vault.read(&lic, &inc("inc-1"), &subject, &lead(), &purpose()).await, Err(VaultError::Expired)));
    assert!(store.incident_key(&inc("inc-1")).await.unwrap().is_none());

    let log = vault.access_log(&lic).await.unwrap();
    let actions: Vec<AccessAction> = log.iter().map(|e| e.action).collect();
    use AccessAction::*;
    assert_eq!(actions, [Add, Add, View, Search, Shred]);
    assert_eq!(log[2].reason, "Planning the school safety response");
}

/// A break-glass view, with the DPO's email going through `sender`.
async fn break_glass_with(sender: Arc<dyn sim::ports::Sender>) -> (sim::ids::SubjectId, Vault) {
    let (mut vault, _, _) = memory_vault();
    let dpo = sim::domain::EmailAddress::parse("dpo@lambeth.example").unwrap();
    vault.dpo_alert = Some(DpoAlert { sender, to: dpo });
    let lic = sim::demo::lambeth();
    let subject = vault.add(&lic, &inc("inc-1"), &record(CANARY), &lead()).await.unwrap();
    vault.read(&lic, &inc("inc-1"), &subject, &lead(), &purpose()).await.unwrap();
    let youth = Reader { id: "staff-yw".into(), role: "youth_worker".into(), address: None };
    let emergency = Purpose { emergency: true, reason: "Quillon is missing tonight".into(), ..purpose() };
    assert!(vault.read(&lic, &inc("inc-1"), &subject, &youth, &emergency).await.unwrap().break_glass);
    (subject, vault)
}

#[tokio::test]
async fn a_break_glass_view_emails_the_dpo_at_once_without_personal_values() {
    let sender = Arc::new(sim::adapters::recording_sender::RecordingSender::default());
    let (subject, _) = break_glass_with(sender.clone()).await;
    let sent = sender.sent();
    assert_eq!(sent.len(), 1, "one email, for the break-glass view only");
    let sim::ports::Outgoing::Email { to, email } = &sent[0] else { panic!("an email") };
    assert_eq!(to.as_str(), "dpo@lambeth.example");
    assert!(email.subject.contains(subject.as_str()));
    assert!(email.text.contains("staff-yw") && email.text.contains("youth_worker") && email.text.contains("inc-1"));
    let all = format!("{}{}{}", email.subject, email.text, email.html);
    assert!(!all.contains("Quillon") && !all.contains("Canaryvex"), "{all}");
}

#[tokio::test]
async fn on_moto_ses_the_break_glass_email_reaches_the_dpo() {
    needs_moto!();
    let config = moto().await;
    let _ = aws_sdk_sesv2::Client::new(&config).create_email_identity().email_identity("sim.example").send().await;
    let ses = sim::adapters::ses::SesEmail::from_config(&config, "vault@sim.example".into(), None);
    let (subject, _) = break_glass_with(Arc::new(ses)).await;
    let (_, emails) = moto_sent().await;
    let ours: Vec<_> = emails.iter().filter(|(_, s, _)| s.contains(subject.as_str())).collect();
    assert!(ours.iter().any(|(to, _, _)| to == "dpo@lambeth.example"), "{emails:?}");
    assert!(ours.iter().all(|(_, s, body)| !s.contains("Quillon") && !body.contains("Quillon")));
}

// --- The template: the vault's key and the access log's IAM ---

fn template() -> serde_norway::Value {
    let path = format!("{}/../infra/template.yaml", env!("CARGO_MANIFEST_DIR"));
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn listed(v: &serde_norway::Value) -> Vec<String> {
    match v {
        serde_norway::Value::Sequence(items) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        serde_norway::Value::String(s) => vec![s.clone()],
        _ => vec![],
    }
}

/// The tag and text of `!GetAtt X.Arn` / `!Sub ...`.
fn tagged(v: &serde_norway::Value) -> Option<(String, String)> {
    match v {
        serde_norway::Value::Tagged(t) => Some((t.tag.to_string(), t.value.as_str().unwrap_or_default().to_owned())),
        _ => None,
    }
}

#[test]
fn only_intake_and_the_console_may_use_the_vault_key_and_neither_may_change_the_access_log() {
    let doc = template();
    let key = &doc["Resources"]["VaultKey"];
    assert_eq!(key["DeletionPolicy"].as_str(), Some("Retain"), "deleting the key would shred every record");
    assert_eq!(key["Properties"]["EnableKeyRotation"].as_bool(), Some(true));
    let use_actions = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncrypt*", "kms:*"];
    let mut users = Vec::new();
    for st in key["Properties"]["KeyPolicy"]["Statement"].as_sequence().unwrap() {
        let actions = listed(&st["Action"]);
        let principal = tagged(&st["Principal"]["AWS"]).expect("principals are named by tag");
        if actions.iter().any(|a| use_actions.contains(&a.as_str())) {
            assert_eq!(st["Effect"].as_str(), Some("Allow"));
            users.push(principal.1.clone());
            assert_eq!(actions, ["kms:GenerateDataKey", "kms:Decrypt"]);
            let context = listed(&st["Condition"]["ForAllValues:StringEquals"]["kms:EncryptionContextKeys"]);
            assert_eq!(context, ["sim:licensee", "sim:incident"], "only with SIM's encryption context");
        }
    }
    assert_eq!(
        users,
        ["IntakeRole.Arn", "ConsoleRole.Arn"],
        "the account administers the key but only intake and the console use it"
    );

    for policy in ["IntakeVaultPolicy", "ConsoleVaultPolicy"] {
        let policy = &doc["Resources"][policy]["Properties"];
        let deny = policy["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|st| st["Effect"].as_str() == Some("Deny"))
            .expect("a Deny statement");
        assert_eq!(listed(&deny["Action"]), ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]);
        assert_eq!(listed(&deny["Condition"]["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"]), ["VAULTLOG#*"]);
    }
    // Respond moves retention dates at closing: updates only, never on the log.
    let respond = &doc["Resources"]["RespondVaultPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(listed(&respond["Action"]), ["dynamodb:UpdateItem"]);
    let keys = listed(&respond["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]);
    assert!(!keys.iter().any(|k| k.starts_with("VAULTLOG")), "{keys:?}");

    let events = &doc["Resources"]["IntakeFunction"]["Properties"]["Events"]["AddSubject"]["Properties"];
    assert_eq!(
        (events["Method"].as_str(), events["Path"].as_str()),
        (Some("POST"), Some("/v1/incidents/{id}/subjects"))
    );
    let env = &doc["Resources"]["IntakeFunction"]["Properties"]["Environment"]["Variables"];
    for var in ["VAULT_KMS_KEY_ID", "VAULT_INDEX_KEY_PARAMETER"] {
        assert!(!env[var].is_null(), "intake gets {var}");
    }
    let env = &doc["Resources"]["ConsoleFunction"]["Properties"]["Environment"]["Variables"];
    for var in ["VAULT_KMS_KEY_ID", "VAULT_INDEX_KEY_PARAMETER", "VAULT_DPO_EMAIL", "EMAIL_FROM"] {
        assert!(!env[var].is_null(), "the console gets {var}");
    }
}
