//! Intake handler behaviour on in-memory adapters, driven by the `events/`
//! fixtures: what a police integrator sees, and what SIM stores (or not).

use serde_json::{json, Value};
use sim::domain::incident::PoliceReference;
use sim::domain::{LicenceStatus, Licensee, Tier};
use sim::ids::IncidentId;
use sim_tests::*;
use time::Duration;

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

async fn nothing_stored(h: &Harness, reference: &str) {
    let reference = PoliceReference::parse(reference).unwrap();
    assert!(h.store.report_key(&sim::demo::met_cad(), &reference).await.unwrap().is_none());
    assert!(h.store.get_incident(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().is_none());
    assert!(h.drain().await.is_empty(), "nothing may be handed on");
}

#[tokio::test]
async fn a_valid_report_is_stored_answered_202_and_handed_on_with_ids_only() {
    let h = memory_harness().await;
    let response = h.call(event("intake-report.json")).await;
    assert_eq!(response.status(), 202);
    assert_eq!(header(&response, "location"), Some("/v1/incidents/inc-000001"));
    let body = json(&response);
    assert_eq!(body["id"], "inc-000001");
    assert_eq!(body["status"], "accepted");
    assert_eq!(body["links"]["updates"], "/v1/incidents/inc-000001/updates");

    let stored = h.store.get_incident(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.licensee_id, sim::demo::lambeth());
    assert_eq!(stored.report.police_reference.as_str(), "CAD 1234/21NOV26");
    assert!(stored.handoff.is_none(), "hand-off completed");

    let queued = h.drain().await;
    assert_eq!(queued, vec![json!({"incident_id": "inc-000001", "version": 1, "reason": "reported"})]);
}

#[tokio::test]
async fn a_police_retry_is_the_same_incident_and_a_reused_reference_is_409() {
    let h = memory_harness().await;
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    h.drain().await;

    let retry = h.call(event("intake-report-retry.json")).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(json(&retry)["id"], "inc-000001");
    assert_eq!(json(&retry)["status"], "already_received");
    assert!(h.drain().await.is_empty(), "a retry of a handed-on incident is not handed on again");

    let clash = h.call(event("intake-report-duplicate-reference.json")).await;
    assert_eq!(clash.status(), 409);
    assert_eq!(header(&clash, "content-type"), Some("application/problem+json"));
    let problem = json(&clash);
    assert_eq!(problem["incident_id"], "inc-000001");
    assert!(problem["detail"].as_str().unwrap().contains("POST /v1/incidents/inc-000001/updates"));
    let stored = h.store.get_incident(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.report.weapon.to_string(), "knife", "the clash changed nothing");
}

#[tokio::test]
async fn bad_input_gets_a_clear_problem_and_nothing_is_stored() {
    let h = memory_harness().await;

    let invalid = h.call(event("intake-report-invalid.json")).await;
    assert_eq!(invalid.status(), 422);
    let problem = json(&invalid);
    assert_eq!(problem["type"], "urn:sim:problem:invalid-fields");
    assert_eq!(fields(&problem), ["/occurred_at", "/location/postcode_district", "/incident_type", "/victims/0/name"]);
    nothing_stored(&h, "CAD 1235/21NOV26").await;

    let malformed = h.call(event("intake-report-malformed.json")).await;
    assert_eq!(malformed.status(), 400);
    assert_eq!(json(&malformed)["type"], "urn:sim:problem:malformed-json");

    let unauthorised = h.call(event("intake-report-unauthorised.json")).await;
    assert_eq!(unauthorised.status(), 401);
    nothing_stored(&h, "CAD 1234/21NOV26").await;

    let no_key = request("POST", "/v1/incidents", None, Some(event_body("intake-report.json").to_string()));
    assert_eq!(h.call(no_key).await.status(), 401);

    let mut huge = event_body("intake-report.json");
    huge["padding"] = json!("x".repeat(intake::MAX_BODY_BYTES));
    let too_large = h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(huge.to_string()))).await;
    assert_eq!(too_large.status(), 413);

    let mut form = request("POST", "/v1/incidents", Some(&met_key()), Some("a=b".into()));
    form.headers_mut().insert("content-type", "application/x-www-form-urlencoded".parse().unwrap());
    assert_eq!(h.call(form).await.status(), 415);

    let empty = h.call(request("POST", "/v1/incidents", Some(&met_key()), None)).await;
    assert_eq!(empty.status(), 400);
    nothing_stored(&h, "CAD 1234/21NOV26").await;
}

#[tokio::test]
async fn problems_never_echo_internal_detail_or_personal_data() {
    let h = memory_harness().await;
    let body = json(&h.call(event("intake-report-invalid.json")).await).to_string();
    assert!(!body.contains("a name"), "the refused name is not echoed back");
    assert!(!body.contains("serde"));
}

#[tokio::test]
async fn licensees_are_resolved_from_the_borough_and_the_callers_scope() {
    let h = memory_harness().await;
    let mut report = event_body("intake-report.json");

    report["location"]["borough"] = json!("Atlantis");
    let not_covered = h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(report.to_string()))).await;
    assert_eq!(not_covered.status(), 403);
    assert!(json(&not_covered)["detail"].as_str().unwrap().contains("No SIM licensee covers"));

    report["location"]["borough"] = json!("Maidstone");
    let out_of_scope = h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(report.to_string()))).await;
    assert_eq!(out_of_scope.status(), 403);
    assert!(json(&out_of_scope)["detail"].as_str().unwrap().contains("not authorised"));

    let kent = h.call(request("POST", "/v1/incidents", Some(&kent_key()), Some(report.to_string()))).await;
    assert_eq!(kent.status(), 202, "Kent Police may report in Maidstone");
}

