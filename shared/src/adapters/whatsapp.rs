//! WhatsApp through the WhatsApp Business Cloud API:
//! `POST {base}/{version}/{phone-number-id}/messages` with a bearer token,
//! sending SIM's approved template (business-initiated messages must use one).

use crate::domain::contact::PhoneNumber;
use crate::ports::sender::{wrong_channel, Outgoing, SendError, Sender};
use crate::render::WhatsAppTemplate;
use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use std::time::Duration;

/// Cloud API error codes meaning "this message cannot be delivered this way".
const PERMANENT: &[i64] = &[
    100, 131008, 131009, 131021, 131026, 131030, 131047, 131051, 132000, 132001, 132005, 132007, 132012, 132015, 132016,
];
/// Rate limits: retry later.
const THROTTLED: &[i64] = &[4, 80007, 130429, 131048, 131056];
/// Token or app configuration: our fault, retried until fixed (and alarmed).
const CONFIGURATION: &[i64] = &[0, 3, 10, 190, 200];

const TIMEOUT: Duration = Duration::from_secs(10);

pub struct CloudApiWhatsApp {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint: String,
    token: String,
}

impl CloudApiWhatsApp {
    /// `base_url` is `https://graph.facebook.com` in production; tests point
    /// it at a loopback server.
    pub fn new(base_url: &str, version: &str, phone_number_id: &str, token: String) -> std::io::Result<Self> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            endpoint: format!("{}/{version}/{phone_number_id}/messages", base_url.trim_end_matches('/')),
            token,
        })
    }
}

/// The request body for a template message.
pub fn template_request(to: &PhoneNumber, template: &WhatsAppTemplate) -> Value {
    let text = |t: &String| json!({"type": "text", "text": t});
    let mut components = vec![
        json!({"type": "body", "parameters": template.body.iter().map(text).collect::<Vec<_>>()}),
        json!({"type": "button", "sub_type": "url", "index": "0", "parameters": [text(&template.button_url_suffix)]}),
    ];
    if let Some(payload) = &template.acknowledge_payload {
        components.push(json!({"type": "button", "sub_type": "quick_reply", "index": "1",
            "parameters": [{"type": "payload", "payload": payload}]}));
    }
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.as_str().trim_start_matches('+'),
        "type": "template",
        "template": {
            "name": template.name,
            "language": {"code": template.language},
            "components": components
        }
    })
}

fn classify(status: u16, body: &Value) -> SendError {
    let code = body["error"]["code"].as_i64().unwrap_or(-1);
    // Status and code only: the provider's message text can quote the recipient.
    let detail = format!("HTTP {status}, WhatsApp error {code}");
    if status == 429 || THROTTLED.contains(&code) {
        SendError::Throttled(detail.into())
    } else if status >= 500 || CONFIGURATION.contains(&code) || status == 401 || status == 403 {
        SendError::Transient(detail.into())
    } else if PERMANENT.contains(&code) || (400..500).contains(&status) {
        // An unknown refusal falls back to SMS rather than waiting: the person is still reached.
        SendError::Permanent(detail)
    } else {
        SendError::Transient(detail.into())
    }
}

#[async_trait]
impl Sender for CloudApiWhatsApp {
    async fn send(&self, message: &Outgoing) -> Result<String, SendError> {
        let Outgoing::WhatsApp { to, template } = message else { return Err(wrong_channel("WhatsApp")) };
        let body = serde_json::to_vec(&template_request(to, template)).expect("JSON serialises");
        let request = hyper::Request::post(&self.endpoint)
            .header(hyper::header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| SendError::Transient(Box::new(e)))?;
        let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| SendError::Transient("the Cloud API did not answer in time".into()))?
            .map_err(|e| SendError::Transient(Box::new(e)))?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.map_err(|e| SendError::Transient(Box::new(e)))?.to_bytes();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status == 200 {
            return body["messages"][0]["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| SendError::Transient("the Cloud API accepted without a message id".into()));
        }
        Err(classify(status, &body))
    }
}
