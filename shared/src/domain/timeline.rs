//! Everything that happened to an incident, in order. Entries hold ids,
//! codes and plain descriptions, never personal data.

use super::incident::HandoffReason;
use crate::ids::{CallerId, EventId, IdGenerator, IncidentId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Police reported the incident.
    Reported { caller_id: CallerId },
    /// Police sent an update that changed the incident.
    PoliceUpdate { caller_id: CallerId, changes: Vec<String> },
    /// The licensee's licence has lapsed; served within the grace period.
    ServedInLicenceGrace { lapsed_on: Date },
    /// Handed on for categorisation.
    HandedOn { reason: HandoffReason },
}

impl Event {
    /// Short name shown in status answers.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Reported { .. } => "reported",
            Event::PoliceUpdate { .. } => "police_update",
            Event::ServedInLicenceGrace { .. } => "served_in_licence_grace",
            Event::HandedOn { .. } => "handed_on",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub id: EventId,
    pub incident_id: IncidentId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub event: Event,
}

impl TimelineEvent {
    pub fn new(ids: &dyn IdGenerator, incident_id: &IncidentId, at: OffsetDateTime, event: Event) -> Self {
        Self { id: EventId::generate(ids), incident_id: incident_id.clone(), at, event }
    }
}
