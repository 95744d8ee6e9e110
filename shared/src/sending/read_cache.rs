//! What rendering reads, kept briefly across the messages of a fan-out.

use crate::domain::contact::Contact;
use crate::domain::notification::Categorisation;
use crate::domain::Incident;
use crate::ids::{ContactId, IncidentId, LicenseeId};
use crate::ports::SendingStore;
use crate::ports::StoreError;
use std::collections::HashMap;
use std::sync::Arc;

/// Rendering needs the incident, its categorisation and the contact: read
/// per message, that is two requests per message of a fan-out that shares
/// one incident. Kept for `READ_TTL` instead: an incident and categorisation
/// per incident (read again when a message belongs to a newer alert round,
/// so an upgrade is never rendered with the old category), and a licensee's
/// contacts in one query. A police amendment to the summary shows in messages
/// rendered after the entry expires.
#[derive(Default)]
pub struct ReadCache {
    incidents: std::sync::Mutex<HashMap<IncidentId, Kept<(Incident, Categorisation)>>>,
    contacts: std::sync::Mutex<HashMap<LicenseeId, Kept<HashMap<ContactId, Contact>>>>,
}

/// A value read at an instant.
type Kept<T> = (std::time::Instant, Arc<T>);

pub const READ_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl ReadCache {
    pub(super) async fn incident(
        &self,
        store: &dyn SendingStore,
        id: &IncidentId,
        round: u32,
    ) -> Result<Option<Arc<(Incident, Categorisation)>>, StoreError> {
        let fresh = |at: &std::time::Instant| at.elapsed() < READ_TTL;
        if let Some((at, entry)) = self.incidents.lock().expect("cache lock").get(id) {
            if fresh(at) && entry.1.round >= round {
                return Ok(Some(entry.clone()));
            }
        }
        let Some(both) = store.incident_and_categorisation(id).await? else { return Ok(None) };
        let entry = Arc::new(both);
        let mut cache = self.incidents.lock().expect("cache lock");
        cache.retain(|_, (at, _)| fresh(at));
        cache.insert(id.clone(), (std::time::Instant::now(), entry.clone()));
        Ok(Some(entry))
    }

    pub(super) async fn contact(
        &self,
        store: &dyn SendingStore,
        licensee: &LicenseeId,
        id: &ContactId,
    ) -> Result<Option<Contact>, StoreError> {
        let fresh = |at: &std::time::Instant| at.elapsed() < READ_TTL;
        if let Some((at, contacts)) = self.contacts.lock().expect("cache lock").get(licensee) {
            if fresh(at) && contacts.contains_key(id) {
                return Ok(contacts.get(id).cloned());
            }
        }
        let contacts: HashMap<ContactId, Contact> =
            store.contacts(licensee).await?.into_iter().map(|c| (c.id.clone(), c)).collect();
        let found = contacts.get(id).cloned();
        let mut cache = self.contacts.lock().expect("cache lock");
        cache.retain(|_, (at, _)| fresh(at));
        cache.insert(licensee.clone(), (std::time::Instant::now(), Arc::new(contacts)));
        Ok(found)
    }
}
