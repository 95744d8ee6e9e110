//! Amazon SES v2 event publishing (configuration set → SNS → SQS):
//! Delivery, Bounce, Complaint, Reject and DeliveryDelay events, read as
//! receipts. Recipients' addresses in the event are never read or kept.

use crate::ReceiptError;
use serde::Deserialize;
use sim::domain::delivery::{DeliveryState, Receipt};
use time::OffsetDateTime;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    event_type: String,
    mail: Mail,
    #[serde(default)]
    bounce: Option<Bounce>,
    #[serde(default)]
    delivery: Option<Stamped>,
    #[serde(default)]
    complaint: Option<Stamped>,
    #[serde(default)]
    delivery_delay: Option<Delay>,
    #[serde(default)]
    reject: Option<Reject>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: String,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
}

#[derive(Deserialize)]
struct Stamped {
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delay {
    #[serde(default)]
    delay_type: String,
    #[serde(with = "time::serde::rfc3339")]
    timestamp: OffsetDateTime,
}

#[derive(Deserialize)]
struct Reject {
    #[serde(default)]
    reason: String,
}

/// Whether a JSON value looks like an SES event.
pub fn is_ses(value: &serde_json::Value) -> bool {
    value.get("eventType").is_some() && value.get("mail").is_some()
}

/// The receipt an SES event gives, or None for event types that say
/// nothing about delivery (Send, Open, Click, ...).
pub fn receipt(value: serde_json::Value) -> Result<Option<Receipt>, ReceiptError> {
    let event: SesEvent = serde_json::from_value(value).map_err(|e| ReceiptError::Poison(format!("SES event: {e}")))?;
    let id = event.mail.message_id;
    let missing = |what: &str| ReceiptError::Poison(format!("an SES {what} event without its {what} object"));
    let (state, at, detail) = match event.event_type.as_str() {
        "Delivery" => (DeliveryState::Delivered, event.delivery.ok_or_else(|| missing("Delivery"))?.timestamp, None),
        "Bounce" => {
            let b = event.bounce.ok_or_else(|| missing("Bounce"))?;
            // Permanent: the address does not exist or refuses; Transient and
            // Undetermined: SES may still get it through.
            let state = if b.bounce_type == "Permanent" {
                DeliveryState::FailedPermanent
            } else {
                DeliveryState::FailedTemporary
            };
            (state, b.timestamp, Some(format!("bounce: {}/{}", b.bounce_type, b.bounce_sub_type)))
        }
        // A complaint means it arrived and the person marked it as spam.
        "Complaint" => (
            DeliveryState::Delivered,
            event.complaint.ok_or_else(|| missing("Complaint"))?.timestamp,
            Some("complaint: marked as spam".into()),
        ),
        "Reject" => {
            let reason = event.reject.map(|r| r.reason).unwrap_or_default();
            (DeliveryState::FailedPermanent, event.mail.timestamp, Some(format!("rejected by SES: {reason}")))
        }
        "DeliveryDelay" => {
            let d = event.delivery_delay.ok_or_else(|| missing("DeliveryDelay"))?;
            (DeliveryState::FailedTemporary, d.timestamp, Some(format!("delayed: {}", d.delay_type)))
        }
        _ => return Ok(None),
    };
    Ok(Some(Receipt { provider_message_id: id, state, at, detail }))
}
