//! The store port, one trait per aggregate so each function names only what
//! it reads and writes (the serverless-rust-demo pattern): `DirectoryStore`,
//! `IncidentStore`, `AlertStore`, `ResponseStore`, `VaultStore`, `ReportStore`, `DeliveryStore`, `ShareStore`. `Store` is their sum, for
//! the composition root and the adapters' contract suite. Keys and access
//! patterns are documented in `docs/data-model.md`.

mod alerts;
mod deliveries;
mod directory;
mod directory_changes;
mod incidents;
mod reports;
mod response;
mod shares;
mod vault;

pub use alerts::{AlertStore, Claim, Handed, IncidentRecord, RoundWrite, ROUND_WRITE_MAX};
pub use deliveries::{DeliveryStore, ReceiptTarget};
pub use directory::{Directory, DirectoryStore, LapseNotice};
pub use directory_changes::{
    ChangeRecord, DirectoryChange, DirectoryChangeStore, TestDelivery, TestMessageRecord, TestOutcome, ValueChange,
    MAX_VALUE_CHANGES,
};
pub use incidents::{CreateOutcome, IncidentStore, ReportKey};
pub use reports::{ReportRows, ReportStore};
pub use response::ResponseStore;
pub use shares::ShareStore;
pub use vault::{AccessAction, AccessEntry, IncidentKey, SealedSubject, SubjectKey, SubjectRef, VaultStore};

use super::Cause;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: someone else changed the record first.
    #[error("the record was changed by someone else")]
    Conflict,
    /// Throttled, timed out or unreachable: worth retrying.
    #[error("the store is unavailable")]
    Unavailable(#[source] Cause),
    /// Refused or unreadable: retrying will not help.
    #[error("the store refused the request or returned unreadable data")]
    Permanent(#[source] Cause),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Conflict)
    }
}

/// What the senders use: their notifications, and the incident and contacts
/// a message is rendered from.
pub trait SendingStore: AlertStore + IncidentStore + DirectoryStore {}

impl<T: AlertStore + IncidentStore + DirectoryStore + ?Sized> SendingStore for T {}

/// Every aggregate's store: what an adapter implements in full. A
/// `dyn Store` upcasts to any of the narrower traits.
pub trait Store:
    SendingStore + ResponseStore + DirectoryChangeStore + VaultStore + ReportStore + DeliveryStore + ShareStore
{
}

impl<
        T: SendingStore
            + ResponseStore
            + DirectoryChangeStore
            + VaultStore
            + ReportStore
            + DeliveryStore
            + ShareStore
            + ?Sized,
    > Store for T
{
}

/// The store traits in scope by `use sim::ports::store::prelude::*`, for code
/// that calls a concrete adapter (tests, the CLI) rather than a trait object.
pub mod prelude {
    pub use super::{
        AlertStore as _, DeliveryStore as _, DirectoryChangeStore as _, DirectoryStore as _, IncidentStore as _,
        ReportStore as _, ResponseStore as _, ShareStore as _, VaultStore as _,
    };
}
