//! The receipts function: every provider's delivery receipts, from one SQS
//! queue, move each notification's delivery status forward (never back),
//! and a permanent failure reported late (a bounce, an unreachable number,
//! a failed WhatsApp message) queues the same alert on the person's next
//! channel exactly as a refusal at send time does, once, on the timeline.
//!
//! A queue message is one of: an SNS notification (or its raw message)
//! carrying an SES event or an End User Messaging SMS event; or a batch the
//! WhatsApp webhook queued after checking Meta's signature (`whatsapp`); or
//! an inbound two-way SMS, whose reply code acknowledges (`sms_reply`).
//!
//! A receipt for a console test message (the same senders, so the same
//! receipts) moves that test's delivery status forward, shown on the
//! contact: no fallback and no timeline. A receipt whose message id is
//! still unknown once the index has had time (`UNKNOWN_AFTER` past the
//! provider's own time) is for something SIM never sent: dropped with a
//! warning, not retried into the dead-letter queue and its alarm.

pub mod ses;
pub mod sms;
pub mod sms_reply;
pub mod whatsapp;

use sim::clock::Clock;
use sim::domain::delivery::{Delivery, Receipt};
use sim::domain::notification::{AckVia, Acknowledgement, Notification, NotificationStatus};
use sim::domain::policy::Channel;
use sim::domain::{Event, TimelineEvent};
use sim::ids::IdGenerator;
use sim::ports::store::{ReceiptTarget, TestDelivery, TestMessageRecord};
use sim::ports::{ChannelQueues, QueueError, SendError, Sender, Store, StoreError};
use sim::sending::{fallback_for, queue_next_channel, Fallback, SendFailure};
use std::sync::Arc;

pub struct Deps {
    pub store: Arc<dyn Store>,
    /// The sender queues: a late failure's fallback goes on one of them.
    pub queues: ChannelQueues,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Verifies the signed acknowledgement tokens quick replies carry, and
    /// the reply codes SMS alerts print.
    pub link_key: sim::links::LinkKey,
    /// How long a personal link lasts (`LINK_LIFETIME_HOURS`): an SMS reply
    /// code expires with the link of the alert it answers.
    pub link_lifetime: time::Duration,
    /// Answers SMS replies (End User Messaging SMS); None where two-way SMS
    /// is not set up.
    pub sms_replies: Option<Arc<dyn Sender>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// Retrying cannot help; the message ends in the dead-letter queue.
    #[error("the message cannot be processed: {0}")]
    Poison(String),
    /// No sent notification or test message has this provider message id
    /// (yet): the receipt may have overtaken the sender's SENT write or the
    /// index; retried, until `UNKNOWN_AFTER`.
    #[error("no sent notification has this provider message id yet")]
    NotYet,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The answer to an SMS reply could not be sent now: retried.
    #[error("answering an SMS reply failed")]
    Answer(#[source] SendError),
}

impl From<SendFailure> for ReceiptError {
    fn from(e: SendFailure) -> Self {
        match e {
            SendFailure::Store(e) => Self::Store(e),
            SendFailure::Queue(e) => Self::Queue(e),
            other => Self::Poison(other.to_string()),
        }
    }
}

/// What one receipt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The status moved forward; `fell_back_to` when a permanent failure
    /// queued the alert on another channel.
    Advanced { fell_back_to: Option<Channel> },
    /// A duplicate, out of order, or behind the stored status: nothing changed.
    Unchanged,
    /// A receipt that says nothing about delivery (an SES open, say).
    Ignored,
    /// A quick reply recorded an acknowledgement (false if they already had).
    Acknowledged(bool),
    /// A quick reply whose token did not verify, or an SMS reply that is not
    /// the person's code: nothing recorded.
    Refused,
    /// An SMS reply of the person's code after its link expired: nothing recorded.
    Stale,
    /// A receipt for a console test message: its delivery status moved
    /// forward (`advanced`), or it was a duplicate or behind.
    TestMessage { advanced: bool },
    /// A receipt for a message id SIM does not know, older than
    /// `UNKNOWN_AFTER`: dropped with a warning.
    Unknown,
}

/// How long after the provider's own time a receipt's message id may still
/// be missing from the index (the sender's SENT write or the index lagging)
/// before the receipt is taken to be for something SIM never sent.
pub const UNKNOWN_AFTER: time::Duration = time::Duration::minutes(10);

