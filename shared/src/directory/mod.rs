//! The directory a council runs: its contacts and groups, imported from and
//! exported to a spreadsheet (CSV), checked for alert gaps, and tested with
//! test messages. Plain functions the CLI and the console call; storage is
//! `DirectoryStore` and `DirectoryChangeStore` (versioned changes).

pub mod audit;
pub mod csv;
pub mod edit;
pub mod gaps;
pub mod import;
pub mod test_message;

pub use self::csv::{CsvError, Limits, RowError};
pub use edit::{remove_contact, save_contact, EditError};
pub use gaps::{alert_gaps, Gap};
pub use import::{apply, plan, plan_import, ImportError, Plan};
pub use test_message::{send_test_message, TestMessageError};

use crate::ids::LicenseeId;
use crate::ports::store::{DirectoryStore, StoreError};

/// The licensee's directory in the import format.
pub async fn export<S: DirectoryStore + ?Sized>(store: &S, licensee: &LicenseeId) -> Result<Vec<u8>, ExportError> {
    let contacts = store.contacts(licensee).await?;
    let groups = store.groups(licensee).await?;
    Ok(self::csv::export(&contacts, &groups)?)
}

/// The alert gaps of a licensee as stored, if an incident came at `now`;
/// `None` if there is no such licensee.
pub async fn gaps_now<S: DirectoryStore + ?Sized>(
    store: &S,
    licensee: &LicenseeId,
    now: time::OffsetDateTime,
) -> Result<Option<Vec<Gap>>, StoreError> {
    let Some(l) = store.get_licensee(licensee).await? else { return Ok(None) };
    let contacts = store.contacts(licensee).await?;
    let groups = store.groups(licensee).await?;
    Ok(Some(alert_gaps(&l, &contacts, &groups, now)))
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the directory could not be read")]
    Store(#[from] StoreError),
    #[error("the file could not be written")]
    Csv(#[from] ::csv::Error),
}
