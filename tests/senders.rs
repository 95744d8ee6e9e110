//! The senders end to end: intake → categorise → SQS → sender → moto's SNS
//! and SES and a loopback WhatsApp Cloud API. Every alert sent exactly once,
//! none lost: redelivery, throttling, a permanent refusal, a crash between
//! claim and send.

use categorise::ChannelQueues;
use serde_json::json;
use sim::adapters::recording_sender::RecordingSender;
use sim::adapters::ses::SesEmail;
use sim::adapters::sns::SnsSms;
use sim::adapters::whatsapp::CloudApiWhatsApp;
use sim::domain::notification::{NotificationKey, NotificationMessage, NotificationStatus};
use sim::domain::policy::{AlertPolicy, Channel};
use sim::ids::{ContactId, IncidentId};
use sim::links::LinkKey;
use sim::ports::{Outgoing, Queue, Sender};
use sim::sending::{send, send_batch, send_message, Fallback, Links, Pacer, SendFailure, SendOutcome, SenderDeps};
use sim_tests::recorder::{matching, HOLD_PATIENCE};
use sim_tests::whatsapp_server::CloudApi;
use sim_tests::*;
use std::sync::Arc;
use time::Duration;

struct Rig {
    h: Harness,
    queues: ChannelQueues,
    categorise: categorise::Deps,
    sms: SenderDeps,
    email: SenderDeps,
    whatsapp: SenderDeps,
    api: CloudApi,
    /// Unique to this test: filters moto's shared record of sent messages.
    base_url: String,
}

async fn rig_with_email_from(from: &str) -> Rig {
    let h = moto_harness().await;
    let queues = moto_channel_queues().await;
    let config = moto().await;
    let ses = aws_sdk_sesv2::Client::new(&config);
    let _ = ses.create_email_identity().email_identity("sim.example").send().await; // may exist already
    let api = CloudApi::start().await;
    let base_url = format!("https://{}.sim.example", unique("t"));
    let links = Links { key: LinkKey::generate(), base_url: base_url.clone(), lifetime: Duration::days(7) };
    let deps = |channel, sender: Arc<dyn Sender>, fallback: (Channel, &Arc<dyn Queue>)| SenderDeps {
        fallback: Some(Fallback { channel: fallback.0, queue: fallback.1.clone() }),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        pacer: Pacer::per_second(0.0),
        ..SenderDeps::new(channel, h.store.clone(), sender, links.clone())
    };
    let whatsapp_api = CloudApiWhatsApp::new(&api.base_url, "v21.0", "1234567890", "test-token".into()).unwrap();
    let sms = deps(
        Channel::Sms,
        Arc::new(SnsSms::from_config(&config, Some("SIMALERT".into()))),
        (Channel::Email, &queues.email),
    );
    let email =
        deps(Channel::Email, Arc::new(SesEmail::from_config(&config, from.into(), None)), (Channel::Sms, &queues.sms));
    let whatsapp = deps(Channel::WhatsApp, Arc::new(whatsapp_api), (Channel::Sms, &queues.sms));
    let categorise = categoriser(&h, queues.clone());
    Rig { h, queues, categorise, sms, email, whatsapp, api, base_url }
}

async fn rig() -> Rig {
    rig_with_email_from("alerts@sim.example").await
}

/// Delivers what is on a sender queue as the Lambda would: each batch of
/// up to ten handled as one, each message deleted only on success. Returns
/// each body and its outcome.
async fn deliver(queue: &Arc<dyn Queue>, deps: &SenderDeps) -> Vec<(String, Result<SendOutcome, SendFailure>)> {
    let mut results = Vec::new();
    loop {
        let batch = queue.receive(10).await.unwrap();
        if batch.is_empty() {
            return results;
        }
        let messages: Vec<NotificationMessage> = batch.iter().map(|m| serde_json::from_str(&m.body).unwrap()).collect();
        let outcomes = send_batch(deps, &messages).await.unwrap();
        for (m, outcome) in batch.into_iter().zip(outcomes) {
            if outcome.is_ok() {
                queue.delete(&m.receipt).await.unwrap();
            }
            results.push((m.body, outcome));
        }
    }
}

