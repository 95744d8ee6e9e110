//! One contract for the console's staff and session stores, run against the
//! in-memory adapter and the DynamoDB adapter on moto: both must behave the same.

use sim::adapters::dynamodb::DynamoStore;
use sim::adapters::dynamodb_console::DynamoConsoleStore;
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::adapters::memory_queue::MemoryQueue;
use sim::adapters::memory_store::MemoryStore;
use sim::domain::staff::{ConsoleRole, Login, StaffEmail, StaffId, StaffMember};
use sim::ids::LicenseeId;
use sim::ports::incident_search::{IncidentSearch, Received};
use sim::ports::sessions::{AuditEntry, AuditKind, PendingSignIn, Session, SessionStore};
use sim::ports::staff::StaffStore;
use sim::ports::StoreError;
use sim_tests::{kent_key, met_key, moto, request, unique, Harness, START};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::Duration;

fn lic(id: &str) -> LicenseeId {
    LicenseeId::parse(id).unwrap()
}

fn member(id: &str, licensee: &str, email: Option<&str>, login: Option<(&str, &str)>) -> StaffMember {
    StaffMember::new(
        StaffId::parse(id).unwrap(),
        lic(licensee),
        "Dee Duty",
        email.map(|e| StaffEmail::parse(e).unwrap()),
        login.map(|(i, s)| Login { issuer: i.into(), subject: s.into() }),
        BTreeSet::from([ConsoleRole::Duty, ConsoleRole::Viewer]),
        START,
    )
    .unwrap()
}

async fn staff_contract<S: StaffStore + SessionStore>(store: &S) {
    let dee = member("stf-dee", "lambeth", Some("dee@lambeth.test"), None);
    store.put_staff(&dee).await.unwrap();
    store.put_staff(&member("stf-kim", "kent", None, Some(("https://idp", "kim")))).await.unwrap();
    assert_eq!(store.staff(&lic("lambeth")).await.unwrap(), vec![dee.clone()]);
    let email = StaffEmail::parse("DEE@lambeth.test").unwrap();
    assert_eq!(store.staff_by_email(&email).await.unwrap(), Some(dee.clone()));
    let kim_login = Login { issuer: "https://idp".into(), subject: "kim".into() };
    assert_eq!(store.staff_by_login(&kim_login).await.unwrap().unwrap().licensee_id, lic("kent"));

    // Another member may not take Dee's email, nor Kim's login.
    let thief = member("stf-thief", "kent", Some("dee@lambeth.test"), None);
    assert!(matches!(store.put_staff(&thief).await, Err(StoreError::Conflict)));
    let thief = member("stf-thief", "lambeth", None, Some(("https://idp", "kim")));
    assert!(matches!(store.put_staff(&thief).await, Err(StoreError::Conflict)));
    assert_eq!(store.get_staff(&lic("lambeth"), &StaffId::parse("stf-thief").unwrap()).await.unwrap(), None);

    // The first sign-in pins the subject once; a second pin (or a taken login) fails.
    let login = Login { issuer: "https://idp".into(), subject: "dee-sub".into() };
    assert!(store.pin_login(&dee, &login).await.unwrap());
    assert!(!store.pin_login(&dee, &Login { subject: "other".into(), ..login.clone() }).await.unwrap());
    assert_eq!(store.staff_by_login(&login).await.unwrap().unwrap().id, dee.id);
    let other = member("stf-other", "lambeth", Some("o@lambeth.test"), None);
    store.put_staff(&other).await.unwrap();
    assert!(!store.pin_login(&other, &kim_login).await.unwrap());

    // Removing a member frees their email and login.
    assert!(store.remove_staff(&lic("lambeth"), &dee.id).await.unwrap());
    assert!(!store.remove_staff(&lic("lambeth"), &dee.id).await.unwrap());
    assert_eq!(store.staff_by_email(&email).await.unwrap(), None);
    assert_eq!(store.staff_by_login(&login).await.unwrap(), None);
    store.put_staff(&member("stf-new", "kent", Some("dee@lambeth.test"), None)).await.unwrap();
}

async fn session_contract<S: SessionStore>(store: &S) {
    let session = Session {
        key: "a".repeat(64),
        staff_id: StaffId::parse("stf-dee").unwrap(),
        licensee_id: lic("lambeth"),
        csrf: "csrf-token".into(),
        created_at: START,
        last_seen: START,
        expires_at: START + Duration::hours(12),
    };
    store.put_session(&session).await.unwrap();
    assert_eq!(store.get_session(&session.key).await.unwrap(), Some(session.clone()));
    store.touch_session(&session.key, START + Duration::minutes(5)).await.unwrap();
    assert_eq!(store.get_session(&session.key).await.unwrap().unwrap().last_seen, START + Duration::minutes(5));
    store.delete_session(&session.key).await.unwrap();
    assert_eq!(store.get_session(&session.key).await.unwrap(), None);
    store.touch_session(&session.key, START).await.unwrap();
    assert_eq!(store.get_session(&session.key).await.unwrap(), None, "touch revived a session");

    let pending = PendingSignIn {
        key: "b".repeat(64),
        state: "st".into(),
        nonce: "no".into(),
        pkce_verifier: "ve".into(),
        return_to: "/console".into(),
        expires_at: START + Duration::minutes(10),
    };
    store.put_pending(&pending).await.unwrap();
    assert_eq!(store.take_pending(&pending.key).await.unwrap(), Some(pending.clone()));
    assert_eq!(store.take_pending(&pending.key).await.unwrap(), None, "a sign-in is used once");

    for (i, (kind, licensee)) in
        [(AuditKind::SignedIn, Some("lambeth")), (AuditKind::Refused, None), (AuditKind::SignedOut, Some("lambeth"))]
            .into_iter()
            .enumerate()
    {
        let entry = AuditEntry {
            at: START + Duration::seconds(i as i64),
            kind,
            licensee_id: licensee.map(lic),
            staff_id: None,
            reason: format!("r{i}"),
        };
        store.record_audit(&entry).await.unwrap();
    }
    let lambeth: Vec<_> = store.audit(Some(&lic("lambeth"))).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(lambeth, [AuditKind::SignedIn, AuditKind::SignedOut]);
    assert_eq!(store.audit(None).await.unwrap().len(), 1);
    assert!(store.audit(Some(&lic("kent"))).await.unwrap().is_empty());
}

