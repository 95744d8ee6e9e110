//! Categorisation and fan-out: an incident reported to intake ends as one
//! message per person per channel on the sender queues (ids and render
//! inputs, never personal data), rendered within each channel's limits;
//! redelivery adds nothing; an upgrade alerts only the people it adds. Run
//! on moto (the real wire protocols) and on the in-memory adapters.

use categorise::{ChannelQueues, Outcome};
use serde_json::{json, Value};
use sim::adapters::memory_queue::MemoryQueue;
use sim::domain::category::Category;
use sim::domain::notification::NotificationMessage;
use sim::domain::policy::Channel;
use sim::domain::rota::Rota;
use sim::domain::{Contact, Event, Group, PhoneNumber, Role};
use sim::ids::IncidentId;
use sim::ids::{ContactId, GroupId};
use sim::links::{LinkClaims, LinkKey};
use sim::ports::Queue;
use sim::render::{gsm7_length, sms_segments, Alert, AlertKind};
use sim_tests::recorder::{matching, HOLD_PATIENCE};
use sim_tests::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use time::Duration;

type Sent = BTreeMap<&'static str, BTreeSet<String>>;

/// Who got a message on which channel, draining the sender queues.
async fn sent(queues: &ChannelQueues) -> (Sent, Vec<NotificationMessage>) {
    let mut who = Sent::new();
    let mut messages = Vec::new();
    for (name, queue) in [("sms", &queues.sms), ("email", &queues.email), ("whatsapp", &queues.whatsapp)] {
        for body in drain(&**queue).await {
            let keys: BTreeSet<&str> = body.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["incident_id", "licensee_id", "contact_id", "channel", "step", "render"]),
                "ids: {body}"
            );
            // What rendering needs from the notification, so senders read nothing per message.
            let render: BTreeSet<&str> = body["render"].as_object().unwrap().keys().map(String::as_str).collect();
            // A briefing (steps from 1000) also carries its checklist wording and counts.
            let expected = if body["step"].as_u64().unwrap() >= 1000 {
                BTreeSet::from(["round", "kind", "briefing"])
            } else {
                BTreeSet::from(["round", "kind"])
            };
            assert_eq!(render, expected, "render inputs only: {body}");
            let message: NotificationMessage = serde_json::from_value(body).unwrap();
            assert_eq!(message.channel.to_string(), name, "each channel's messages on its own queue");
            who.entry(name).or_default().insert(message.contact_id.to_string());
            messages.push(message);
        }
    }
    (who, messages)
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn adult_knife_report(reference: &str) -> String {
    let mut report = event_body("intake-report.json");
    report["police_reference"] = json!(reference);
    report["victims"] = json!([{"age_band": "35-49", "injury": "serious"}]);
    report["flags"] = json!([]);
    report.to_string()
}

async fn report(h: &Harness, body: String) -> String {
    let answer = h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(body))).await;
    assert_eq!(answer.status(), 202);
    json(&answer)["id"].as_str().unwrap().to_owned()
}

