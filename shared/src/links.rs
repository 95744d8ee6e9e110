//! Personal links: each message carries `<base>/a/<token>`, where the token
//! names the incident, the contact and the channel, expires, and is signed
//! with HMAC-SHA256 under a key from configuration. The link is the
//! responder's key to this one incident, so it must not be forgeable.

use crate::domain::policy::Channel;
use crate::ids::{ContactId, IncidentId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// 128 bits of the HMAC: ample against forgery, and short enough for SMS.
const TAG_BYTES: usize = 16;

/// Letters and digits no one misreads (no I, O, 0 or 1): five bits each.
const REPLY_CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// Characters in an SMS reply code (30 bits of the HMAC).
pub const REPLY_CODE_LENGTH: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub incident_id: IncidentId,
    pub contact_id: ContactId,
    pub channel: Channel,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is not valid")]
    Invalid,
    #[error("the link has expired")]
    Expired,
}

/// The signing key. Debug never shows it.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkKey(<redacted>)")
    }
}

impl LinkKey {
    /// From hex (at least 32 bytes), as held in configuration.
    pub fn from_hex(text: &str) -> Result<Self, &'static str> {
        let bytes = hex::decode(text.trim()).map_err(|_| "must be hex")?;
        if bytes.len() < 32 {
            return Err("must be at least 32 bytes (64 hex digits)");
        }
        Ok(Self(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes).expect("operating system random source");
        Self(bytes)
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(payload.as_bytes());
        mac
    }

    pub fn sign(&self, claims: &LinkClaims) -> String {
        let payload = format!(
            "{}.{}.{}.{}",
            claims.incident_id,
            claims.contact_id,
            claims.channel,
            claims.expires_at.unix_timestamp()
        );
        let tag = self.mac(&payload).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES]))
    }

    /// The hidden field a personal page's Acknowledge form carries: only a page
    /// SIM served for this token has it, so another site cannot forge the POST.
    pub fn form_key(&self, token: &str) -> String {
        let tag = self.mac(&format!("form:{token}")).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES])
    }

    pub fn form_key_matches(&self, token: &str, presented: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(presented) else { return false };
        tag.len() == TAG_BYTES && self.mac(&format!("form:{token}")).verify_truncated_left(&tag).is_ok()
    }

    /// The short code an SMS alert prints for replying: tied to the person and
    /// the incident. A reply is only taken from that person's own number, so
    /// six characters suffice against mistakes; forging needs their phone.
    pub fn reply_code(&self, incident: &IncidentId, contact: &ContactId) -> String {
        let tag = self.mac(&format!("reply:{incident}.{contact}")).finalize().into_bytes();
        let bits = u64::from_be_bytes(tag[..8].try_into().expect("8 bytes"));
        (0..REPLY_CODE_LENGTH).map(|i| REPLY_CODE_ALPHABET[((bits >> (59 - 5 * i)) & 31) as usize] as char).collect()
    }

    /// Whether an SMS reply is this person's code for this incident, whatever
    /// its case and spacing; compared in constant time.
    pub fn reply_code_matches(&self, incident: &IncidentId, contact: &ContactId, reply: &str) -> bool {
        let presented: String = reply.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        let expected = self.reply_code(incident, contact);
        presented.len() == expected.len() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
    }

    /// Checks the signature (in constant time) before reading anything, then expiry.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<LinkClaims, LinkError> {
        let (payload, tag) = token.rsplit_once('.').ok_or(LinkError::Invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| LinkError::Invalid)?;
        if tag.len() != TAG_BYTES {
            return Err(LinkError::Invalid);
        }
        self.mac(payload).verify_truncated_left(&tag).map_err(|_| LinkError::Invalid)?;
        let parts: Vec<&str> = payload.split('.').collect();
        let [incident, contact, channel, expires] = parts.as_slice() else {
            return Err(LinkError::Invalid);
        };
        let claims = LinkClaims {
            incident_id: IncidentId::parse(incident).map_err(|_| LinkError::Invalid)?,
            contact_id: ContactId::parse(contact).map_err(|_| LinkError::Invalid)?,
            channel: crate::domain::choice::Choice::parse(channel).ok_or(LinkError::Invalid)?,
            expires_at: expires
                .parse::<i64>()
                .ok()
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                .ok_or(LinkError::Invalid)?,
        };
        if now >= claims.expires_at {
            return Err(LinkError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    fn claims() -> LinkClaims {
        LinkClaims {
            incident_id: IncidentId::parse("inc-0123456789abcdef0123456789abcdef").unwrap(),
            contact_id: ContactId::parse("con-gold").unwrap(),
            channel: Channel::Sms,
            expires_at: datetime!(2026-11-28 02:10 UTC),
        }
    }

    #[test]
    fn reply_codes_are_short_per_person_and_incident_and_read_whatever_the_case_and_spacing() {
        let key = LinkKey::generate();
        let (incident, gold) = (claims().incident_id, claims().contact_id);
        let code = key.reply_code(&incident, &gold);
        assert_eq!(code.len(), REPLY_CODE_LENGTH);
        assert!(code.bytes().all(|b| REPLY_CODE_ALPHABET.contains(&b)), "{code}");
        assert_eq!(code, key.reply_code(&incident, &gold), "the same code in every alert of the incident");
        let silver = ContactId::parse("con-silver").unwrap();
        assert_ne!(code, key.reply_code(&incident, &silver));
        assert_ne!(code, LinkKey::generate().reply_code(&incident, &gold), "keyed");
        let typed = format!(" {} {}\n", code[..3].to_lowercase(), &code[3..]);
        assert!(key.reply_code_matches(&incident, &gold, &typed));
        assert!(!key.reply_code_matches(&incident, &silver, &code));
        assert!(!key.reply_code_matches(&incident, &gold, &code[..5]));
        assert!(!key.reply_code_matches(&incident, &gold, ""));
    }

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let key = LinkKey::generate();
        let token = key.sign(&claims());
        assert!(token.len() < 100, "short enough for an SMS: {}", token.len());
        assert_eq!(key.verify(&token, datetime!(2026-11-21 02:10 UTC)), Ok(claims()));
        assert_eq!(key.verify(&token, claims().expires_at), Err(LinkError::Expired));
        assert_eq!(key.verify(&token, claims().expires_at - Duration::seconds(1)), Ok(claims()));
    }

    #[test]
    fn tampered_forged_and_garbage_tokens_are_invalid() {
        let key = LinkKey::generate();
        let now = datetime!(2026-11-21 02:10 UTC);
        let token = key.sign(&claims());
        let other_contact = token.replace("con-gold", "con-ceo");
        assert_eq!(key.verify(&other_contact, now), Err(LinkError::Invalid));
        let later = token.replace(&claims().expires_at.unix_timestamp().to_string(), "9999999999");
        assert_eq!(key.verify(&later, now), Err(LinkError::Invalid));
        assert_eq!(LinkKey::generate().verify(&token, now), Err(LinkError::Invalid), "another key");
        for junk in ["", ".", "abc", "a.b.c.d.e", &format!("{token}x")] {
            assert_eq!(key.verify(junk, now), Err(LinkError::Invalid), "{junk}");
        }
        assert!(LinkKey::from_hex("abcd").is_err());
        assert!(!format!("{key:?}").contains(&hex::encode(&key.0)));
    }
}
