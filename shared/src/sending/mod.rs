//! Sending one notification, exactly once and never lost.
//!
//! 1. Claim it with a conditional write: PENDING (or SENDING with a lapsed
//!    lease) becomes SENDING with a lease. A redelivered message for a SENT
//!    notification, or one another delivery holds, claims nothing.
//! 2. Render it for its channel with a freshly signed personal link, wait
//!    for the channel's pace, and hand it to the provider.
//! 3. Accepted: record SENT with the provider's id. Throttled or transient:
//!    release the claim (back to PENDING) and fail the SQS record, so the
//!    message is retried after the visibility timeout. Refused for good:
//!    record FAILED with the provider's code on the timeline, and queue the
//!    same alert on the person's next channel (WhatsApp → SMS → email).
//!
//! The one window for a duplicate: the provider accepted the message and the
//! sender died before recording SENT. The lease then lapses and a later
//! delivery sends again. It is as small as it can be: SENT is written
//! immediately after the provider answers, with nothing in between, and no
//! provider offers an idempotency key that would close it.

mod fallback;
mod pacing;
mod read_cache;

pub use fallback::{fallback_for, queue_next_channel, Fallback};
pub use pacing::Pacer;
pub use read_cache::{ReadCache, READ_TTL};

use crate::clock::Clock;
use crate::domain::contact::Contact;
use crate::domain::notification::{Notification, NotificationMessage, NotificationStatus};
use crate::domain::policy::Channel;
use crate::ids::IdGenerator;
use crate::links::{LinkClaims, LinkKey};
use crate::ports::{Outgoing, QueueError, SendError, Sender, SendingStore, StoreError};
use crate::render::{Alert, Briefing};
use fallback::refused;
use std::sync::Arc;
use time::Duration;

/// Where personal links point and how they are signed.
#[derive(Clone, Debug)]
pub struct Links {
    pub key: LinkKey,
    /// e.g. `https://sim.lambeth.gov.uk`: links are `<base>/a/<token>`.
    pub base_url: String,
    pub lifetime: Duration,
}

pub struct SenderDeps {
    pub channel: Channel,
    pub store: Arc<dyn SendingStore>,
    pub sender: Arc<dyn Sender>,
    /// The queue of the channel this one falls back to, if any.
    pub fallback: Option<Fallback>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub links: Links,
    pub pacer: Pacer,
    /// How long a claim holds: longer than a provider call can take.
    pub lease: Duration,
    /// What rendering reads, kept briefly across the messages of a fan-out.
    pub reads: ReadCache,
}

impl SenderDeps {
    /// A sender with the defaults: system clock and random ids, no fallback,
    /// ten messages a second, a 60-second lease.
    pub fn new(channel: Channel, store: Arc<dyn SendingStore>, sender: Arc<dyn Sender>, links: Links) -> Self {
        Self {
            channel,
            store,
            sender,
            fallback: None,
            clock: Arc::new(crate::clock::SystemClock),
            ids: Arc::new(crate::ids::RandomIds),
            links,
            pacer: Pacer::per_second(10.0),
            lease: Duration::seconds(60),
            reads: ReadCache::default(),
        }
    }
}

