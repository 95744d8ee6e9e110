//! SQS-triggered Lambdas, generic over their message type (as the Lambda
//! runtime's partial-batch example is): each record's body is read as the
//! message type and handled on its own, and only the failed ones are reported
//! (`ReportBatchItemFailures`), so one bad message never makes a whole batch
//! be redelivered. A body that is not the message type is poison: reported,
//! it comes back after the visibility timeout and, after `maxReceiveCount`,
//! goes to the dead-letter queue.

use crate::ports::parse_message;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};
use serde::de::DeserializeOwned;
use std::future::Future;

/// Runs an SQS-triggered Lambda whose messages of type `M` are handled by `handle`.
pub async fn run<M, F, Fut, T, E>(handle: F) -> Result<(), lambda_runtime::Error>
where
    M: DeserializeOwned,
    F: Fn(M) -> Fut + Copy,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, lambda_runtime::Error>(process(event.payload, handle).await)
    }))
    .await
}

/// Reads every record body as `M` and runs `handle` on it; records that are
/// not an `M`, have no body, or whose handling fails are reported as batch
/// item failures.
pub async fn process<M, F, Fut, T, E>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    M: DeserializeOwned,
    F: Fn(M) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        let outcome = match record.body.as_deref().map(parse_message::<M>) {
            Some(Ok(message)) => handle(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Some(Err(poison)) => Err(poison.to_string()),
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

/// Runs an SQS-triggered Lambda that handles its batch as one: `handle`
/// gets every well-formed message of the batch and answers each in order
/// (or fails the whole batch); failed ones are reported as batch item
/// failures, as with `run`.
pub async fn run_batches<M, F, Fut, T, E>(handle: F) -> Result<(), lambda_runtime::Error>
where
    M: DeserializeOwned,
    F: Fn(Vec<M>) -> Fut + Copy,
    Fut: Future<Output = Result<Vec<Result<T, E>>, E>>,
    E: std::fmt::Display,
{
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, lambda_runtime::Error>(process_batch(event.payload, handle).await)
    }))
    .await
}

/// `process` for a handler of whole batches.
pub async fn process_batch<M, F, Fut, T, E>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    M: DeserializeOwned,
    F: Fn(Vec<M>) -> Fut,
    Fut: Future<Output = Result<Vec<Result<T, E>>, E>>,
    E: std::fmt::Display,
{
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut ids = Vec::new();
    let mut messages = Vec::new();
    for record in event.records {
        let id = record.message_id.unwrap_or_default();
        match record.body.as_deref().map(parse_message::<M>) {
            Some(Ok(message)) => {
                ids.push(id);
                messages.push(message);
            }
            Some(Err(poison)) => failures.push((id, poison.to_string())),
            None => failures.push((id, "the message has no body".into())),
        }
    }
    if !messages.is_empty() {
        match handle(messages).await {
            Ok(outcomes) => {
                for (id, outcome) in ids.into_iter().zip(outcomes) {
                    if let Err(e) = outcome {
                        failures.push((id, e.to_string()));
                    }
                }
            }
            Err(e) => failures.extend(ids.into_iter().map(|id| (id, e.to_string()))),
        }
    }
    let mut response = SqsBatchResponse::default();
    for (id, error) in failures {
        tracing::warn!(message_id = %id, %error, "message failed; SQS will redeliver it");
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}
