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

use crate::clock::Clock;
use crate::domain::choice::Choice;
use crate::domain::contact::Contact;
use crate::domain::notification::Categorisation;
use crate::domain::notification::{Notification, NotificationMessage, NotificationStatus};
use crate::domain::policy::Channel;
use crate::domain::Incident;
use crate::domain::{Event, TimelineEvent};
use crate::ids::IdGenerator;
use crate::ids::{ContactId, IncidentId, LicenseeId};
use crate::links::{LinkClaims, LinkKey};
use crate::ports::{Outgoing, OutgoingMessage, Queue, QueueError, SendError, Sender, Store, StoreError};
use crate::render::{Alert, AlertKind, Update};
use std::collections::HashMap;
use std::sync::Arc;
use time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Where personal links point and how they are signed.
#[derive(Clone, Debug)]
pub struct Links {
    pub key: LinkKey,
    /// e.g. `https://sim.lambeth.gov.uk`: links are `<base>/a/<token>`.
    pub base_url: String,
    pub lifetime: Duration,
}

/// Spaces provider calls to a rate (messages per second), so a large
/// fan-out is paced rather than throttled.
pub struct Pacer {
    interval: std::time::Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn per_second(rate: f64) -> Self {
        let interval =
            if rate > 0.0 { std::time::Duration::from_secs_f64(1.0 / rate) } else { std::time::Duration::ZERO };
        Self { interval, next: Mutex::new(None) }
    }

    /// Waits until this caller's turn.
    pub async fn wait(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        let at = next.map_or(now, |n| n.max(now));
        tokio::time::sleep_until(at).await;
        *next = Some(at + self.interval);
    }
}

pub struct SenderDeps {
    pub channel: Channel,
    pub store: Arc<dyn Store>,
    pub sender: Arc<dyn Sender>,
    /// The queue of the channel this one falls back to, if any.
    pub fallback: Option<(Channel, Arc<dyn Queue>)>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub links: Links,
    pub pacer: Pacer,
    /// How long a claim holds: longer than a provider call can take.
    pub lease: Duration,
    /// What rendering reads, kept briefly across the messages of a fan-out.
    pub reads: ReadCache,
}

/// Rendering needs the incident, its categorisation and the contact: read
/// per message, that is three requests per message of a fan-out that shares
/// one incident. Kept for `READ_TTL` instead: an incident and categorisation
/// per incident (read again when a message belongs to a newer alert round,
/// so an upgrade is never rendered with the old category), and a licensee's
/// contacts in one query. A police update to the summary shows in messages
/// rendered after the entry expires.
#[derive(Default)]
pub struct ReadCache {
    incidents: std::sync::Mutex<HashMap<IncidentId, Kept<(Incident, Categorisation)>>>,
    contacts: std::sync::Mutex<HashMap<LicenseeId, Kept<HashMap<ContactId, Contact>>>>,
}

/// A value read at an instant.
type Kept<T> = (std::time::Instant, Arc<T>);

pub const READ_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl ReadCache {
    async fn incident(
        &self,
        store: &dyn Store,
        id: &IncidentId,
        round: u32,
    ) -> Result<Option<Arc<(Incident, Categorisation)>>, StoreError> {
        let fresh = |at: &std::time::Instant| at.elapsed() < READ_TTL;
        if let Some((at, entry)) = self.incidents.lock().expect("cache lock").get(id) {
            if fresh(at) && entry.1.round >= round {
                return Ok(Some(entry.clone()));
            }
        }
        let (incident, categorisation) = tokio::try_join!(store.get_incident(id), store.get_categorisation(id))?;
        let (Some(incident), Some(categorisation)) = (incident, categorisation) else { return Ok(None) };
        let entry = Arc::new((incident, categorisation));
        let mut cache = self.incidents.lock().expect("cache lock");
        cache.retain(|_, (at, _)| fresh(at));
        cache.insert(id.clone(), (std::time::Instant::now(), entry.clone()));
        Ok(Some(entry))
    }

    async fn contact(
        &self,
        store: &dyn Store,
        licensee: &LicenseeId,
        id: &ContactId,
    ) -> Result<Option<Contact>, StoreError> {
        let fresh = |at: &std::time::Instant| at.elapsed() < READ_TTL;
        if let Some((at, contacts)) = self.contacts.lock().expect("cache lock").get(licensee) {
            if fresh(at) && contacts.contains_key(id) {
                return Ok(contacts.get(id).cloned());
            }
        }
        let contacts: HashMap<ContactId, Contact> =
            store.contacts(licensee).await?.into_iter().map(|c| (c.id.clone(), c)).collect();
        let found = contacts.get(id).cloned();
        let mut cache = self.contacts.lock().expect("cache lock");
        cache.retain(|_, (at, _)| fresh(at));
        cache.insert(licensee.clone(), (std::time::Instant::now(), Arc::new(contacts)));
        Ok(found)
    }
}

