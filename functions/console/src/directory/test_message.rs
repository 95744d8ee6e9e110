//! "Send a test message" from a contact's page: per channel the contact can
//! be reached on, through the same sender an alert goes through
//! (`sim::directory::send_test_message`: marked as a test, no incident), its
//! outcome recorded on the contact and shown there, with the provider's
//! delivery receipt once the receipts function has had it.

use crate::{Deps, Failure, SignedIn};
use http::{Request, Response};
use sim::directory::{send_test_message, TestMessageError};
use sim::domain::choice::Choice;
use sim::domain::policy::Channel;
use sim::domain::Contact;
use sim::ports::store::{TestMessageRecord, TestOutcome};
use sim::ports::Sender;
use sim::web;
use std::sync::Arc;

/// The providers a test message goes out through, one per channel, built
/// once as the sender Lambdas build theirs. WhatsApp is `None` where it is
/// not configured (its button says so instead of sending).
#[derive(Clone)]
pub struct TestSenders {
    pub sms: Arc<dyn Sender>,
    pub email: Arc<dyn Sender>,
    pub whatsapp: Option<Arc<dyn Sender>>,
}

impl TestSenders {
    /// One sender for every channel (the local stack's outbox, tests).
    pub fn all(sender: Arc<dyn Sender>) -> Self {
        TestSenders { sms: sender.clone(), email: sender.clone(), whatsapp: Some(sender) }
    }

    pub fn for_channel(&self, channel: Channel) -> Option<&dyn Sender> {
        match channel {
            Channel::Sms => Some(&*self.sms),
            Channel::Email => Some(&*self.email),
            Channel::WhatsApp => self.whatsapp.as_deref(),
        }
    }
}

/// How a channel is named on the page.
pub(super) fn label(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "SMS",
        Channel::Email => "email",
        Channel::WhatsApp => "WhatsApp",
    }
}

/// A test message's delivery status, from the provider's receipt, as the
/// contact's page shows it beside the outcome ("Delivered 02:14 UTC",
/// "Failed 02:14 UTC: bounce: Permanent/General").
pub(super) fn delivery_status(t: &TestMessageRecord) -> String {
    use sim::domain::delivery::DeliveryState;
    if !matches!(t.outcome, TestOutcome::Sent { .. }) {
        return "None: not sent".into();
    }
    let Some(d) = &t.delivery else { return "No receipt yet".into() };
    // The time alone on the day of the test, else the date too.
    let at = if d.at.date() == t.at.date() {
        d.at.format(time::macros::format_description!("[hour]:[minute] UTC")).unwrap_or_default()
    } else {
        crate::pages::when(d.at)
    };
    let state = match d.state {
        DeliveryState::Accepted => "Accepted by the carrier",
        DeliveryState::Unknown => "Unknown: the carrier gave no receipt",
        DeliveryState::FailedTemporary => "Delayed",
        DeliveryState::Delivered => "Delivered",
        DeliveryState::Read => "Read",
        DeliveryState::FailedPermanent => "Failed",
    };
    match &d.detail {
        Some(detail) => format!("{state} {at}: {detail}"),
        None => format!("{state} {at}"),
    }
}

/// `POST /console/directory/contacts/{contact}/test` with `csrf` and
/// `channel`: sends, records, and returns to the contact's page, whose
/// banner shows the outcome.
pub async fn send(
    deps: &Deps,
    who: &SignedIn,
    req: &Request<Vec<u8>>,
    c: &Contact,
) -> Result<Response<String>, Failure> {
    let form = match super::posted(who, req) {
        Ok(form) => form,
        Err(refused) => return Ok(*refused),
    };
    let one = |name: &str| form.one(name);
    let Some(channel) = Channel::parse(one("channel")) else { return Ok(crate::posted::unreadable()) };
    let path = format!("/console/directory/contacts/{}", c.id);
    let Some(sender) = deps.test_senders.for_channel(channel) else {
        return Ok(web::redirect(&format!("{path}?test={channel}&not-configured")));
    };
    let licensee = &who.member.licensee_id;
    match send_test_message(&*deps.store, sender, licensee, &c.id, channel, who.member.id.as_str(), &*deps.clock).await
    {
        Ok(_) => {
            tracing::info!(licensee = %licensee, contact = %c.id, %channel, "console test message");
            Ok(web::redirect(&format!("{path}?test={channel}")))
        }
        Err(TestMessageError::NoSuchContact) => Ok(crate::pages::not_found()),
        Err(TestMessageError::Store(e)) => Err(e.into()),
    }
}
