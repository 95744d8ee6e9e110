//! The key-provider port: data keys for the personal-data vault's envelope
//! encryption. Production wraps them under the licensee's customer-managed
//! AWS KMS key (`adapters::kms`); the local stack and handler tests use an
//! in-memory provider (`adapters::memory_keys`) that behaves the same: a
//! wrapped key opens only with the context it was generated under.

use super::Cause;
use crate::ids::{IncidentId, LicenseeId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a data key is bound to (the KMS encryption context): one incident
/// of one licensee. A wrapped key presented with any other context is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyContext {
    pub licensee_id: LicenseeId,
    pub incident_id: IncidentId,
}

impl KeyContext {
    /// The context as KMS encryption-context pairs.
    pub fn pairs(&self) -> [(&'static str, &str); 2] {
        [("sim:licensee", self.licensee_id.as_str()), ("sim:incident", self.incident_id.as_str())]
    }

    /// One unambiguous byte string for the context (ids hold no `=` or `;`).
    pub fn canonical(&self) -> String {
        self.pairs().iter().map(|(k, v)| format!("{k}={v};")).collect()
    }
}

/// A plaintext 256-bit data key: held in memory only while sealing or
/// opening, never stored or logged (Debug is redacted), zeroed on drop.
pub struct PlainKey([u8; 32]);

impl PlainKey {
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    pub fn random() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("operating system random source");
        Self(key)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for PlainKey {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // Volatile so the compiler cannot drop the wipe as a dead store.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainKey(<redacted>)")
    }
}

/// A data key wrapped by the key provider (base64): the only form stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey(String);

impl WrappedKey {
    pub fn from_bytes(bytes: &[u8]) -> Self {
        use base64::Engine;
        Self(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn to_bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(&self.0).ok()
    }
}

impl fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedKey({} chars)", self.0.len())
    }
}

/// A fresh data key: the plaintext to seal with now, the wrapped form to store.
#[derive(Debug)]
pub struct DataKey {
    pub plain: PlainKey,
    pub wrapped: WrappedKey,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The wrapped key does not open under this context (moved or tampered
    /// with), or the key is disabled, scheduled for deletion or not ours.
    #[error("the key provider refused to unwrap the data key")]
    Refused(#[source] Cause),
    /// Throttled, timed out or unreachable: worth retrying.
    #[error("the key provider is unavailable")]
    Unavailable(#[source] Cause),
    /// Anything else: retrying will not help.
    #[error("the key provider failed")]
    Permanent(#[source] Cause),
}

#[async_trait]
pub trait KeyProvider: Send + Sync {
    /// A new data key bound to `context`.
    async fn generate(&self, context: &KeyContext) -> Result<DataKey, KeyError>;

    /// The plaintext of a wrapped key, if `context` is the one it was
    /// generated under; else `Refused`.
    async fn unwrap(&self, wrapped: &WrappedKey, context: &KeyContext) -> Result<PlainKey, KeyError>;
}
