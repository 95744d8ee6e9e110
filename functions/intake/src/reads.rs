//! What intake reads for every request, kept in the warm container for a
//! short time: callers, which licensee covers an area, and licensees. A
//! report then costs its transaction and its queue message, no reads.
//!
//! Kept for `READ_TTL` by the injected clock, positive answers only (an area
//! or caller added a moment ago is found at once). A rotated key works at
//! once: a presented key that does not match the kept caller is checked
//! against a fresh read before it is refused. A revoked key, a licence or
//! area change takes up to `READ_TTL` to reach a warm container.

use sim::clock::Clock;
use sim::domain::{AreaName, Caller, Licensee};
use sim::ids::{CallerId, LicenseeId};
use sim::ports::{DirectoryStore, StoreError};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// How long a warm container keeps a caller, an area's licensee and a
/// licensee: a revoked or replaced key, or a suspension, takes effect within it.
pub const READ_TTL: Duration = Duration::seconds(30);

#[derive(Default)]
pub struct Reads {
    callers: Kept<CallerId, Caller>,
    areas: Kept<String, LicenseeId>,
    licensees: Kept<LicenseeId, Licensee>,
}

struct Kept<K, V>(Mutex<HashMap<K, (OffsetDateTime, V)>>);

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Kept<K, V> {
    fn get(&self, key: &K, now: OffsetDateTime) -> Option<V> {
        let kept = self.0.lock().expect("cache lock");
        kept.get(key).filter(|(at, _)| now - *at < READ_TTL).map(|(_, v)| v.clone())
    }

    fn keep(&self, key: &K, value: &V, now: OffsetDateTime) {
        let mut kept = self.0.lock().expect("cache lock");
        kept.retain(|_, (at, _)| now - *at < READ_TTL);
        kept.insert(key.clone(), (now, value.clone()));
    }

    /// The kept value, else `read` (kept when found).
    async fn or_read<F>(&self, key: &K, now: OffsetDateTime, read: F) -> Result<Option<V>, StoreError>
    where
        F: std::future::Future<Output = Result<Option<V>, StoreError>>,
    {
        if let Some(v) = self.get(key, now) {
            return Ok(Some(v));
        }
        let found = read.await?;
        if let Some(v) = &found {
            self.keep(key, v, now);
        }
        Ok(found)
    }
}

impl Reads {
    /// The caller, kept or read; `fresh` skips what is kept.
    pub async fn caller(
        &self,
        store: &dyn DirectoryStore,
        clock: &dyn Clock,
        id: &CallerId,
        fresh: bool,
    ) -> Result<Option<Caller>, StoreError> {
        let now = clock.now();
        if fresh {
            let found = store.get_caller(id).await?;
            if let Some(c) = &found {
                self.callers.keep(id, c, now);
            }
            return Ok(found);
        }
        self.callers.or_read(id, now, store.get_caller(id)).await
    }

    pub async fn licensee_for_area(
        &self,
        store: &dyn DirectoryStore,
        clock: &dyn Clock,
        area: &AreaName,
    ) -> Result<Option<LicenseeId>, StoreError> {
        self.areas.or_read(&area.key(), clock.now(), store.licensee_for_area(area)).await
    }

    pub async fn licensee(
        &self,
        store: &dyn DirectoryStore,
        clock: &dyn Clock,
        id: &LicenseeId,
    ) -> Result<Option<Licensee>, StoreError> {
        self.licensees.or_read(id, clock.now(), store.get_licensee(id)).await
    }

    /// The licensee if it is kept, reading nothing.
    pub fn kept_licensee(&self, clock: &dyn Clock, id: &LicenseeId) -> Option<Licensee> {
        self.licensees.get(id, clock.now())
    }
}
