//! Council staff records: who may sign in to the console, for which licensee,
//! with which roles. Keys in `docs/data-model.md` ("Staff").

use super::store::StoreError;
use crate::domain::staff::{Login, StaffEmail, StaffId, StaffMember};
use crate::ids::LicenseeId;
use async_trait::async_trait;

#[async_trait]
pub trait StaffStore: Send + Sync {
    /// Adds or replaces a member. `Conflict` if their email or login belongs to another member.
    async fn put_staff(&self, member: &StaffMember) -> Result<(), StoreError>;
    async fn get_staff(&self, licensee: &LicenseeId, id: &StaffId) -> Result<Option<StaffMember>, StoreError>;
    /// A licensee's staff, in id order.
    async fn staff(&self, licensee: &LicenseeId) -> Result<Vec<StaffMember>, StoreError>;
    /// The member pinned to this issuer and subject.
    async fn staff_by_login(&self, login: &Login) -> Result<Option<StaffMember>, StoreError>;
    /// The member with this email (whoever holds it; the caller checks the pin).
    async fn staff_by_email(&self, email: &StaffEmail) -> Result<Option<StaffMember>, StoreError>;
    /// Pins a login to a member that has none yet (their first sign-in by
    /// email); false if they were pinned meanwhile or the login is taken.
    async fn pin_login(&self, member: &StaffMember, login: &Login) -> Result<bool, StoreError>;
    /// Removes a member with their email and login; false if there was none.
    async fn remove_staff(&self, licensee: &LicenseeId, id: &StaffId) -> Result<bool, StoreError>;
}
