//! Sending one notification, exactly once and never lost.
//!
//! 1. Claim it with a conditional write: PENDING (or SENDING with a lapsed
//!    lease) becomes SENDING with a lease. A redelivered message for a SENT
//!    notification, or one another delivery holds, claims nothing. The
//!    claims of an SQS batch go in one request, each failing on its own.
//! 2. Render it for its channel with a freshly signed personal link (from
//!    the render inputs the message carries and the read cache: nothing is
//!    read per message; a cold sender reads the incident and the licensee's
//!    contacts at once, the message naming the licensee), wait for the
//!    channel's pace, and hand it to the provider.
//! 3. Accepted: record SENT with the provider's id (the batch's records in
//!    one request). Throttled or transient:
//!    release the claim (back to PENDING) and fail the SQS record, so the
//!    message is retried after the visibility timeout. Refused for good:
//!    record FAILED with the provider's code on the timeline, and queue the
//!    same alert on the person's next channel (WhatsApp → SMS → email).
//!
//! The one window for a duplicate: the provider accepted the message and the
//! sender died before recording SENT. The lease then lapses and a later
//! delivery sends again. SENT is written as soon as the batch's provider
//! calls are done (at most ten), with nothing else in between, and no
//! provider offers an idempotency key that would close it.

mod fallback;
mod pacing;
mod read_cache;

pub use fallback::{fallback_for, queue_next_channel, Fallback};
pub use pacing::Pacer;
pub use read_cache::{ReadCache, READ_TTL};

use crate::clock::Clock;
use crate::domain::contact::Contact;
use crate::domain::notification::{NotificationMessage, NotificationStatus, RenderInputs};
use crate::domain::policy::Channel;
use crate::ids::IdGenerator;
use crate::links::{LinkClaims, LinkKey};
use crate::ports::store::{Claim, Handed};
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

/// Sends one notification (see the module's steps): a batch of one.
pub async fn send(deps: &SenderDeps, message: &NotificationMessage) -> Result<SendOutcome, SendFailure> {
    send_batch(deps, std::slice::from_ref(message)).await?.pop().expect("one answer per message")
}

/// What became of one claimed message before its outcome is recorded.
enum Handing {
    /// Settled already (refused for good, or unrenderable).
    Settled(Result<SendOutcome, SendFailure>),
    /// Handed to the provider, or released for a retry: recorded with the batch.
    Handed(Handed, Option<SendError>),
}

/// Sends an SQS batch of notifications, answering each message in order.
/// The claims go in one request (each conditional on its own: one already
/// taken by an earlier delivery never stops the others), each claimed
/// message is rendered from its render inputs and the read cache (no read
/// per message) and handed to the provider at the channel's pace, and the
/// outcomes are recorded in one request. `Err` only when the batch's claims
/// could not be made at all: every message is then retried.
///
/// Recording SENT for the whole batch after its last provider call widens
/// the duplicate window of the module's notes from one message to one
/// batch (at most ten provider calls): the price of one write per batch.
pub async fn send_batch(
    deps: &SenderDeps,
    messages: &[NotificationMessage],
) -> Result<Vec<Result<SendOutcome, SendFailure>>, SendFailure> {
    let mut answers: Vec<Option<Result<SendOutcome, SendFailure>>> = messages.iter().map(|_| None).collect();
    let mut to_claim: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, m) in messages.iter().enumerate() {
        if m.channel != deps.channel {
            answers[i] =
                Some(Err(SendFailure::Poison(format!("a {} message on the {} queue", m.channel, deps.channel))));
        } else if !seen.insert((m.incident_id.clone(), m.key())) {
            // A second copy in the same batch: the first copy's outcome covers it.
            answers[i] = Some(Ok(SendOutcome::AlreadyDone));
        } else {
            to_claim.push(i);
        }
    }
    let store = &*deps.store;
    let now = deps.clock.now();
    let keys: Vec<_> = to_claim.iter().map(|&i| (messages[i].incident_id.clone(), messages[i].key())).collect();
    let claims =
        if keys.is_empty() { Vec::new() } else { store.claim_notifications(&keys, now, now + deps.lease).await? };

    let mut handed = Vec::new();
    for (&i, claim) in to_claim.iter().zip(claims) {
        let message = &messages[i];
        let key = message.key();
        match claim {
            Claim::Missing => {
                answers[i] =
                    Some(Err(SendFailure::Poison(format!("no notification {key} for {}", message.incident_id))))
            }
            Claim::Held(n) if matches!(n.status, NotificationStatus::Sent | NotificationStatus::Failed) => {
                answers[i] = Some(Ok(SendOutcome::AlreadyDone))
            }
            Claim::Held(_) => answers[i] = Some(Err(SendFailure::Busy)),
            Claim::Claimed => match hand_over(deps, message, now).await {
                Handing::Settled(outcome) => answers[i] = Some(outcome),
                Handing::Handed(outcome, error) => handed.push((i, outcome, error)),
            },
        }
    }

    if !handed.is_empty() {
        let records: Vec<_> = handed
            .iter()
            .map(|(i, outcome, _)| (messages[*i].incident_id.clone(), messages[*i].key(), outcome.clone()))
            .collect();
        let recorded = store.record_handed(&records).await?;
        for ((i, outcome, error), recorded) in handed.into_iter().zip(recorded) {
            let message = &messages[i];
            answers[i] = Some(match (recorded, outcome, error) {
                (false, _, _) => Err(SendFailure::Store(StoreError::Conflict)),
                (true, Handed::Sent { provider_message_id, .. }, _) => {
                    tracing::info!(incident_id = %message.incident_id, contact_id = %message.contact_id, channel = %message.channel, step = %message.step, "sent");
                    Ok(SendOutcome::Sent { provider_message_id })
                }
                (true, Handed::Released, error) => {
                    let error = error.expect("a released claim keeps its provider error");
                    tracing::warn!(incident_id = %message.incident_id, contact_id = %message.contact_id, channel = %message.channel, error = %error, "provider asked to retry");
                    Err(SendFailure::Retry(error))
                }
            });
        }
    }
    Ok(answers.into_iter().map(|a| a.expect("every message answered")).collect())
}

