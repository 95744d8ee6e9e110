//! Delivery receipts end to end on moto's DynamoDB and SQS: the sample
//! receipts in `events/` (SES via SNS → SQS, End User Messaging SMS events,
//! WhatsApp webhook posts) replayed through the `receipts` function move
//! each notification's delivery status forward and never back; duplicates
//! and out-of-order receipts are harmless; a bounce or an unreachable number
//! queues the alert on the next channel once; a forged webhook post is
//! refused with nothing queued; a quick reply acknowledges for its person.

use receipts::whatsapp::{sign, WebhookDeps};
use receipts::{handle, Deps, Outcome};
use serde_json::Value;
use sim::domain::delivery::DeliveryState;
use sim::domain::notification::{Notification, NotificationKey, NotificationStatus};
use sim::domain::policy::Channel;
use sim::ids::IncidentId;
use sim::links::LinkKey;
use sim::ports::{ChannelQueues, Queue};
use sim_tests::*;
use std::sync::Arc;

const SES_ID: &str = "0102019355aa11bb-7c3e2f10-5d4a-4e8b-9f61-2a7c0b9e4d13-000000";
const SMS_ID: &str = "6a1e7c1b-2f4d-4b8e-9a3c-0d5e8f7a1b2c";
const WAMID: &str = "wamid.HBgMNDQ3NzAwOTAwMDAyFQIAERgSQjM0QkE4MEI3RkY3MzA0RjU2AA==";
const APP_SECRET: &[u8] = b"test-app-secret";

struct Rig {
    h: Harness,
    queues: ChannelQueues,
    deps: Deps,
    webhook: WebhookDeps,
    receipts_queue: Arc<dyn Queue>,
    id: IncidentId,
    key: LinkKey,
}

async fn rig() -> Rig {
    let h = moto_harness().await;
    let queues = moto_channel_queues().await;
    let categorise = categoriser(&h, queues.clone());
    let answer = h
        .call(request("POST", "/v1/incidents", Some(&met_key()), Some(event_body("intake-report.json").to_string())))
        .await;
    assert_eq!(answer.status(), 202);
    categorise_handed_on(&h, &categorise).await;
    let id = IncidentId::parse(json(&answer)["id"].as_str().unwrap()).unwrap();
    // The first alerts are on the sender queues; what a receipt queues comes after.
    for q in [&queues.sms, &queues.email, &queues.whatsapp] {
        drain(&**q).await;
    }
    let key = LinkKey::generate();
    let receipts_queue: Arc<dyn Queue> = Arc::new(moto_queue().await);
    let deps = Deps {
        store: h.store.clone(),
        queues: queues.clone(),
        clock: h.clock.clone(),
        ids: h.ids.clone(),
        link_key: key.clone(),
        link_lifetime: time::Duration::days(7),
        sms_replies: None,
    };
    let webhook = WebhookDeps {
        verify_token: "test-verify-token".into(),
        app_secret: APP_SECRET.to_vec(),
        queue: receipts_queue.clone(),
    };
    Rig { h, queues, deps, webhook, receipts_queue, id, key }
}

impl Rig {
    /// A notification to con-gold (mobile, WhatsApp and email) on `channel`
    /// alone, at an escalation step no other channel has, sent with
    /// `provider_id` as a sender records it.
    async fn sent(&self, channel: Channel, provider_id: &str) -> Notification {
        let all = self.h.store.notifications(&self.id).await.unwrap();
        let gold = all.iter().find(|n| n.contact_id.as_str() == "con-gold").expect("the demo alerts gold");
        let n = Notification::pending(self.id.clone(), &gold.recipient(), channel, 7.into(), 1, true, START);
        self.h.store.put_notifications(std::slice::from_ref(&n)).await.unwrap();
        let claimed = self
            .h
            .store
            .claim_notification(&self.id, &n.key(), START, START + time::Duration::minutes(1))
            .await
            .unwrap()
            .unwrap();
        let sent = Notification {
            status: NotificationStatus::Sent,
            provider_message_id: Some(provider_id.into()),
            sent_at: Some(START),
            lease_until: None,
            ..claimed
        };
        self.h.store.finish_notification(&sent, &[]).await.unwrap();
        sent
    }

