//! Writing a set of notifications and queueing them for the senders: shared
//! by categorisation (first alerts), escalation (reminders, deputies) and
//! stakeholder briefings.

use crate::clock::Clock;
use crate::domain::notification::{Notification, NotificationKey, NotificationStatus};
use crate::domain::policy::Channel;
use crate::ids::{IdGenerator, LicenseeId};
use crate::ports::{AlertStore, ChannelQueues, OutgoingMessage, Queue, QueueError, QueueRoute, Store, StoreError};
use std::collections::HashMap;
use std::sync::Arc;

/// What the functions that alert people (categorise, escalate) run on.
pub struct Deps {
    pub store: Arc<dyn Store>,
    /// The three sender queues.
    pub queues: ChannelQueues,
    /// The delay queue of escalation checks.
    pub escalation: Arc<dyn Queue>,
    /// The delay queue of briefing checks (category changes,
    /// reviews and key dates re-queue themselves on it).
    pub briefings: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
}

/// How handling one queue message can fail.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// Retrying cannot help; the message ends in the dead-letter queue.
    #[error("the message cannot be processed: {0}")]
    Poison(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

#[derive(Debug, thiserror::Error)]
pub enum FanOutError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<FanOutError> for crate::sending::SendFailure {
    fn from(e: FanOutError) -> Self {
        match e {
            FanOutError::Store(e) => Self::Store(e),
            FanOutError::Queue(e) => Self::Queue(e),
        }
    }
}

impl From<crate::ports::PoisonMessage> for MessageError {
    fn from(e: crate::ports::PoisonMessage) -> Self {
        Self::Poison(e.to_string())
    }
}

impl From<FanOutError> for MessageError {
    fn from(e: FanOutError) -> Self {
        match e {
            FanOutError::Store(e) => Self::Store(e),
            FanOutError::Queue(e) => Self::Queue(e),
        }
    }
}

/// Writes those of `wanted` not in `existing` (keyed by `Notification::key`)
/// and queues every one still pending, one batch per channel, the channels
/// concurrently. Run again after a crash it writes nothing twice and
/// re-queues what no sender has claimed; the senders' claim keeps a message
/// queued twice from being sent twice. Returns the channels used and how
/// many messages were queued.
pub async fn write_and_queue(
    store: &dyn AlertStore,
    queues: &dyn QueueRoute,
    licensee: &LicenseeId,
    wanted: &[Notification],
    existing: &HashMap<NotificationKey, Notification>,
) -> Result<(Vec<Channel>, usize), FanOutError> {
    let missing: Vec<Notification> = wanted.iter().filter(|n| !existing.contains_key(&n.key())).cloned().collect();
    store.put_notifications(&missing).await?;
    let pending: Vec<Notification> = wanted
        .iter()
        .filter(|n| existing.get(&n.key()).is_none_or(|e| e.status == NotificationStatus::Pending))
        .cloned()
        .collect();
    queue_notifications(queues, licensee, &pending).await
}

/// Queues an ids-only message for each notification (`licensee`: the
/// incident's, named in each so the sender reads incident and contact at
/// once), one batch per channel,
/// the channels concurrently; on each channel the messages of people who
/// must acknowledge go first (a queue's batches are sent in order), so the
/// required roles hear first in a large fan-out. Returns the channels used
/// and how many messages were queued.
pub async fn queue_notifications(
    queues: &dyn QueueRoute,
    licensee: &LicenseeId,
    notifications: &[Notification],
) -> Result<(Vec<Channel>, usize), FanOutError> {
    let mut by_channel: HashMap<Channel, Vec<OutgoingMessage>> = HashMap::new();
    let required_first =
        notifications.iter().filter(|n| n.required).chain(notifications.iter().filter(|n| !n.required));
    for n in required_first {
        let body = serde_json::to_string(&n.message(licensee)).expect("messages serialise");
        by_channel.entry(n.channel).or_default().push(OutgoingMessage::now(body));
    }
    let sends = by_channel.iter().map(|(channel, messages)| async move {
        let queue = queues.for_channel(*channel).ok_or(QueueError::NoRoute(*channel))?;
        queue.send(messages).await
    });
    futures_util::future::try_join_all(sends).await?;
    let mut channels: Vec<Channel> = by_channel.keys().copied().collect();
    channels.sort();
    Ok((channels, by_channel.values().map(Vec::len).sum()))
}
