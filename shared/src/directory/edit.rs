//! One contact saved or removed from a page: the same versioned change as an
//! import, so an edit made from a stale page is refused, never overwriting a
//! colleague's. What the console's contact page calls.

use crate::clock::Clock;
use crate::domain::Contact;
use crate::ids::{ContactId, GroupId, LicenseeId};
use crate::ports::store::{ChangeRecord, DirectoryChange, DirectoryChangeStore, DirectoryStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("someone else changed the directory since this page was loaded: reload it and make the change again")]
    Stale,
    #[error("the deputy must be another contact in the directory")]
    NoSuchDeputy,
    #[error("there is no such contact")]
    NoSuchContact,
    #[error("the directory could not be read or written")]
    Store(#[source] StoreError),
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => EditError::Stale,
            other => EditError::Store(other),
        }
    }
}

fn record(licensee: &LicenseeId, base_version: u32, by: &str, clock: &dyn Clock) -> ChangeRecord {
    ChangeRecord {
        licensee_id: licensee.clone(),
        version: base_version + 1,
        at: clock.now(),
        by: by.to_owned(),
        how: "edit".into(),
        added: vec![],
        changed: vec![],
        removed: vec![],
        groups: vec![],
        values: vec![],
        values_omitted: 0,
    }
}

/// The groups a contact is in, as the audit trail shows them.
fn group_list(groups: &[crate::domain::Group], contact: &ContactId) -> String {
    let mut ids: Vec<&str> = groups.iter().filter(|g| g.members.contains(contact)).map(|g| g.id.as_str()).collect();
    ids.sort();
    ids.join(" ")
}

/// Adds or replaces `contact` and makes `groups` exactly the groups they are
/// in, if the directory is still at `base_version` (the version the page
/// showed). Returns the new version.
pub async fn save_contact<S: DirectoryStore + DirectoryChangeStore + ?Sized>(
    store: &S,
    base_version: u32,
    contact: Contact,
    groups: &[GroupId],
    by: &str,
    clock: &dyn Clock,
) -> Result<u32, EditError> {
    let licensee = contact.licensee_id.clone();
    if let Some(deputy) = &contact.deputy {
        if deputy == &contact.id || store.get_contact(&licensee, deputy).await?.is_none() {
            return Err(EditError::NoSuchDeputy);
        }
    }
    let existing = store.get_contact(&licensee, &contact.id).await?;
    let current = store.groups(&licensee).await?;
    let mut put_groups = Vec::new();
    for mut g in current.iter().cloned() {
        let wanted = groups.contains(&g.id);
        let member = g.members.contains(&contact.id);
        if wanted && !member {
            g.members.push(contact.id.clone());
        } else if !wanted && member {
            g.members.retain(|m| m != &contact.id);
        } else {
            continue;
        }
        put_groups.push(g);
    }
    // A group the licensee does not have yet is created, named by its id.
    for id in groups.iter().filter(|id| current.iter().all(|g| &g.id != *id)) {
        put_groups.push(crate::domain::Group {
            id: id.clone(),
            licensee_id: licensee.clone(),
            name: id.to_string(),
            members: vec![contact.id.clone()],
            rota: None,
        });
    }
    let mut record = record(&licensee, base_version, by, clock);
    match existing {
        None => record.added.push(contact.id.clone()),
        Some(_) => record.changed.push(contact.id.clone()),
    }
    record.groups = put_groups.iter().map(|g| g.id.clone()).collect();
    record.values = super::audit::value_changes(existing.as_ref(), Some(&contact));
    let mut wanted: Vec<&str> = groups.iter().map(|g| g.as_str()).collect();
    wanted.sort();
    wanted.dedup();
    let (old_groups, new_groups) = (group_list(&current, &contact.id), wanted.join(" "));
    if old_groups != new_groups {
        record.values.push(crate::ports::store::ValueChange {
            contact: contact.id.clone(),
            field: "groups".into(),
            old: old_groups,
            new: new_groups,
        });
    }
    let change = DirectoryChange {
        licensee_id: licensee,
        base_version,
        put_contacts: vec![contact],
        remove_contacts: vec![],
        put_groups,
        record,
    };
    Ok(store.apply_directory_change(&change).await?)
}

/// Removes a contact, from their groups too, if the directory is still at
/// `base_version`. Anyone who had them as deputy is left for alert gaps to
/// show (`Gap::DeputyNotInDirectory`).
pub async fn remove_contact<S: DirectoryStore + DirectoryChangeStore + ?Sized>(
    store: &S,
    licensee: &LicenseeId,
    base_version: u32,
    id: &ContactId,
    by: &str,
    clock: &dyn Clock,
) -> Result<u32, EditError> {
    let Some(existing) = store.get_contact(licensee, id).await? else {
        return Err(EditError::NoSuchContact);
    };
    let put_groups: Vec<_> = store
        .groups(licensee)
        .await?
        .into_iter()
        .filter(|g| g.members.contains(id))
        .map(|mut g| {
            g.members.retain(|m| m != id);
            g
        })
        .collect();
    let mut record = record(licensee, base_version, by, clock);
    record.removed.push(id.clone());
    record.groups = put_groups.iter().map(|g| g.id.clone()).collect();
    record.values = super::audit::value_changes(Some(&existing), None);
    let change = DirectoryChange {
        licensee_id: licensee.clone(),
        base_version,
        put_contacts: vec![],
        remove_contacts: vec![id.clone()],
        put_groups,
        record,
    };
    Ok(store.apply_directory_change(&change).await?)
}
