//! The personal-data vault's storage: per-incident wrapped data keys,
//! sealed subject records with their blind-index entries, and the
//! append-only access log. Nothing here is readable without the key
//! provider: records hold only ciphertext and the wrapped key.

use super::StoreError;
use crate::domain::subject::{BlindIndex, SubjectRole};
use crate::ids::{AccessId, IncidentId, LicenseeId, SubjectId};
use crate::ports::keys::WrappedKey;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// An incident's data key, wrapped under the licensee's key. Deleting it
/// crypto-shreds every record of the incident, backups included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentKey {
    pub licensee_id: LicenseeId,
    pub incident_id: IncidentId,
    pub wrapped: WrappedKey,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// After this the incident's records are refused and the key deleted.
    #[serde(with = "time::serde::rfc3339")]
    pub retain_until: OffsetDateTime,
}

/// One subject's own data key, wrapped under the licensee's key (encryption
/// context licensee and incident). Deleting it on erasure crypto-shreds that
/// subject alone: a copy of its sealed record no longer opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectKey {
    pub licensee_id: LicenseeId,
    pub incident_id: IncidentId,
    pub subject_id: SubjectId,
    pub wrapped: WrappedKey,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub retain_until: OffsetDateTime,
}

/// One subject record, sealed: AES-256-GCM of the record's JSON under the
/// subject's own data key (records sealed before subjects had their own key:
/// the incident's), bound to licensee, incident and subject ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedSubject {
    pub licensee_id: LicenseeId,
    pub incident_id: IncidentId,
    pub subject_id: SubjectId,
    /// The person's part in the incident, in the clear so the console can
    /// list an incident's records without opening any (it names no one).
    pub role: SubjectRole,
    /// base64 of nonce, ciphertext and tag.
    pub sealed: String,
    pub blind_index: BlindIndex,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub retain_until: OffsetDateTime,
}

/// Where a person appears: one record of one incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SubjectRef {
    pub incident_id: IncidentId,
    pub subject_id: SubjectId,
}

crate::choice!(
    /// What an access-log entry records.
    AccessAction {
        /// A record was added (by police or staff).
        Add = "add",
        /// A record was shown to a reader.
        View = "view",
        /// A reader was refused: role outside the agreement, no such record, or past retention.
        Refused = "refused",
        /// A subject-access or repeat-victim search.
        Search = "search",
        /// One subject erased on request.
        Erase = "erase",
        /// The incident's data key deleted at the end of retention.
        Shred = "shred",
    }
);

/// One access-log entry: who, in what role, under which lawful condition,
/// why, which fields, when and from where. Appended, never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    pub id: AccessId,
    pub licensee_id: LicenseeId,
    pub incident_id: Option<IncidentId>,
    pub subject_id: Option<SubjectId>,
    pub action: AccessAction,
    /// Staff id, or the police caller id for `add` through the API.
    pub reader: String,
    pub role: String,
    pub lawful_basis: Option<String>,
    pub reason: String,
    pub fields: Vec<String>,
    pub address: Option<String>,
    pub break_glass: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[async_trait]
pub trait VaultStore: Send + Sync {
    /// Writes the incident's key if it has none; else `Conflict`.
    async fn create_incident_key(&self, key: &IncidentKey) -> Result<(), StoreError>;

    async fn incident_key(&self, incident: &IncidentId) -> Result<Option<IncidentKey>, StoreError>;

    /// Moves the incident's retention date: its key's, its records' and their
    /// index entries' (and so their TTL). Items already gone are skipped.
    async fn set_retention(&self, incident: &IncidentId, until: OffsetDateTime) -> Result<(), StoreError>;

    /// Deletes the incident's key: its records can never be opened again.
    async fn delete_incident_key(&self, incident: &IncidentId) -> Result<(), StoreError>;

    /// Writes a subject's wrapped data key if it has none; else `Conflict`.
    async fn put_subject_key(&self, key: &SubjectKey) -> Result<(), StoreError>;

    async fn subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError>;

    /// Deletes a subject's key (absent is fine): its record never opens again.
    async fn delete_subject_key(&self, incident: &IncidentId, subject: &SubjectId) -> Result<(), StoreError>;

    /// Writes a record and its blind-index entry if the subject id is new; else `Conflict`.
    async fn put_subject(&self, subject: &SealedSubject) -> Result<(), StoreError>;

    async fn subject(&self, incident: &IncidentId, subject: &SubjectId) -> Result<Option<SealedSubject>, StoreError>;

    /// The incident's records, by subject id.
    async fn subjects(&self, incident: &IncidentId) -> Result<Vec<SealedSubject>, StoreError>;

    /// Deletes a record and its blind-index entry (absent is fine).
    async fn delete_subject(&self, subject: &SealedSubject) -> Result<(), StoreError>;

    /// Every record of a licensee with this blind index, by incident then subject.
    async fn find_subjects(&self, licensee: &LicenseeId, index: &BlindIndex) -> Result<Vec<SubjectRef>, StoreError>;

    /// Appends an entry if its id is new; else `Conflict`. Never overwrites.
    async fn append_access(&self, entry: &AccessEntry) -> Result<(), StoreError>;

    /// The licensee's access log, oldest first.
    async fn access_log(&self, licensee: &LicenseeId) -> Result<Vec<AccessEntry>, StoreError>;
}