/// Renders a claimed message and hands it to the provider at the channel's pace.
async fn hand_over(deps: &SenderDeps, message: &NotificationMessage, now: time::OffsetDateTime) -> Handing {
    match render_and_send(deps, message, now).await {
        Ok(handing) => handing,
        Err(failure) => Handing::Settled(Err(failure)),
    }
}

async fn render_and_send(
    deps: &SenderDeps,
    message: &NotificationMessage,
    now: time::OffsetDateTime,
) -> Result<Handing, SendFailure> {
    let store = &*deps.store;
    let inputs = match &message.render {
        Some(inputs) => inputs.clone(),
        // Queued before messages carried their render inputs: read them.
        None => {
            let n = store.get_notification(&message.incident_id, &message.key()).await?.ok_or_else(|| {
                SendFailure::Poison(format!("no notification {} for {}", message.key(), message.incident_id))
            })?;
            RenderInputs { round: n.round, kind: n.alert_kind(), briefing: n.briefing }
        }
    };
    // The message names the licensee whose directory holds the contact, so
    // both are read at once when not kept (one round trip for a cold sender).
    let incident_read = deps.reads.incident(store, &message.incident_id, inputs.round);
    let (read, named) = match &message.licensee_id {
        Some(licensee) => {
            let (read, contact) = tokio::join!(incident_read, deps.reads.contact(store, licensee, &message.contact_id));
            (read, Some((licensee, contact)))
        }
        None => (incident_read.await, None),
    };
    let Some(read) = read? else {
        return Err(SendFailure::Poison(format!("incident {} is missing or not categorised", message.incident_id)));
    };
    let (incident, categorisation) = &*read;
    let contact = match named {
        Some((licensee, contact)) if *licensee == incident.licensee_id => contact?,
        // Queued before messages named the licensee (or naming another: the
        // incident's is the one whose directory counts): read after the incident.
        _ => deps.reads.contact(store, &incident.licensee_id, &message.contact_id).await?,
    }
    .ok_or_else(|| SendFailure::Poison(format!("no contact {}", message.contact_id)))?;

    let token = deps.links.key.sign(&LinkClaims {
        incident_id: incident.id.clone(),
        contact_id: contact.id.clone(),
        channel: message.channel,
        expires_at: now + deps.links.lifetime,
    });
    let link = format!("{}/a/{token}", deps.links.base_url.trim_end_matches('/'));
    let outgoing = if let Some(content) = &inputs.briefing {
        let update = Briefing { incident, category: categorisation.category, content, link: &link };
        match (message.channel, &contact.mobile, &contact.email) {
            (Channel::Sms, Some(to), _) => Some(Outgoing::Sms { to: to.clone(), text: update.sms().text }),
            (Channel::WhatsApp, Some(to), _) => {
                Some(Outgoing::WhatsApp { to: to.clone(), template: update.whatsapp(&token) })
            }
            (Channel::Email, _, Some(to)) => Some(Outgoing::Email { to: to.clone(), email: update.email() }),
            _ => None,
        }
    } else {
        let alert = Alert {
            incident,
            category: categorisation.category,
            reason: &categorisation.reason,
            kind: inputs.kind,
            acknowledge_within: categorisation.acknowledge_within_minutes,
            link: &link,
        };
        match (message.channel, &contact.mobile, &contact.email) {
            (Channel::Sms, Some(to), _) => {
                // The reply code lets the person acknowledge by answering the SMS (receipts' inbound SMS).
                let code = deps.links.key.reply_code(&incident.id, &contact.id);
                Some(Outgoing::Sms { to: to.clone(), text: alert.sms_with_reply_code(&code).text })
            }
            (Channel::WhatsApp, Some(to), _) => {
                Some(Outgoing::WhatsApp { to: to.clone(), template: alert.whatsapp(&token) })
            }
            (Channel::Email, _, Some(to)) => Some(Outgoing::Email { to: to.clone(), email: alert.email() }),
            _ => None,
        }
    };
    let Some(outgoing) = outgoing else {
        return Ok(Handing::Settled(
            refuse(deps, message, &contact, "the contact has no address for this channel".into()).await,
        ));
    };
    deps.pacer.wait().await;
    let label = format!("{}/{}", message.incident_id, message.key());
    Ok(match deps.sender.send_for(&outgoing, &label).await {
        Ok(provider_message_id) => Handing::Handed(Handed::Sent { provider_message_id, at: deps.clock.now() }, None),
        Err(SendError::Permanent(reason)) => Handing::Settled(refuse(deps, message, &contact, reason).await),
        Err(retry) => Handing::Handed(Handed::Released, Some(retry)),
    })
}

/// A refusal for good: rare, so the claimed notification is read whole for
/// the fallback it may queue.
async fn refuse(
    deps: &SenderDeps,
    message: &NotificationMessage,
    contact: &Contact,
    reason: String,
) -> Result<SendOutcome, SendFailure> {
    let claimed =
        deps.store.get_notification(&message.incident_id, &message.key()).await?.ok_or_else(|| {
            SendFailure::Poison(format!("no notification {} for {}", message.key(), message.incident_id))
        })?;
    refused(deps, claimed, contact, reason).await
}