    /// Replays a sample SQS event of receipts through the function.
    async fn replay(&self, file: &str) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        for record in sqs_bodies(file) {
            // The index on the provider's id is eventually consistent: retry as SQS would.
            outcomes.extend(until_matched(&self.deps, &record).await);
        }
        outcomes
    }

    async fn state(&self, key: &NotificationKey) -> Option<DeliveryState> {
        self.h.store.delivery(&self.id, key).await.unwrap().map(|d| d.state)
    }

    /// What the WhatsApp webhook answers to a sample HTTP event.
    async fn webhook(&self, request: lambda_http::Request) -> http::Response<String> {
        let (parts, body) = request.into_parts();
        receipts::whatsapp::handle(&self.webhook, http::Request::from_parts(parts, body.to_vec())).await
    }

    /// Runs what the webhook queued through the receipts function.
    async fn deliver_queued(&self) -> Vec<Outcome> {
        let mut outcomes = Vec::new();
        for body in drain(&*self.receipts_queue).await {
            outcomes.extend(until_matched(&self.deps, &body.to_string()).await);
        }
        outcomes
    }

    async fn timeline_kinds(&self) -> Vec<String> {
        self.h.store.timeline(&self.id).await.unwrap().iter().map(|e| e.event.kind().to_owned()).collect()
    }
}

async fn until_matched(deps: &Deps, body: &str) -> Vec<Outcome> {
    for _ in 0..20 {
        match handle(deps, body).await {
            Ok(outcomes) => return outcomes,
            Err(receipts::ReceiptError::NotYet) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Err(e) => panic!("the receipt failed: {e}"),
        }
    }
    panic!("no notification matched the receipt");
}

fn sqs_bodies(file: &str) -> Vec<String> {
    let path = format!("{}/../events/{file}", env!("CARGO_MANIFEST_DIR"));
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{path}: {e}"));
    event.records.into_iter().map(|r| r.body.unwrap()).collect()
}

/// A sample webhook post with `payload` in place of the placeholder token, signed again.
fn quick_reply(token: &str) -> lambda_http::Request {
    let (mut parts, body) = event("whatsapp-webhook-quick-reply.json").into_parts();
    let body = String::from_utf8(body.to_vec()).unwrap().replace("SIGNED-TOKEN", token);
    parts.headers.insert("x-hub-signature-256", sign(APP_SECRET, body.as_bytes()).parse().unwrap());
    lambda_http::Request::from_parts(parts, lambda_http::Body::from(body))
}

#[tokio::test]
async fn ses_receipts_move_the_status_forward_and_never_back() {
    needs_moto!();
    let rig = rig().await;
    let n = rig.sent(Channel::Email, SES_ID).await;
    assert_eq!(rig.replay("receipts-ses-delivery-delay.json").await, [Outcome::Advanced { fell_back_to: None }]);
    assert_eq!(rig.state(&n.key()).await, Some(DeliveryState::FailedTemporary));
    assert_eq!(rig.replay("receipts-ses-delivery.json").await, [Outcome::Advanced { fell_back_to: None }]);
    assert_eq!(rig.state(&n.key()).await, Some(DeliveryState::Delivered));
    // A duplicate delivery, a late delay and a complaint change nothing.
    assert_eq!(rig.replay("receipts-ses-delivery.json").await, [Outcome::Unchanged]);
    assert_eq!(rig.replay("receipts-ses-delivery-delay.json").await, [Outcome::Unchanged]);
    assert_eq!(rig.replay("receipts-ses-complaint.json").await, [Outcome::Unchanged]);
    assert_eq!(rig.state(&n.key()).await, Some(DeliveryState::Delivered));
    assert!(drain(&*rig.queues.sms).await.is_empty(), "nothing fell back");
    let summary = rig.h.store.deliveries(&rig.id).await.unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary[0].at, time::macros::datetime!(2026-11-21 02:10:07 UTC), "the provider's time is kept");
}

