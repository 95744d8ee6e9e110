//! Acknowledging by SMS reply: two-way SMS on the origination number (End
//! User Messaging SMS → SNS → SQS). A reply of the code printed in that
//! person's SMS alert acknowledges for them and their role, as the link's
//! button does: a deliberate human act no link scanner makes.
//!
//! The reply is matched to the alert it answers through the service's
//! `previousPublishedMessageId` (the last message SIM sent to that number),
//! so only the person the alert went to, from their own number, can use
//! their code. A wrong code, another person's code or an expired one gets a
//! short reply saying so, sent through the SMS sender port; replies never
//! echo the code, a name or a number, and a number SIM never texted gets
//! none. The inbound text is never logged or kept.

use crate::{Deps, Outcome, ReceiptError};
use serde::Deserialize;
use sim::domain::contact::PhoneNumber;
use sim::domain::notification::AckVia;
use sim::domain::policy::Channel;
use sim::ports::store::ReceiptTarget;
use sim::ports::{Outgoing, SendError};

pub const ACKNOWLEDGED: &str = "SIM: acknowledged, thank you.";
pub const NOT_RECOGNISED: &str =
    "SIM: that reply was not recognised. Reply with the code in your latest SIM alert, or use its link.";
pub const EXPIRED: &str = "SIM: that code has expired with its link. Use the link in your latest SIM alert.";

/// An inbound message as End User Messaging SMS publishes it to SNS.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundSms {
    origination_number: String,
    #[serde(default)]
    message_body: String,
    #[serde(default)]
    previous_published_message_id: Option<String>,
}

impl std::fmt::Debug for InboundSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboundSms(<redacted>)")
    }
}

/// Whether a JSON value looks like an inbound two-way SMS.
pub fn is_inbound_sms(value: &serde_json::Value) -> bool {
    value.get("inboundMessageId").is_some() && value.get("originationNumber").is_some()
}

pub fn parse(value: serde_json::Value) -> Result<InboundSms, ReceiptError> {
    serde_json::from_value(value).map_err(|e| ReceiptError::Poison(format!("inbound SMS: {e}")))
}

/// What a reply did, before answering it.
enum Verdict {
    Acknowledged(bool),
    NotRecognised,
    Expired,
    /// From a number SIM never texted (or whose alert is gone): not answered,
    /// so the number cannot be used to make SIM text strangers.
    Stranger,
}

/// Handles one inbound SMS: acknowledges, or answers why not.
pub async fn handle(deps: &Deps, inbound: &InboundSms) -> Result<Outcome, ReceiptError> {
    let Ok(from) = PhoneNumber::parse(&inbound.origination_number) else {
        tracing::warn!("an inbound SMS from a number that is not E.164: ignored");
        return Ok(Outcome::Refused);
    };
    let verdict = verdict(deps, inbound, &from).await?;
    let (answer, outcome) = match verdict {
        Verdict::Acknowledged(recorded) => (ACKNOWLEDGED, Outcome::Acknowledged(recorded)),
        Verdict::NotRecognised => (NOT_RECOGNISED, Outcome::Refused),
        Verdict::Expired => (EXPIRED, Outcome::Stale),
        Verdict::Stranger => {
            tracing::info!("an inbound SMS from a number SIM has not texted: not answered");
            return Ok(Outcome::Refused);
        }
    };
    answer_to(deps, from, answer).await?;
    Ok(outcome)
}

async fn verdict(deps: &Deps, inbound: &InboundSms, from: &PhoneNumber) -> Result<Verdict, ReceiptError> {
    let store = &*deps.store;
    let Some(previous) = inbound.previous_published_message_id.as_deref().filter(|p| !p.is_empty()) else {
        return Ok(Verdict::Stranger);
    };
    let alert = match store.receipt_target(previous).await? {
        Some(ReceiptTarget::Alert(alert)) => alert,
        // A reply to a test message: SIM did text this number, but there is nothing to acknowledge.
        Some(ReceiptTarget::Test(_)) => return Ok(Verdict::NotRecognised),
        None => return Ok(Verdict::Stranger),
    };
    if alert.channel != Channel::Sms {
        return Ok(Verdict::NotRecognised);
    }
    let Some(incident) = store.get_incident(&alert.incident_id).await? else {
        return Ok(Verdict::NotRecognised);
    };
    let Some(contact) = store.get_contact(&incident.licensee_id, &alert.contact_id).await? else {
        return Ok(Verdict::NotRecognised);
    };
    // The number must still be that person's: a number moved to someone else
    // since the alert acknowledges nothing.
    let own_number = contact.mobile.as_ref().is_some_and(|m| m.as_str() == from.as_str());
    if !own_number || !deps.link_key.reply_code_matches(&incident.id, &contact.id, &inbound.message_body) {
        tracing::info!(incident_id = %incident.id, "an SMS reply that is not the person's code");
        return Ok(Verdict::NotRecognised);
    }
    let now = deps.clock.now();
    let sent_at = alert.sent_at.unwrap_or(alert.created_at);
    if now >= sent_at + deps.link_lifetime {
        tracing::info!(incident_id = %incident.id, contact_id = %contact.id, "an SMS reply after its link expired");
        return Ok(Verdict::Expired);
    }
    let recorded = crate::acknowledge_reply(deps, &incident, &contact, AckVia::SmsReply, now).await?;
    Ok(Verdict::Acknowledged(recorded))
}

/// Sends the short answer; a refusal for good (an opted-out number) is
/// logged and dropped, anything else retried with the message.
async fn answer_to(deps: &Deps, to: PhoneNumber, text: &str) -> Result<(), ReceiptError> {
    let Some(sms) = &deps.sms_replies else {
        tracing::warn!("an SMS reply cannot be answered: no SMS sender configured");
        return Ok(());
    };
    match sms.send(&Outgoing::Sms { to, text: text.to_owned() }).await {
        Ok(_) => Ok(()),
        Err(SendError::Permanent(_)) => {
            tracing::warn!("the answer to an SMS reply was refused for good");
            Ok(())
        }
        Err(e) => Err(ReceiptError::Answer(e)),
    }
}
