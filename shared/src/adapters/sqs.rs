//! SQS queue: batched sends (ten per request, the SQS maximum).

use super::aws::is_retryable;
use crate::ports::queue::{OutgoingMessage, Queue, QueueError, ReceivedMessage};
use async_trait::async_trait;
use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

const BATCH: usize = 10;

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

fn sdk_error<E, R>(err: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: super::aws::HasStatus + std::fmt::Debug + Send + Sync + 'static,
{
    if is_retryable(&err) {
        QueueError::Unavailable(Box::new(err))
    } else {
        QueueError::Permanent(Box::new(err))
    }
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    pub fn from_config(config: &aws_config::SdkConfig, url: impl Into<String>) -> Self {
        Self::new(Client::new(config), url)
    }

    /// Creates the queue and its dead-letter queue if missing (for the local
    /// stack and tests; production queues come from the SAM template) and
    /// returns the queue.
    pub async fn create_if_missing(client: Client, name: &str) -> Result<Self, QueueError> {
        let dlq_url = client
            .create_queue()
            .queue_name(format!("{name}-dlq"))
            .send()
            .await
            .map_err(sdk_error)?
            .queue_url
            .unwrap_or_default();
        let dlq_arn = client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(sdk_error)?
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .unwrap_or_default();
        let redrive = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"5"}}"#);
        let url = client
            .create_queue()
            .queue_name(name)
            .attributes(QueueAttributeName::RedrivePolicy, redrive)
            .send()
            .await
            .map_err(sdk_error)?
            .queue_url
            .unwrap_or_default();
        Ok(Self::new(client, url))
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send(&self, messages: &[OutgoingMessage]) -> Result<(), QueueError> {
        let mut failed = 0;
        for chunk in messages.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&m.body)
                        .delay_seconds(i32::try_from(m.delay_seconds.min(900)).unwrap_or(900))
                        .build()
                        .map_err(|e| QueueError::Permanent(Box::new(e)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(sdk_error)?;
            failed += out.failed.len();
        }
        if failed > 0 {
            return Err(QueueError::Partial { failed, total: messages.len() });
        }
        Ok(())
    }

    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(i32::try_from(max.clamp(1, BATCH)).unwrap_or(10))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| ReceivedMessage {
                body: m.body.unwrap_or_default(),
                receipt: m.receipt_handle.unwrap_or_default(),
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.client.delete_message().queue_url(&self.url).receipt_handle(receipt).send().await.map_err(sdk_error)?;
        Ok(())
    }
}
