//! In-memory staff and sessions: the local stack and handler tests. Same
//! rules as the DynamoDB adapter (one member per email and per login).

use crate::domain::staff::{Login, StaffEmail, StaffId, StaffMember};
use crate::ids::LicenseeId;
use crate::ports::sessions::{AuditEntry, PendingSignIn, Session, SessionStore};
use crate::ports::staff::StaffStore;
use crate::ports::store::StoreError;
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use time::OffsetDateTime;

#[derive(Default)]
struct State {
    staff: BTreeMap<(LicenseeId, StaffId), StaffMember>,
    sessions: HashMap<String, Session>,
    pending: HashMap<String, PendingSignIn>,
    audit: Vec<AuditEntry>,
}

#[derive(Default)]
pub struct MemoryConsoleStore(Mutex<State>);

impl MemoryConsoleStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many sessions exist (tests: "nothing else happened").
    pub fn session_count(&self) -> usize {
        self.state().sessions.len()
    }
}

fn same_member(a: &StaffMember, b: &StaffMember) -> bool {
    a.licensee_id == b.licensee_id && a.id == b.id
}

#[async_trait]
impl StaffStore for MemoryConsoleStore {
    async fn put_staff(&self, member: &StaffMember) -> Result<(), StoreError> {
        let mut state = self.state();
        let clash = state.staff.values().any(|m| {
            !same_member(m, member)
                && ((member.email.is_some() && m.email == member.email)
                    || (member.login.is_some() && m.login == member.login))
        });
        if clash {
            return Err(StoreError::Conflict);
        }
        state.staff.insert((member.licensee_id.clone(), member.id.clone()), member.clone());
        Ok(())
    }

    async fn get_staff(&self, licensee: &LicenseeId, id: &StaffId) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.state().staff.get(&(licensee.clone(), id.clone())).cloned())
    }

    async fn staff(&self, licensee: &LicenseeId) -> Result<Vec<StaffMember>, StoreError> {
        Ok(self.state().staff.values().filter(|m| &m.licensee_id == licensee).cloned().collect())
    }

    async fn staff_by_login(&self, login: &Login) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.state().staff.values().find(|m| m.login.as_ref() == Some(login)).cloned())
    }

    async fn staff_by_email(&self, email: &StaffEmail) -> Result<Option<StaffMember>, StoreError> {
        Ok(self.state().staff.values().find(|m| m.email.as_ref() == Some(email)).cloned())
    }

    async fn pin_login(&self, member: &StaffMember, login: &Login) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state.staff.values().any(|m| m.login.as_ref() == Some(login)) {
            return Ok(false);
        }
        match state.staff.get_mut(&(member.licensee_id.clone(), member.id.clone())) {
            Some(m) if m.login.is_none() => {
                m.login = Some(login.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn remove_staff(&self, licensee: &LicenseeId, id: &StaffId) -> Result<bool, StoreError> {
        Ok(self.state().staff.remove(&(licensee.clone(), id.clone())).is_some())
    }
}

#[async_trait]
impl SessionStore for MemoryConsoleStore {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        self.state().sessions.insert(session.key.clone(), session.clone());
        Ok(())
    }

    async fn get_session(&self, key: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.state().sessions.get(key).cloned())
    }

    async fn touch_session(&self, key: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        if let Some(s) = self.state().sessions.get_mut(key) {
            s.last_seen = at;
        }
        Ok(())
    }

    async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        self.state().sessions.remove(key);
        Ok(())
    }

    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), StoreError> {
        self.state().pending.insert(pending.key.clone(), pending.clone());
        Ok(())
    }

    async fn take_pending(&self, key: &str) -> Result<Option<PendingSignIn>, StoreError> {
        Ok(self.state().pending.remove(key))
    }

    async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.state().audit.push(entry.clone());
        Ok(())
    }

    async fn audit(&self, licensee: Option<&LicenseeId>) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self.state().audit.iter().filter(|e| e.licensee_id.as_ref() == licensee).cloned().collect())
    }
}
