//! Intake's errors and how each is answered. Internal causes are logged with
//! their chain; the caller sees only a plain explanation.

use lambda_http::{Body, Response};
use sim::domain::FieldError;
use sim::ids::IncidentId;
use sim::ports::keys::KeyError;
use sim::ports::StoreError;
use sim::problem::Problem;
use sim::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("missing, malformed or unknown API key")]
    Unauthorised,
    #[error("{0}")]
    Forbidden(String),
    #[error("no such incident for this caller")]
    NotFound,
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("{} field(s) are invalid", .0.len())]
    Invalid(Vec<FieldError>),
    #[error("police reference already used for a different report")]
    DuplicateReference { incident_id: IncidentId },
    #[error("request body too large")]
    TooLarge,
    #[error("unsupported content type")]
    UnsupportedMediaType,
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    #[error("the incident kept changing while the update was applied")]
    Contended,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] sim::vault::VaultError),
}

impl IntakeError {
    pub fn to_problem(&self) -> Problem {
        use IntakeError::*;
        match self {
            Unauthorised => Problem::new(
                401,
                "unauthorised",
                "Unauthorised",
                "Send the API key SIM issued to your system as 'Authorization: Bearer <key>'.",
            ),
            Forbidden(reason) => Problem::new(403, "forbidden", "Forbidden", reason.clone()),
            NotFound => Problem::new(404, "not-found", "Not found", "There is no such incident for this API key."),
            MalformedJson(reason) => Problem::new(
                400,
                "malformed-json",
                "Malformed JSON",
                format!("The request body is not valid JSON: {reason}."),
            ),
            Invalid(errors) => Problem {
                errors: errors.clone(),
                ..Problem::new(
                    422,
                    "invalid-fields",
                    "Invalid fields",
                    "Some fields are missing or invalid; each is listed in 'errors'. Nothing was stored.",
                )
            },
            DuplicateReference { incident_id } => Problem {
                incident_id: Some(incident_id.to_string()),
                ..Problem::new(
                    409,
                    "duplicate-reference",
                    "Police reference already reported",
                    format!(
                        "This police reference was already reported with different details as incident \
                         {incident_id}. Send changes to POST /v1/incidents/{incident_id}/updates."
                    ),
                )
            },
            TooLarge => Problem::new(
                413,
                "payload-too-large",
                "Payload too large",
                format!("The request body must be at most {} bytes.", crate::MAX_BODY_BYTES),
            ),
            UnsupportedMediaType => Problem::new(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as JSON with 'Content-Type: application/json'.",
            ),
            MethodNotAllowed(allow) => Problem {
                allow: Some(allow),
                ..Problem::new(405, "method-not-allowed", "Method not allowed", format!("Use {allow} on this path."))
            },
            Contended | Store(StoreError::Unavailable(_) | StoreError::Conflict) => Problem {
                retry_after: Some(1),
                ..Problem::new(
                    503,
                    "unavailable",
                    "Temporarily unavailable",
                    "SIM could not complete the request just now. Retry it: retries are safe.",
                )
            },
            Vault(VaultError::Expired) => Problem::new(
                409,
                "retention-ended",
                "Retention period ended",
                "This incident is past its retention date: SIM no longer accepts subject records for it.",
            ),
            Vault(
                VaultError::Store(StoreError::Unavailable(_) | StoreError::Conflict)
                | VaultError::Keys(KeyError::Unavailable(_)),
            ) => Problem {
                retry_after: Some(1),
                ..Problem::new(
                    503,
                    "unavailable",
                    "Temporarily unavailable",
                    "SIM could not complete the request just now. Retry it: retries are safe.",
                )
            },
            Vault(_) | Store(StoreError::Permanent(_)) => Problem::new(
                500,
                "internal",
                "Internal error",
                "SIM could not complete the request. Retry it; if it keeps failing, call the SIM service desk.",
            ),
        }
    }

    pub fn log_and_respond(self) -> Response<Body> {
        let problem = self.to_problem();
        if problem.status >= 500 {
            tracing::error!(error = %error_chain(&self), status = problem.status, "request failed");
        } else {
            tracing::info!(error = %self, status = problem.status, "request refused");
        }
        let mut response = problem.to_response();
        if problem.status == 401 {
            // RFC 9110 §11.6.1: a 401 says which scheme to use.
            response.headers_mut().insert(
                lambda_http::http::header::WWW_AUTHENTICATE,
                lambda_http::http::HeaderValue::from_static(r#"Bearer realm="sim""#),
            );
        }
        response.map(Body::from)
    }
}

/// "outer: inner: root" for logs.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