async fn serious_violence_then_upgrade(h: Harness, queues: ChannelQueues) {
    let deps = categoriser(&h, queues.clone());
    let id = report(&h, adult_knife_report("CAD 77/21NOV26")).await;
    let handed_on = categorise_handed_on(&h, &deps).await;

    let (first, messages) = sent(&queues).await;
    assert_eq!(first["sms"], set(&["con-comms", "con-cs-officer", "con-csl", "con-health"]));
    assert_eq!(first["email"], set(&["con-comms", "con-cs-officer", "con-csl", "con-health"]));
    assert_eq!(first["whatsapp"], set(&["con-comms", "con-csl"]), "WhatsApp only where opted in");
    assert_eq!(messages.len(), 10);

    let status = json(&h.call(request("GET", &format!("/v1/incidents/{id}"), Some(&met_key()), None)).await);
    assert_eq!(status["category"], "SERIOUS_VIOLENCE");
    let incident_id = IncidentId::parse(&id).unwrap();
    let timeline = h.store.timeline(&incident_id).await.unwrap();
    let categorised = timeline.iter().find(|e| e.event.kind() == "categorised").unwrap();
    assert!(format!("{:?}", categorised.event).contains("serious-weapon-injury"), "the rule is recorded");
    assert_eq!(h.store.checklist(&incident_id).await.unwrap().len(), 48, "the toolkit's checklist is open");

    // SQS delivers at least once: the same hand-off again adds nothing.
    for body in &handed_on {
        assert_eq!(categorise::handle_message(&deps, body).await.unwrap(), Outcome::AlreadyDone);
    }
    assert!(sent(&queues).await.1.is_empty());
    assert_eq!(h.store.notifications(&incident_id).await.unwrap().len(), 10);

    // Police declare a critical incident: only the people CRITICAL adds are alerted.
    h.clock.advance(Duration::minutes(15));
    let update = request(
        "POST",
        &format!("/v1/incidents/{id}/updates"),
        Some(&met_key()),
        Some(r#"{"add_flags": ["critical_incident_declared"]}"#.into()),
    );
    assert_eq!(h.call(update).await.status(), 202);
    categorise_handed_on(&h, &deps).await;
    let (added, _) = sent(&queues).await;
    assert_eq!(added["sms"], set(&["con-gold", "con-police-liaison"]));
    assert_eq!(added["email"], set(&["con-gold", "con-police-liaison"]));
    assert_eq!(added["whatsapp"], set(&["con-gold"]));
    let status = json(&h.call(request("GET", &format!("/v1/incidents/{id}"), Some(&met_key()), None)).await);
    assert_eq!(status["category"], "CRITICAL");
    assert_eq!(h.store.checklist(&incident_id).await.unwrap().len(), 48, "one checklist, not two");

    // A later update that would lower the category only notes it.
    let calmer = request(
        "POST",
        &format!("/v1/incidents/{id}/updates"),
        Some(&met_key()),
        Some(r#"{"remove_flags": ["critical_incident_declared"]}"#.into()),
    );
    assert_eq!(h.call(calmer).await.status(), 202);
    categorise_handed_on(&h, &deps).await;
    assert!(sent(&queues).await.1.is_empty());
    let kinds: Vec<&str> = h.store.timeline(&incident_id).await.unwrap().iter().map(|e| e.event.kind()).collect();
    assert!(kinds.contains(&"category_kept"), "{kinds:?}");
}

#[tokio::test]
async fn on_moto_serious_violence_alerts_its_groups_once_and_an_upgrade_only_the_added_ones() {
    needs_moto!();
    let h = moto_harness().await;
    let queues = moto_channel_queues().await;
    serious_violence_then_upgrade(h, queues).await;
}

#[tokio::test]
async fn in_memory_serious_violence_alerts_its_groups_once_and_an_upgrade_only_the_added_ones() {
    serious_violence_then_upgrade(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn a_person_in_two_groups_gets_one_message_per_channel_rendered_within_limits() {
    needs_moto!();
    let h = moto_harness().await;
    let queues = moto_channel_queues().await;
    let deps = categoriser(&h, queues.clone());
    // The README's example: a 14-17-year-old with a life-threatening injury is CRITICAL.
    assert_eq!(h.call(event("intake-report.json")).await.status(), 202);
    categorise_handed_on(&h, &deps).await;
    let (who, messages) = sent(&queues).await;
    let critical = set(&["con-comms", "con-cs-officer", "con-csl", "con-gold", "con-police-liaison"]);
    assert_eq!(who["sms"], critical, "con-csl is in two groups");
    assert_eq!(who["email"], critical);
    assert_eq!(messages.iter().filter(|m| m.contact_id.as_str() == "con-csl").count(), 3);

    let incident = h.store.get_incident(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().unwrap();
    let categorisation = h.store.get_categorisation(&incident.id).await.unwrap().unwrap();
    assert_eq!(categorisation.category, Category::Critical);
    assert_eq!(categorisation.acknowledge_within_minutes, Some(10));
    let key = LinkKey::generate();
    for m in &messages {
        let token = key.sign(&LinkClaims {
            incident_id: m.incident_id.clone(),
            contact_id: m.contact_id.clone(),
            channel: m.channel,
            expires_at: START + Duration::days(7),
        });
        let link = format!("https://sim.lambeth.example/a/{token}");
        let alert = Alert {
            incident: &incident,
            category: categorisation.category,
            reason: &categorisation.reason,
            kind: AlertKind::First,
            acknowledge_within: categorisation.acknowledge_within_minutes,
            link: &link,
        };
        match m.channel {
            Channel::Sms => {
                let sms = alert.sms();
                assert!(gsm7_length(&sms.text).is_some(), "plain GSM-7: {}", sms.text);
                assert!(sms_segments(&sms.text).unwrap() <= 2, "{} is too long", sms.text);
                assert!(sms.text.contains(&link) && sms.text.contains("CRITICAL") && sms.text.contains("Lambeth"));
                assert!(!sms.text.contains("14-17"), "no victim details in an SMS");
            }
            Channel::Email => {
                let email = alert.email();
                assert!(email.subject.contains("CRITICAL stabbing in Lambeth"));
                assert!(email.text.contains(&link) && email.html.contains("Acknowledge within 10 min"));
            }
            Channel::WhatsApp => {
                let template = alert.whatsapp(&token);
                assert_eq!(template.body.len(), 4);
                assert_eq!(template.button_url_suffix, token);
            }
        }
    }
}

#[tokio::test]
async fn a_crash_before_the_fan_out_finished_is_completed_on_redelivery() {
    needs_moto!();
    let h = memory_harness().await;
    let queues = memory_channel_queues();
    // The email queue fails: categorisation is recorded but the round is not done.
    let broken = ChannelQueues { email: std::sync::Arc::new(moto_unreachable_queue().await), ..queues.clone() };
    let deps = categoriser(&h, broken);
    h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(adult_knife_report("CAD 5/21NOV26")))).await;
    let bodies: Vec<String> = drain(&*h.queue).await.iter().map(Value::to_string).collect();
    assert!(categorise::handle_message(&deps, &bodies[0]).await.is_err(), "reported as a failure: SQS retries");
    let (partial, _) = sent(&queues).await;
    assert!(!partial.contains_key("email"));

    let fixed = categoriser(&h, queues.clone());
    let outcome = categorise::handle_message(&fixed, &bodies[0]).await.unwrap();
    assert!(matches!(outcome, Outcome::Alerted { round: 1, .. }), "{outcome:?}");
    let (after, _) = sent(&queues).await;
    assert_eq!(after["email"].len(), 4, "the emails are queued after all");
    assert_eq!(categorise::handle_message(&fixed, &bodies[0]).await.unwrap(), Outcome::AlreadyDone);
}

/// A round larger than one transaction (over 100 notifications): the decision,
/// timeline and first notifications go in one transaction, the rest after
/// it. A crash before the fan-out finished (a queue down) is completed on
/// redelivery: every notification written once, every channel queued, and
/// the round's timeline entries written once, not again by the redelivery.
async fn a_round_over_one_transaction_survives_a_crash(h: Harness) {
    let queues = memory_channel_queues();
    let mut group = h
        .store
        .groups(&sim::demo::lambeth())
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.id.as_str() == "grp-comms")
        .unwrap();
    for i in 0..50 {
        let mut c = person(&format!("con-extra-{i:02}"), "comms", &format!("+4477009{i:05}"), None, None);
        c.email = Some(sim::domain::EmailAddress::parse(&format!("extra{i}@lambeth.example")).unwrap());
        h.store.put_contact(&c).await.unwrap();
        group.members.push(c.id.clone());
    }
    h.store.put_group(&group).await.unwrap();
    let broken = ChannelQueues { email: Arc::new(moto_unreachable_queue().await), ..queues.clone() };
    let id = report(&h, adult_knife_report("CAD 9/22NOV26")).await;
    let id = IncidentId::parse(&id).unwrap();
    let bodies: Vec<String> = drain(&*h.queue).await.iter().map(Value::to_string).collect();
    assert!(categorise::handle_message(&categoriser(&h, broken), &bodies[0]).await.is_err(), "SQS retries");
    let written = h.store.notifications(&id).await.unwrap().len();
    assert!(written > 100, "more than one transaction holds: {written}");
    let (partial, _) = sent(&queues).await;
    assert!(!partial.contains_key("email"));

    let deps = categoriser(&h, queues.clone());
    let outcome = categorise::handle_message(&deps, &bodies[0]).await.unwrap();
    assert!(matches!(outcome, Outcome::Alerted { round: 1, .. }), "{outcome:?}");
    let (after, _) = sent(&queues).await;
    assert_eq!(after["email"].len(), 54, "every email queued after all: the 50 added and the 4 of the demo");
    assert!(after["email"].contains("con-extra-49"));
    assert_eq!(h.store.notifications(&id).await.unwrap().len(), written, "each notification written once");
    let kinds: Vec<&str> = h.store.timeline(&id).await.unwrap().iter().map(|e| e.event.kind()).collect::<Vec<_>>();
    for kind in ["categorised", "checklist_opened", "alerts_queued"] {
        assert_eq!(kinds.iter().filter(|k| **k == kind).count(), 1, "{kind} once: {kinds:?}");
    }
    assert_eq!(categorise::handle_message(&deps, &bodies[0]).await.unwrap(), Outcome::AlreadyDone);
}

#[tokio::test]
async fn in_memory_a_round_over_one_transaction_survives_a_crash() {
    needs_moto!();
    a_round_over_one_transaction_survives_a_crash(memory_harness().await).await;
}

#[tokio::test]
async fn on_moto_a_round_over_one_transaction_survives_a_crash() {
    needs_moto!();
    a_round_over_one_transaction_survives_a_crash(moto_harness().await).await;
}

/// Required roles first: a CRITICAL policy naming gold and police liaison as
/// required marks their people required (a person in a required and an
/// informed group is required), and queues their messages before the rest.
#[tokio::test]
async fn a_critical_fan_out_queues_the_required_roles_first() {
    let h = memory_harness().await;
    let queues = memory_channel_queues();
    let mut licensee = h.store.get_licensee(&sim::demo::lambeth()).await.unwrap().unwrap();
    let mut policies = sim::domain::policy::AlertPolicy::defaults();
    policies[0].required_groups =
        Some(vec![GroupId::parse("grp-gold").unwrap(), GroupId::parse("grp-police-liaison").unwrap()]);
    licensee.policies = Some(policies);
    h.store.put_licensee(&licensee).await.unwrap();
    let mut body: Value = serde_json::from_str(&adult_knife_report("CAD 11/22NOV26")).unwrap();
    body["flags"] = json!(["critical_incident_declared"]);
    let id = IncidentId::parse(&report(&h, body.to_string()).await).unwrap();
    categorise_handed_on(&h, &categoriser(&h, queues.clone())).await;

    let required: BTreeSet<String> = h
        .store
        .notifications(&id)
        .await
        .unwrap()
        .iter()
        .filter(|n| n.required)
        .map(|n| n.contact_id.to_string())
        .collect();
    assert_eq!(required, set(&["con-csl", "con-gold", "con-police-liaison"]), "con-csl is also in an informed group");
    let order: Vec<String> =
        drain(&*queues.sms).await.iter().map(|m| m["contact_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(order.len(), 5, "{order:?}");
    let first: BTreeSet<String> = order[..3].iter().cloned().collect();
    assert_eq!(first, required, "the required roles' texts are queued before the rest: {order:?}");

    // A required group the policy does not alert is refused when the policy is read.
    let mut json = serde_json::to_value(&licensee).unwrap();
    json["policies"][0]["required_groups"] = json!(["grp-health"]);
    let refused = serde_json::from_value::<sim::domain::Licensee>(json).unwrap_err().to_string();
    assert!(refused.contains("grp-health"), "{refused}");
}

#[tokio::test]
async fn record_only_incidents_are_stored_without_alerts_and_poison_messages_fail() {
    let h = memory_harness().await;
    let queues = memory_channel_queues();
    let deps = categoriser(&h, queues.clone());
    let mut minor = event_body("intake-report.json");
    minor["victims"] = json!([{"age_band": "35-49", "injury": "minor"}]);
    minor["weapon"] = json!("none");
    minor["incident_type"] = json!("other_violence");
    minor["flags"] = json!([]);
    report(&h, minor.to_string()).await;
    categorise_handed_on(&h, &deps).await;
    assert!(sent(&queues).await.1.is_empty());
    let c = h.store.get_categorisation(&IncidentId::parse("inc-000001").unwrap()).await.unwrap().unwrap();
    assert_eq!((c.category, c.rule.as_str()), (Category::RecordOnly, "default"));

    for poison in ["not json", r#"{"incident_id": "inc-nope", "version": 1, "reason": "reported"}"#] {
        assert!(matches!(categorise::handle_message(&deps, poison).await, Err(categorise::CategoriseError::Poison(_))));
    }
}

#[tokio::test]
async fn the_lambda_reports_only_the_failed_records_of_a_batch() {
    let h = memory_harness().await;
    let queues = memory_channel_queues();
    let deps = categoriser(&h, queues.clone());
    h.call(event("intake-report.json")).await;
    for (fixture, failed) in [
        ("categorise-sqs-with-poison.json", vec!["0c7f3f61-6f0a-4cf4-9b6a-2f0b6d1d0002"]),
        ("categorise-sqs.json", vec![]),
    ] {
        let text = std::fs::read_to_string(format!("{}/../events/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let sqs_event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).unwrap();
        let response = sim::sqs_batch::process(sqs_event, |message: sim::handoff::HandoffMessage| {
            let deps = &deps;
            async move { categorise::categorise(deps, &message).await }
        })
        .await;
        let ids: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(ids, failed, "{fixture}");
    }
    assert_eq!(sent(&queues).await.1.len(), 13, "the good record was fanned out once, redelivery added nothing");
}

/// A report of a minor incident in Coldharbour ward `days_ago` days before
/// the test's start: record only by itself, the ward pattern's raw material.
fn minor_in_coldharbour(reference: &str, days_ago: i64) -> String {
    let mut body = event_body("intake-report.json");
    body["police_reference"] = json!(reference);
    body["occurred_at"] =
        json!((START - Duration::days(days_ago)).format(&time::format_description::well_known::Rfc3339).unwrap());
    body["reported_at"] = Value::Null;
    body["location"] = json!({"borough": "Lambeth", "ward": "Coldharbour"});
    body["victims"] = json!([{"age_band": "35-49", "injury": "minor"}]);
    body["weapon"] = json!("none");
    body["incident_type"] = json!("other_violence");
    body["flags"] = json!([]);
    body.to_string()
}

#[tokio::test]
async fn the_third_incident_in_a_ward_within_28_days_emails_the_community_safety_team() {
    needs_moto!();
    let h = moto_harness().await;
    let queues = moto_channel_queues().await;
    let deps = categoriser(&h, queues.clone());
    report(&h, minor_in_coldharbour("REF-A", 20)).await;
    report(&h, minor_in_coldharbour("REF-B", 5)).await;
    categorise_handed_on(&h, &deps).await;
    assert!(sent(&queues).await.1.is_empty(), "the first two are record only");

    let third = report(&h, minor_in_coldharbour("REF-C", 0)).await;
    categorise_handed_on(&h, &deps).await;
    let (who, _) = sent(&queues).await;
    assert_eq!(who.keys().copied().collect::<Vec<_>>(), ["email"], "INCIDENT_OF_NOTE is an email");
    assert_eq!(who["email"], set(&["con-cs-officer", "con-csl"]));
    let c = h.store.get_categorisation(&IncidentId::parse(&third).unwrap()).await.unwrap().unwrap();
    assert_eq!((c.category, c.rule.as_str()), (Category::IncidentOfNote, "note-cumulative-ward"));
    assert_eq!(c.acknowledge_within_minutes, None);
}

/// The hand-off message names the ward, the time and the rules' 28 days, so
/// the ward's history is read with the incident over those 28 days; it is not
/// trusted when the message's ward is not the incident's (an amendment moved
/// it), and a message without the window (queued before it was added) reads
/// the history once the rules are known.
async fn the_ward_history_read_with_the_incident_keeps_to_the_rules(h: Harness, queues: ChannelQueues) {
    let deps = categoriser(&h, queues.clone());
    report(&h, minor_in_coldharbour("REF-A", 29)).await;
    report(&h, minor_in_coldharbour("REF-B", 5)).await;
    let third = report(&h, minor_in_coldharbour("REF-C", 0)).await;
    let handed_on = categorise_handed_on(&h, &deps).await;
    let named = |m: &String| m.contains(r#""ward":"Coldharbour""#) && m.contains(r#""ward_window_days":28"#);
    assert!(handed_on.iter().all(named), "{handed_on:?}");
    assert_eq!(category(&h, &third).await, Category::RecordOnly, "29 days ago is outside the rules' 28");

    // A message naming another ward than the incident's: read again, for the incident's ward.
    let fourth = report(&h, minor_in_coldharbour("REF-D", 0)).await;
    let mut message = h.drain().await.pop().unwrap();
    message["ward"] = json!("Brixton North");
    categorise::handle_message(&deps, &message.to_string()).await.unwrap();
    assert_eq!(category(&h, &fourth).await, Category::IncidentOfNote, "the third in Coldharbour within 28 days");
    assert!(sent(&queues).await.1.iter().all(|m| m.channel == Channel::Email));

    // A message in the old form, without the window: read once the rules are known.
    let fifth = report(&h, minor_in_coldharbour("REF-E", 0)).await;
    let mut message = h.drain().await.pop().unwrap();
    assert_eq!(message.as_object_mut().unwrap().remove("ward_window_days"), Some(json!(28)));
    categorise::handle_message(&deps, &message.to_string()).await.unwrap();
    assert_eq!(category(&h, &fifth).await, Category::IncidentOfNote, "REF-B, C and D within 28 days");
}

/// A minor incident in Coldharbour reported `days_ago` days before the
/// test's start, when it happened (intake refuses reports over 30 days old).
async fn reported_back_then(h: &Harness, reference: &str, days_ago: i64) -> String {
    h.clock.set(START - Duration::days(days_ago));
    let id = report(h, minor_in_coldharbour(reference, days_ago)).await;
    h.clock.set(START);
    id
}

/// The category `id` was given.
async fn category(h: &Harness, id: &str) -> Category {
    h.store.get_categorisation(&IncidentId::parse(id).unwrap()).await.unwrap().unwrap().category
}

#[tokio::test]
async fn the_ward_history_read_with_the_incident_keeps_to_the_rules_in_memory() {
    the_ward_history_read_with_the_incident_keeps_to_the_rules(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn the_ward_history_read_with_the_incident_keeps_to_the_rules_on_moto() {
    needs_moto!();
    the_ward_history_read_with_the_incident_keeps_to_the_rules(moto_harness().await, moto_channel_queues().await).await;
}

/// The ward's history is read with the incident and the directory (each
/// query held until the other is sent) over the 28 days the default rules
/// need, not the widest window a rule may have: an incident 100 days earlier
/// in the ward is not asked for. One ward query, none read again after.
#[tokio::test]
async fn the_ward_history_read_with_the_incident_asks_only_for_the_rules_window() {
    needs_moto!();
    let (config, recorder) = sim_tests::recorder::recorded_moto().await;
    let store = sim::adapters::dynamodb::DynamoStore::from_config(&config, unique("sim-ward"));
    store.create_table_if_missing().await.expect("table created in moto");
    let h = Harness::new(Arc::new(store), Arc::new(MemoryQueue::new("categorise"))).seeded().await;
    let deps = categoriser(&h, memory_channel_queues());
    reported_back_then(&h, "REF-OLD", 100).await;
    categorise_handed_on(&h, &deps).await;

    let today = report(&h, minor_in_coldharbour("REF-NEW", 0)).await;
    let message = h.drain().await.pop().unwrap();
    assert_eq!(message["ward_window_days"], json!(28), "{message}");
    recorder.clear();
    recorder.side_by_side(matching("Query", "WARD#"), matching("Query", "INCIDENT#"));
    let body = message.to_string();
    let answer = tokio::time::timeout(HOLD_PATIENCE, categorise::handle_message(&deps, &body));
    answer.await.expect("the ward's history is read beside the incident, not after it").unwrap();
    recorder.stop_holding();

    let ward_queries: Vec<String> = recorder
        .all()
        .into_iter()
        .filter(|r| r.operation.ends_with(".Query") && r.body.contains("WARD#"))
        .map(|r| r.body)
        .collect();
    assert_eq!(ward_queries.len(), 1, "read once: {ward_queries:?}");
    let from = |days: i64| format!("{:020}", (START - Duration::days(days)).unix_timestamp_nanos());
    assert!(ward_queries[0].contains(&from(28)), "from 28 days before: {}", ward_queries[0]);
    assert!(!ward_queries[0].contains(&from(366)), "not the widest window: {}", ward_queries[0]);
    assert_eq!(category(&h, &today).await, Category::RecordOnly, "100 days ago is outside the rules' 28");
}

/// Lambeth's rules with a 90-day ward rule: two other incidents in the ward
/// within 90 days make an incident of note.
fn ninety_day_ward_rules() -> sim::domain::category::RuleSet {
    sim::domain::category::RuleSet::from_json(
        r#"[{"id": "ward-90", "category": "INCIDENT_OF_NOTE", "reason": "The third incident in the ward within 90 days",
             "when": {"prior_in_ward": {"at_least": 2, "within_days": 90}}}]"#,
    )
    .unwrap()
}

async fn set_lambeth_rules(h: &Harness, rules: Option<sim::domain::category::RuleSet>) {
    let mut lambeth = h.store.get_licensee(&sim::demo::lambeth()).await.unwrap().unwrap();
    lambeth.rules = rules;
    h.store.put_licensee(&lambeth).await.unwrap();
}

/// Rules looking back 90 days see incidents 50 and 60 days earlier, whether
/// the hand-off message named their 90 days or, the rules lengthened after
/// intake handed the incident on, a shorter window (then read again).
async fn a_longer_ward_window_sees_older_incidents(h: Harness, queues: ChannelQueues) {
    let deps = categoriser(&h, queues);
    reported_back_then(&h, "REF-A1", 60).await;
    reported_back_then(&h, "REF-A2", 50).await;
    categorise_handed_on(&h, &deps).await;

    // Handed on under the default rules (28 days), categorised under 90.
    let lengthened = report(&h, minor_in_coldharbour("REF-B", 0)).await;
    let message = h.drain().await.pop().unwrap();
    assert_eq!(message["ward_window_days"], json!(28), "intake knew the default rules: {message}");
    set_lambeth_rules(&h, Some(ninety_day_ward_rules())).await;
    categorise::handle_message(&deps, &message.to_string()).await.unwrap();
    assert_eq!(category(&h, &lengthened).await, Category::IncidentOfNote, "50 and 60 days ago, within 90");

    // Intake now knows the 90-day rules (once its kept licensee is stale).
    h.clock.advance(Duration::minutes(1));
    let known = report(&h, minor_in_coldharbour("REF-C", 0)).await;
    let handed_on = categorise_handed_on(&h, &deps).await;
    assert!(handed_on[0].contains(r#""ward_window_days":90"#), "{handed_on:?}");
    assert_eq!(category(&h, &known).await, Category::IncidentOfNote, "REF-B alone would not be enough");

    // Rules that look at no ward: the message names no window.
    set_lambeth_rules(&h, Some(sim::domain::category::RuleSet::from_json(r#"[]"#).unwrap())).await;
    h.clock.advance(Duration::minutes(1));
    let unwindowed = report(&h, minor_in_coldharbour("REF-D", 0)).await;
    let handed_on = categorise_handed_on(&h, &deps).await;
    assert!(!handed_on[0].contains("ward_window_days"), "{handed_on:?}");
    assert_eq!(category(&h, &unwindowed).await, Category::RecordOnly);
}

#[tokio::test]
async fn in_memory_a_longer_ward_window_sees_older_incidents() {
    a_longer_ward_window_sees_older_incidents(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn on_moto_a_longer_ward_window_sees_older_incidents() {
    needs_moto!();
    a_longer_ward_window_sees_older_incidents(moto_harness().await, moto_channel_queues().await).await;
}

/// A knife incident whose victim's age police confirm later: the amendment
/// keeps SERIOUS_VIOLENCE but adds education and youth services, who are
/// alerted once, with a first alert; an upgrade then reaches the groups the
/// lower category alerted, and nobody gets the upgrade alert and its update at once.
async fn amendments_alert_the_people_they_add(h: Harness, queues: ChannelQueues) {
    let briefings_queue: Arc<dyn Queue> = Arc::new(MemoryQueue::new("briefings"));
    let deps = categorise::Deps { briefings: briefings_queue.clone(), ..categoriser(&h, queues.clone()) };
    let mut body = event_body("intake-report.json");
    body["police_reference"] = json!("CAD 78/21NOV26");
    body["victims"] = json!([{"age_band": "unknown", "injury": "serious"}]);
    body["flags"] = json!([]);
    let id = report(&h, body.to_string()).await;
    let incident_id = IncidentId::parse(&id).unwrap();
    categorise_handed_on(&h, &deps).await;
    assert_eq!(sent(&queues).await.1.len(), 10, "SERIOUS_VIOLENCE without a child victim");

    h.clock.advance(Duration::minutes(5));
    let amend =
        |body: &str| request("POST", &format!("/v1/incidents/{id}/updates"), Some(&met_key()), Some(body.into()));
    assert_eq!(h.call(amend(r#"{"victims": [{"age_band": "14-17", "injury": "serious"}]}"#)).await.status(), 202);
    let handed_on = categorise_handed_on(&h, &deps).await;
    let (added, messages) = sent(&queues).await;
    assert_eq!(added["sms"], set(&["con-education", "con-youth"]));
    assert_eq!(added["email"], set(&["con-education", "con-youth"]));
    assert_eq!(messages.len(), 5, "education and youth services, every channel they are reachable on: {added:?}");
    for m in &messages {
        let n = h.store.get_notification(&incident_id, &m.key()).await.unwrap().unwrap();
        assert_eq!(n.alert_kind(), AlertKind::First, "they hear it as a first alert, not an upgrade");
    }
    let kinds: Vec<&str> = h.store.timeline(&incident_id).await.unwrap().iter().map(|e| e.event.kind()).collect();
    assert!(kinds.contains(&"alerts_widened"), "the re-categorisation is on the timeline: {kinds:?}");
    assert!(drain(&*briefings_queue).await.is_empty(), "the category did not change: no category-change update");
    // Redelivered, or amended again with the same facts: nobody is alerted twice.
    for body in &handed_on {
        assert_eq!(categorise::handle_message(&deps, body).await.unwrap(), Outcome::AlreadyDone);
    }
    let again = h.call(amend(r#"{"victims": [{"age_band": "14-17", "injury": "serious"}]}"#)).await;
    assert_eq!(again.status(), 200, "the same facts again change nothing");
    categorise_handed_on(&h, &deps).await;
    assert!(sent(&queues).await.1.is_empty());

    // Police declare a critical incident. Gold and police liaison get the
    // upgrade alert; health, alerted at SERIOUS_VIOLENCE but not a CRITICAL
    // group, hears of it in the update; gold does not get both at once.
    h.clock.advance(Duration::minutes(5));
    assert_eq!(h.call(amend(r#"{"add_flags": ["critical_incident_declared"]}"#)).await.status(), 202);
    categorise_handed_on(&h, &deps).await;
    let (upgraded, _) = sent(&queues).await;
    assert_eq!(upgraded["sms"], set(&["con-gold", "con-police-liaison"]));
    for check in drain(&*briefings_queue).await {
        briefings::handle_message(&deps, &check.to_string()).await.unwrap();
    }
    let (told, _) = sent(&queues).await;
    let told: BTreeSet<String> = told.values().flatten().cloned().collect();
    assert!(told.contains("con-health"), "a group alerted at the lower category hears of the upgrade: {told:?}");
    assert!(told.contains("con-education"), "{told:?}");
    assert!(
        !told.contains("con-gold") && !told.contains("con-police-liaison"),
        "no update beside the upgrade alert: {told:?}"
    );
}

#[tokio::test]
async fn in_memory_an_amendment_that_adds_a_child_victim_alerts_education_and_youth_once() {
    amendments_alert_the_people_they_add(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn on_moto_an_amendment_that_adds_a_child_victim_alerts_education_and_youth_once() {
    needs_moto!();
    amendments_alert_the_people_they_add(moto_harness().await, moto_channel_queues().await).await;
}

// Away contacts and rotas (issue 14, item 5).

fn person(id: &str, role: &str, mobile: &str, deputy: Option<&str>, away_until: Option<time::Date>) -> Contact {
    Contact {
        id: ContactId::parse(id).unwrap(),
        licensee_id: sim::demo::lambeth(),
        name: format!("Person {id}"),
        role: Role::parse(role).unwrap(),
        organisation: "London Borough of Lambeth".into(),
        mobile: Some(PhoneNumber::parse(mobile).unwrap()),
        whatsapp_opt_in: false,
        email: None,
        deputy: deputy.map(|d| ContactId::parse(d).unwrap()),
        away_until,
        whatsapp_opt_in_given: None,
    }
}

/// A knife incident that occurred at `at`, reported a minute later (the clock is set to then).
async fn knife_at(h: &Harness, deps: &categorise::Deps, reference: &str, at: time::OffsetDateTime) -> IncidentId {
    h.clock.set(at + Duration::minutes(1));
    let mut body: Value = serde_json::from_str(&adult_knife_report(reference)).unwrap();
    body["occurred_at"] = json!(at.format(&time::format_description::well_known::Rfc3339).unwrap());
    body.as_object_mut().unwrap().remove("reported_at");
    let id = report(h, body.to_string()).await;
    categorise_handed_on(h, deps).await;
    IncidentId::parse(&id).unwrap()
}

async fn away_contacts_are_stood_in_for(h: Harness, queues: ChannelQueues) {
    let deps = categoriser(&h, queues.clone());
    let last_day = time::macros::date!(2026 - 11 - 27);
    // Comms is away; so is their deputy; the deputy's deputy is alerted in their place.
    // Health is away with nobody to stand in: an alert gap for the role.
    for c in [
        person("con-comms", "comms", "+447700900006", Some("con-comms-deputy"), Some(last_day)),
        person("con-comms-deputy", "comms", "+447700900106", Some("con-comms-second"), Some(last_day)),
        person("con-comms-second", "comms", "+447700900206", None, None),
        person("con-health", "health", "+447700900008", None, Some(last_day)),
    ] {
        h.store.put_contact(&c).await.unwrap();
    }
    let id = knife_at(&h, &deps, "CAD 1/22NOV26", START).await;
    let (who, _) = sent(&queues).await;
    assert_eq!(who["sms"], set(&["con-comms-second", "con-cs-officer", "con-csl"]), "nobody away is alerted");
    let stand_in =
        h.store.notifications(&id).await.unwrap().into_iter().find(|n| n.contact_id.as_str() == "con-comms-second");
    let stand_in = stand_in.expect("the stand-in has a notification");
    assert_eq!(
        (stand_in.role.as_str(), stand_in.deputy_for.as_ref().map(|d| d.as_str())),
        ("comms", Some("con-comms"))
    );

    let timeline = h.store.timeline(&id).await.unwrap();
    let stood_in: Vec<&Event> = timeline.iter().map(|e| &e.event).filter(|e| e.kind().starts_with("away_")).collect();
    assert_eq!(
        stood_in,
        [
            &Event::AwayDeputyAlerted {
                contact_id: ContactId::parse("con-comms").unwrap(),
                role: Role::parse("comms").unwrap(),
                away_until: last_day,
                deputy_id: ContactId::parse("con-comms-second").unwrap(),
                also_away: vec![ContactId::parse("con-comms-deputy").unwrap()],
            },
            &Event::AwayNobodyAlerted {
                contact_id: ContactId::parse("con-health").unwrap(),
                role: Role::parse("health").unwrap(),
                away_until: last_day,
                also_away: vec![],
            },
        ]
    );

    // Back the day after their last day away (UK date): alerted themselves again.
    knife_at(&h, &deps, "CAD 2/28NOV26", time::macros::datetime!(2026-11-28 00:05 UTC)).await;
    let (who, _) = sent(&queues).await;
    assert_eq!(who["sms"], set(&["con-comms", "con-cs-officer", "con-csl", "con-health"]));
}

#[tokio::test]
async fn in_memory_an_away_contacts_deputy_is_alerted_in_their_place() {
    away_contacts_are_stood_in_for(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn on_moto_an_away_contacts_deputy_is_alerted_in_their_place() {
    needs_moto!();
    away_contacts_are_stood_in_for(moto_harness().await, moto_channel_queues().await).await;
}

async fn a_rota_alerts_whoever_is_on_duty(h: Harness, queues: ChannelQueues) {
    let deps = categoriser(&h, queues.clone());
    // Comms is a weekly rota from Monday 19 October 2026, 09:00 UK time (BST); the
    // clocks go back on Sunday 25 October, so the second turn starts at 09:00 GMT.
    for c in [
        person("con-comms-2", "comms", "+447700900106", None, None),
        person("con-comms-3", "comms", "+447700900206", None, None),
    ] {
        h.store.put_contact(&c).await.unwrap();
    }
    let members = ["con-comms", "con-comms-2", "con-comms-3"].map(|m| ContactId::parse(m).unwrap());
    h.store
        .put_group(&Group {
            id: GroupId::parse("grp-comms").unwrap(),
            licensee_id: sim::demo::lambeth(),
            name: "Communications duty officer".into(),
            members: members.to_vec(),
            rota: Some(Rota::weekly_from(time::macros::date!(2026 - 10 - 19))),
        })
        .await
        .unwrap();
    let comms_alerted =
        |who: &Sent| who["sms"].iter().filter(|c| c.starts_with("con-comms")).cloned().collect::<Vec<_>>();

    // Monday 26 October, 08:30 UTC is 08:30 GMT: still the first turn (a schedule kept in UTC would say the second).
    let first = knife_at(&h, &deps, "CAD 1/26OCT26", time::macros::datetime!(2026-10-26 08:30 UTC)).await;
    assert_eq!(comms_alerted(&sent(&queues).await.0), ["con-comms"]);
    let on_duty = h.store.timeline(&first).await.unwrap().into_iter().find(|e| e.event.kind() == "rota_on_duty");
    assert_eq!(
        on_duty.map(|e| e.event),
        Some(Event::RotaOnDuty { group_id: GroupId::parse("grp-comms").unwrap(), contact_id: members[0].clone() })
    );
    // 09:00 GMT: the second turn.
    knife_at(&h, &deps, "CAD 2/26OCT26", time::macros::datetime!(2026-10-26 09:00 UTC)).await;
    assert_eq!(comms_alerted(&sent(&queues).await.0), ["con-comms-2"]);
    // Before the clocks changed, 08:00 UTC on Monday 19 October was 09:00 BST: the first turn had begun.
    knife_at(&h, &deps, "CAD 3/19OCT26", time::macros::datetime!(2026-10-19 08:00 UTC)).await;
    assert_eq!(comms_alerted(&sent(&queues).await.0), ["con-comms"]);
    knife_at(&h, &deps, "CAD 4/19OCT26", time::macros::datetime!(2026-10-19 07:59 UTC)).await;
    assert_eq!(comms_alerted(&sent(&queues).await.0), ["con-comms-3"], "the turns repeat backwards too");

    // The person on duty is away: the next on the rota is alerted in their place.
    let mut away = h.store.get_contact(&sim::demo::lambeth(), &members[1]).await.unwrap().unwrap();
    away.away_until = Some(time::macros::date!(2026 - 10 - 30));
    h.store.put_contact(&away).await.unwrap();
    let stood_in = knife_at(&h, &deps, "CAD 5/27OCT26", time::macros::datetime!(2026-10-27 12:00 UTC)).await;
    assert_eq!(comms_alerted(&sent(&queues).await.0), ["con-comms-3"]);
    let timeline = h.store.timeline(&stood_in).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.event.kind()).collect();
    assert!(kinds.contains(&"away_deputy_alerted"), "{kinds:?}");
}

#[tokio::test]
async fn in_memory_a_rota_alerts_only_the_person_on_duty_across_the_clock_change() {
    a_rota_alerts_whoever_is_on_duty(memory_harness().await, memory_channel_queues()).await;
}

#[tokio::test]
async fn on_moto_a_rota_alerts_only_the_person_on_duty_across_the_clock_change() {
    needs_moto!();
    a_rota_alerts_whoever_is_on_duty(moto_harness().await, moto_channel_queues().await).await;
}
