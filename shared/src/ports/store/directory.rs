//! The directory: licensees and the areas that route incidents to them,
//! police callers, contacts and groups, and notices of lapsed licences.

use super::StoreError;
use crate::domain::{AreaName, Caller, Contact, Group, Licensee};
use crate::ids::{CallerId, ContactId, IncidentId, LicenseeId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// A record, visible to operators, that an incident was served on a lapsed licence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LapseNotice {
    pub licensee_id: LicenseeId,
    pub incident_id: IncidentId,
    pub lapsed_on: Date,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A licensee with its contacts and groups: what categorisation resolves
/// recipients from, read in one query of the licensee's partition.
#[derive(Debug, Clone, PartialEq)]
pub struct Directory {
    pub licensee: Licensee,
    pub contacts: Vec<Contact>,
    pub groups: Vec<Group>,
}

#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Writes the licensee and the area entries that route incidents to it.
    async fn put_licensee(&self, licensee: &Licensee) -> Result<(), StoreError>;

    async fn get_licensee(&self, id: &LicenseeId) -> Result<Option<Licensee>, StoreError>;

    /// The licensee covering a borough or district, if any.
    async fn licensee_for_area(&self, area: &AreaName) -> Result<Option<LicenseeId>, StoreError>;

    async fn record_lapse(&self, notice: &LapseNotice) -> Result<(), StoreError>;

    async fn lapses(&self, licensee: &LicenseeId) -> Result<Vec<LapseNotice>, StoreError>;

    async fn put_caller(&self, caller: &Caller) -> Result<(), StoreError>;

    async fn get_caller(&self, id: &CallerId) -> Result<Option<Caller>, StoreError>;

    /// The callers that may act for a licensee (a council's police integrations).
    async fn callers(&self, licensee: &LicenseeId) -> Result<Vec<Caller>, StoreError>;

    async fn put_contact(&self, contact: &Contact) -> Result<(), StoreError>;

    async fn contacts(&self, licensee: &LicenseeId) -> Result<Vec<Contact>, StoreError>;

    async fn get_contact(&self, licensee: &LicenseeId, id: &ContactId) -> Result<Option<Contact>, StoreError>;

    async fn put_group(&self, group: &Group) -> Result<(), StoreError>;

    async fn groups(&self, licensee: &LicenseeId) -> Result<Vec<Group>, StoreError>;

    /// The licensee, its contacts and its groups together (one query where
    /// the store can, following pages); None if there is no such licensee.
    async fn directory_snapshot(&self, licensee: &LicenseeId) -> Result<Option<Directory>, StoreError>;
}
