//! The queue port: at-least-once delivery of small messages carrying ids only.

use super::Cause;
use crate::domain::policy::Channel;
use async_trait::async_trait;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    pub body: String,
    /// Held back this long before it can be received (SQS allows up to 900 s).
    pub delay_seconds: u32,
}

impl OutgoingMessage {
    pub fn now(body: impl Into<String>) -> Self {
        Self { body: body.into(), delay_seconds: 0 }
    }

    /// `body` held back until `due` or as long as SQS allows (15 minutes): a
    /// check that arrives early re-queues itself for the rest.
    pub fn due_at(body: impl Into<String>, due: time::OffsetDateTime, now: time::OffsetDateTime) -> Self {
        let wait = (due - now).whole_seconds().clamp(0, MAX_QUEUE_DELAY_SECONDS);
        Self { body: body.into(), delay_seconds: wait as u32 }
    }
}

/// SQS holds a message back at most 15 minutes: longer waits are chained.
pub const MAX_QUEUE_DELAY_SECONDS: i64 = 900;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub body: String,
    /// Handle to delete this delivery once processed.
    pub receipt: String,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is unavailable")]
    Unavailable(#[source] Cause),
    #[error("{failed} of {total} messages were not accepted")]
    Partial { failed: usize, total: usize },
    #[error("the queue refused the request")]
    Permanent(#[source] Cause),
    /// A fan-out named a channel this function has no queue for (wiring error).
    #[error("no queue for the {0} channel")]
    NoRoute(Channel),
}

/// A queue message that cannot be read as its queue's message type: retrying
/// cannot help, so it is reported as failed and ends in the dead-letter queue.
#[derive(Debug, thiserror::Error)]
#[error("not a {expected}: {cause}")]
pub struct PoisonMessage {
    pub expected: &'static str,
    pub cause: String,
}

/// Reads a queue message body as its JSON message type: the one parse step
/// every queue consumer shares (the Lambdas' batch helper, the local stack).
pub fn parse_message<M: serde::de::DeserializeOwned>(body: &str) -> Result<M, PoisonMessage> {
    serde_json::from_str(body).map_err(|e| PoisonMessage {
        expected: std::any::type_name::<M>().rsplit("::").next().unwrap_or("message"),
        cause: e.to_string(),
    })
}

#[async_trait]
pub trait Queue: Send + Sync {
    /// Sends every message (batched by the adapter), or reports what failed.
    async fn send(&self, messages: &[OutgoingMessage]) -> Result<(), QueueError>;
    /// Up to `max` messages now visible; they stay hidden until deleted or
    /// until the visibility timeout passes.
    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError>;
    async fn delete(&self, receipt: &str) -> Result<(), QueueError>;
}

/// The three sender queues.
#[derive(Clone)]
pub struct ChannelQueues {
    pub sms: Arc<dyn Queue>,
    pub email: Arc<dyn Queue>,
    pub whatsapp: Arc<dyn Queue>,
}

/// Which queue carries a channel's messages: all three sender queues, or a
/// sender's one fallback queue.
pub trait QueueRoute: Send + Sync {
    fn for_channel(&self, channel: Channel) -> Option<&dyn Queue>;
}

impl QueueRoute for ChannelQueues {
    fn for_channel(&self, channel: Channel) -> Option<&dyn Queue> {
        Some(&**self.queue(channel))
    }
}

impl ChannelQueues {
    pub fn for_channel_arc(&self, channel: Channel) -> Arc<dyn Queue> {
        self.queue(channel).clone()
    }

    fn queue(&self, channel: Channel) -> &Arc<dyn Queue> {
        match channel {
            Channel::Sms => &self.sms,
            Channel::Email => &self.email,
            Channel::WhatsApp => &self.whatsapp,
        }
    }
}

/// Checks that travel on a delay queue until they fall due (escalation and
/// briefing checks): held back until due, or as long as SQS allows, and
/// chained past its 15 minutes by re-queueing themselves for the rest. Kept
/// here, not on the domain types, so the domain imports no port.
pub trait DelayedCheck {
    fn message(&self, now: OffsetDateTime) -> OutgoingMessage;
}

impl DelayedCheck for crate::domain::notification::EscalationCheck {
    fn message(&self, now: OffsetDateTime) -> OutgoingMessage {
        OutgoingMessage::due_at(serde_json::to_string(self).expect("checks serialise"), self.due_at, now)
    }
}

impl DelayedCheck for crate::domain::follow_up::BriefingCheck {
    fn message(&self, now: OffsetDateTime) -> OutgoingMessage {
        OutgoingMessage::due_at(serde_json::to_string(self).expect("checks serialise"), self.due_at, now)
    }
}