/// Handles one queue message body; returns what each receipt in it did.
pub async fn handle(deps: &Deps, body: &str) -> Result<Vec<Outcome>, ReceiptError> {
    let value = serde_json::from_str(body).map_err(|e| ReceiptError::Poison(format!("not JSON: {e}")))?;
    handle_message(deps, value).await
}

/// Handles one queue message already read as JSON (the Lambda's batch
/// runner reads each body once); returns what each receipt in it did.
pub async fn handle_message(deps: &Deps, value: serde_json::Value) -> Result<Vec<Outcome>, ReceiptError> {
    // SNS → SQS without raw message delivery wraps the event in an envelope.
    let value = match (value.get("Type").and_then(|t| t.as_str()), value.get("Message").and_then(|m| m.as_str())) {
        (Some("Notification"), Some(message)) => serde_json::from_str(message)
            .map_err(|e| ReceiptError::Poison(format!("an SNS message that is not JSON: {e}")))?,
        _ => value,
    };
    if value.get("whatsapp_statuses").is_some() {
        let batch: whatsapp::WebhookBatch =
            serde_json::from_value(value).map_err(|e| ReceiptError::Poison(format!("webhook batch: {e}")))?;
        let mut outcomes = Vec::new();
        for receipt in &batch.whatsapp_statuses {
            outcomes.push(apply(deps, receipt).await?);
        }
        for reply in &batch.whatsapp_replies {
            outcomes.push(quick_reply(deps, reply).await?);
        }
        return Ok(outcomes);
    }
    if ses::is_ses(&value) {
        return match ses::receipt(value)? {
            Some(receipt) => Ok(vec![apply(deps, &receipt).await?]),
            None => Ok(vec![Outcome::Ignored]),
        };
    }
    if sms_reply::is_inbound_sms(&value) {
        return Ok(vec![sms_reply::handle(deps, &sms_reply::parse(value)?).await?]);
    }
    if sms::is_sms_event(&value) {
        return Ok(vec![apply(deps, &sms::receipt(value)?).await?]);
    }
    Err(ReceiptError::Poison("not a receipt SIM knows".into()))
}

/// Applies one receipt to the notification or test message it is about.
pub async fn apply(deps: &Deps, receipt: &Receipt) -> Result<Outcome, ReceiptError> {
    match deps.store.receipt_target(&receipt.provider_message_id).await? {
        Some(ReceiptTarget::Alert(notification)) => apply_to_alert(deps, &notification, receipt).await,
        Some(ReceiptTarget::Test(test)) => apply_to_test(deps, &test, receipt).await,
        None if deps.clock.now() - receipt.at > UNKNOWN_AFTER => {
            // The id only, never an address: a receipt for something SIM never sent.
            tracing::warn!(provider_message_id = %receipt.provider_message_id, state = %receipt.state, "a receipt for a message SIM does not know: dropped");
            Ok(Outcome::Unknown)
        }
        None => Err(ReceiptError::NotYet),
    }
}

/// A test message's receipt: its delivery status, forward only; no fallback
/// (nobody is waiting on a test) and no timeline (there is no incident).
async fn apply_to_test(deps: &Deps, test: &TestMessageRecord, receipt: &Receipt) -> Result<Outcome, ReceiptError> {
    if !TestDelivery::advanced_by(test.delivery.as_ref(), receipt.state) {
        return Ok(Outcome::TestMessage { advanced: false });
    }
    let delivery = TestDelivery { state: receipt.state, at: receipt.at, detail: receipt.detail.clone() };
    // The conditional write decides between two copies of one receipt.
    let advanced = deps.store.record_test_delivery(test, &delivery).await?;
    if advanced {
        tracing::info!(licensee = %test.licensee_id, contact_id = %test.contact_id, channel = %test.channel, state = %delivery.state, "test message delivery status");
    }
    Ok(Outcome::TestMessage { advanced })
}

