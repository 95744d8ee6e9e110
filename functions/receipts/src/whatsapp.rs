//! The WhatsApp Business webhook: Meta's GET verification handshake, and
//! POSTs whose `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the
//! app secret) is checked in constant time before anything is parsed. A
//! verified post is reduced to ids, states and times (no phone numbers,
//! names or message text), queued for the receipts function, and answered
//! 200 at once; a forged or unsigned one gets 401 and nothing is queued.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sim::domain::delivery::{DeliveryState, Receipt};
use sim::ports::{OutgoingMessage, Queue};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

pub struct WebhookDeps {
    /// `hub.verify_token` as configured in Meta's app dashboard (from SSM).
    pub verify_token: String,
    /// The Meta app secret (from SSM): the HMAC key of every post.
    pub app_secret: Vec<u8>,
    /// The receipts queue.
    pub queue: Arc<dyn Queue>,
}

/// What a verified webhook post is queued as: ids only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookBatch {
    pub whatsapp_statuses: Vec<Receipt>,
    #[serde(default)]
    pub whatsapp_replies: Vec<QuickReply>,
}

/// A button pressed on a message SIM sent: the button's payload (the signed
/// acknowledgement token) and the id of the message it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuickReply {
    pub payload: String,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Whether `signature_header` (`sha256=<hex>`) is the HMAC-SHA256 of `body`
/// under `secret`, compared in constant time.
pub fn signature_valid(secret: &[u8], body: &[u8], signature_header: Option<&str>) -> bool {
    let Some(hex_sig) = signature_header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(presented) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    presented.len() == expected.len() && bool::from(expected.as_slice().ct_eq(&presented))
}

/// The signature Meta would send for `body`: for tests and the local stack.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn text(status: http::StatusCode, body: &str) -> http::Response<String> {
    http::Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .header("cache-control", "no-store")
        .body(body.to_owned())
        .expect("static response")
}

/// Handles one webhook request.
pub async fn handle(deps: &WebhookDeps, request: http::Request<Vec<u8>>) -> http::Response<String> {
    use http::{Method, StatusCode};
    match *request.method() {
        Method::GET => {
            let query = request.uri().query().unwrap_or_default();
            let param = |name: &str| {
                url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
            };
            let token_ok =
                param("hub.verify_token").is_some_and(|t| bool::from(t.as_bytes().ct_eq(deps.verify_token.as_bytes())));
            match (param("hub.mode").as_deref(), token_ok, param("hub.challenge")) {
                (Some("subscribe"), true, Some(challenge)) => text(StatusCode::OK, &challenge),
                _ => text(StatusCode::FORBIDDEN, "verification refused"),
            }
        }
        Method::POST => {
            let signature = request.headers().get("x-hub-signature-256").and_then(|v| v.to_str().ok());
            if !signature_valid(&deps.app_secret, request.body(), signature) {
                tracing::warn!("webhook post with a missing or wrong signature refused");
                return text(StatusCode::UNAUTHORIZED, "signature required");
            }
            let batch = match parse(request.body()) {
                Ok(batch) => batch,
                Err(e) => {
                    // Signed by Meta but not understood: nothing to retry.
                    tracing::warn!(error = %e, "signed webhook post not understood");
                    return text(StatusCode::OK, "ignored");
                }
            };
            if batch.whatsapp_statuses.is_empty() && batch.whatsapp_replies.is_empty() {
                return text(StatusCode::OK, "nothing to do");
            }
            let body = serde_json::to_string(&batch).expect("batches serialise");
            match deps.queue.send(&[OutgoingMessage::now(body)]).await {
                Ok(()) => text(StatusCode::OK, "queued"),
                // Meta retries a post that is not answered 200.
                Err(e) => {
                    tracing::error!(error = %e, "could not queue a webhook post");
                    text(StatusCode::SERVICE_UNAVAILABLE, "try again")
                }
            }
        }
        _ => text(StatusCode::METHOD_NOT_ALLOWED, "GET or POST"),
    }
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    entry: Vec<Entry>,
}
#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}
#[derive(Deserialize)]
struct Change {
    value: Value,
}
#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    statuses: Vec<Status>,
    #[serde(default)]
    messages: Vec<Message>,
}
#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    timestamp: String,
    #[serde(default)]
    errors: Vec<ErrorInfo>,
}
#[derive(Deserialize)]
struct ErrorInfo {
    code: i64,
    #[serde(default)]
    title: String,
}
#[derive(Deserialize)]
struct Message {
    timestamp: String,
    #[serde(default)]
    context: Option<Context>,
    #[serde(default)]
    button: Option<Button>,
    #[serde(default)]
    interactive: Option<Interactive>,
}
#[derive(Deserialize)]
struct Context {
    id: String,
}
#[derive(Deserialize)]
struct Button {
    payload: String,
}
#[derive(Deserialize)]
struct Interactive {
    #[serde(default)]
    button_reply: Option<ButtonReply>,
}
#[derive(Deserialize)]
struct ButtonReply {
    id: String,
}

fn unix_time(text: &str) -> Result<OffsetDateTime, String> {
    let seconds: i64 = text.parse().map_err(|_| "a timestamp that is not a number".to_owned())?;
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|e| e.to_string())
}

/// Reduces a webhook body to statuses and button replies, dropping
/// everything else (phone numbers, names, free text, pricing).
pub fn parse(body: &[u8]) -> Result<WebhookBatch, String> {
    let payload: Payload = serde_json::from_slice(body).map_err(|e| format!("not a webhook payload: {e}"))?;
    let mut batch = WebhookBatch { whatsapp_statuses: vec![], whatsapp_replies: vec![] };
    for value in payload.entry.into_iter().flat_map(|e| e.changes).map(|c| c.value) {
        for s in value.statuses {
            let state = match s.status.as_str() {
                "sent" => DeliveryState::Accepted,
                "delivered" => DeliveryState::Delivered,
                "read" => DeliveryState::Read,
                // WhatsApp does not retry a failed message.
                "failed" => DeliveryState::FailedPermanent,
                _ => continue,
            };
            let detail = s.errors.first().map(|e| format!("whatsapp error {}: {}", e.code, e.title));
            batch.whatsapp_statuses.push(Receipt {
                provider_message_id: s.id,
                state,
                at: unix_time(&s.timestamp)?,
                detail,
            });
        }
        for m in value.messages {
            let payload = match (m.button, m.interactive.and_then(|i| i.button_reply)) {
                (Some(b), _) => b.payload,
                (None, Some(r)) => r.id,
                // Free text is not an acknowledgement; it is not kept either.
                (None, None) => continue,
            };
            batch.whatsapp_replies.push(QuickReply {
                payload,
                in_reply_to: m.context.map(|c| c.id),
                at: unix_time(&m.timestamp)?,
            });
        }
    }
    Ok(batch)
}
