//! Callers: police integrations, each with one API key scoped to licensees.
//!
//! A key reads `sim_<caller-id>_<64 hex digits>`. The caller id lets intake
//! fetch the one caller record it needs (no scan); the 256 random bits make a
//! plain SHA-256 of the key a safe thing to store. Only the hash is stored.

use crate::ids::{CallerId, LicenseeId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// SHA-256 of an API key, hex encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyHash(String);

impl KeyHash {
    pub fn of(key: &ApiKey) -> Self {
        Self(hex::encode(Sha256::digest(key.0.as_bytes())))
    }

    /// Compares in time independent of where the hashes first differ.
    pub fn matches(&self, key: &ApiKey) -> bool {
        let presented = Self::of(key);
        self.0.as_bytes().ct_eq(presented.0.as_bytes()).into()
    }
}

/// An API key as presented by a caller. Never logged: Debug is redacted.
#[derive(Clone)]
pub struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    /// Issues a new random key for a caller.
    pub fn generate(caller: &CallerId) -> Self {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("operating system random source");
        Self(format!("sim_{caller}_{}", hex::encode(secret)))
    }

    /// Parses a presented key, returning the caller it claims to be.
    pub fn parse(presented: &str) -> Option<(CallerId, Self)> {
        let rest = presented.strip_prefix("sim_")?;
        let (caller, secret) = rest.rsplit_once('_')?;
        if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some((CallerId::parse(caller).ok()?, Self(presented.to_owned())))
    }

    /// The key itself, for showing once to the operator who issued it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Caller {
    pub id: CallerId,
    /// e.g. "Met CAD, Lambeth & Southwark BCU".
    pub name: String,
    pub key_hash: KeyHash,
    /// Licensees this caller may report incidents to and read back.
    pub licensees: Vec<LicenseeId>,
    /// May add subject records (personal data) to the vault through
    /// `POST /v1/incidents/{id}/subjects`. Off unless granted.
    #[serde(default)]
    pub may_add_subjects: bool,
    /// When the current key was issued (`None`: before this was recorded).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub key_issued_at: Option<OffsetDateTime>,
    /// When the key was revoked: a revoked key is refused until a new one is issued.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub key_revoked_at: Option<OffsetDateTime>,
}

impl Caller {
    pub fn may_act_for(&self, licensee: &LicenseeId) -> bool {
        self.licensees.contains(licensee)
    }

    /// Whether `key` is this caller's current key: it matches the stored
    /// hash (in constant time) and has not been revoked.
    pub fn accepts(&self, key: &ApiKey) -> bool {
        let matches = self.key_hash.matches(key);
        matches && self.key_revoked_at.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_parse_back_to_their_caller_and_match_their_hash() {
        let caller = CallerId::parse("met-cad").unwrap();
        let key = ApiKey::generate(&caller);
        let hash = KeyHash::of(&key);
        let (parsed_caller, parsed) = ApiKey::parse(key.reveal()).unwrap();
        assert_eq!(parsed_caller, caller);
        assert!(hash.matches(&parsed));
        let other = ApiKey::generate(&caller);
        assert!(!hash.matches(&other));
        assert!(!format!("{key:?}").contains(key.reveal()));
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["", "sim_", "sim_met_abc", "key_met_".to_owned().as_str(), &format!("sim_MET_{}", "a".repeat(64))] {
            assert!(ApiKey::parse(bad).is_none(), "{bad} accepted");
        }
    }
}
