//! Cross-borough shares (issue 19): one per owner's incident and partner
//! licensee, moved only from the version it was read at.

use super::StoreError;
use crate::domain::share::Share;
use crate::domain::{Incident, TimelineEvent};
use crate::ids::{IncidentId, LicenseeId};
use async_trait::async_trait;

#[async_trait]
pub trait ShareStore: Send + Sync {
    /// Stores a new offer (version 1) with its timeline events, unless this
    /// incident already has a share with this partner: false then, and nothing written.
    async fn offer_share(&self, share: &Share, events: &[TimelineEvent]) -> Result<bool, StoreError>;

    async fn get_share(&self, incident: &IncidentId, partner: &LicenseeId) -> Result<Option<Share>, StoreError>;

    /// The incident's shares, by partner.
    async fn shares_of_incident(&self, incident: &IncidentId) -> Result<Vec<Share>, StoreError>;

    /// The shares offered to a partner licensee, in whatever state (one query).
    async fn shares_with_partner(&self, partner: &LicenseeId) -> Result<Vec<Share>, StoreError>;

    /// Replaces the share if the stored one is at `share.version - 1`, with
    /// the timeline events (of either licensee's incident) and, on acceptance,
    /// the partner's linked incident, created unless it exists; all or
    /// nothing. `Conflict` if the share moved first.
    async fn move_share(
        &self,
        share: &Share,
        events: &[TimelineEvent],
        linked: Option<&Incident>,
    ) -> Result<(), StoreError>;
}
