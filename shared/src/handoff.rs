//! Handing a stored incident on for categorisation.
//!
//! Intake stores the incident with a pending hand-off marker in the same
//! transaction as the incident itself, then sends an ids-only message to the
//! categorise queue, and that is all: categorisation clears the marker in the
//! transaction that records its decision (conditional on the incident still
//! being at the version it categorised, so a newer amendment stays pending).
//! Until then the marker stays: a police retry or the scheduled sweeper
//! (which finds marked incidents through a sparse index) sends it again.
//! Categorisation is idempotent, so a message sent twice is harmless; an
//! incident is never lost. The sweeper counts its attempts and, after
//! `HANDOFF_ATTEMPTS`, stops and logs an error, so an incident categorisation
//! keeps failing on is not re-sent every minute forever.

use crate::clock::Clock;
use crate::domain::incident::{HandoffReason, HANDOFF_ATTEMPTS};
use crate::domain::{AreaName, Incident, Licensee};
use crate::ids::{IdGenerator, IncidentId, LicenseeId};
use crate::ports::{OutgoingMessage, Queue, QueueError, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

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
    /// The incident's ward (an area name, one of the licensee's known wards)
    /// and when it happened, so categorisation reads the ward's history with
    /// the incident and the directory, not after them (absent in older
    /// messages and for incidents without a known ward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward: Option<AreaName>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub occurred_at: Option<OffsetDateTime>,
    /// How many days of the ward's history the licensee's rules look back
    /// over, when the sender had the licensee in hand (intake does; the
    /// sweeper does not): categorisation then reads exactly that window with
    /// the incident and the directory. Absent in older messages, when the
    /// rules need no ward history and when the sender did not know: the
    /// history is then read, if the rules need it, once they are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward_window_days: Option<u32>,
}

impl HandoffMessage {
    /// The message for the incident's current version. A sender with the
    /// incident's licensee in hand (intake) passes it: the message then names
    /// the ward window its rules need; others (the sweeper, the console) pass
    /// `None` and categorisation reads the ward's history once it has the rules.
    pub fn for_incident(incident: &Incident, reason: HandoffReason, licensee: Option<&Licensee>) -> Self {
        let location = &incident.report.location;
        let ward_window_days = match (&location.ward, licensee) {
            (Some(_), Some(l)) if l.id == incident.licensee_id => l.rules_or_defaults().ward_window_days(),
            _ => None,
        };
        HandoffMessage {
            incident_id: incident.id.clone(),
            version: incident.version,
            reason,
            licensee_id: Some(incident.licensee_id.clone()),
            ward: location.ward.clone(),
            occurred_at: location.ward.as_ref().map(|_| incident.report.occurred_at),
            ward_window_days,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("could not queue the incident for categorisation")]
    Queue(#[from] QueueError),
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
    /// Sends the incident's pending change on for categorisation (which
    /// clears the marker). Does nothing if nothing is pending. `licensee`:
    /// the incident's licensee if the sender has it in hand
    /// (`HandoffMessage::for_incident`).
    pub async fn hand_on(&self, incident: &Incident, licensee: Option<&Licensee>) -> Result<(), HandoffError> {
        let Some(pending) = &incident.handoff else {
            return Ok(());
        };
        let message = HandoffMessage::for_incident(incident, pending.reason, licensee);
        let body = serde_json::to_string(&message).expect("hand-off message serialises");
        self.queue.send(&[OutgoingMessage::now(body)]).await?;
        tracing::info!(incident_id = %incident.id, version = incident.version, reason = %pending.reason, "handed on for categorisation");
        Ok(())
    }

    /// Sends again every incident whose pending change was last sent more
    /// than `grace` ago, counting the attempt on the marker first; one
    /// visited more than `HANDOFF_ATTEMPTS` times is not sent again but
    /// logged as an error (incident id only) and left out of later sweeps.
    pub async fn sweep(&self, grace: Duration, limit: usize) -> Result<SweepReport, StoreError> {
        let now = self.clock.now();
        let mut report = SweepReport::default();
        for id in self.store.pending_handoffs(now - grace, limit).await? {
            let Some(incident) = self.store.get_incident(&id).await? else { continue };
            let Some(pending) = &incident.handoff else { continue };
            let next = pending.visited(now);
            // Counted before sending, so a sweep that dies after sending
            // cannot send again uncounted; false: categorised or amended
            // meanwhile, or another sweep counted it.
            if !self.store.visit_handoff(&id, incident.version, pending.attempts, &next).await? {
                continue;
            }
            if !next.swept() {
                report.abandoned += 1;
                tracing::error!(incident_id = %id, attempts = HANDOFF_ATTEMPTS, "hand-off abandoned: still not categorised after the sweeper's last attempt");
                continue;
            }
            match self.hand_on(&incident, None).await {
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
    /// Sent `HANDOFF_ATTEMPTS` times and still not categorised: no longer sent.
    pub abandoned: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_queued_before_the_ward_was_added_still_read() {
        let old: HandoffMessage =
            serde_json::from_str(r#"{"incident_id":"inc-1","version":2,"reason":"amended","licensee_id":"lambeth"}"#)
                .unwrap();
        assert_eq!((old.ward, old.occurred_at), (None, None));
        let new = HandoffMessage {
            ward: Some(AreaName::parse("Brixton North").unwrap()),
            occurred_at: Some(time::macros::datetime!(2026-11-21 01:50 UTC)),
            ..old
        };
        let text = serde_json::to_string(&new).unwrap();
        assert!(text.contains(r#""ward":"Brixton North","occurred_at":"2026-11-21T01:50:00Z""#), "{text}");
        assert_eq!(serde_json::from_str::<HandoffMessage>(&text).unwrap(), new);
        assert_eq!(new.ward_window_days, None, "a message without the window reads as before");

        let windowed = HandoffMessage { ward_window_days: Some(28), ..new };
        let text = serde_json::to_string(&windowed).unwrap();
        assert!(text.ends_with(r#","ward_window_days":28}"#), "{text}");
        assert_eq!(serde_json::from_str::<HandoffMessage>(&text).unwrap(), windowed);
    }
}
