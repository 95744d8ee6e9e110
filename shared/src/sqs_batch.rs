//! SQS-triggered Lambdas: each record is processed on its own and only the
//! failed ones are reported (`ReportBatchItemFailures`), so one bad message
//! never makes a whole batch be redelivered. A failed record comes back after
//! the queue's visibility timeout and, after `maxReceiveCount`, goes to the
//! dead-letter queue.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};
use std::future::Future;

/// Runs an SQS-triggered Lambda whose records are handled by `handle`.
pub async fn run<F, Fut, E>(handle: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(String) -> Fut + Copy,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, lambda_runtime::Error>(process(event.payload, handle).await)
    }))
    .await
}

/// Runs `handle` on every record body; records whose handling fails (or
/// that have no body) are reported as batch item failures.
pub async fn process<F, Fut, E>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        let outcome = match record.body {
            Some(body) => handle(body).await.map_err(|e| e.to_string()),
            None => Err("the message has no body".into()),
        };
        if let Err(error) = outcome {
            tracing::warn!(message_id = %id, %error, "message failed; SQS will redeliver it");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
