//! Delivery receipts: what a provider later says became of a message it
//! accepted. One delivery status per notification, moving only forward:
//! accepted → delivered → read (WhatsApp), or failed (temporary, then perhaps
//! delivered after all; or permanent, which ends it), each with the
//! provider's own time. Duplicated and out-of-order receipts change nothing:
//! a "read" that arrives before "delivered" stays read.

use super::notification::NotificationKey;
use super::policy::Channel;
use crate::choice;
use crate::ids::{ContactId, IncidentId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

choice!(
    /// Where a message stands according to its provider.
    DeliveryState {
        /// The provider took it (sent, queued with the carrier).
        Accepted = "accepted",
        /// The provider could not say (e.g. a carrier that sends no receipts).
        Unknown = "unknown",
        /// Not delivered yet, and the provider is still trying (a delay, a soft bounce).
        FailedTemporary = "failed-temporary",
        /// On the phone or in the inbox.
        Delivered = "delivered",
        /// Opened (WhatsApp read receipts).
        Read = "read",
        /// Will never arrive: a hard bounce, an unreachable number, rejected.
        FailedPermanent = "failed-permanent",
    }
);

impl DeliveryState {
    /// How far along a message is; a receipt only ever moves it further.
    /// Read and a permanent failure are both final: neither replaces the other.
    pub fn rank(self) -> u32 {
        match self {
            DeliveryState::Accepted => 0,
            DeliveryState::Unknown | DeliveryState::FailedTemporary => 1,
            DeliveryState::Delivered => 2,
            DeliveryState::Read | DeliveryState::FailedPermanent => 3,
        }
    }

    /// True when the message will never arrive and the alert should move on.
    pub fn is_permanent_failure(self) -> bool {
        self == DeliveryState::FailedPermanent
    }
}

/// What one provider receipt says about one message, identified by the
/// provider's own message id. Ids, codes and times only: no addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// SES MessageId, End User Messaging MessageId or WhatsApp wamid.
    pub provider_message_id: String,
    pub state: DeliveryState,
    /// When the provider says it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The provider's code or short reason for a failure ("bounce: Permanent/General").
    #[serde(default)]
    pub detail: Option<String>,
}

/// The delivery status of one notification, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub incident_id: IncidentId,
    pub contact_id: ContactId,
    pub channel: Channel,
    pub step: crate::domain::notification::Step,
    pub provider_message_id: String,
    pub state: DeliveryState,
    /// The provider's time of the receipt that set this state.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(default)]
    pub detail: Option<String>,
}

impl Delivery {
    pub fn key(&self) -> NotificationKey {
        NotificationKey::new(&self.contact_id, self.channel, self.step)
    }

    /// Whether `receipt` moves the stored status forward: false for a
    /// duplicate, one that arrived out of order, or one that would move it back.
    pub fn advanced_by(current: Option<&Delivery>, receipt: &Receipt) -> bool {
        match current {
            None => true,
            Some(c) => receipt.state.rank() > c.state.rank(),
        }
    }
}

/// Delivery per person and channel, for status pages and counts: the most
/// advanced state over a person's messages on each channel.
pub fn per_person_and_channel(deliveries: &[Delivery]) -> Vec<(ContactId, Channel, DeliveryState)> {
    let mut out: std::collections::BTreeMap<(ContactId, Channel), DeliveryState> = Default::default();
    for d in deliveries {
        out.entry((d.contact_id.clone(), d.channel))
            .and_modify(|s| {
                if d.state.rank() > s.rank() {
                    *s = d.state
                }
            })
            .or_insert(d.state);
    }
    out.into_iter().map(|((c, ch), s)| (c, ch, s)).collect()
}

/// How many messages will never arrive: what a board counts.
pub fn failures(deliveries: &[Delivery]) -> usize {
    deliveries.iter().filter(|d| d.state.is_permanent_failure()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn receipt(state: DeliveryState) -> Receipt {
        Receipt { provider_message_id: "m-1".into(), state, at: datetime!(2026-11-21 02:11 UTC), detail: None }
    }

    fn stored(state: DeliveryState) -> Delivery {
        Delivery {
            incident_id: IncidentId::parse("inc-0123456789abcdef0123456789abcdef").unwrap(),
            contact_id: ContactId::parse("con-gold").unwrap(),
            channel: Channel::WhatsApp,
            step: crate::domain::notification::Step::FIRST,
            provider_message_id: "m-1".into(),
            state,
            at: datetime!(2026-11-21 02:11 UTC),
            detail: None,
        }
    }

    #[test]
    fn statuses_move_only_forward() {
        use DeliveryState::*;
        assert!(Delivery::advanced_by(None, &receipt(Accepted)));
        assert!(Delivery::advanced_by(Some(&stored(Accepted)), &receipt(Delivered)));
        assert!(Delivery::advanced_by(Some(&stored(Delivered)), &receipt(Read)));
        assert!(Delivery::advanced_by(Some(&stored(FailedTemporary)), &receipt(Delivered)), "a delay then delivery");
        assert!(!Delivery::advanced_by(Some(&stored(Read)), &receipt(Delivered)), "read arrived first");
        assert!(!Delivery::advanced_by(Some(&stored(Delivered)), &receipt(Delivered)), "a duplicate");
        assert!(!Delivery::advanced_by(Some(&stored(Delivered)), &receipt(FailedTemporary)));
        assert!(!Delivery::advanced_by(Some(&stored(FailedPermanent)), &receipt(Read)), "failure is final");
        assert!(!Delivery::advanced_by(Some(&stored(Read)), &receipt(FailedPermanent)), "read is final");
    }

    #[test]
    fn per_person_and_channel_keeps_the_furthest_state_and_failures_are_counted() {
        let mut sms = stored(DeliveryState::FailedPermanent);
        sms.channel = Channel::Sms;
        let all = [stored(DeliveryState::Read), stored(DeliveryState::Delivered), sms];
        let summary = per_person_and_channel(&all);
        assert_eq!(summary.len(), 2);
        assert!(summary.contains(&(ContactId::parse("con-gold").unwrap(), Channel::WhatsApp, DeliveryState::Read)));
        assert_eq!(failures(&all), 1);
    }
}
