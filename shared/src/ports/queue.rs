//! The queue port: at-least-once delivery of small messages carrying ids only.

use super::Cause;
use async_trait::async_trait;

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
}

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