/// The channel to try when a message on `channel` is refused for good.
pub fn fallback_for(channel: Channel) -> Channel {
    match channel {
        Channel::WhatsApp => Channel::Sms,
        Channel::Sms => Channel::Email,
        Channel::Email => Channel::Sms,
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
    let message: NotificationMessage =
        serde_json::from_str(body).map_err(|e| SendFailure::Poison(format!("not a notification message: {e}")))?;
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
    if let Some(content) = &claimed.update {
        let update = Update { incident, category: categorisation.category, content, link: &link };
        let outgoing = match (message.channel, &contact.mobile, &contact.email) {
            (Channel::Sms, Some(to), _) => Outgoing::Sms { to: to.clone(), text: update.sms().text },
            (Channel::WhatsApp, Some(to), _) => {
                Outgoing::WhatsApp { to: to.clone(), template: update.whatsapp(&token) }
            }
            (Channel::Email, _, Some(to)) => Outgoing::Email { to: to.clone(), email: update.email() },
            _ => return refused(deps, claimed, &contact, "the contact has no address for this channel".into()).await,
        };
        return hand_over(deps, claimed, &message, &contact, outgoing).await;
    }
    let alert = Alert {
        incident,
        category: categorisation.category,
        reason: &categorisation.reason,
        kind: match (message.step, claimed.round, &claimed.deputy_for, claimed.required) {
            (0, 1, _, _) => AlertKind::First,
            (0, _, _, _) => AlertKind::Upgrade,
            (_, _, Some(_), _) | (_, _, None, false) => AlertKind::Escalation,
            _ => AlertKind::Reminder,
        },
        acknowledge_within: categorisation.acknowledge_within_minutes,
        link: &link,
    };
    let outgoing = match (message.channel, &contact.mobile, &contact.email) {
        (Channel::Sms, Some(to), _) => Outgoing::Sms { to: to.clone(), text: alert.sms().text },
        (Channel::WhatsApp, Some(to), _) => Outgoing::WhatsApp { to: to.clone(), template: alert.whatsapp(&token) },
        (Channel::Email, _, Some(to)) => Outgoing::Email { to: to.clone(), email: alert.email() },
        _ => return refused(deps, claimed, &contact, "the contact has no address for this channel".into()).await,
    };
    hand_over(deps, claimed, &message, &contact, outgoing).await
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
    match deps.sender.send(&outgoing).await {
        Ok(provider_message_id) => {
            let sent = Notification {
                status: NotificationStatus::Sent,
                provider_message_id: Some(provider_message_id.clone()),
                sent_at: Some(deps.clock.now()),
                lease_until: None,
                ..claimed
            };
            store.finish_notification(&sent, &[]).await?;
            tracing::info!(incident_id = %message.incident_id, contact_id = %message.contact_id, channel = %message.channel, step = message.step, "sent");
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

/// Records the refusal and queues the same alert on the next channel the
/// person can be reached on, unless they already have it there.
async fn refused(
    deps: &SenderDeps,
    claimed: Notification,
    contact: &Contact,
    reason: String,
) -> Result<SendOutcome, SendFailure> {
    let now = deps.clock.now();
    let event = |e| TimelineEvent::new(&*deps.ids, &claimed.incident_id, now, e);
    let mut events = vec![event(Event::NotificationFailed {
        contact_id: contact.id.to_string(),
        channel: claimed.channel,
        reason: reason.clone(),
    })];
    let mut fell_back_to = None;
    if let Some((channel, queue)) = &deps.fallback {
        let already = deps
            .store
            .get_notification(
                &claimed.incident_id,
                &crate::domain::notification::notification_key(&contact.id, *channel, claimed.step),
            )
            .await?;
        if already.is_none() && contact.reachable(*channel) {
            let next = Notification {
                deputy_for: claimed.deputy_for.clone(),
                update: claimed.update.clone(),
                ..Notification::pending(
                    claimed.incident_id.clone(),
                    &claimed.recipient(),
                    *channel,
                    claimed.step,
                    claimed.round,
                    claimed.required,
                    now,
                )
            };
            deps.store.put_notifications(std::slice::from_ref(&next)).await?;
            let body = serde_json::to_string(&next.message()).expect("messages serialise");
            queue.send(&[OutgoingMessage::now(body)]).await?;
            events.push(event(Event::FellBack {
                contact_id: contact.id.to_string(),
                from: claimed.channel,
                to: *channel,
            }));
            fell_back_to = Some(*channel);
        }
    }
    let failed = Notification {
        status: NotificationStatus::Failed,
        failure: Some(reason.clone()),
        lease_until: None,
        ..claimed
    };
    deps.store.finish_notification(&failed, &events).await?;
    tracing::warn!(incident_id = %failed.incident_id, contact_id = %contact.id, channel = %failed.channel.as_str(), %reason, fell_back = ?fell_back_to, "refused for good");
    Ok(SendOutcome::Failed { reason, fell_back_to })
}

/// Builds a sender Lambda's dependencies from its environment: `TABLE_NAME`,
/// `LINK_KEY_PARAMETER` (SSM SecureString, hex), `PUBLIC_BASE_URL`,
/// `LINK_LIFETIME_HOURS` (168), `PROVIDER_RATE` (messages per second, per
/// concurrent instance), `FALLBACK_QUEUE_URL` (optional).
#[cfg(all(feature = "dynamodb", feature = "sqs", feature = "ssm"))]
pub async fn deps_from_env(
    channel: Channel,
    sender: Arc<dyn Sender>,
    aws: &aws_config::SdkConfig,
) -> Result<SenderDeps, Box<dyn std::error::Error + Send + Sync>> {
    use crate::config::{parsed_or, required};
    let key_hex = crate::adapters::ssm::secure_parameter(aws, &required("LINK_KEY_PARAMETER")?).await?;
    let links = Links {
        key: LinkKey::from_hex(&key_hex).map_err(|e| format!("the link key {e}"))?,
        base_url: required("PUBLIC_BASE_URL")?,
        lifetime: Duration::hours(parsed_or("LINK_LIFETIME_HOURS", 168)?),
    };
    let fallback = std::env::var("FALLBACK_QUEUE_URL").ok().filter(|u| !u.is_empty()).map(|url| {
        (fallback_for(channel), Arc::new(crate::adapters::sqs::SqsQueue::from_config(aws, url)) as Arc<dyn Queue>)
    });
    Ok(SenderDeps {
        channel,
        store: Arc::new(crate::adapters::dynamodb::DynamoStore::from_config(aws, required("TABLE_NAME")?)),
        sender,
        fallback,
        clock: Arc::new(crate::clock::SystemClock),
        ids: Arc::new(crate::ids::RandomIds),
        links,
        pacer: Pacer::per_second(parsed_or("PROVIDER_RATE", 10.0)?),
        lease: Duration::seconds(60),
        reads: ReadCache::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_pacer_spaces_calls_at_the_configured_rate() {
        let pacer = Pacer::per_second(5.0);
        let start = Instant::now();
        for _ in 0..10 {
            pacer.wait().await;
        }
        // Ten calls at five a second: the tenth goes 1.8 s after the first.
        assert_eq!(Instant::now() - start, std::time::Duration::from_millis(1800));
    }
}