impl Rig {
    async fn report(&self, body: String) -> IncidentId {
        let answer = self.h.call(request("POST", "/v1/incidents", Some(&met_key()), Some(body))).await;
        assert_eq!(answer.status(), 202);
        categorise_handed_on(&self.h, &self.categorise).await;
        IncidentId::parse(json(&answer)["id"].as_str().unwrap()).unwrap()
    }

    async fn sms_sent(&self) -> Vec<(String, String)> {
        moto_sent().await.0.into_iter().filter(|(_, text)| text.contains(&self.base_url)).collect()
    }

    async fn emails_sent(&self) -> Vec<(String, String, String)> {
        moto_sent().await.1.into_iter().filter(|(_, _, html)| html.contains(&self.base_url)).collect()
    }
}

fn numbers(sms: &[(String, String)]) -> Vec<String> {
    let mut n: Vec<String> = sms.iter().map(|(to, _)| to.clone()).collect();
    n.sort();
    n
}

#[tokio::test]
async fn every_alert_reaches_its_provider_exactly_once_even_when_redelivered() {
    needs_moto!();
    let rig = rig().await;
    let id = rig.report(event_body("intake-report.json").to_string()).await;
    let mut handled = deliver(&rig.queues.sms, &rig.sms).await;
    handled.extend(deliver(&rig.queues.email, &rig.email).await);
    handled.extend(deliver(&rig.queues.whatsapp, &rig.whatsapp).await);
    assert_eq!(handled.len(), 13);
    assert!(handled.iter().all(|(_, r)| matches!(r, Ok(SendOutcome::Sent { .. }))), "{handled:?}");

    let sms = rig.sms_sent().await;
    assert_eq!(numbers(&sms), ["+447700900002", "+447700900004", "+447700900005", "+447700900006", "+447700900007"]);
    assert!(sms
        .iter()
        .all(|(_, text)| text.starts_with("SIM: CRITICAL stabbing in Lambeth (Brixton North) at 01:50 GMT")));
    let emails = rig.emails_sent().await;
    let mut to: Vec<&str> = emails.iter().map(|(to, _, _)| to.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "comms@lambeth.sim.example",
            "cs-officer@lambeth.sim.example",
            "csl@lambeth.sim.example",
            "gold@lambeth.sim.example",
            "police-liaison@lambeth.sim.example"
        ]
    );
    assert!(emails.iter().all(|(_, subject, _)| subject.starts_with("[SIM] CRITICAL stabbing in Lambeth")));

    // The exact Cloud API request.
    let requests = rig.api.received();
    assert_eq!(requests.len(), 3);
    let gold = requests.iter().find(|r| r.body["to"] == "447700900002").expect("gold's WhatsApp");
    assert_eq!((gold.method.as_str(), gold.path.as_str()), ("POST", "/v21.0/1234567890/messages"));
    assert_eq!(gold.authorization, "Bearer test-token");
    assert_eq!(gold.content_type, "application/json");
    let token = gold.body["template"]["components"][1]["parameters"][0]["text"].as_str().unwrap().to_owned();
    assert_eq!(
        gold.body,
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "447700900002",
            "type": "template",
            "template": {
                "name": "sim_incident_alert",
                "language": {"code": "en_GB"},
                "components": [
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "CRITICAL"},
                        {"type": "text", "text": "stabbing"},
                        {"type": "text", "text": "Lambeth (Brixton North)"},
                        {"type": "text", "text": "01:50 GMT Sat 21 Nov"}
                    ]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": token}]},
                    {"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [{"type": "payload", "payload": token}]}
                ]
            }
        })
    );
    let claims = rig.whatsapp.links.key.verify(&token, START).expect("the button carries a valid personal link");
    assert_eq!((claims.contact_id.as_str(), claims.channel), ("con-gold", Channel::WhatsApp));

    // SQS redelivers every message: nothing is sent again.
    for (body, _) in &handled {
        let deps = match serde_json::from_str::<NotificationMessage>(body).unwrap().channel {
            Channel::Sms => &rig.sms,
            Channel::Email => &rig.email,
            Channel::WhatsApp => &rig.whatsapp,
        };
        assert_eq!(send_message(deps, body).await.unwrap(), SendOutcome::AlreadyDone);
    }
    assert_eq!((rig.sms_sent().await.len(), rig.emails_sent().await.len(), rig.api.received().len()), (5, 5, 3));
    let notifications = rig.h.store.notifications(&id).await.unwrap();
    assert!(notifications.iter().all(|n| n.status == NotificationStatus::Sent && n.provider_message_id.is_some()));
}

