//! Importing a contacts file: a plan (what would be added, changed and
//! removed) computed against the directory version it read, shown as a dry
//! run, then applied as one versioned change. Removals are applied only when
//! confirmed; a directory changed since the plan was made refuses it.

use super::csv::{self, CsvError, ImportedContact, Limits};
use crate::clock::Clock;
use crate::domain::{Contact, Group};
use crate::ids::{ContactId, GroupId, LicenseeId};
use crate::ports::store::{ChangeRecord, DirectoryChange, DirectoryChangeStore, DirectoryStore, StoreError};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A contact the file changes, and which fields (names only, never values).
#[derive(Debug, Clone, PartialEq)]
pub struct ContactChange {
    pub before: Contact,
    pub after: Contact,
    pub fields: Vec<&'static str>,
}

/// A group whose members the file changes.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupChange {
    pub id: GroupId,
    /// The group does not exist yet: the import creates it, named by its id.
    pub new: bool,
    pub joined: Vec<ContactId>,
    pub left: Vec<ContactId>,
    /// Set when the file changes whether the group is a rota, its schedule or
    /// its order: the rota after the import (none: no longer a rota) and its order.
    pub rota: Option<(Option<crate::domain::rota::Rota>, Vec<ContactId>)>,
}

/// What an import would do to a licensee's directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub licensee_id: LicenseeId,
    /// The directory version the plan was made against.
    pub base_version: u32,
    pub added: Vec<Contact>,
    pub changed: Vec<ContactChange>,
    pub removed: Vec<Contact>,
    pub groups: Vec<GroupChange>,
    pub unchanged: usize,
    put_groups: Vec<Group>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty() && self.groups.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] CsvError),
    #[error("the file removes {0} contact(s) from the directory: check the list and confirm the removals to apply it")]
    RemovalsNotConfirmed(usize),
    #[error("the directory was changed by someone else since this file was checked: check the file again")]
    Stale,
    #[error("the directory could not be read or written")]
    Store(#[source] StoreError),
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ImportError::Stale,
            other => ImportError::Store(other),
        }
    }
}

fn changed_fields(before: &Contact, after: &Contact) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |differs: bool, name| {
        if differs {
            fields.push(name)
        }
    };
    check(before.name != after.name, "name");
    check(before.role != after.role, "role");
    check(before.organisation != after.organisation, "organisation");
    check(before.mobile != after.mobile, "mobile");
    check(before.email != after.email, "email");
    check(before.whatsapp_opt_in != after.whatsapp_opt_in, "whatsapp_opt_in");
    check(before.whatsapp_opt_in_given != after.whatsapp_opt_in_given, "whatsapp_opt_in_given");
    check(before.deputy != after.deputy, "deputy");
    check(before.away_until != after.away_until, "away_until");
    fields
}

/// The plan that turns the directory (`contacts`, `groups` at `base_version`)
/// into what the file says. Pure: the dry run and the apply share it.
pub fn plan(
    licensee: &LicenseeId,
    base_version: u32,
    contacts: &[Contact],
    groups: &[Group],
    imported: &[ImportedContact],
) -> Plan {
    let current: BTreeMap<&ContactId, &Contact> = contacts.iter().map(|c| (&c.id, c)).collect();
    let in_file: BTreeSet<&ContactId> = imported.iter().map(|i| &i.contact.id).collect();
    let mut membership_now: BTreeMap<&ContactId, BTreeSet<&GroupId>> = BTreeMap::new();
    for g in groups {
        for m in &g.members {
            membership_now.entry(m).or_default().insert(&g.id);
        }
    }
    let (mut added, mut changed, mut unchanged) = (Vec::new(), Vec::new(), 0);
    for i in imported {
        match current.get(&i.contact.id) {
            None => added.push(i.contact.clone()),
            Some(before) => {
                let mut fields = changed_fields(before, &i.contact);
                let groups_now = membership_now.get(&i.contact.id).cloned().unwrap_or_default();
                let in_file: BTreeSet<&GroupId> = i.groups.iter().chain(i.rota.iter().map(|(g, _)| g)).collect();
                if groups_now != in_file {
                    fields.push("groups");
                }
                if fields.is_empty() {
                    unchanged += 1;
                } else {
                    changed.push(ContactChange { before: (*before).clone(), after: i.contact.clone(), fields });
                }
            }
        }
    }
    let removed: Vec<Contact> = contacts.iter().filter(|c| !in_file.contains(&c.id)).cloned().collect();

    // Group membership is what the file says, in file order; every group
    // the licensee has is covered (one absent from the file becomes empty).
    // A rota's members are in turn order, and the file sets its schedule (no turns: not a rota).
    let mut members: BTreeMap<GroupId, Vec<ContactId>> = groups.iter().map(|g| (g.id.clone(), Vec::new())).collect();
    for i in imported {
        for g in &i.groups {
            members.entry(g.clone()).or_default().push(i.contact.id.clone());
        }
    }
    let rotas = csv::rotas(imported);
    for (g, (_, in_turn_order)) in &rotas {
        members.insert(g.clone(), in_turn_order.clone());
    }
    let (mut group_changes, mut put_groups) = (Vec::new(), Vec::new());
    for (id, after) in members {
        let existing = groups.iter().find(|g| g.id == id);
        let before: &[ContactId] = existing.map(|g| g.members.as_slice()).unwrap_or_default();
        let same = |a: &[ContactId], b: &[ContactId]| a.iter().collect::<BTreeSet<_>>() == b.iter().collect();
        let rota = rotas.get(&id).map(|(r, _)| *r);
        let same_rota = existing.is_some_and(|g| g.rota == rota && (rota.is_none() || g.members == after));
        if existing.is_some() && same(before, &after) && same_rota {
            continue; // the same people, whatever the order (a rota's order and schedule unchanged)
        }
        let joined = after.iter().filter(|m| !before.contains(m)).cloned().collect();
        let left = before.iter().filter(|m| !after.contains(m)).cloned().collect();
        let rota_change = (!same_rota).then(|| (rota, if rota.is_some() { after.clone() } else { Vec::new() }));
        group_changes.push(GroupChange { id: id.clone(), new: existing.is_none(), joined, left, rota: rota_change });
        put_groups.push(Group {
            name: existing.map(|g| g.name.clone()).unwrap_or_else(|| id.to_string()),
            id,
            licensee_id: licensee.clone(),
            members: after,
            rota,
        });
    }
    Plan {
        licensee_id: licensee.clone(),
        base_version,
        added,
        changed,
        removed,
        groups: group_changes,
        unchanged,
        put_groups,
    }
}

