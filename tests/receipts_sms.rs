//! SMS through AWS End User Messaging and its receipts: the sender against a
//! loopback server that checks the exact `SendTextMessage` request (moto does
//! not implement the API), then the sample receipts in `events/`, with the
//! message id the service returned, replayed through the `receipts` function.
//! Then two-way SMS on moto's DynamoDB: a reply of the code printed in a
//! person's alert acknowledges for them; another person's code, or an
//! expired one, is answered and acknowledges nothing.

use receipts::Outcome;
use serde_json::json;
use sim::adapters::eum_sms::EumSms;
use sim::adapters::recording_sender::RecordingSender;
use sim::domain::delivery::DeliveryState;
use sim::domain::notification::AckVia;
use sim::domain::policy::Channel;
use sim::links::LinkKey;
use sim::sending::{send_message, Fallback, Links, Pacer, SendFailure, SendOutcome, SenderDeps};
use sim_tests::eum_server::EumApi;
use sim_tests::*;
use std::sync::Arc;
use time::Duration;

const SAMPLE_ID: &str = "6a1e7c1b-2f4d-4b8e-9a3c-0d5e8f7a1b2c";

struct Rig {
    h: Harness,
    /// Answers to SMS replies, as the SMS sender port was given them.
    answers: Arc<RecordingSender>,
    queues: sim::ports::ChannelQueues,
    sms: SenderDeps,
    api: EumApi,
    key: LinkKey,
}

async fn rig() -> Rig {
    rig_on(memory_harness().await).await
}