#[tokio::test]
async fn a_throttled_message_is_retried_and_then_sent() {
    needs_moto!();
    let rig = rig().await;
    rig.report(event_body("intake-report.json").to_string()).await;
    rig.api.then_answer(429, json!({"error": {"message": "rate limit", "code": 130429}}));
    let first = deliver(&rig.queues.whatsapp, &rig.whatsapp).await;
    let throttled: Vec<&String> =
        first.iter().filter(|(_, r)| matches!(r, Err(SendFailure::Retry(_)))).map(|(b, _)| b).collect();
    assert_eq!(throttled.len(), 1, "one throttled, left on the queue for SQS to redeliver");
    let message: NotificationMessage = serde_json::from_str(throttled[0]).unwrap();
    let pending = rig.h.store.get_notification(&message.incident_id, &message.key()).await.unwrap().unwrap();
    assert_eq!(pending.status, NotificationStatus::Pending, "released, not lost");

    let retried = send_message(&rig.whatsapp, throttled[0]).await.unwrap();
    assert!(matches!(retried, SendOutcome::Sent { .. }));
    assert_eq!(rig.api.received().len(), 4, "three messages, one of them twice");
    let sent = rig.h.store.get_notification(&message.incident_id, &message.key()).await.unwrap().unwrap();
    assert_eq!((sent.status, sent.attempts), (NotificationStatus::Sent, 2));
}

#[tokio::test]
async fn a_permanent_whatsapp_refusal_sends_an_sms_instead_and_is_on_the_timeline() {
    needs_moto!();
    let rig = rig().await;
    // This licensee alerts SERIOUS_VIOLENCE on WhatsApp and email only.
    let mut lambeth = rig.h.store.get_licensee(&sim::demo::lambeth()).await.unwrap().unwrap();
    let mut policies = AlertPolicy::defaults();
    policies.iter_mut().for_each(|p| {
        if p.category == sim::domain::category::Category::SeriousViolence {
            p.channels = vec![Channel::WhatsApp, Channel::Email];
        }
    });
    lambeth.policies = Some(policies);
    rig.h.store.put_licensee(&lambeth).await.unwrap();
    rig.api.refuse_number("+447700900004"); // the community safety lead is not on WhatsApp

    let mut report = event_body("intake-report.json");
    report["victims"] = json!([{"age_band": "35-49", "injury": "serious"}]);
    report["flags"] = json!([]);
    let id = rig.report(report.to_string()).await;
    assert!(rig.sms_sent().await.is_empty(), "no SMS in this policy");

    let outcomes = deliver(&rig.queues.whatsapp, &rig.whatsapp).await;
    let failed: Vec<&SendOutcome> = outcomes
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .filter(|o| matches!(o, SendOutcome::Failed { .. }))
        .collect();
    assert_eq!(
        failed,
        [&SendOutcome::Failed { reason: "HTTP 400, WhatsApp error 131026".into(), fell_back_to: Some(Channel::Sms) }]
    );

    let fallback = deliver(&rig.queues.sms, &rig.sms).await;
    assert_eq!(fallback.len(), 1);
    let sms = rig.sms_sent().await;
    assert_eq!(numbers(&sms), ["+447700900004"], "an SMS instead");

    let timeline = rig.h.store.timeline(&id).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.event.kind()).collect();
    assert!(kinds.contains(&"notification_failed") && kinds.contains(&"fell_back"), "{kinds:?}");
    let whatsapp = rig
        .h
        .store
        .get_notification(
            &id,
            &NotificationKey::new(
                &ContactId::parse("con-csl").unwrap(),
                Channel::WhatsApp,
                sim::domain::notification::Step::FIRST,
            ),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(whatsapp.status, NotificationStatus::Failed);
    assert_eq!(whatsapp.failure.as_deref(), Some("HTTP 400, WhatsApp error 131026"));
}

