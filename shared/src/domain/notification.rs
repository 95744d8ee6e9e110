//! What categorisation decided for an incident, and the notifications it
//! fanned out: one per contact per channel per escalation step.

use super::category::Category;
use super::policy::Channel;
use crate::choice;
use crate::ids::{ContactId, GroupId, IncidentId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The incident's current category and how far its fan-out got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Categorisation {
    pub incident_id: IncidentId,
    pub category: Category,
    /// The rule that matched (`default` when none did) and why.
    pub rule: String,
    pub reason: String,
    /// The incident version this categorisation reflects.
    pub incident_version: u32,
    /// Alert rounds run: 1 for the first alert, one more per upgrade.
    pub round: u32,
    /// Whether this round's notifications were all queued.
    pub fanout_done: bool,
    pub acknowledge_within_minutes: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

choice!(
    NotificationStatus {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Failed = "failed",
    }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub incident_id: IncidentId,
    pub contact_id: ContactId,
    pub channel: Channel,
    /// 0 for the first alert; escalation steps count up.
    pub step: u32,
    /// The categorisation round that created it.
    pub round: u32,
    /// Why this person is alerted: the groups they are in.
    pub groups: Vec<GroupId>,
    /// Whether their acknowledgement is required (and chased).
    pub required: bool,
    pub status: NotificationStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Notification {
    /// Unique per incident: contact × channel × step.
    pub fn key(&self) -> String {
        format!("{}#{}#{}", self.contact_id, self.channel, self.step)
    }

    pub fn message(&self) -> NotificationMessage {
        NotificationMessage {
            incident_id: self.incident_id.clone(),
            contact_id: self.contact_id.clone(),
            channel: self.channel,
            step: self.step,
        }
    }
}

/// A sender queue's message body: ids only, never personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationMessage {
    pub incident_id: IncidentId,
    pub contact_id: ContactId,
    pub channel: Channel,
    pub step: u32,
}