#[tokio::test]
async fn a_bounce_reported_late_sends_the_alert_by_sms_once() {
    needs_moto!();
    let rig = rig().await;
    let n = rig.sent(Channel::Email, SES_ID).await;
    assert_eq!(rig.replay("receipts-ses-bounce.json").await, [Outcome::Advanced { fell_back_to: Some(Channel::Sms) }]);
    assert_eq!(rig.replay("receipts-ses-bounce.json").await, [Outcome::Unchanged], "a duplicate bounce");
    assert_eq!(rig.replay("receipts-ses-reject.json").await, [Outcome::Unchanged], "already failed for good");
    assert_eq!(rig.replay("receipts-ses-delivery.json").await, [Outcome::Unchanged], "failure is final");
    let queued = drain(&*rig.queues.sms).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["contact_id"], Value::from(n.contact_id.to_string()));
    let sms = rig
        .h
        .store
        .get_notification(&rig.id, &NotificationKey::new(&n.contact_id, Channel::Sms, 7.into()))
        .await
        .unwrap();
    assert_eq!(sms.map(|s| s.status), Some(NotificationStatus::Pending));
    let kinds = rig.timeline_kinds().await;
    assert_eq!(kinds.iter().filter(|k| *k == "notification_failed").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "fell_back").count(), 1, "{kinds:?}");
    assert_eq!(rig.state(&n.key()).await, Some(DeliveryState::FailedPermanent));
    assert_eq!(sim::domain::delivery::failures(&rig.h.store.deliveries(&rig.id).await.unwrap()), 1);
    // The police status shows it by role and channel, never who.
    let status = rig.h.call(request("GET", &format!("/v1/incidents/{}", rig.id), Some(&met_key()), None)).await;
    let status = json(&status);
    assert_eq!(status["delivery_failures"], 1);
    assert_eq!(
        status["delivery"],
        serde_json::json!([{"role": "gold", "channel": "email", "state": "failed-permanent"}])
    );
    assert!(!status.to_string().contains("con-gold"), "{status}");
}

#[tokio::test]
async fn sms_receipts_deliver_and_an_unreachable_number_falls_back_to_email() {
    needs_moto!();
    let rig = rig().await;
    let n = rig.sent(Channel::Sms, SMS_ID).await;
    assert_eq!(rig.replay("receipts-sms-successful.json").await, [Outcome::Advanced { fell_back_to: None }]);
    assert_eq!(rig.state(&n.key()).await, Some(DeliveryState::Accepted));
    assert_eq!(
        rig.replay("receipts-sms-carrier-unreachable.json").await,
        [Outcome::Advanced { fell_back_to: Some(Channel::Email) }]
    );
    assert_eq!(rig.replay("receipts-sms-delivered.json").await, [Outcome::Unchanged]);
    let queued = drain(&*rig.queues.email).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["contact_id"], Value::from(n.contact_id.to_string()));
}

#[tokio::test]
async fn whatsapp_statuses_out_of_order_end_at_read() {
    needs_moto!();
    let rig = rig().await;
    let n = rig.sent(Channel::WhatsApp, WAMID).await;
    // The sample post carries read, then delivered, then sent: out of order.
    let answer = rig.webhook(event("whatsapp-webhook-statuses.json")).await;
    assert_eq!(answer.status(), 200);
    let outcomes = rig.deliver_queued().await;
    assert_eq!(outcomes, [Outcome::Advanced { fell_back_to: None }, Outcome::Unchanged, Outcome::Unchanged]);
    assert_eq!(rig.state(&n.key()).await, Some(DeliveryState::Read));
    // Meta retries a post: the same statuses again change nothing.
    rig.webhook(event("whatsapp-webhook-statuses.json")).await;
    assert!(rig.deliver_queued().await.iter().all(|o| *o == Outcome::Unchanged));
    // The queued batch holds ids and states, never the phone number.
    rig.webhook(event("whatsapp-webhook-statuses.json")).await;
    let queued = drain(&*rig.receipts_queue).await;
    assert!(!queued[0].to_string().contains("447700900002"), "{}", queued[0]);
}

