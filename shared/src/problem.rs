//! Problem details (RFC 9457): how every SIM HTTP error is answered. The
//! detail is written for the caller; internal causes are logged, never sent.

use crate::domain::FieldError;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident_id: Option<String>,
    /// Sent as the Retry-After header, not in the body.
    #[serde(skip)]
    pub retry_after: Option<u32>,
    /// Sent as the Allow header, not in the body.
    #[serde(skip)]
    pub allow: Option<&'static str>,
}

impl Problem {
    /// `slug` names the problem type, as `urn:sim:problem:<slug>`.
    pub fn new(status: u16, slug: &str, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:sim:problem:{slug}"),
            title,
            status,
            detail: detail.into(),
            errors: Vec::new(),
            incident_id: None,
            retry_after: None,
            allow: None,
        }
    }

    pub fn to_response(&self) -> http::Response<String> {
        let body = serde_json::to_string(self).expect("a problem always serialises");
        let mut builder = http::Response::builder()
            .status(self.status)
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header(http::header::CACHE_CONTROL, "no-store");
        if let Some(seconds) = self.retry_after {
            builder = builder.header(http::header::RETRY_AFTER, seconds);
        }
        if let Some(allow) = self.allow {
            builder = builder.header(http::header::ALLOW, allow);
        }
        builder.body(body).expect("a problem response is always valid")
    }
}
