//! Console sessions (server-side, named by a cookie), sign-ins in flight
//! (state, nonce and PKCE verifier between the redirect and the callback),
//! and the audit trail of sign-ins, sign-outs and refusals.
//!
//! Sessions and sign-ins are stored under the SHA-256 of their cookie value,
//! never the value itself, so a read of the table gives no live session.

use super::store::StoreError;
use crate::domain::staff::StaffId;
use crate::ids::LicenseeId;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Hex SHA-256 of the cookie value.
    pub key: String,
    pub staff_id: StaffId,
    pub licensee_id: LicenseeId,
    /// Carried in every form; compared in constant time.
    pub csrf: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
    /// When the store may drop it (TTL): the end of its absolute lifetime.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSignIn {
    /// Hex SHA-256 of the sign-in cookie value.
    pub key: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// A console path to return to (always starts with `/console`).
    pub return_to: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// What the audit trail records. Never tokens, codes or personal details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    SignedIn,
    SignedOut,
    Refused,
    SessionExpired,
    /// An admin added a staff member (`reason` is the new member's id; `staff_id` the admin).
    StaffAdded,
    /// An admin removed a staff member (`reason` is their id).
    StaffRemoved,
    /// An admin issued a police caller's API key (`reason` is the caller's id; never the key).
    CallerKeyIssued,
    /// An admin revoked a police caller's API key (`reason` is the caller's id).
    CallerKeyRevoked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: AuditKind,
    /// Known for sign-ins and sign-outs; for a refusal only when the person was found.
    pub licensee_id: Option<LicenseeId>,
    pub staff_id: Option<StaffId>,
    /// A short fixed code: `wrong_state`, `id_token_invalid`, `unknown_person`, ...
    pub reason: String,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn get_session(&self, key: &str) -> Result<Option<Session>, StoreError>;
    /// Records activity (the idle timeout counts from here).
    async fn touch_session(&self, key: &str, at: OffsetDateTime) -> Result<(), StoreError>;
    async fn delete_session(&self, key: &str) -> Result<(), StoreError>;
    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), StoreError>;
    /// Reads and deletes: a sign-in in flight is used once.
    async fn take_pending(&self, key: &str) -> Result<Option<PendingSignIn>, StoreError>;
    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The audit trail, oldest first: of one licensee, or (None) refusals of people not found.
    async fn audit(&self, licensee: Option<&LicenseeId>) -> Result<Vec<AuditEntry>, StoreError>;
}