impl From<crate::ports::PoisonMessage> for SendFailure {
    fn from(e: crate::ports::PoisonMessage) -> Self {
        Self::Poison(e.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent {
        provider_message_id: String,
    },
    /// Already sent or failed: a redelivery, nothing sent.
    AlreadyDone,
    /// Refused for good; `fell_back_to` says where the alert went instead.
    Failed {
        reason: String,
        fell_back_to: Option<Channel>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SendFailure {
    /// Retrying cannot help; the message ends in the dead-letter queue.
    #[error("the message cannot be processed: {0}")]
    Poison(String),
    /// Another delivery holds a live claim: retry after it lapses.
    #[error("another delivery is sending this notification")]
    Busy,
    #[error("the provider asked to retry later")]
    Retry(#[source] SendError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Handles one message body from a sender queue.
pub async fn send_message(deps: &SenderDeps, body: &str) -> Result<SendOutcome, SendFailure> {
    send(deps, &crate::ports::parse_message(body)?).await
}

/// Sends one notification (see the module's steps).
pub async fn send(deps: &SenderDeps, message: &NotificationMessage) -> Result<SendOutcome, SendFailure> {
    if message.channel != deps.channel {
        return Err(SendFailure::Poison(format!("a {} message on the {} queue", message.channel, deps.channel)));
    }
    let store = &*deps.store;
    let key = message.key();
    let now = deps.clock.now();
    let Some(claimed) = store.claim_notification(&message.incident_id, &key, now, now + deps.lease).await? else {
        return match store.get_notification(&message.incident_id, &key).await? {
            None => Err(SendFailure::Poison(format!("no notification {key} for {}", message.incident_id))),
            Some(n) if matches!(n.status, NotificationStatus::Sent | NotificationStatus::Failed) => {
                Ok(SendOutcome::AlreadyDone)
            }
            Some(_) => Err(SendFailure::Busy),
        };
    };

    let Some(read) = deps.reads.incident(store, &message.incident_id, claimed.round).await? else {
        return Err(SendFailure::Poison(format!("incident {} is missing or not categorised", message.incident_id)));
    };
    let (incident, categorisation) = &*read;
    let contact = deps
        .reads
        .contact(store, &incident.licensee_id, &message.contact_id)
        .await?
        .ok_or_else(|| SendFailure::Poison(format!("no contact {}", message.contact_id)))?;

    let token = deps.links.key.sign(&LinkClaims {
        incident_id: incident.id.clone(),
        contact_id: contact.id.clone(),
        channel: message.channel,
        expires_at: now + deps.links.lifetime,
    });
    let link = format!("{}/a/{token}", deps.links.base_url.trim_end_matches('/'));
    if let Some(content) = &claimed.briefing {
        let update = Briefing { incident, category: categorisation.category, content, link: &link };
        let outgoing = match (message.channel, &contact.mobile, &contact.email) {
            (Channel::Sms, Some(to), _) => Outgoing::Sms { to: to.clone(), text: update.sms().text },
            (Channel::WhatsApp, Some(to), _) => {
                Outgoing::WhatsApp { to: to.clone(), template: update.whatsapp(&token) }
            }
            (Channel::Email, _, Some(to)) => Outgoing::Email { to: to.clone(), email: update.email() },
            _ => return refused(deps, claimed, &contact, "the contact has no address for this channel".into()).await,
        };
        return hand_over(deps, claimed, message, &contact, outgoing).await;
    }
    let alert = Alert {
        incident,
        category: categorisation.category,
        reason: &categorisation.reason,
        kind: claimed.alert_kind(),
        acknowledge_within: categorisation.acknowledge_within_minutes,
        link: &link,
    };
    let outgoing = match (message.channel, &contact.mobile, &contact.email) {
        (Channel::Sms, Some(to), _) => {
            let code = deps.links.key.reply_code(&incident.id, &contact.id);
            Outgoing::Sms { to: to.clone(), text: alert.sms_with_reply_code(&code).text }
        }
        (Channel::WhatsApp, Some(to), _) => Outgoing::WhatsApp { to: to.clone(), template: alert.whatsapp(&token) },
        (Channel::Email, _, Some(to)) => Outgoing::Email { to: to.clone(), email: alert.email() },
        _ => return refused(deps, claimed, &contact, "the contact has no address for this channel".into()).await,
    };
    hand_over(deps, claimed, message, &contact, outgoing).await
}

/// Paces, hands the message to the provider and records the outcome.
async fn hand_over(
    deps: &SenderDeps,
    claimed: Notification,
    message: &NotificationMessage,
    contact: &Contact,
    outgoing: Outgoing,
) -> Result<SendOutcome, SendFailure> {
    let store = &*deps.store;
    deps.pacer.wait().await;
    let label = format!("{}/{}", message.incident_id, message.key());
    match deps.sender.send_for(&outgoing, &label).await {
        Ok(provider_message_id) => {
            let sent = Notification {
                status: NotificationStatus::Sent,
                provider_message_id: Some(provider_message_id.clone()),
                sent_at: Some(deps.clock.now()),
                lease_until: None,
                ..claimed
            };
            store.finish_notification(&sent, &[]).await?;
            tracing::info!(incident_id = %message.incident_id, contact_id = %message.contact_id, channel = %message.channel, step = %message.step, "sent");
            Ok(SendOutcome::Sent { provider_message_id })
        }
        Err(SendError::Permanent(reason)) => refused(deps, claimed, contact, reason).await,
        Err(retry) => {
            let released = Notification { status: NotificationStatus::Pending, lease_until: None, ..claimed };
            store.finish_notification(&released, &[]).await?;
            tracing::warn!(incident_id = %message.incident_id, contact_id = %message.contact_id, channel = %message.channel, error = %retry, "provider asked to retry");
            Err(SendFailure::Retry(retry))
        }
    }
}
