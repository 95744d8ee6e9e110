//! AWS End User Messaging SMS events (configuration set → SNS → SQS), read
//! as receipts. Phone numbers in the event are never read or kept.

use crate::ReceiptError;
use serde::Deserialize;
use sim::domain::delivery::{DeliveryState, Receipt};
use time::OffsetDateTime;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SmsEvent {
    event_type: String,
    message_id: String,
    /// Milliseconds since the epoch.
    event_timestamp: i64,
    #[serde(default)]
    message_status_description: Option<String>,
}

/// Whether a JSON value looks like an End User Messaging SMS event.
pub fn is_sms_event(value: &serde_json::Value) -> bool {
    value.get("eventType").and_then(|t| t.as_str()).is_some_and(|t| t.starts_with("TEXT_"))
        && value.get("messageId").is_some()
}

/// The state an event type means. Carrier and handset failures, blocks and
/// expiry are permanent: the carrier has stopped trying.
pub fn state_of(event_type: &str) -> DeliveryState {
    match event_type {
        "TEXT_PENDING" | "TEXT_QUEUED" | "TEXT_SUCCESSFUL" => DeliveryState::Accepted,
        "TEXT_DELIVERED" => DeliveryState::Delivered,
        "TEXT_INVALID"
        | "TEXT_INVALID_MESSAGE"
        | "TEXT_UNREACHABLE"
        | "TEXT_CARRIER_UNREACHABLE"
        | "TEXT_BLOCKED"
        | "TEXT_CARRIER_BLOCKED"
        | "TEXT_SPAM"
        | "TEXT_TTL_EXPIRED"
        | "TEXT_OPTED_OUT" => DeliveryState::FailedPermanent,
        _ => DeliveryState::Unknown,
    }
}

pub fn receipt(value: serde_json::Value) -> Result<Receipt, ReceiptError> {
    let event: SmsEvent = serde_json::from_value(value).map_err(|e| ReceiptError::Poison(format!("SMS event: {e}")))?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(event.event_timestamp) * 1_000_000)
        .map_err(|e| ReceiptError::Poison(format!("SMS event time: {e}")))?;
    let state = state_of(&event.event_type);
    let detail = (state != DeliveryState::Delivered && state != DeliveryState::Accepted).then(|| {
        let description = event.message_status_description.unwrap_or_default();
        format!("{}: {}", event.event_type, description).trim_end_matches([':', ' ']).to_owned()
    });
    Ok(Receipt { provider_message_id: event.message_id, state, at, detail })
}
