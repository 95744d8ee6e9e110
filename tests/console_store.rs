//! One contract for the console's staff and session stores, run against the
//! in-memory adapter and the DynamoDB adapter on moto: both must behave the same.

use sim::adapters::dynamodb_console::DynamoConsoleStore;
use sim::adapters::memory_console::MemoryConsoleStore;
use sim::domain::staff::{ConsoleRole, Login, StaffEmail, StaffId, StaffMember};
use sim::ids::LicenseeId;
use sim::ports::sessions::{AuditEntry, AuditKind, PendingSignIn, Session, SessionStore};
use sim::ports::staff::StaffStore;
use sim::ports::StoreError;
use sim_tests::{moto, unique, START};
use std::collections::BTreeSet;
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
