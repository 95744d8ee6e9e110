//! "Send a test message": per contact and channel, through the same sender
//! an alert goes through, clearly marked as a test, with no incident. The
//! outcome is recorded on the contact (`DirectoryChangeStore::test_messages`),
//! and the provider's delivery receipt, when one comes, beside it (the
//! receipts function, through `DeliveryStore::receipt_target`).

use crate::clock::Clock;
use crate::domain::policy::Channel;
use crate::domain::Contact;
use crate::ids::{ContactId, LicenseeId};
use crate::ports::sender::{Outgoing, SendError, Sender};
use crate::ports::store::{DirectoryChangeStore, DirectoryStore, StoreError, TestMessageRecord, TestOutcome};
use crate::render::{Email, WhatsAppTemplate};

/// The WhatsApp template a test goes out as (to be approved beside
/// `sim_incident_alert`): body {{1}} the licensee's name.
pub const WHATSAPP_TEST_TEMPLATE: &str = "sim_test_message";

#[derive(Debug, thiserror::Error)]
pub enum TestMessageError {
    #[error("there is no such contact")]
    NoSuchContact,
    #[error("the directory could not be read or written")]
    Store(#[from] StoreError),
}

/// The test message for a channel: says it is a test, names no incident.
pub fn render(channel: Channel, contact: &Contact, licensee_name: &str) -> Option<Outgoing> {
    let text = format!(
        "SIM TEST MESSAGE for {licensee_name}. This is a test: there is no incident and nothing to do. \
         It checks SIM can reach you on this channel."
    );
    match channel {
        Channel::Sms => contact.mobile.clone().map(|to| Outgoing::Sms { to, text }),
        Channel::WhatsApp => contact.mobile.clone().filter(|_| contact.whatsapp_opt_in).map(|to| Outgoing::WhatsApp {
            to,
            template: WhatsAppTemplate {
                name: WHATSAPP_TEST_TEMPLATE,
                language: "en_GB",
                body: vec![licensee_name.to_owned()],
                button_url_suffix: String::new(),
                acknowledge_payload: None,
            },
        }),
        Channel::Email => contact.email.clone().map(|to| Outgoing::Email {
            to,
            email: Email {
                subject: format!("[TEST] SIM test message for {licensee_name}"),
                html: format!("<p>{}</p>", escape(&text)),
                text,
            },
        }),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Sends a test message to a contact on one channel and records the outcome
/// on the contact: what the console's "send a test message" button calls.
pub async fn send_test_message<S: DirectoryStore + DirectoryChangeStore + ?Sized>(
    store: &S,
    sender: &dyn Sender,
    licensee: &LicenseeId,
    contact_id: &ContactId,
    channel: Channel,
    by: &str,
    clock: &dyn Clock,
) -> Result<TestMessageRecord, TestMessageError> {
    let contact = store.get_contact(licensee, contact_id).await?.ok_or(TestMessageError::NoSuchContact)?;
    let licensee_name = store.get_licensee(licensee).await?.map(|l| l.name).unwrap_or_else(|| licensee.to_string());
    let outcome = match render(channel, &contact, &licensee_name) {
        None => TestOutcome::Unreachable {
            reason: match channel {
                Channel::WhatsApp if contact.mobile.is_some() => "the contact has not opted in to WhatsApp".into(),
                Channel::Email => "the contact has no email address".into(),
                _ => "the contact has no mobile number".into(),
            },
        },
        Some(message) => match sender.send(&message).await {
            Ok(provider_message_id) => TestOutcome::Sent { provider_message_id },
            Err(SendError::Permanent(reason)) => TestOutcome::Refused { reason },
            Err(SendError::Throttled(_) | SendError::Transient(_)) => TestOutcome::NotNow,
        },
    };
    let record = TestMessageRecord {
        licensee_id: licensee.clone(),
        contact_id: contact_id.clone(),
        channel,
        at: clock.now(),
        by: by.to_owned(),
        outcome,
        delivery: None,
    };
    store.record_test_message(&record).await?;
    Ok(record)
}
