//! Entities to and from DynamoDB items (serde_dynamo), with their key and
//! index attributes; SDK errors to `StoreError`.

use super::keys::*;
use super::Item;
use crate::adapters::aws::is_retryable;
use crate::domain::checklist::ChecklistItem;
use crate::domain::{Incident, TimelineEvent};
use crate::ports::store::StoreError;
use crate::ports::Cause;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason, Put, TransactWriteItem};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn sdk_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: crate::adapters::aws::HasStatus + std::fmt::Debug + Send + Sync + 'static,
{
    if is_retryable(&err) {
        StoreError::Unavailable(Box::new(err))
    } else {
        StoreError::Permanent(Box::new(err))
    }
}

pub(crate) fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Permanent(Box::new(e) as Cause)
}

pub(super) fn to_item<T: Serialize>(value: &T, pk: String, sk: String) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(corrupt)?;
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    Ok(item)
}

pub(super) fn from_item<T: DeserializeOwned>(mut item: Item) -> Result<T, StoreError> {
    for key in [
        "pk",
        "sk",
        "gsi1pk",
        "gsi1sk",
        "gsi2pk",
        "gsi2sk",
        "gsi3pk",
        "gsi3sk",
        "delivery_rank",
        "expires_at",
        "lease_expires",
    ] {
        item.remove(key);
    }
    serde_dynamo::from_item(item).map_err(corrupt)
}

pub(super) fn incident_item(incident: &Incident) -> Result<Item, StoreError> {
    let mut item = to_item(incident, incident_pk(&incident.id), "INCIDENT".into())?;
    // In the sweeper's index while it still sends it again.
    if let Some(pending) = incident.handoff.as_ref().filter(|p| p.swept()) {
        item.insert("gsi1pk".into(), s(HANDOFF_PARTITION));
        item.insert("gsi1sk".into(), s(handoff_sort_key(pending, &incident.id)));
    }
    if let Some(ward) = &incident.report.location.ward {
        item.insert("gsi2pk".into(), s(ward_pk(&incident.licensee_id, ward)));
        item.insert("gsi2sk".into(), s(format!("{}#{}", sortable(incident.report.occurred_at), incident.id)));
    }
    Ok(item)
}

/// The sweeper's index sort key: when the pending change was last sent.
pub(super) fn handoff_sort_key(
    pending: &crate::domain::incident::PendingHandoff,
    id: &crate::ids::IncidentId,
) -> String {
    format!("{}#{}", sortable(pending.last_sent()), id)
}

/// A notification with, once the provider has given it an id, the message
/// index keys (`gsi3pk = MSG#<id>`) that delivery receipts are matched on.
pub(super) fn notification_item(n: &crate::domain::notification::Notification) -> Result<Item, StoreError> {
    let mut item = to_item(n, incident_pk(&n.incident_id), format!("NOTIFY#{}", n.key()))?;
    if let Some(id) = &n.provider_message_id {
        item.insert("gsi3pk".into(), s(message_pk(id)));
        item.insert("gsi3sk".into(), s("NOTIFY"));
    }
    Ok(item)
}

pub(super) fn checklist_item(item: &ChecklistItem) -> Result<Item, StoreError> {
    let sk = format!("CHECK#{:03}#{:03}", item.section_position, item.position);
    to_item(item, incident_pk(&item.incident_id), sk)
}

pub(super) fn event_item(event: &TimelineEvent) -> Result<Item, StoreError> {
    to_item(event, incident_pk(&event.incident_id), format!("EVENT#{}#{}", sortable(event.at), event.id))
}

pub(super) fn put(table: &str, item: Item, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.map(str::to_owned))
        .build()
        .map_err(corrupt)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The reasons a transaction was cancelled, one per write in order, if it was.
pub(super) fn cancellation_reasons<R>(
    err: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<&[CancellationReason]> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(c) => Some(c.cancellation_reasons()),
        _ => None,
    }
}

/// Whether a cancelled transaction's write was refused by its own condition.
pub(super) fn refused(reason: &CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
}

/// The index of the first item whose condition failed in a cancelled transaction.
pub(super) fn failed_condition<R>(
    err: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<usize> {
    cancellation_reasons(err)?.iter().position(refused)
}

/// The errors of the single-item writes that can carry a condition.
pub(crate) trait ConditionalWriteError {
    /// The failed condition, when that is what the error is.
    fn condition_failed(&self) -> Option<&ConditionalCheckFailedException>;
}

macro_rules! conditional_write_error {
    ($($error:ty),*) => {$(
        impl ConditionalWriteError for $error {
            fn condition_failed(&self) -> Option<&ConditionalCheckFailedException> {
                match self {
                    Self::ConditionalCheckFailedException(c) => Some(c),
                    _ => None,
                }
            }
        }
    )*};
}

conditional_write_error!(PutItemError, UpdateItemError, DeleteItemError);

/// A conditional write's answer: `Ok(output)` if it was made, `Err` with the
/// item its condition saw (when the request asked for it) if its condition
/// failed; any other error is `sdk_error`'s, its cause kept.
pub(crate) fn conditional<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<Result<T, Option<Item>>, StoreError>
where
    E: ConditionalWriteError + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: crate::adapters::aws::HasStatus + std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Ok(output)),
        Err(e) => match e.as_service_error().and_then(ConditionalWriteError::condition_failed) {
            Some(failed) => Ok(Err(failed.item().cloned())),
            None => Err(sdk_error(e)),
        },
    }
}

/// Whether a conditional write was made (`false`: its condition failed).
pub(crate) fn written<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ConditionalWriteError + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: crate::adapters::aws::HasStatus + std::fmt::Debug + Send + Sync + 'static,
{
    conditional(result).map(|answer| answer.is_ok())
}
