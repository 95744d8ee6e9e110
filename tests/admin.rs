//! The admin commands a council's IT team runs after deploying, on moto.

use serde_json::json;
use sim::ports::store::prelude::*;
use sim_cli::admin::{issue_key, put_licensee};
use sim_tests::*;
use std::sync::Arc;

fn example_licensee() -> String {
    std::fs::read_to_string(format!("{}/../docs/licensee.example.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[tokio::test]
async fn a_licensee_and_a_caller_key_set_up_with_the_admin_commands_can_report_incidents() {
    needs_moto!();
    let store = Arc::new(moto_store().await);
    let licensee = put_licensee(&*store, &example_licensee()).await.unwrap();
    assert_eq!(licensee.areas.len(), 3);
    let key = issue_key(&*store, "kent-cad", "Kent Police CAD", &["kent".into()]).await.unwrap();

    let h = Harness::new(store.clone(), Arc::new(moto_queue().await));
    let mut report = event_body("intake-report.json");
    report["location"] = json!({"borough": "Tunbridge Wells"});
    let answer = h.call(request("POST", "/v1/incidents", Some(&key), Some(report.to_string()))).await;
    assert_eq!(answer.status(), 202, "{:?}", json(&answer));

    // Re-issuing replaces the key: the old one stops working.
    let replacement = issue_key(&*store, "kent-cad", "Kent Police CAD", &["kent".into()]).await.unwrap();
    // A warm intake keeps the caller it read for a short while (`intake::reads::READ_TTL`).
    h.clock.advance(intake::reads::READ_TTL);
    let old = h.call(request("GET", "/v1/incidents/inc-000001", Some(&key), None)).await;
    assert_eq!(old.status(), 401);
    let new = h.call(request("GET", "/v1/incidents/inc-000001", Some(&replacement), None)).await;
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn admin_mistakes_are_explained_and_change_nothing() {
    needs_moto!();
    let store = moto_store().await;
    let bad = put_licensee(&store, r#"{"id": "Kent!", "name": "x"}"#).await.unwrap_err().to_string();
    assert!(bad.contains("not valid"), "{bad}");

    let unknown = issue_key(&store, "kent-cad", "Kent", &["nowhere".into()]).await.unwrap_err().to_string();
    assert!(unknown.contains("no licensee 'nowhere'"), "{unknown}");
    let bad_id = issue_key(&store, "Kent CAD", "Kent", &["kent".into()]).await.unwrap_err().to_string();
    assert!(bad_id.contains("caller id"), "{bad_id}");
    assert!(store.get_caller(&sim::ids::CallerId::parse("kent-cad").unwrap()).await.unwrap().is_none());

    let mut empty_checklist: serde_json::Value = serde_json::from_str(&example_licensee()).unwrap();
    empty_checklist["checklist"] = json!({"name": "ours", "sections": []});
    let refused = put_licensee(&store, &empty_checklist.to_string()).await.unwrap_err().to_string();
    assert!(refused.contains("no sections"), "{refused}");
    let mut bad_rules: serde_json::Value = serde_json::from_str(&example_licensee()).unwrap();
    bad_rules["rules"] = json!([{"id": "x", "category": "CRITICAL", "reason": "", "when": {"any": []}}]);
    let refused = put_licensee(&store, &bad_rules.to_string()).await.unwrap_err().to_string();
    assert!(refused.contains("reason must be given") && refused.contains("needs at least one condition"), "{refused}");
    assert!(store.get_licensee(&sim::demo::kent()).await.unwrap().is_none(), "nothing stored");

    put_licensee(&store, &example_licensee()).await.unwrap();
    let mut rival: serde_json::Value = serde_json::from_str(&example_licensee()).unwrap();
    rival["id"] = json!("medway-csp");
    rival["areas"] = json!(["Medway"]);
    let clash = put_licensee(&store, &rival.to_string()).await.unwrap_err().to_string();
    assert!(clash.contains("already covered by licensee kent"), "{clash}");
}

#[tokio::test]
async fn adding_subject_records_is_off_until_granted_and_can_be_revoked() {
    let store = sim::adapters::memory_store::MemoryStore::new();
    put_licensee(&store, &example_licensee()).await.unwrap();
    issue_key(&store, "kent-cad", "Kent Police CAD", &["kent".into()]).await.unwrap();
    async fn caller(store: &sim::adapters::memory_store::MemoryStore) -> bool {
        let id = sim::ids::CallerId::parse("kent-cad").unwrap();
        store.get_caller(&id).await.unwrap().unwrap().may_add_subjects
    }
    assert!(!caller(&store).await, "off by default");
    sim_cli::admin::set_subject_permission(&store, "kent-cad", true).await.unwrap();
    assert!(caller(&store).await);
    sim_cli::admin::set_subject_permission(&store, "kent-cad", false).await.unwrap();
    assert!(!caller(&store).await);
    let unknown = sim_cli::admin::set_subject_permission(&store, "nobody", true).await.unwrap_err().to_string();
    assert!(unknown.contains("no caller"), "{unknown}");
}
