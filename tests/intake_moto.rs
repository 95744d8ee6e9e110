//! Intake end to end against moto's DynamoDB and SQS: what is stored and
//! handed on, retries, bad input, licensee isolation, and no incident lost
//! when the hand-off to categorisation fails.

use serde_json::json;
use sim::ids::IncidentId;
use sim::ports::Queue;
use sim_tests::*;
use std::sync::Arc;
use time::Duration;

#[tokio::test]
async fn a_report_is_stored_in_dynamodb_and_handed_on_through_sqs_once() {
    needs_moto!();
    let h = moto_harness().await;
    let accepted = h.call(event("intake-report.json")).await;
    assert_eq!(accepted.status(), 202);
    let id = IncidentId::parse("inc-000001").unwrap();
    let queued = h.drain().await;
    assert_eq!(
        queued,
        vec![json!({
            "incident_id": "inc-000001", "version": 1, "reason": "reported", "licensee_id": "lambeth",
            "ward": "Brixton North", "occurred_at": "2026-11-21T01:50:00Z", "ward_window_days": 28,
        })]
    );
    let stored = h.store.get_incident(&id).await.unwrap().unwrap();
    assert_eq!(stored.report.location.ward.unwrap().as_str(), "Brixton North");
    assert!(stored.handoff.is_some(), "intake writes once: categorisation clears the marker");
    assert_eq!(json(&h.call(event("intake-status.json")).await)["handoff"], "pending");

    categorise::handle_message(&categoriser(&h, moto_channel_queues().await), &queued[0].to_string()).await.unwrap();
    assert_eq!(h.store.pending_handoffs(START + Duration::days(1), 10).await.unwrap(), vec![]);
    let retried = h.call(event("intake-report-retry.json")).await;
    assert_eq!(retried.status(), 200);
    assert_eq!(json(&retried)["id"], "inc-000001");
    assert!(h.drain().await.is_empty(), "once: a retry after categorisation sends nothing");

    let status = json(&h.call(event("intake-status.json")).await);
    assert_eq!(status["handoff"], "done");
    assert_eq!(status["timeline"][0]["kind"], "reported");
    assert_eq!(status["timeline"][1]["kind"], "categorised");
}

#[tokio::test]
async fn every_bad_input_is_refused_with_nothing_stored() {
    needs_moto!();
    let h = moto_harness().await;
    for (fixture, status) in [
        ("intake-report-invalid.json", 422),
        ("intake-report-malformed.json", 400),
        ("intake-report-unauthorised.json", 401),
    ] {
        assert_eq!(h.call(event(fixture)).await.status(), status, "{fixture}");
    }
    let mut maidstone = event_body("intake-report.json");
    maidstone["location"]["borough"] = json!("Maidstone");
    let out_of_scope = request("POST", "/v1/incidents", Some(&met_key()), Some(maidstone.to_string()));
    assert_eq!(h.call(out_of_scope).await.status(), 403);

    assert!(h.drain().await.is_empty());
    for reference in ["CAD 1234/21NOV26", "CAD 1235/21NOV26"] {
        let reference = sim::domain::incident::PoliceReference::parse(reference).unwrap();
        assert!(h.store.report_key(&sim::demo::met_cad(), &reference).await.unwrap().is_none());
    }
    assert_eq!(h.store.pending_handoffs(START + Duration::days(1), 10).await.unwrap(), vec![]);
}

#[tokio::test]
async fn a_caller_cannot_read_or_update_another_licensees_incident() {
    needs_moto!();
    let h = moto_harness().await;
    h.call(event("intake-report.json")).await;
    let read = h.call(request("GET", "/v1/incidents/inc-000001", Some(&kent_key()), None)).await;
    assert_eq!(read.status(), 404);
    let update = request(
        "POST",
        "/v1/incidents/inc-000001/updates",
        Some(&kent_key()),
        Some(r#"{"add_flags":["critical_incident_declared"]}"#.into()),
    );
    assert_eq!(h.call(update).await.status(), 404);
    let stored = h.store.get_incident(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.version, 1, "untouched");
}

#[tokio::test]
async fn an_incident_stored_while_the_queue_is_down_is_handed_on_by_the_sweeper_or_a_retry() {
    needs_moto!();
    let mut h = moto_harness().await;
    let working: Arc<dyn Queue> = h.queue.clone();
    // The queue is unreachable: a URL for a queue that does not exist.
    h.deps.queue = Arc::new(moto_unreachable_queue().await);

    let accepted = h.call(event("intake-report.json")).await;
    assert_eq!(accepted.status(), 202, "the incident is safe in the table: police get their id");
    let mut second = event_body("intake-report.json");
    second["police_reference"] = json!("CAD 2000/21NOV26");
    let second = request("POST", "/v1/incidents", Some(&met_key()), Some(second.to_string()));
    assert_eq!(h.call(second).await.status(), 202);
    assert_eq!(json(&h.call(event("intake-status.json")).await)["handoff"], "pending");
    assert!(drain(&*working).await.is_empty());

    // The queue recovers; the police system retries the first report.
    h.deps.queue = working.clone();
    assert_eq!(h.call(event("intake-report-retry.json")).await.status(), 200);
    let resent = drain(&*working).await;
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0]["incident_id"], "inc-000001");
    categorise::handle_message(&categoriser(&h, moto_channel_queues().await), &resent[0].to_string()).await.unwrap();

    // Nobody retries the second: the scheduled sweeper finds it.
    let sweeper = h.sweeper(working.clone());
    let early = sweep::sweep(&sweeper).await.unwrap();
    assert_eq!(early.handed_on, 0, "too fresh: intake may still be handing it on");
    h.clock.advance(Duration::minutes(2));
    let report = sweep::sweep(&sweeper).await.unwrap();
    assert_eq!((report.handed_on, report.failed), (1, 0));
    let queued = drain(&*working).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["reason"], "reported");
    assert_ne!(queued[0]["incident_id"], "inc-000001");
    assert_eq!(sweep::sweep(&sweeper).await.unwrap().handed_on, 0, "not again within the grace");
}