async fn moto_console_store() -> DynamoConsoleStore {
    let table = unique("sim-console");
    let config = moto().await;
    sim::adapters::dynamodb::DynamoStore::from_config(&config, table.clone())
        .create_table_if_missing()
        .await
        .expect("table created in moto");
    DynamoConsoleStore::from_config(&config, table)
}

#[tokio::test]
async fn memory_staff_store_keeps_one_member_per_email_and_login() {
    staff_contract(&MemoryConsoleStore::new()).await;
}

#[tokio::test]
async fn dynamodb_staff_store_keeps_one_member_per_email_and_login() {
    staff_contract(&moto_console_store().await).await;
}

#[tokio::test]
async fn memory_session_store_keeps_sessions_sign_ins_and_audit() {
    session_contract(&MemoryConsoleStore::new()).await;
}

#[tokio::test]
async fn dynamodb_session_store_keeps_sessions_sign_ins_and_audit() {
    session_contract(&moto_console_store().await).await;
}

/// Three Lambeth reports and one Kent report, received a minute apart.
async fn three_lambeth_and_one_kent(h: &Harness) {
    for (i, borough) in ["Lambeth", "Lambeth", "Kent", "Lambeth"].iter().enumerate() {
        let mut body = sim_tests::event_body("intake-report.json");
        body["police_reference"] = format!("CAD {i}/21NOV26").into();
        if *borough == "Kent" {
            body["location"] = serde_json::json!({"borough": "Maidstone"});
        }
        let key = if *borough == "Kent" { kent_key() } else { met_key() };
        let r = h.call(request("POST", "/v1/incidents", Some(&key), Some(body.to_string()))).await;
        assert_eq!(r.status(), 202, "{:?}", r.body());
        h.clock.advance(Duration::minutes(1));
    }
}

async fn search_contract(h: &Harness, search: &dyn IncidentSearch) {
    three_lambeth_and_one_kent(h).await;
    let lambeth = lic("lambeth");
    let first = search.recent_incidents(&lambeth, Received::ANY, 2, None).await.unwrap();
    let second = search.recent_incidents(&lambeth, Received::ANY, 2, first.next.as_deref()).await.unwrap();
    let mut all = first.incidents.clone();
    all.extend(second.incidents.clone());
    let references: Vec<String> = {
        let mut out = Vec::new();
        for id in &all {
            out.push(h.store.get_incident(id).await.unwrap().unwrap().report.police_reference.as_str().to_owned());
        }
        out
    };
    assert_eq!(references, ["CAD 3/21NOV26", "CAD 1/21NOV26", "CAD 0/21NOV26"], "newest first, Lambeth's only");
    assert_eq!(first.incidents.len(), 2);
    let last = search.recent_incidents(&lambeth, Received::ANY, 2, second.next.as_deref()).await.unwrap();
    assert!(second.next.is_none() || last.incidents.is_empty(), "paging ends");
    assert_eq!(search.recent_incidents(&lic("kent"), Received::ANY, 10, None).await.unwrap().incidents.len(), 1);
    // Received in the second and third minutes only (inclusive bounds).
    let window = Received { from: Some(START + Duration::minutes(1)), to: Some(START + Duration::minutes(3)) };
    let page = search.recent_incidents(&lambeth, window, 10, None).await.unwrap();
    let mut refs = Vec::new();
    for id in &page.incidents {
        refs.push(h.store.get_incident(id).await.unwrap().unwrap().report.police_reference.as_str().to_owned());
    }
    assert_eq!(refs, ["CAD 3/21NOV26", "CAD 1/21NOV26"]);
}

#[tokio::test]
async fn memory_incident_search_pages_a_licensees_incidents_newest_first() {
    let memory = Arc::new(MemoryStore::new());
    let h = Harness::new(memory.clone(), Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    search_contract(&h, &*memory).await;
}

#[tokio::test]
async fn dynamodb_incident_search_pages_a_licensees_incidents_newest_first_from_the_index() {
    let table = unique("sim-console");
    let config = moto().await;
    let store = DynamoStore::from_config(&config, table.clone());
    store.create_table_if_missing().await.unwrap();
    let console = DynamoConsoleStore::from_config(&config, table);
    console.ensure_incident_index().await.unwrap();
    let h = Harness::new(Arc::new(store), Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    search_contract(&h, &console).await;
}
