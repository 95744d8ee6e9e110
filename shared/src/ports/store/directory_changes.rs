//! Versioned changes to a licensee's directory (contacts and groups): an
//! import or a console edit is planned against the version it read and
//! applies only if nobody changed the directory since, so a colleague's
//! edit is never silently overwritten. Each change leaves an audit record
//! (who, when, which contacts and groups), and test messages leave their
//! outcome on the contact.

use super::StoreError;
use crate::domain::delivery::DeliveryState;
use crate::domain::policy::Channel;
use crate::domain::{Contact, Group};
use crate::ids::{ContactId, GroupId, LicenseeId};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One change to a licensee's directory, applied whole or refused.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryChange {
    pub licensee_id: LicenseeId,
    /// The directory version the change was planned against: it applies only
    /// if the directory is still at this version (0: never changed).
    pub base_version: u32,
    /// Contacts added or replaced.
    pub put_contacts: Vec<Contact>,
    pub remove_contacts: Vec<ContactId>,
    /// Groups added or replaced (membership changes).
    pub put_groups: Vec<Group>,
    /// The audit record; its `version` is `base_version + 1`.
    pub record: ChangeRecord,
}

/// The audit trail of the directory: who changed what, when. Ids only, never
/// phone numbers or email addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub licensee_id: LicenseeId,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who made the change (a staff member's id, or `cli:<user>`).
    pub by: String,
    /// How: `import`, `edit`.
    pub how: String,
    #[serde(default)]
    pub added: Vec<ContactId>,
    #[serde(default)]
    pub changed: Vec<ContactId>,
    #[serde(default)]
    pub removed: Vec<ContactId>,
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// The values changed, old and new, for the console's audit trail
    /// (contact details included: the store, never logs). At most
    /// `MAX_VALUE_CHANGES`; how many more there were is `values_omitted`.
    #[serde(default)]
    pub values: Vec<ValueChange>,
    #[serde(default)]
    pub values_omitted: usize,
}

/// The most value changes one audit record keeps (an import of a whole
/// directory would otherwise outgrow a DynamoDB item).
pub const MAX_VALUE_CHANGES: usize = 400;

/// One field of one contact, before and after (empty: none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueChange {
    pub contact: ContactId,
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What came of a test message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TestOutcome {
    /// The provider took it; a delivery receipt may follow.
    Sent { provider_message_id: String },
    /// The provider refused it for good (invalid number, unverified address...).
    Refused { reason: String },
    /// The provider could not take it now: try again later.
    NotNow,
    /// The contact cannot be reached on this channel (no number, no opt-in).
    Unreachable { reason: String },
}

/// A test message sent to a contact on one channel: marked as a test, no incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestMessageRecord {
    pub licensee_id: LicenseeId,
    pub contact_id: ContactId,
    pub channel: Channel,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who asked for it.
    pub by: String,
    #[serde(flatten)]
    pub outcome: TestOutcome,
    /// What the provider's delivery receipt later said, once one came (only
    /// for `Sent`); moves only forward, as an alert's delivery status does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<TestDelivery>,
}

impl TestMessageRecord {
    /// The provider's message id, for a test the provider took.
    pub fn provider_message_id(&self) -> Option<&str> {
        match &self.outcome {
            TestOutcome::Sent { provider_message_id } => Some(provider_message_id),
            _ => None,
        }
    }
}

/// A test message's delivery status, from the provider's receipt: no
/// fallback and no timeline, only shown on the contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestDelivery {
    pub state: DeliveryState,
    /// The provider's time of the receipt that set this state.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The provider's code or short reason for a failure ("bounce: Permanent/General").
    #[serde(default)]
    pub detail: Option<String>,
}

impl TestDelivery {
    /// Whether `next` moves the stored status forward: the rule of
    /// `Delivery::advanced_by`, by `DeliveryState::rank`.
    pub fn advanced_by(current: Option<&TestDelivery>, next: DeliveryState) -> bool {
        current.is_none_or(|c| next.rank() > c.state.rank())
    }
}

#[async_trait]
pub trait DirectoryChangeStore: Send + Sync {
    /// The directory's current version (0 if it has never been changed this way).
    async fn directory_version(&self, licensee: &LicenseeId) -> Result<u32, StoreError>;

    /// Applies the change if the directory is still at `base_version`, else
    /// `Conflict` and nothing is written. Returns the new version.
    async fn apply_directory_change(&self, change: &DirectoryChange) -> Result<u32, StoreError>;

    /// The audit trail, oldest first.
    async fn directory_changes(&self, licensee: &LicenseeId) -> Result<Vec<ChangeRecord>, StoreError>;

    /// Records a test message; one the provider took (`Sent`) is found by its
    /// provider message id for its receipts (`DeliveryStore::receipt_target`).
    async fn record_test_message(&self, record: &TestMessageRecord) -> Result<(), StoreError>;

    /// A contact's test messages, oldest first.
    async fn test_messages(
        &self,
        licensee: &LicenseeId,
        contact: &ContactId,
    ) -> Result<Vec<TestMessageRecord>, StoreError>;
}