#[tokio::test]
async fn a_redelivered_batch_in_which_some_claims_are_taken_sends_only_the_rest() {
    needs_moto!();
    let rig = rig().await;
    let id = rig.report(event_body("intake-report.json").to_string()).await;
    let batch = rig.queues.sms.receive(10).await.unwrap();
    assert_eq!(batch.len(), 5);
    for m in &batch {
        // Ids and render inputs only: no number, address or name in the queue.
        assert!(!m.body.contains("+44") && !m.body.contains('@') && !m.body.contains("Gold"), "{}", m.body);
    }
    let messages: Vec<NotificationMessage> = batch.iter().map(|m| serde_json::from_str(&m.body).unwrap()).collect();
    // An earlier delivery sent the first two and holds a live claim on the third.
    for m in &messages[..2] {
        assert!(matches!(
            send_batch(&rig.sms, std::slice::from_ref(m)).await.unwrap()[0],
            Ok(SendOutcome::Sent { .. })
        ));
    }
    let held = &messages[2];
    let claim = rig.h.store.claim_notification(&id, &held.key(), START, START + Duration::seconds(60)).await.unwrap();
    assert!(claim.is_some());

    // The whole batch comes again, with one message twice.
    let mut redelivered = messages.clone();
    redelivered.push(messages[3].clone());
    let outcomes = send_batch(&rig.sms, &redelivered).await.unwrap();
    assert!(matches!(outcomes[0], Ok(SendOutcome::AlreadyDone)) && matches!(outcomes[1], Ok(SendOutcome::AlreadyDone)));
    assert!(matches!(outcomes[2], Err(SendFailure::Busy)), "{:?}", outcomes[2]);
    assert!(matches!(outcomes[3], Ok(SendOutcome::Sent { .. })) && matches!(outcomes[4], Ok(SendOutcome::Sent { .. })));
    assert!(matches!(outcomes[5], Ok(SendOutcome::AlreadyDone)), "the copy is not sent twice");
    assert_eq!(rig.sms_sent().await.len(), 4, "the free claims went, the taken ones did not");

    // After the other delivery's lease lapses, its message goes, once.
    rig.h.clock.advance(Duration::seconds(61));
    let outcomes = send_batch(&rig.sms, &messages).await.unwrap();
    let sent: Vec<bool> = outcomes.iter().map(|o| matches!(o, Ok(SendOutcome::Sent { .. }))).collect();
    assert_eq!(sent, [false, false, true, false, false]);
    assert!(outcomes.iter().all(Result::is_ok));
    let sms = rig.sms_sent().await;
    assert_eq!(numbers(&sms), ["+447700900002", "+447700900004", "+447700900005", "+447700900006", "+447700900007"]);
    let notifications = rig.h.store.notifications(&id).await.unwrap();
    assert!(notifications
        .iter()
        .filter(|n| n.channel == Channel::Sms)
        .all(|n| n.status == NotificationStatus::Sent && n.attempts == 1 + u32::from(n.key() == held.key())));
}

#[tokio::test]
async fn a_crash_between_claim_and_send_is_recovered_after_the_lease() {
    needs_moto!();
    let rig = rig().await;
    let id = rig.report(event_body("intake-report.json").to_string()).await;
    let batch = rig.queues.sms.receive(1).await.unwrap();
    let body = &batch[0].body;
    let message: NotificationMessage = serde_json::from_str(body).unwrap();
    // A sender claimed it and died before calling SNS.
    let claimed =
        rig.h.store.claim_notification(&id, &message.key(), START, START + Duration::seconds(60)).await.unwrap();
    assert!(claimed.is_some());

    assert!(matches!(send_message(&rig.sms, body).await, Err(SendFailure::Busy)), "the claim still holds");
    assert!(rig.sms_sent().await.is_empty());
    rig.h.clock.advance(Duration::seconds(61));
    assert!(matches!(send_message(&rig.sms, body).await.unwrap(), SendOutcome::Sent { .. }));
    assert_eq!(rig.sms_sent().await.len(), 1, "sent once, after the lease lapsed");
}