async fn set_licence(h: &Harness, tier: Tier, status: LicenceStatus) {
    let mut kent: Licensee = h.store.get_licensee(&sim::demo::kent()).await.unwrap().unwrap();
    kent.tier = tier;
    kent.status = status;
    h.store.put_licensee(&kent).await.unwrap();
}

fn maidstone_report(reference: &str) -> String {
    let mut report = event_body("intake-report.json");
    report["location"] = json!({"borough": "Maidstone"});
    report["police_reference"] = json!(reference);
    report.to_string()
}

#[tokio::test]
async fn a_lapsed_licence_is_served_in_grace_and_recorded_then_refused() {
    let h = memory_harness().await;
    let today = START.date();
    let lapsed = Tier::Licensed { starts_on: today - Duration::days(400), ends_on: today - Duration::days(10) };
    set_licence(&h, lapsed, LicenceStatus::Active).await;

    let served = h.call(request("POST", "/v1/incidents", Some(&kent_key()), Some(maidstone_report("KENT-1")))).await;
    assert_eq!(served.status(), 202, "lives come first within the grace period");
    let id = IncidentId::parse(json(&served)["id"].as_str().unwrap()).unwrap();
    let kinds: Vec<&str> = h.store.timeline(&id).await.unwrap().iter().map(|e| e.event.kind()).collect();
    assert!(kinds.contains(&"served_in_licence_grace"), "{kinds:?}");
    let lapses = h.store.lapses(&sim::demo::kent()).await.unwrap();
    assert_eq!(lapses.len(), 1);
    assert_eq!(lapses[0].incident_id, id);

    h.clock.advance(Duration::days(25));
    let refused = h.call(request("POST", "/v1/incidents", Some(&kent_key()), Some(maidstone_report("KENT-2")))).await;
    assert_eq!(refused.status(), 403);
    assert!(json(&refused)["detail"].as_str().unwrap().contains("grace period has ended"));
}

#[tokio::test]
async fn a_suspended_licensee_is_refused_with_a_clear_403() {
    let h = memory_harness().await;
    set_licence(&h, Tier::LondonFree, LicenceStatus::Suspended { reason: "request".into() }).await;
    let refused = h.call(request("POST", "/v1/incidents", Some(&kent_key()), Some(maidstone_report("KENT-3")))).await;
    assert_eq!(refused.status(), 403);
    assert!(json(&refused)["detail"].as_str().unwrap().contains("suspended"));
    assert!(h.drain().await.is_empty());
}

#[tokio::test]
async fn a_police_update_is_stored_on_the_timeline_and_handed_on_again() {
    let h = memory_harness().await;
    h.call(event("intake-report.json")).await;
    h.drain().await;
    h.clock.advance(Duration::minutes(20));

    let updated = h.call(event("intake-update.json")).await;
    assert_eq!(updated.status(), 202);
    let body = json(&updated);
    assert_eq!(body["version"], 2);
    assert_eq!(
        body["changes"],
        json!(["victims 1 → 1, most severe injury life_threatening → fatal", "flag added: critical_incident_declared"])
    );
    assert_eq!(h.drain().await, vec![json!({"incident_id": "inc-000001", "version": 2, "reason": "updated"})]);

    let again = h.call(event("intake-update.json")).await;
    assert_eq!(again.status(), 200);
    assert_eq!(json(&again)["status"], "no_change");
    assert!(h.drain().await.is_empty(), "a repeated update is not re-categorised");

    let empty = h.call(request("POST", "/v1/incidents/inc-000001/updates", Some(&met_key()), Some("{}".into()))).await;
    assert_eq!(empty.status(), 422);

    let status = json(&h.call(event("intake-status.json")).await);
    let kinds: Vec<&str> = status["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reported", "handed_on", "police_update", "handed_on"]);
}

#[tokio::test]
async fn status_is_for_the_callers_own_licensees_only() {
    let h = memory_harness().await;
    h.call(event("intake-report.json")).await;

    let own = h.call(event("intake-status.json")).await;
    assert_eq!(own.status(), 200);
    let body = json(&own);
    assert_eq!(body["police_reference"], "CAD 1234/21NOV26");
    assert_eq!(body["category"], Value::Null);
    assert_eq!(body["handoff"], "done");

    let other = h.call(request("GET", "/v1/incidents/inc-000001", Some(&kent_key()), None)).await;
    assert_eq!(other.status(), 404, "another licensee's caller cannot tell the incident exists");
    let other_update = request(
        "POST",
        "/v1/incidents/inc-000001/updates",
        Some(&kent_key()),
        Some(r#"{"add_flags":["near_school"]}"#.into()),
    );
    assert_eq!(h.call(other_update).await.status(), 404);

    assert_eq!(h.call(request("GET", "/v1/incidents/inc-999999", Some(&met_key()), None)).await.status(), 404);
    assert_eq!(h.call(request("GET", "/v1/incidents/..%2f", Some(&met_key()), None)).await.status(), 404);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_are_problems_too() {
    let h = memory_harness().await;
    let wrong = h.call(request("GET", "/v1/incidents", Some(&met_key()), None)).await;
    assert_eq!(wrong.status(), 405);
    assert_eq!(header(&wrong, "allow"), Some("POST"));
    assert_eq!(h.call(request("DELETE", "/v1/incidents/inc-1", Some(&met_key()), None)).await.status(), 405);
    let missing = h.call(request("GET", "/v2/things", None, None)).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(json(&missing)["type"], "urn:sim:problem:not-found");
}
