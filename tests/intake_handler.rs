//! Intake handler behaviour on in-memory adapters, driven by the `events/`
//! fixtures: what a police integrator sees, and what SIM stores (or not).
//! A cold container's reads side by side are shown on moto, holding one
//! request at the HTTP client until the other is sent.

use serde_json::{json, Value};
use sim::domain::incident::PoliceReference;
use sim::domain::{LicenceStatus, Licensee, Tier};
use sim::ids::IncidentId;
use sim_tests::recorder::{matching, Recorder, HOLD_PATIENCE};
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
    assert!(stored.handoff.is_some(), "pending until categorisation clears it: intake writes once");

    let queued = h.drain().await;
    assert_eq!(
        queued,
        vec![json!({
            "incident_id": "inc-000001", "version": 1, "reason": "reported", "licensee_id": "lambeth",
            "ward": "Brixton North", "occurred_at": "2026-11-21T01:50:00Z", "ward_window_days": 28,
        })]
    );
}

#[tokio::test]
async fn a_police_retry_is_the_same_incident_and_a_reused_reference_is_409() {
    let h = memory_harness().await;
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    let first = h.drain().await;

    // Not yet categorised (the message may have been lost): sent again.
    let retry = h.call(event("intake-report-retry.json")).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(json(&retry)["id"], "inc-000001");
    assert_eq!(json(&retry)["status"], "already_received");
    assert_eq!(h.drain().await, first, "a retry before categorisation sends the same message again");

    categorise::handle_message(&categoriser(&h, memory_channel_queues()), &first[0].to_string()).await.unwrap();
    assert_eq!(h.call(event("intake-report-retry.json")).await.status(), 200);
    assert!(h.drain().await.is_empty(), "a retry of a categorised incident is not handed on again");

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

/// An amendment within the time a warm container keeps the licensee names
/// its rules' ward window (28 days by default) without reading anything for it.
#[tokio::test]
async fn an_amendment_to_a_warm_container_names_the_rules_ward_window() {
    let h = memory_harness().await;
    h.call(event("intake-report.json")).await;
    categorise_handed_on(&h, &categoriser(&h, memory_channel_queues())).await;
    h.clock.advance(Duration::seconds(10));
    assert_eq!(h.call(event("intake-amendment.json")).await.status(), 202);
    let queued = h.drain().await;
    assert_eq!((queued.len(), &queued[0]["reason"]), (1, &json!("amended")));
    assert_eq!(queued[0]["ward_window_days"], 28, "{queued:?}");
}

#[tokio::test]
async fn a_police_amendment_is_stored_on_the_timeline_and_handed_on_again() {
    let h = memory_harness().await;
    h.call(event("intake-report.json")).await;
    categorise_handed_on(&h, &categoriser(&h, memory_channel_queues())).await;
    h.clock.advance(Duration::minutes(20));

    let updated = h.call(event("intake-amendment.json")).await;
    assert_eq!(updated.status(), 202);
    let body = json(&updated);
    assert_eq!(body["version"], 2);
    assert_eq!(
        body["changes"],
        json!(["victims 1 → 1, most severe injury life_threatening → fatal", "flag added: critical_incident_declared"])
    );
    // Twenty minutes on, the licensee is no longer kept: no ward window (the
    // amendment reads nothing for it; categorisation reads the ward's history
    // once it has the rules).
    assert_eq!(
        h.drain().await,
        vec![json!({
            "incident_id": "inc-000001", "version": 2, "reason": "amended", "licensee_id": "lambeth",
            "ward": "Brixton North", "occurred_at": "2026-11-21T01:50:00Z",
        })]
    );

    let again = h.call(event("intake-amendment.json")).await;
    assert_eq!(again.status(), 200);
    assert_eq!(json(&again)["status"], "no_change");
    assert!(h.drain().await.is_empty(), "a repeated update is not re-categorised");

    let empty = h.call(request("POST", "/v1/incidents/inc-000001/updates", Some(&met_key()), Some("{}".into()))).await;
    assert_eq!(empty.status(), 422);

    let status = json(&h.call(event("intake-status.json")).await);
    let kinds: Vec<&str> = status["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["reported", "categorised"]);
    assert_eq!(kinds.last(), Some(&"amended"), "{kinds:?}");
    assert!(!kinds.contains(&"handed_on"), "categorisation's own entries say a change was taken up");
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
    assert_eq!(body["handoff"], "pending", "not yet categorised");

    let other = h.call(request("GET", "/v1/incidents/inc-000001", Some(&kent_key()), None)).await;
    assert_eq!(other.status(), 404, "another licensee's caller cannot tell the incident exists");
    let other_briefing = request(
        "POST",
        "/v1/incidents/inc-000001/updates",
        Some(&kent_key()),
        Some(r#"{"add_flags":["near_school"]}"#.into()),
    );
    assert_eq!(h.call(other_briefing).await.status(), 404);

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

// Issue 12, section 4: intake input that should be refused, and input that must not be.

fn post(key: &sim::domain::ApiKey, body: impl Into<String>) -> lambda_http::Request {
    request("POST", "/v1/incidents", Some(key), Some(body.into()))
}

fn with(edit: impl FnOnce(&mut Value)) -> String {
    let mut report = event_body("intake-report.json");
    edit(&mut report);
    report.to_string()
}

#[tokio::test]
async fn a_duplicate_json_key_is_400_and_nothing_is_stored() {
    let h = memory_harness().await;
    let body = event_body("intake-report.json").to_string();
    // The child victim first, then an empty list: serde_json alone keeps the last.
    let doubled = body.replacen("\"weapon\"", "\"victims\": [], \"weapon\"", 1);
    assert!(doubled.matches("\"victims\"").count() == 2);
    let response = h.call(post(&met_key(), doubled)).await;
    assert_eq!(response.status(), 400);
    assert_eq!(h.call(event("intake-report-duplicate-keys.json")).await.status(), 400);
    let problem = json(&response);
    assert_eq!(problem["type"], "urn:sim:problem:malformed-json");
    assert!(problem["detail"].as_str().unwrap().contains("'victims' appears twice"), "{problem}");
    nothing_stored(&h, "CAD 1234/21NOV26").await;

    let nested = body.replacen("\"borough\"", "\"ward\": \"Oval\", \"borough\"", 1);
    assert_eq!(h.call(post(&met_key(), nested)).await.status(), 400);
    nothing_stored(&h, "CAD 1234/21NOV26").await;
}

#[tokio::test]
async fn a_401_names_the_scheme_and_the_scheme_name_is_case_insensitive() {
    let h = memory_harness().await;
    let refused = h.call(event("intake-report-unauthorised.json")).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(header(&refused, "www-authenticate"), Some(r#"Bearer realm="sim""#));
    let no_key = h.call(request("GET", "/v1/incidents/inc-000001", None, None)).await;
    assert_eq!(header(&no_key, "www-authenticate"), Some(r#"Bearer realm="sim""#));

    for (n, scheme) in ["BEARER", "bearer", "Bearer"].into_iter().enumerate() {
        let mut req = post(&met_key(), with(|r| r["police_reference"] = json!(format!("CAD {n}/21NOV26"))));
        req.headers_mut().insert("authorization", format!("{scheme} {}", met_key().reveal()).parse().unwrap());
        assert_eq!(h.call(req).await.status(), 202, "{scheme}");
    }
}

/// intake on DynamoDB in moto, every request its store sends recorded (and
/// held when a test says).
async fn recorded_moto_harness() -> (Harness, Recorder) {
    let (config, recorder) = sim_tests::recorder::recorded_moto().await;
    let store = sim::adapters::dynamodb::DynamoStore::from_config(&config, unique("sim-intake"));
    store.create_table_if_missing().await.expect("table created in moto");
    let queue = std::sync::Arc::new(sim::adapters::memory_queue::MemoryQueue::new("categorise"));
    (Harness::new(std::sync::Arc::new(store), queue).seeded().await, recorder)
}

/// The caller's read (a GetItem of `CALLER#…`) and the borough's licensee's
/// (a GetItem of `AREA#…`) are each held until both are sent: read one after
/// the other, the request would never be answered.
fn hold_the_caller_and_the_borough(recorder: &Recorder) {
    recorder.side_by_side(matching("GetItem", "CALLER#"), matching("GetItem", "AREA#"));
}

/// `answer`, or a failure saying the held read waited for one never sent.
async fn at_once<F: std::future::Future>(what: &str, answer: F) -> F::Output {
    tokio::time::timeout(HOLD_PATIENCE, answer).await.unwrap_or_else(|_| {
        panic!("{what}: no answer yet, a held read waiting: the caller and the borough were not read side by side")
    })
}

#[tokio::test]
async fn a_cold_container_reads_the_caller_and_the_boroughs_licensee_at_once() {
    needs_moto!();
    let (h, recorder) = recorded_moto_harness().await;
    hold_the_caller_and_the_borough(&recorder);
    let answer = at_once("a report", h.call(event("intake-report.json"))).await;
    assert_eq!(answer.status(), 202);
    let id = IncidentId::parse(json(&answer)["id"].as_str().unwrap()).unwrap();
    let stored = h.store.get_incident(&id).await.unwrap().expect("stored");
    assert_eq!(stored.licensee_id, sim::demo::lambeth(), "the borough's licensee");
    assert_eq!(h.drain().await.len(), 1, "stored and handed on");
}

#[tokio::test]
async fn a_bad_key_is_401_whatever_its_body_says_though_the_borough_is_read_beside_the_caller() {
    needs_moto!();
    let (h, recorder) = recorded_moto_harness().await;
    let elsewhere = |borough: &str, reference: &str| {
        with(|r| {
            r["location"]["borough"] = json!(borough);
            r["police_reference"] = json!(reference);
        })
    };
    // A key of a known caller with the wrong secret, and a well-formed key of no caller.
    let wrong_secret = sim::domain::ApiKey::generate(&sim::ids::CallerId::parse("met-cad").unwrap());
    let no_caller = sim::domain::ApiKey::generate(&sim::ids::CallerId::parse("nobody").unwrap());
    let mut invalid = event_body("intake-report.json");
    invalid["incident_type"] = json!("not a type");
    // (what, body, whether it parses: only then is its borough read)
    let bodies = [
        ("a report", event_body("intake-report.json").to_string(), true),
        ("an uncovered borough", elsewhere("Atlantis", "CAD 2001/21NOV26"), true),
        ("a borough out of scope", elsewhere("Maidstone", "CAD 2002/21NOV26"), true),
        ("invalid fields", invalid.to_string(), false),
        ("malformed JSON", "{\"police_reference\": ".to_owned(), false),
    ];
    for key in [&wrong_secret, &no_caller] {
        for (what, body, parses) in &bodies {
            // A cold container each time: nothing kept from the call before.
            h.clock.advance(intake::reads::READ_TTL);
            recorder.clear();
            if *parses {
                hold_the_caller_and_the_borough(&recorder);
            } else {
                recorder.stop_holding();
            }
            let response = at_once(what, h.call(post(key, body.clone()))).await;
            assert_eq!(response.status(), 401, "{what}");
            assert_eq!(json(&response)["type"], "urn:sim:problem:unauthorised", "{what}: nothing about the body");
            if !parses {
                assert_eq!(recorder.mentioning("AREA#"), 0, "{what}: no borough to read");
            }
        }
    }
    recorder.stop_holding();
    nothing_stored(&h, "CAD 1234/21NOV26").await;
    // With the caller's own key the same bodies get their own answers.
    let answers: Vec<u16> = {
        let mut answers = Vec::new();
        for (_, body, _) in &bodies {
            answers.push(h.call(post(&met_key(), body.clone())).await.status().as_u16());
        }
        answers
    };
    assert_eq!(answers, [202, 403, 403, 422, 400]);
}

#[tokio::test]
async fn a_placeholder_or_old_date_is_a_clear_422_and_nothing_is_stored() {
    let h = memory_harness().await;
    let fixture = h.call(event("intake-report-placeholder-date.json")).await;
    assert_eq!(fixture.status(), 422, "the BEARER scheme is accepted; the date is not");
    assert_eq!(fields(&json(&fixture)), ["/occurred_at"]);
    for placeholder in ["1900-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "2026-10-01T00:00:00+01:00"] {
        let response = h.call(post(&met_key(), with(|r| r["occurred_at"] = json!(placeholder)))).await;
        assert_eq!(response.status(), 422, "{placeholder}");
        let problem = json(&response);
        assert_eq!(fields(&problem), ["/occurred_at"]);
        assert!(problem.to_string().contains("within the last 30 days"));
        nothing_stored(&h, "CAD 1234/21NOV26").await;
    }
    let recent = with(|r| {
        r["occurred_at"] = json!("2026-10-25T10:00:00Z");
        r["reported_at"] = Value::Null;
    });
    assert_eq!(h.call(post(&met_key(), recent)).await.status(), 202, "29 days ago is still taken");
}

#[tokio::test]
async fn a_retry_re_serialised_in_another_offset_or_victim_order_is_the_same_incident() {
    let h = memory_harness().await;
    let two_victims = |victims: Value, occurred: &str, reported: &str| {
        with(|r| {
            r["victims"] = victims;
            r["occurred_at"] = json!(occurred);
            r["reported_at"] = json!(reported);
        })
    };
    let child = json!({"age_band": "14-17", "injury": "life_threatening"});
    let adult = json!({"age_band": "25-34", "injury": "minor"});
    let first = two_victims(json!([child.clone(), adult.clone()]), "2026-11-21T01:50:00Z", "2026-11-21T02:01:00Z");
    assert_eq!(h.call(post(&met_key(), first)).await.status(), 202);
    let offset =
        two_victims(json!([child.clone(), adult.clone()]), "2026-11-21T02:50:00+01:00", "2026-11-21T03:01:00+01:00");
    let reordered = two_victims(json!([adult, child]), "2026-11-21T01:50:00Z", "2026-11-21T02:01:00Z");
    for retry in [offset, reordered] {
        let response = h.call(post(&met_key(), retry)).await;
        assert_eq!(response.status(), 200, "{}", json(&response));
        assert_eq!(json(&response)["id"], "inc-000001");
    }
}

#[tokio::test]
async fn personal_data_in_the_ward_is_kept_out_of_every_message_and_never_refuses_the_report() {
    use sim::domain::category::Category;
    use sim::render::{Alert, AlertKind};
    let h = memory_harness().await;
    let wards = ["Brixton North victim Jo Bloggs aged 15", "outside 12 Acre Lane", "SW9 8AB", "Jo <Bloggs>"];
    for (n, ward) in wards.iter().enumerate() {
        let body = with(|r| {
            r["police_reference"] = json!(format!("CAD {n}/21NOV26"));
            r["location"]["ward"] = json!(ward);
        });
        let response = h.call(post(&met_key(), body)).await;
        assert_eq!(response.status(), 202, "lives come first: {ward}");
        let answer = json(&response);
        assert!(answer["warnings"][0].as_str().unwrap().contains("not one of the licensee's known wards"));
        assert!(!answer.to_string().contains(ward), "the ward is not echoed");
        let id = IncidentId::parse(answer["id"].as_str().unwrap()).unwrap();
        let stored = h.store.get_incident(&id).await.unwrap().unwrap();
        assert_eq!(stored.report.location.ward, None);
        assert_eq!(stored.report.location.unmatched_ward.as_deref(), Some(*ward), "kept for operators");
        let kinds: Vec<&str> = h.store.timeline(&id).await.unwrap().iter().map(|e| e.event.kind()).collect();
        assert!(kinds.contains(&"ward_not_recognised"), "flagged on the timeline: {kinds:?}");

        let alert = Alert {
            incident: &stored,
            category: Category::Critical,
            reason: "test",
            kind: AlertKind::First,
            acknowledge_within: Some(15),
            link: "https://sim.example/r/t",
        };
        let (sms, email, whatsapp) = (alert.sms(), alert.email(), alert.whatsapp("t"));
        for text in [sms.text, email.subject, email.text, email.html, whatsapp.body.join("|")] {
            for word in ["Bloggs", "Acre Lane", "8AB"] {
                assert!(!text.contains(word), "{word} reached a message: {text}");
            }
            assert!(text.contains("Lambeth"), "{text}");
        }
    }
}

#[tokio::test]
async fn a_known_ward_is_matched_by_its_usual_forms_and_ons_code() {
    let h = memory_harness().await;
    let sent = [
        ("brixton north", "Brixton North"),
        ("Myatt\u{2019}s Fields", "Myatt's Fields"),
        ("E05014085", "Brixton Acre Lane"),
    ];
    for (n, (ward, kept)) in sent.iter().enumerate() {
        let body = with(|r| {
            r["police_reference"] = json!(format!("CAD {n}/21NOV26"));
            r["location"]["ward"] = json!(ward);
        });
        let response = h.call(post(&met_key(), body)).await;
        assert_eq!(response.status(), 202, "{ward}");
        assert!(json(&response).get("warnings").is_none());
        let id = IncidentId::parse(json(&response)["id"].as_str().unwrap()).unwrap();
        let stored = h.store.get_incident(&id).await.unwrap().unwrap();
        assert_eq!(stored.report.location.ward.unwrap().as_str(), *kept);
    }
}

#[tokio::test]
async fn a_police_reference_holding_a_date_of_birth_or_postcode_is_refused_without_echo() {
    let h = memory_harness().await;
    for reference in ["CAD 1234 JO BLOGGS DOB 01.02.2011", "CAD 1234 01/02/2011", "CAD 1234 SW9 8AB", "JO BLOGGS 15"] {
        let response = h.call(post(&met_key(), with(|r| r["police_reference"] = json!(reference)))).await;
        assert_eq!(response.status(), 422, "{reference}");
        let problem = json(&response).to_string();
        assert_eq!(fields(&json(&response)), ["/police_reference"]);
        for part in ["BLOGGS", "2011", "8AB"] {
            assert!(!problem.contains(part), "{part} echoed: {problem}");
        }
    }
    nothing_stored(&h, "CAD 1234/21NOV26").await;
}

#[tokio::test]
async fn common_forms_of_the_borough_and_its_ons_code_find_the_licensee() {
    let h = memory_harness().await;
    for (n, borough) in ["London Borough of Lambeth", "Lambeth Council", "E09000022", "lambeth"].iter().enumerate() {
        let body = with(|r| {
            r["police_reference"] = json!(format!("CAD {n}/21NOV26"));
            r["location"]["borough"] = json!(borough);
        });
        let response = h.call(post(&met_key(), body)).await;
        assert_eq!(response.status(), 202, "{borough}: {}", json(&response));
    }
    let kent = post(&kent_key(), with(|r| r["location"] = json!({"borough": "Maidstone Borough Council"})));
    assert_eq!(h.call(kent).await.status(), 202);

    // A borough no licensee covers is refused without repeating what was sent.
    let body = with(|r| r["location"]["borough"] = json!("Jo Bloggs Estate"));
    let refused = h.call(post(&met_key(), body)).await;
    assert_eq!(refused.status(), 403);
    let problem = json(&refused).to_string();
    assert!(problem.contains("ONS code") && !problem.contains("Bloggs"), "{problem}");
}

#[tokio::test]
async fn unicode_is_normalised_and_look_alike_letters_are_refused_clearly() {
    let h = memory_harness().await;
    // A typographic apostrophe no longer refuses the whole report.
    let apostrophe = with(|r| r["location"]["ward"] = json!("Streatham St Leonard\u{2019}s"));
    let response = h.call(post(&met_key(), apostrophe)).await;
    assert_eq!(response.status(), 202, "{}", json(&response));
    let stored = h.store.get_incident(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.report.location.ward.unwrap().as_str(), "Streatham St Leonard's");

    // Cyrillic "а" and full-width letters in the borough: a clear 422, not a 403 or a match.
    for borough in ["L\u{0430}mbeth", "\u{FF2C}\u{FF41}\u{FF4D}\u{FF42}\u{FF45}\u{FF54}\u{FF48}"] {
        let body = with(|r| {
            r["police_reference"] = json!("CAD 9/21NOV26");
            r["location"]["borough"] = json!(borough);
        });
        let response = h.call(post(&met_key(), body)).await;
        assert_eq!(response.status(), 422, "{borough}");
        assert_eq!(fields(&json(&response)), ["/location/borough"]);
        assert!(json(&response)["errors"][0]["message"].as_str().unwrap().contains("Latin letters"));
    }
}

#[tokio::test]
async fn callers_and_licensees_are_kept_briefly_a_rotated_key_works_at_once_and_a_suspension_soon() {
    let h = memory_harness().await;
    let post = |key: &sim::domain::ApiKey, reference: &str| {
        request("POST", "/v1/incidents", Some(key), Some(maidstone_report(reference)))
    };
    assert_eq!(h.call(post(&kent_key(), "KENT-10")).await.status(), 202);

    // Kent rotates its key: the new one works at once, though the caller is kept.
    let mut kent = h.store.get_caller(&sim::demo::kent_police()).await.unwrap().unwrap();
    let rotated = sim::domain::ApiKey::generate(&kent.id);
    kent.key_hash = sim::domain::KeyHash::of(&rotated);
    h.store.put_caller(&kent).await.unwrap();
    assert_eq!(h.call(post(&rotated, "KENT-11")).await.status(), 202, "the rotated key");
    assert_eq!(h.call(post(&kent_key(), "KENT-12")).await.status(), 401, "re-read with it, the old key is gone");

    // A suspension reaches a warm container within the time reads are kept.
    set_licence(&h, Tier::LondonFree, LicenceStatus::Suspended { reason: "request".into() }).await;
    assert_eq!(h.call(post(&rotated, "KENT-13")).await.status(), 202, "the kept licensee, for a few seconds");
    h.clock.advance(Duration::seconds(31));
    assert_eq!(h.call(post(&rotated, "KENT-14")).await.status(), 403, "after 30 s");
    // A retry of a report accepted before is still answered as before.
    let retry = h.call(post(&rotated, "KENT-13")).await;
    assert_eq!(
        (retry.status(), json(&retry)["status"].as_str()),
        (lambda_http::http::StatusCode::OK, Some("already_received"))
    );
}