/// An alert's receipt: its delivery status, forward only, and a late
/// permanent failure's fallback to the next channel.
async fn apply_to_alert(deps: &Deps, notification: &Notification, receipt: &Receipt) -> Result<Outcome, ReceiptError> {
    let store = &*deps.store;
    let key = notification.key();
    let current = store.delivery(&notification.incident_id, &key).await?;
    if !Delivery::advanced_by(current.as_ref(), receipt) {
        return Ok(Outcome::Unchanged);
    }
    let delivery = Delivery {
        incident_id: notification.incident_id.clone(),
        contact_id: notification.contact_id.clone(),
        channel: notification.channel,
        step: notification.step,
        provider_message_id: receipt.provider_message_id.clone(),
        state: receipt.state,
        at: receipt.at,
        detail: receipt.detail.clone(),
    };
    let now = deps.clock.now();
    let mut events = Vec::new();
    let mut fell_back_to = None;
    if receipt.state.is_permanent_failure() && notification.status == NotificationStatus::Sent {
        let event = |e| TimelineEvent::new(&*deps.ids, &notification.incident_id, now, e);
        events.push(event(Event::NotificationFailed {
            contact_id: notification.contact_id.clone(),
            channel: notification.channel,
            reason: format!("reported after sending: {}", receipt.detail.as_deref().unwrap_or("undeliverable")),
        }));
        if let Some(next) = fall_back(deps, notification, now).await? {
            fell_back_to = Some(fallback_for(notification.channel));
            events.push(event(next));
        }
    }
    // The conditional write decides: of two copies of one receipt, one wins.
    // The loser's fallback, if it ran, found the next notification already
    // there, and the sender's claim sends it once.
    if store.record_delivery(&delivery, &events).await? {
        tracing::info!(incident_id = %delivery.incident_id, contact_id = %delivery.contact_id, channel = %delivery.channel, state = %delivery.state, fell_back = ?fell_back_to, "delivery status");
        Ok(Outcome::Advanced { fell_back_to })
    } else {
        Ok(Outcome::Unchanged)
    }
}

/// Queues the alert on the person's next channel, as a refusal does.
async fn fall_back(
    deps: &Deps,
    failed: &Notification,
    now: time::OffsetDateTime,
) -> Result<Option<Event>, ReceiptError> {
    let store = &*deps.store;
    let Some(incident) = store.get_incident(&failed.incident_id).await? else {
        return Ok(None);
    };
    let Some(contact) = store.get_contact(&incident.licensee_id, &failed.contact_id).await? else {
        return Ok(None);
    };
    let channel = fallback_for(failed.channel);
    let queue = match channel {
        Channel::Sms => deps.queues.sms.clone(),
        Channel::Email => deps.queues.email.clone(),
        Channel::WhatsApp => deps.queues.whatsapp.clone(),
    };
    Ok(queue_next_channel(store, &Fallback { channel, queue }, failed, &contact, now).await?)
}

/// A quick reply on WhatsApp: its payload is the signed token of the alert
/// it answers; a valid one acknowledges for that person and role.
async fn quick_reply(deps: &Deps, reply: &whatsapp::QuickReply) -> Result<Outcome, ReceiptError> {
    let now = deps.clock.now();
    let Ok(claims) = deps.link_key.verify(&reply.payload, now) else {
        tracing::warn!("a quick reply whose token does not verify");
        return Ok(Outcome::Refused);
    };
    let store = &*deps.store;
    let Some(incident) = store.get_incident(&claims.incident_id).await? else {
        return Ok(Outcome::Refused);
    };
    let Some(contact) = store.get_contact(&incident.licensee_id, &claims.contact_id).await? else {
        return Ok(Outcome::Refused);
    };
    let recorded = acknowledge_reply(deps, &incident, &contact, AckVia::WhatsAppReply, reply.at).await?;
    Ok(Outcome::Acknowledged(recorded))
}

/// Records an acknowledgement by reply (WhatsApp quick reply or SMS code) and
/// its timeline entry; `false` when the person had already acknowledged.
pub(crate) async fn acknowledge_reply(
    deps: &Deps,
    incident: &sim::domain::Incident,
    contact: &sim::domain::Contact,
    via: AckVia,
    at: time::OffsetDateTime,
) -> Result<bool, ReceiptError> {
    let (channel, device) = match via {
        AckVia::SmsReply => (Channel::Sms, "SMS reply"),
        _ => (Channel::WhatsApp, "WhatsApp reply"),
    };
    let ack = Acknowledgement {
        incident_id: incident.id.clone(),
        contact_id: contact.id.clone(),
        role: contact.role.clone(),
        channel,
        at,
        user_agent: String::new(),
        device: device.into(),
        via,
        note: None,
        recorded_by: None,
    };
    let event = Event::Acknowledged { contact_id: contact.id.clone(), role: contact.role.clone(), channel };
    let event = TimelineEvent::new(&*deps.ids, &incident.id, deps.clock.now(), event);
    let recorded = deps.store.acknowledge(&ack, &[event]).await?;
    tracing::info!(incident_id = %incident.id, contact_id = %contact.id, recorded, via = via.label(), "acknowledged by reply");
    Ok(recorded)
}