/// Reads the file and the directory and returns the plan: the dry run.
pub async fn plan_import<S: DirectoryStore + DirectoryChangeStore + ?Sized>(
    store: &S,
    licensee: &LicenseeId,
    file: &[u8],
    limits: Limits,
) -> Result<Plan, ImportError> {
    let imported = csv::parse(file, licensee, limits)?;
    // The version first: a change landing between the reads makes the plan
    // stale (refused on apply), never silently wrong.
    let version = store.directory_version(licensee).await?;
    let contacts = store.contacts(licensee).await?;
    let groups = store.groups(licensee).await?;
    Ok(plan(licensee, version, &contacts, &groups, &imported))
}

/// Applies a plan as one versioned change, recorded as made by `by`.
/// Returns the directory's new version (or the same one if nothing changes).
pub async fn apply<S: DirectoryChangeStore + ?Sized>(
    store: &S,
    plan: &Plan,
    confirm_removals: bool,
    by: &str,
    clock: &dyn Clock,
) -> Result<u32, ImportError> {
    if !plan.removed.is_empty() && !confirm_removals {
        return Err(ImportError::RemovalsNotConfirmed(plan.removed.len()));
    }
    if plan.is_empty() {
        return Ok(plan.base_version);
    }
    let mut put_contacts = plan.added.clone();
    put_contacts.extend(plan.changed.iter().filter(|c| c.fields != ["groups"]).map(|c| c.after.clone()));
    let ids = |list: &[Contact]| list.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    let mut values: Vec<_> = plan.added.iter().flat_map(|c| super::audit::value_changes(None, Some(c))).collect();
    values.extend(plan.changed.iter().flat_map(|c| super::audit::value_changes(Some(&c.before), Some(&c.after))));
    values.extend(plan.removed.iter().flat_map(|c| super::audit::value_changes(Some(c), None)));
    let (values, values_omitted) = super::audit::capped(values);
    let change = DirectoryChange {
        licensee_id: plan.licensee_id.clone(),
        base_version: plan.base_version,
        put_contacts,
        remove_contacts: ids(&plan.removed),
        put_groups: plan.put_groups.clone(),
        record: ChangeRecord {
            licensee_id: plan.licensee_id.clone(),
            version: plan.base_version + 1,
            at: clock.now(),
            by: by.to_owned(),
            how: "import".into(),
            added: ids(&plan.added),
            changed: plan.changed.iter().map(|c| c.after.id.clone()).collect(),
            removed: ids(&plan.removed),
            groups: plan.groups.iter().map(|g| g.id.clone()).collect(),
            values,
            values_omitted,
        },
    };
    Ok(store.apply_directory_change(&change).await?)
}

/// The dry run as text: contact ids, names and roles, the names of changed
/// fields, never phone numbers or email addresses.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} at directory version {}: {} added, {} changed, {} removed, {} unchanged",
            self.licensee_id,
            self.base_version,
            self.added.len(),
            self.changed.len(),
            self.removed.len(),
            self.unchanged
        )?;
        for c in &self.added {
            writeln!(f, "  + {}  {} ({})", c.id, c.name, c.role)?;
        }
        for c in &self.changed {
            writeln!(f, "  ~ {}  {}: {}", c.after.id, c.after.name, c.fields.join(", "))?;
        }
        for c in &self.removed {
            writeln!(f, "  - {}  {} ({})  REMOVED", c.id, c.name, c.role)?;
        }
        for g in &self.groups {
            let list = |ids: &[ContactId]| ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(" ");
            write!(f, "  group {}{}:", g.id, if g.new { " (new)" } else { "" })?;
            if !g.joined.is_empty() {
                write!(f, " joined {}", list(&g.joined))?;
            }
            if !g.left.is_empty() {
                write!(f, " left {}", list(&g.left))?;
            }
            match &g.rota {
                Some((Some(rota), order)) => write!(f, " a rota, {rota}, in turn order: {}", list(order))?,
                Some((None, _)) if !g.new => write!(f, " no longer a rota")?,
                _ => {}
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