#[tokio::test]
async fn a_failed_whatsapp_message_falls_back_to_sms() {
    needs_moto!();
    let rig = rig().await;
    let n = rig.sent(Channel::WhatsApp, WAMID).await;
    assert_eq!(rig.webhook(event("whatsapp-webhook-failed.json")).await.status(), 200);
    assert_eq!(rig.deliver_queued().await, [Outcome::Advanced { fell_back_to: Some(Channel::Sms) }]);
    let queued = drain(&*rig.queues.sms).await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["contact_id"], Value::from(n.contact_id.to_string()));
}

#[tokio::test]
async fn a_forged_or_unsigned_webhook_post_is_refused_with_nothing_queued() {
    needs_moto!();
    let rig = rig().await;
    rig.sent(Channel::WhatsApp, WAMID).await;
    let (mut parts, body) = event("whatsapp-webhook-failed.json").into_parts();
    parts.headers.insert("x-hub-signature-256", sign(b"not-the-app-secret", body.as_ref()).parse().unwrap());
    let forged = rig.webhook(lambda_http::Request::from_parts(parts.clone(), body.clone())).await;
    assert_eq!(forged.status(), 401);
    parts.headers.remove("x-hub-signature-256");
    let unsigned = rig.webhook(lambda_http::Request::from_parts(parts.clone(), body.clone())).await;
    assert_eq!(unsigned.status(), 401);
    // A genuine signature over a different body does not carry over.
    let tampered = String::from_utf8(body.to_vec()).unwrap().replace("131026", "131000");
    parts.headers.insert("x-hub-signature-256", sign(APP_SECRET, body.as_ref()).parse().unwrap());
    let moved = rig.webhook(lambda_http::Request::from_parts(parts, lambda_http::Body::from(tampered))).await;
    assert_eq!(moved.status(), 401);
    assert!(drain(&*rig.receipts_queue).await.is_empty(), "nothing queued");
    assert!(rig.h.store.deliveries(&rig.id).await.unwrap().is_empty(), "nothing stored");
}

#[tokio::test]
async fn the_verification_handshake_needs_the_verify_token() {
    needs_moto!();
    let rig = rig().await;
    let answer = rig.webhook(event("whatsapp-webhook-verify.json")).await;
    assert_eq!((answer.status().as_u16(), answer.body().as_str()), (200, "1158201444"));
    let wrong = lambda_http::http::Request::builder()
        .uri("/whatsapp/webhook?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess")
        .body(lambda_http::Body::Empty)
        .unwrap();
    assert_eq!(rig.webhook(wrong).await.status(), 403);
}

#[tokio::test]
async fn a_whatsapp_quick_reply_acknowledges_for_its_person_and_role() {
    needs_moto!();
    let rig = rig().await;
    let n = rig.sent(Channel::WhatsApp, WAMID).await;
    let token = link_token(&rig.key, rig.id.as_str(), n.contact_id.as_str(), Channel::WhatsApp);
    assert_eq!(rig.webhook(quick_reply(&token)).await.status(), 200);
    assert_eq!(rig.deliver_queued().await, [Outcome::Acknowledged(true)]);
    let acks = rig.h.store.acknowledgements(&rig.id).await.unwrap();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].contact_id, n.contact_id);
    assert_eq!(acks[0].role, n.role);
    assert_eq!(acks[0].via, sim::domain::notification::AckVia::WhatsAppReply);
    // Pressing it again records nothing new.
    rig.webhook(quick_reply(&token)).await;
    assert_eq!(rig.deliver_queued().await, [Outcome::Acknowledged(false)]);
}

#[tokio::test]
async fn a_quick_reply_with_a_token_signed_by_another_key_acknowledges_nothing() {
    needs_moto!();
    let rig = rig().await;
    let n = rig.sent(Channel::WhatsApp, WAMID).await;
    let forged = link_token(&LinkKey::generate(), rig.id.as_str(), n.contact_id.as_str(), Channel::WhatsApp);
    rig.webhook(quick_reply(&forged)).await;
    assert_eq!(rig.deliver_queued().await, [Outcome::Refused]);
    assert!(rig.h.store.acknowledgements(&rig.id).await.unwrap().is_empty());
}