#[tokio::test]
async fn an_email_the_provider_refuses_is_failed_with_its_code_and_nothing_else_is_lost() {
    needs_moto!();
    let rig = rig_with_email_from("alerts@unverified.example").await;
    let id = rig.report(event_body("intake-report.json").to_string()).await;
    let outcomes = deliver(&rig.queues.email, &rig.email).await;
    assert_eq!(outcomes.len(), 5);
    for (_, outcome) in &outcomes {
        // Everyone also has an SMS of this alert, so nothing more is queued.
        assert_eq!(
            outcome.as_ref().unwrap(),
            &SendOutcome::Failed { reason: "MessageRejected".into(), fell_back_to: None }
        );
    }
    let failed = rig
        .h
        .store
        .notifications(&id)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.status == NotificationStatus::Failed)
        .count();
    assert_eq!(failed, 5);
    let timeline = rig.h.store.timeline(&id).await.unwrap();
    let text = format!("{timeline:?}");
    assert!(!text.contains("lambeth.sim.example"), "no address on the timeline");
    assert_eq!(deliver(&rig.queues.sms, &rig.sms).await.len(), 5, "the SMS still go");
}

#[tokio::test]
async fn messages_on_the_wrong_queue_or_for_unknown_notifications_are_poison() {
    needs_moto!();
    let rig = rig().await;
    rig.report(event_body("intake-report.json").to_string()).await;
    let sms_body = rig.queues.sms.receive(1).await.unwrap()[0].body.clone();
    assert!(matches!(send_message(&rig.email, &sms_body).await, Err(SendFailure::Poison(_))));
    let unknown = json!({"incident_id": "inc-nope", "contact_id": "con-gold", "channel": "sms", "step": 0}).to_string();
    assert!(matches!(send_message(&rig.sms, &unknown).await, Err(SendFailure::Poison(_))));
    assert!(matches!(send_message(&rig.sms, "{").await, Err(SendFailure::Poison(_))));
}