async fn rig_on(h: Harness) -> Rig {
    let queues = memory_channel_queues();
    let categorise = categoriser(&h, queues.clone());
    let answer = h
        .call(request("POST", "/v1/incidents", Some(&met_key()), Some(event_body("intake-report.json").to_string())))
        .await;
    assert_eq!(answer.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let api = EumApi::start().await;
    let key = LinkKey::generate();
    let links = Links { key: key.clone(), base_url: "https://sim.example".into(), lifetime: Duration::days(7) };
    let sender = EumSms::new(api.client().await, "sim-test-receipts".into(), Some("SIMALERT".into()));
    let sms = SenderDeps {
        fallback: Some(Fallback { channel: Channel::Email, queue: queues.email.clone() }),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        pacer: Pacer::per_second(0.0),
        ..SenderDeps::new(Channel::Sms, h.store.clone(), Arc::new(sender), links)
    };
    drain(&*queues.email).await;
    Rig { h, answers: Arc::new(RecordingSender::default()), queues, sms, api, key }
}

impl Rig {
    /// The first SMS alert on the queue: its body and what sending it did.
    async fn send_one(&self) -> (serde_json::Value, Result<SendOutcome, SendFailure>) {
        let m = self.queues.sms.receive(1).await.unwrap().pop().expect("an SMS alert is queued");
        let outcome = send_message(&self.sms, &m.body).await;
        (serde_json::from_str(&m.body).unwrap(), outcome)
    }

    fn receipts(&self) -> receipts::Deps {
        receipts::Deps {
            store: self.h.store.clone(),
            queues: self.queues.clone(),
            clock: self.h.clock.clone(),
            ids: self.h.ids.clone(),
            link_key: self.key.clone(),
            link_lifetime: Duration::days(7),
            sms_replies: Some(self.answers.clone()),
        }
    }
}

fn sample(file: &str, message_id: &str) -> String {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    event.records[0].body.clone().unwrap().replace(SAMPLE_ID, message_id)
}

#[tokio::test]
async fn sms_goes_through_send_text_message_with_the_configuration_set_and_the_notifications_context() {
    let rig = rig().await;
    let (message, outcome) = rig.send_one().await;
    assert_eq!(outcome.unwrap(), SendOutcome::Sent { provider_message_id: "eum-message-1".into() });
    let received = rig.api.received();
    assert_eq!(received.len(), 1, "one request per message: the send path does not grow");
    let r = &received[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert_eq!(r.target, "PinpointSMSVoiceV2.SendTextMessage");
    assert_eq!(r.content_type, "application/x-amz-json-1.0");
    assert!(r.signed, "SigV4-signed");
    let text = r.body["MessageBody"].as_str().unwrap().to_owned();
    assert!(text.contains("https://sim.example/a/"), "{text}");
    let contact = message["contact_id"].as_str().unwrap();
    let contact = rig.h.store.get_contact(&sim::demo::lambeth(), &sim::ids::ContactId::parse(contact).unwrap()).await;
    let mobile = contact.unwrap().unwrap().mobile.unwrap();
    let notification = format!(
        "{}/{}#sms#{}",
        message["incident_id"].as_str().unwrap(),
        message["contact_id"].as_str().unwrap(),
        message["step"]
    );
    assert_eq!(
        r.body,
        json!({
            "DestinationPhoneNumber": mobile.as_str(),
            "OriginationIdentity": "SIMALERT",
            "MessageBody": text,
            "MessageType": "TRANSACTIONAL",
            "ConfigurationSetName": "sim-test-receipts",
            "Context": {"notification": notification},
        })
    );

    // Its receipts, with the id the service gave, move it forward.
    let deps = rig.receipts();
    let accepted = receipts::handle(&deps, &sample("receipts-sms-successful.json", "eum-message-1")).await.unwrap();
    assert_eq!(accepted, [Outcome::Advanced { fell_back_to: None }]);
    let delivered = receipts::handle(&deps, &sample("receipts-sms-delivered.json", "eum-message-1")).await.unwrap();
    assert_eq!(delivered, [Outcome::Advanced { fell_back_to: None }]);
    let id = sim::ids::IncidentId::parse(message["incident_id"].as_str().unwrap()).unwrap();
    let states: Vec<DeliveryState> = rig.h.store.deliveries(&id).await.unwrap().iter().map(|d| d.state).collect();
    assert_eq!(states, [DeliveryState::Delivered]);
}

#[tokio::test]
async fn a_receipt_for_a_message_sim_never_sent_is_retried_while_the_index_may_lag_then_dropped() {
    let rig = rig().await;
    let deps = rig.receipts();
    let stranger = sample("receipts-sms-delivered.json", "someone-elses");
    // The event is 8 minutes old (02:01:44 at 02:10): the sender's SENT write or the index may be behind.
    assert!(matches!(receipts::handle(&deps, &stranger).await, Err(receipts::ReceiptError::NotYet)));
    // Past ten minutes it is for something SIM never sent: dropped, not retried into the dead-letter queue.
    rig.h.clock.advance(Duration::minutes(2));
    assert_eq!(receipts::handle(&deps, &stranger).await.unwrap(), [Outcome::Unknown]);
    let failure = sample("receipts-sms-carrier-unreachable.json", "someone-elses");
    assert_eq!(receipts::handle(&deps, &failure).await.unwrap(), [Outcome::Unknown]);
    assert!(drain(&*rig.queues.email).await.is_empty(), "nothing fell back");
    // A message SIM did send is still matched however late its receipt comes.
    let (_, sent) = rig.send_one().await;
    assert_eq!(sent.unwrap(), SendOutcome::Sent { provider_message_id: "eum-message-1".into() });
    rig.h.clock.advance(Duration::days(2));
    let late = sample("receipts-sms-delivered.json", "eum-message-1");
    assert_eq!(receipts::handle(&deps, &late).await.unwrap(), [Outcome::Advanced { fell_back_to: None }]);
}

#[tokio::test]
async fn a_refused_number_is_recorded_as_a_refusal_and_throttling_is_retried() {
    let rig = rig().await;
    // The SDK's own retries (three attempts) see throttling each time.
    for _ in 0..3 {
        rig.api.then_answer(400, json!({"__type": "ThrottlingException", "Message": "Rate exceeded"}));
    }
    let (_, throttled) = rig.send_one().await;
    assert!(matches!(throttled, Err(SendFailure::Retry(_))), "{throttled:?}");
    rig.api.then_answer(
        400,
        json!({"__type": "ValidationException", "Message": "Invalid destination", "Reason": "INVALID_PARAMETER"}),
    );
    let (_, refused) = rig.send_one().await;
    // The demo alerts everyone by email too, so there is nothing to fall back to.
    assert_eq!(refused.unwrap(), SendOutcome::Failed { reason: "ValidationException".into(), fell_back_to: None });
    assert!(drain(&*rig.queues.email).await.is_empty());
}

/// An SMS alert as sent: to whom, the provider's message id, its text.
struct SentSms {
    contact: String,
    mobile: String,
    message_id: String,
    text: String,
}

impl Rig {
    /// Sends every SMS alert queued; returns what went out, in order.
    async fn send_all(&self) -> Vec<SentSms> {
        let mut sent = Vec::new();
        while let Some(m) = self.queues.sms.receive(1).await.unwrap().pop() {
            let message: serde_json::Value = serde_json::from_str(&m.body).unwrap();
            let outcome = send_message(&self.sms, &m.body).await.unwrap();
            let SendOutcome::Sent { provider_message_id } = outcome else { panic!("{outcome:?}") };
            let request = self.api.received().pop().unwrap();
            sent.push(SentSms {
                contact: message["contact_id"].as_str().unwrap().to_owned(),
                mobile: request.body["DestinationPhoneNumber"].as_str().unwrap().to_owned(),
                message_id: provider_message_id,
                text: request.body["MessageBody"].as_str().unwrap().to_owned(),
            });
            self.queues.sms.delete(&m.receipt).await.unwrap();
        }
        sent
    }

    /// The sample inbound SMS, as from `from` replying `text` to the alert `to`.
    async fn reply(&self, from: &SentSms, to: &SentSms, text: &str) -> Vec<Outcome> {
        let body = sample("receipts-sms-inbound.json", &to.message_id)
            .replace("+447700900002", &from.mobile)
            .replace("k7p 2qx", text);
        receipts::handle(&self.receipts(), &body).await.unwrap()
    }

    /// The answers sent so far: (number, text).
    fn answered(&self) -> Vec<(String, String)> {
        self.answers
            .sent()
            .into_iter()
            .map(|o| match o {
                sim::ports::Outgoing::Sms { to, text } => (to.as_str().to_owned(), text),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    async fn acknowledged(&self) -> Vec<(String, String, Channel, AckVia)> {
        let incident = sim::ids::IncidentId::parse("inc-000001").unwrap();
        let acks = self.h.store.acknowledgements(&incident).await.unwrap();
        acks.into_iter().map(|a| (a.contact_id.to_string(), a.role.to_string(), a.channel, a.via)).collect()
    }
}

/// The reply code an SMS alert prints.
fn code_in(text: &str) -> String {
    let at = text.find(": reply ").unwrap_or_else(|| panic!("no reply code in {text}")) + ": reply ".len();
    text[at..at + sim::links::REPLY_CODE_LENGTH].to_owned()
}

#[tokio::test]
async fn a_reply_of_the_persons_code_acknowledges_for_them_and_their_role() {
    needs_moto!();
    let rig = rig_on(moto_harness().await).await;
    let sent = rig.send_all().await;
    let gold = sent.iter().find(|s| s.contact == "con-gold").expect("gold is alerted by SMS");
    let code = code_in(&gold.text);
    assert!(gold.text.contains(&format!("reply {code} or open https://sim.example/a/")), "{}", gold.text);

    // Typed in lower case with a space, as people do.
    let typed = format!(" {} {} ", code[..3].to_lowercase(), &code[3..]);
    assert_eq!(rig.reply(gold, gold, &typed).await, [Outcome::Acknowledged(true)]);
    assert_eq!(rig.acknowledged().await, [("con-gold".to_owned(), "gold".to_owned(), Channel::Sms, AckVia::SmsReply)]);
    assert_eq!(rig.answered(), [(gold.mobile.clone(), receipts::sms_reply::ACKNOWLEDGED.to_owned())]);
    // The same reply again (redelivered, or sent twice) records nothing new.
    assert_eq!(rig.reply(gold, gold, &code).await, [Outcome::Acknowledged(false)]);
    assert_eq!(rig.acknowledged().await.len(), 1);
}

#[tokio::test]
async fn another_persons_code_acknowledges_nothing_and_is_answered_without_repeating_it() {
    needs_moto!();
    let rig = rig_on(moto_harness().await).await;
    let sent = rig.send_all().await;
    let gold = sent.iter().find(|s| s.contact == "con-gold").unwrap();
    let other = sent.iter().find(|s| s.contact != "con-gold").unwrap();
    let gold_code = code_in(&gold.text);
    assert_ne!(gold_code, code_in(&other.text), "codes are per person");

    // Someone else replies with gold's code to their own alert.
    assert_eq!(rig.reply(other, other, &gold_code).await, [Outcome::Refused]);
    // Nor does the code work from another number, whichever alert it names.
    assert_eq!(rig.reply(other, gold, &gold_code).await, [Outcome::Refused]);
    // Nor does a code that is nobody's.
    assert_eq!(rig.reply(gold, gold, "HELLO").await, [Outcome::Refused]);
    assert!(rig.acknowledged().await.is_empty(), "nobody acknowledged");
    let answered = rig.answered();
    let expected = |to: &SentSms| (to.mobile.clone(), receipts::sms_reply::NOT_RECOGNISED.to_owned());
    assert_eq!(answered, [expected(other), expected(other), expected(gold)]);
    assert!(answered.iter().all(|(_, text)| !text.contains(&gold_code) && !text.contains("+44")));

    // A number SIM never texted is not answered (SIM is not made to text strangers).
    let stranger = SentSms {
        contact: "nobody".into(),
        mobile: "+447700900999".into(),
        message_id: "not-one-of-sims".into(),
        text: String::new(),
    };
    assert_eq!(rig.reply(&stranger, &stranger, &gold_code).await, [Outcome::Refused]);
    assert_eq!(rig.answered().len(), 3, "no answer to a stranger");
    assert!(rig.acknowledged().await.is_empty());
}

#[tokio::test]
async fn a_code_after_its_link_expired_is_answered_and_acknowledges_nothing() {
    needs_moto!();
    let rig = rig_on(moto_harness().await).await;
    let sent = rig.send_all().await;
    let gold = sent.iter().find(|s| s.contact == "con-gold").unwrap();
    rig.h.clock.advance(Duration::days(7) + Duration::minutes(1));
    assert_eq!(rig.reply(gold, gold, &code_in(&gold.text)).await, [Outcome::Stale]);
    assert!(rig.acknowledged().await.is_empty());
    assert_eq!(rig.answered(), [(gold.mobile.clone(), receipts::sms_reply::EXPIRED.to_owned())]);
}

#[tokio::test]
async fn a_reply_to_a_test_message_acknowledges_nothing_and_is_answered() {
    use sim::ports::store::{TestMessageRecord, TestOutcome};
    let rig = rig().await;
    let test = TestMessageRecord {
        licensee_id: sim::demo::lambeth(),
        contact_id: sim::ids::ContactId::parse("con-gold").unwrap(),
        channel: Channel::Sms,
        at: START,
        by: "stf-lambeth-ada-admin".into(),
        outcome: TestOutcome::Sent { provider_message_id: "test-sms-1".into() },
        delivery: None,
    };
    rig.h.store.record_test_message(&test).await.unwrap();
    let gold = SentSms {
        contact: "con-gold".into(),
        mobile: "+447700900002".into(),
        message_id: "test-sms-1".into(),
        text: String::new(),
    };
    // SIM did text this number (a test), so it is answered; there is nothing to acknowledge.
    assert_eq!(rig.reply(&gold, &gold, "OK").await, [Outcome::Refused]);
    assert!(rig.acknowledged().await.is_empty());
    assert_eq!(rig.answered(), [(gold.mobile.clone(), receipts::sms_reply::NOT_RECOGNISED.to_owned())]);
}
