//! SMS through AWS End User Messaging and its receipts: the sender against a
//! loopback server that checks the exact `SendTextMessage` request (moto does
//! not implement the API), then the sample receipts in `events/`, with the
//! message id the service returned, replayed through the `receipts` function.

use receipts::Outcome;
use serde_json::json;
use sim::adapters::eum_sms::EumSms;
use sim::domain::delivery::DeliveryState;
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
    queues: sim::ports::ChannelQueues,
    sms: SenderDeps,
    api: EumApi,
    key: LinkKey,
}

async fn rig() -> Rig {
    let h = memory_harness().await;
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
    Rig { h, queues, sms, api, key }
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
    // A receipt for a message SIM never sent is retried, then dead-lettered.
    assert!(matches!(
        receipts::handle(&deps, &sample("receipts-sms-delivered.json", "someone-elses")).await,
        Err(receipts::ReceiptError::NotYet)
    ));
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
