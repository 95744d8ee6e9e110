//! People SIM alerts and the groups they are alerted in.

use crate::ids::{ContactId, GroupId, LicenseeId};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, OffsetDateTime};

/// A mobile number in E.164 form (+ then 8 to 15 digits), the only form SMS
/// and WhatsApp providers accept. Spaces are allowed on input and dropped.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let compact: String = input.chars().filter(|c| *c != ' ' && *c != '-').collect();
        let digits =
            compact.strip_prefix('+').ok_or("must be in international format starting with +, e.g. +447700900123")?;
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be + followed by 8 to 15 digits, e.g. +447700900123");
        }
        if digits.starts_with('0') {
            return Err("must start with a country code, not 0, e.g. +447700900123");
        }
        Ok(Self(compact))
    }
}

// A phone number is personal data: never print it whole in logs.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber(…{})", &self.0[self.0.len() - 3..])
    }
}

crate::text_newtype!(PhoneNumber);

/// An email address: one @, a non-empty local part, a dotted domain, no spaces.
/// The domain is lower-cased; the local part is kept as given.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must be a single email address with no spaces");
        }
        let (local, domain) = s.rsplit_once('@').ok_or("must contain @")?;
        let labels_ok =
            domain.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if local.is_empty() || local.contains('@') || !domain.contains('.') || !labels_ok {
            return Err("must look like name@example.gov.uk");
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress(…@{})", self.domain())
    }
}

crate::text_newtype!(EmailAddress);

/// A role in the response (e.g. `community-safety-lead`, `comms`, `chief-executive`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Role(String);

impl Role {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if (1..=48).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be 1 to 48 lower-case letters, digits and hyphens, e.g. community-safety-lead")
        }
    }
}

crate::text_newtype!(Role);

/// The record of a WhatsApp opt-in: the day it was given and how (e.g.
/// "signed consent form", "email to the emergency planning team").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptIn {
    pub on: time::Date,
    pub how: String,
}

/// A person SIM alerts. Contact details are personal data of council staff:
/// they go to providers, never to logs or queue bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub licensee_id: LicenseeId,
    pub name: String,
    pub role: Role,
    pub organisation: String,
    pub mobile: Option<PhoneNumber>,
    /// WhatsApp is business-initiated, so the person must have opted in.
    pub whatsapp_opt_in: bool,
    /// When and how they opted in, as the council recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp_opt_in_given: Option<OptIn>,
    pub email: Option<EmailAddress>,
    /// Alerted when this contact has not acknowledged in time, or at once in
    /// their place while they are away.
    pub deputy: Option<ContactId>,
    /// The last day (UK date) the person is away: while away they are not
    /// alerted and their deputy is alerted in their place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_until: Option<Date>,
}

impl Contact {
    /// Whether the person is away at `at`: up to the end of their `away_until` day, UK time.
    pub fn away_at(&self, at: OffsetDateTime) -> bool {
        self.away_until.is_some_and(|last| crate::uk_time::uk_time(at).0.date() <= last)
    }

    /// Whether SIM can reach this person on a channel: SMS needs a mobile,
    /// WhatsApp a mobile and their opt-in, email an address.
    pub fn reachable(&self, channel: crate::domain::policy::Channel) -> bool {
        use crate::domain::policy::Channel;
        match channel {
            Channel::Sms => self.mobile.is_some(),
            Channel::WhatsApp => self.mobile.is_some() && self.whatsapp_opt_in,
            Channel::Email => self.email.is_some(),
        }
    }

    /// The channels, of those given, this person can be reached on.
    pub fn reachable_on(&self, channels: &[crate::domain::policy::Channel]) -> Vec<crate::domain::policy::Channel> {
        channels.iter().copied().filter(|c| self.reachable(*c)).collect()
    }
}

/// Stakeholders alerted together (e.g. "gold", "community safety team").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub licensee_id: LicenseeId,
    pub name: String,
    /// In rota order when the group is a rota.
    pub members: Vec<ContactId>,
    /// Set when the members take turns: only whoever is on duty is alerted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rota: Option<super::rota::Rota>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_international() {
        assert_eq!(PhoneNumber::parse("+44 7700 900123").unwrap().as_str(), "+447700900123");
        assert!(PhoneNumber::parse("07700900123").is_err());
        assert!(PhoneNumber::parse("+0447700900123").is_err());
        assert!(PhoneNumber::parse("+44770090012x").is_err());
        assert!(PhoneNumber::parse("+1234567").is_err());
        assert!(PhoneNumber::parse("+1234567890123456").is_err());
    }

    #[test]
    fn phone_numbers_are_masked_in_debug_output() {
        let p = PhoneNumber::parse("+447700900123").unwrap();
        assert!(!format!("{p:?}").contains("7700900"));
    }

    #[test]
    fn emails_need_a_dotted_domain_and_keep_the_local_part() {
        assert_eq!(
            EmailAddress::parse(" Duty.Officer@Lambeth.GOV.uk ").unwrap().as_str(),
            "Duty.Officer@lambeth.gov.uk"
        );
        for bad in ["", "a@b", "@lambeth.gov.uk", "a b@x.uk", "a@x..uk", "a@@x.uk"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
