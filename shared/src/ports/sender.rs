//! The sender port: hands one rendered message to its provider (SNS for SMS,
//! SES for email, the WhatsApp Cloud API) and says whether it was accepted,
//! should be retried, or was refused for good.

use super::Cause;
use crate::domain::contact::{EmailAddress, PhoneNumber};
use crate::render::{Email, WhatsAppTemplate};
use async_trait::async_trait;

/// A rendered message and its address. Carries personal data: never logged.
#[derive(Clone, PartialEq, Eq)]
pub enum Outgoing {
    Sms { to: PhoneNumber, text: String },
    Email { to: EmailAddress, email: Email },
    WhatsApp { to: PhoneNumber, template: WhatsAppTemplate },
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outgoing::Sms { .. } => "Outgoing::Sms(<redacted>)",
            Outgoing::Email { .. } => "Outgoing::Email(<redacted>)",
            Outgoing::WhatsApp { .. } => "Outgoing::WhatsApp(<redacted>)",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Over the provider's rate: retry later, never drop.
    #[error("the provider is throttling")]
    Throttled(#[source] Cause),
    /// Timeouts, network or server errors, or our own configuration: retry later.
    #[error("the provider could not take the message now")]
    Transient(#[source] Cause),
    /// This message can never be delivered this way (invalid number, opted
    /// out, unverified address, template rejected, not on WhatsApp).
    #[error("the provider refused the message: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Sender: Send + Sync {
    /// Returns the provider's message id once it has accepted the message.
    async fn send(&self, message: &Outgoing) -> Result<String, SendError>;

    /// The same, telling the provider which notification this is (ids only:
    /// `<incident>/<contact>#<channel>#<step>`), for providers that echo it
    /// in their delivery receipts. Most ignore it.
    async fn send_for(&self, message: &Outgoing, _notification: &str) -> Result<String, SendError> {
        self.send(message).await
    }
}

/// A sender given the wrong kind of message: a wiring mistake, not the
/// recipient's fault, so it is retried (and alarms) rather than dropped.
pub fn wrong_channel(expected: &str) -> SendError {
    SendError::Transient(format!("this sender only sends {expected}").into())
}
