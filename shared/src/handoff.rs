//! Handing a stored incident on for categorisation.
//!
//! Intake stores the incident with a pending hand-off marker in the same
//! transaction as the incident itself, then sends an ids-only message to the
//! categorise queue and clears the marker. If anything fails between the two,
//! the marker stays: a police retry or the scheduled sweeper (which finds
//! marked incidents through a sparse index) hands it on again. Categorisation
//! is idempotent, so a message sent twice is harmless; an incident is never lost.

use crate::clock::Clock;
use crate::domain::incident::HandoffReason;
use crate::domain::{Event, Incident, TimelineEvent};
use crate::ids::{IdGenerator, IncidentId, LicenseeId};
use crate::ports::{OutgoingMessage, Queue, QueueError, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::Duration;

/// The categorise queue's message body: ids only, never personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffMessage {
    pub incident_id: IncidentId,
    pub version: u32,
    pub reason: HandoffReason,
    /// The incident's licensee, so categorisation reads the incident and the
    /// licensee's directory at once (absent in messages queued before it was
    /// added: categorisation then reads the incident first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensee_id: Option<LicenseeId>,
}

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("could not queue the incident for categorisation")]
    Queue(#[from] QueueError),
    #[error("could not record the hand-off")]
    Store(#[from] StoreError),
}

/// What intake and the sweeper both run on: the table, the categorise queue,
/// the clock and ids; `S` is each one's own settings. Built from the
/// environment by `sim::startup::handoff`.
pub struct HandoffDeps<S> {
    pub store: Arc<dyn Store>,
    /// The categorise queue: incidents are handed on here.
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    pub settings: S,
}

impl<S> HandoffDeps<S> {
    pub fn handoff(&self) -> Handoff<'_> {
        Handoff { store: &*self.store, queue: &*self.queue, clock: &*self.clock, ids: &*self.ids }
    }
}

/// What intake and the sweeper need to hand incidents on.
pub struct Handoff<'a> {
    pub store: &'a dyn Store,
    pub queue: &'a dyn Queue,
    pub clock: &'a dyn Clock,
    pub ids: &'a dyn IdGenerator,
}

impl Handoff<'_> {
    /// Sends the incident's pending change on, then clears the marker. Does
    /// nothing if nothing is pending.
    pub async fn hand_on(&self, incident: &Incident) -> Result<(), HandoffError> {
        let Some(pending) = &incident.handoff else {
            return Ok(());
        };
        let message = HandoffMessage {
            incident_id: incident.id.clone(),
            version: incident.version,
            reason: pending.reason,
            licensee_id: Some(incident.licensee_id.clone()),
        };
        let body = serde_json::to_string(&message).expect("hand-off message serialises");
        self.queue.send(&[OutgoingMessage::now(body)]).await?;
        let event =
            TimelineEvent::new(self.ids, &incident.id, self.clock.now(), Event::HandedOn { reason: pending.reason });
        // false: a newer change arrived meanwhile and is itself pending.
        self.store.mark_handed_on(&incident.id, incident.version, &event).await?;
        tracing::info!(incident_id = %incident.id, version = incident.version, reason = %pending.reason, "handed on for categorisation");
        Ok(())
    }

    /// Hands on every incident whose hand-off has been pending for longer
    /// than `grace`. Returns how many were handed on and how many failed.
    pub async fn sweep(&self, grace: Duration, limit: usize) -> Result<SweepReport, StoreError> {
        let before = self.clock.now() - grace;
        let mut report = SweepReport::default();
        for id in self.store.pending_handoffs(before, limit).await? {
            let Some(incident) = self.store.get_incident(&id).await? else { continue };
            match self.hand_on(&incident).await {
                Ok(()) => report.handed_on += 1,
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(incident_id = %id, error = %error, "sweep could not hand on");
                }
            }
        }
        Ok(report)
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub handed_on: usize,
    pub failed: usize,
}