#[tokio::test]
async fn the_sender_lambdas_handle_their_sample_events_once() {
    needs_moto!();
    let rig = rig().await;
    rig.report(event_body("intake-report.json").to_string()).await;
    for (fixture, deps) in [
        ("send-sms-sqs.json", &rig.sms),
        ("send-email-sqs.json", &rig.email),
        ("send-whatsapp-sqs.json", &rig.whatsapp),
    ] {
        let text = std::fs::read_to_string(format!("{}/../events/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for _ in 0..2 {
            let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_str(&text).unwrap();
            let response = sim::sqs_batch::process_batch(event, |messages: Vec<NotificationMessage>| async move {
                send_batch(deps, &messages).await
            })
            .await;
            assert!(response.batch_item_failures.is_empty(), "{fixture}");
        }
    }
    assert_eq!(numbers(&rig.sms_sent().await), ["+447700900002"]);
    assert_eq!(rig.emails_sent().await.len(), 1);
    assert_eq!(rig.api.received().len(), 1);
}

/// A report categorised on in-memory adapters: the harness and the first
/// SMS message it queued (a required person's), as a sender receives it.
async fn memory_fan_out() -> (Harness, NotificationMessage) {
    fan_out(memory_harness().await).await
}

/// The same on any seeded harness.
async fn fan_out(h: Harness) -> (Harness, NotificationMessage) {
    let queues = memory_channel_queues();
    let answer = h
        .call(request("POST", "/v1/incidents", Some(&met_key()), Some(event_body("intake-report.json").to_string())))
        .await;
    assert_eq!(answer.status(), 202);
    categorise_handed_on(&h, &categoriser(&h, queues.clone())).await;
    let first = drain(&*queues.sms).await.into_iter().next().expect("an SMS queued");
    (h, serde_json::from_value(first).expect("a notification message"))
}

/// A cold sender for SMS on `store`, recording what it hands over.
fn memory_sender(h: &Harness, store: Arc<dyn sim::ports::SendingStore>) -> (SenderDeps, Arc<RecordingSender>) {
    let sent = Arc::new(RecordingSender::default());
    let links = Links { key: LinkKey::generate(), base_url: "https://sim.example".into(), lifetime: Duration::days(7) };
    let deps = SenderDeps {
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        pacer: Pacer::per_second(0.0),
        ..SenderDeps::new(Channel::Sms, store, sent.clone(), links)
    };
    (deps, sent)
}

/// The mobile number the message's contact has in the directory.
async fn mobile_of(h: &Harness, message: &NotificationMessage) -> String {
    let incident = h.store.get_incident(&message.incident_id).await.unwrap().unwrap();
    let contact = h.store.get_contact(&incident.licensee_id, &message.contact_id).await.unwrap().unwrap();
    contact.mobile.expect("a mobile").to_string()
}

fn sms_numbers(sent: &RecordingSender) -> Vec<String> {
    sent.sent()
        .into_iter()
        .map(|o| match o {
            Outgoing::Sms { to, .. } => to.to_string(),
            _ => panic!("only SMS on the SMS sender"),
        })
        .collect()
}

#[tokio::test]
async fn a_cold_sender_reads_the_incident_and_the_contacts_at_once() {
    needs_moto!();
    let (config, recorder) = sim_tests::recorder::recorded_moto().await;
    let store = sim::adapters::dynamodb::DynamoStore::from_config(&config, unique("sim-senders"));
    store.create_table_if_missing().await.expect("table created in moto");
    let h = Harness::new(Arc::new(store), Arc::new(sim::adapters::memory_queue::MemoryQueue::new("categorise")))
        .seeded()
        .await;
    let (h, message) = fan_out(h).await;
    let incident = h.store.get_incident(&message.incident_id).await.unwrap().unwrap();
    assert_eq!(message.licensee_id.as_ref(), Some(&incident.licensee_id), "the message names the licensee");
    // The incident's read (a BatchGetItem of the incident and its
    // categorisation) and the contacts' (a Query of `CONTACT#…`) are each
    // held until both are sent: read one after the other, the send would never finish.
    recorder.side_by_side(matching("BatchGetItem", "CATEGORISATION"), matching("Query", "CONTACT#"));
    let (deps, sent) = memory_sender(&h, h.store.clone());
    let outcome = tokio::time::timeout(HOLD_PATIENCE, send(&deps, &message))
        .await
        .expect("no answer yet, a held read waiting: the incident and the contacts were not read side by side");
    assert!(matches!(outcome, Ok(SendOutcome::Sent { .. })), "{outcome:?}");
    recorder.stop_holding();
    assert_eq!(sms_numbers(&sent), [mobile_of(&h, &message).await]);
}

#[tokio::test]
async fn a_message_queued_before_it_named_the_licensee_still_sends() {
    // As queued before the licensee was named (render inputs only), before
    // render inputs too (ids only), and naming another licensee: each renders
    // from the incident's own directory and is sent once.
    type Edit = fn(&mut serde_json::Map<String, serde_json::Value>);
    let forms: [(&str, Edit); 3] = [
        ("render inputs only", |m| {
            m.remove("licensee_id");
        }),
        ("ids only", |m| {
            m.remove("licensee_id");
            m.remove("render");
        }),
        ("another licensee", |m| {
            m.insert("licensee_id".into(), json!(sim::demo::kent().to_string()));
        }),
    ];
    for (what, edit) in forms {
        let (h, queued) = memory_fan_out().await;
        let mut body = serde_json::to_value(&queued).unwrap();
        edit(body.as_object_mut().unwrap());
        let (deps, sent) = memory_sender(&h, h.store.clone());
        let outcome = send_message(&deps, &body.to_string()).await;
        assert!(matches!(outcome, Ok(SendOutcome::Sent { .. })), "{what}: {outcome:?}");
        assert_eq!(sms_numbers(&sent), [mobile_of(&h, &queued).await], "{what}");
        let again = send_message(&deps, &body.to_string()).await;
        assert!(matches!(again, Ok(SendOutcome::AlreadyDone)), "{what}: redelivered, {again:?}");
        assert_eq!(sent.sent().len(), 1, "{what}: once");
    }
}
