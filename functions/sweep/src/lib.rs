//! The hand-off sweeper, run every minute by an EventBridge schedule: hands
//! on any incident whose hand-off to categorisation did not complete when it
//! was stored (the queue was down, the intake Lambda timed out). Together with
//! the marker written in intake's transaction, no incident is ever lost
//! between being stored and being categorised.

use sim::clock::Clock;
use sim::config::{parsed_or, ConfigError};
use sim::handoff::{Handoff, SweepReport};
use sim::ids::IdGenerator;
use sim::ports::{Queue, Store, StoreError};
use std::sync::Arc;
use time::Duration;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGenerator>,
    /// Hand-offs pending for less than this are left to intake, which is
    /// probably still completing them.
    pub after: Duration,
}

/// Incidents handed on per run; a backlog larger than this drains over runs.
pub const BATCH: usize = 100;

pub fn after_from_env() -> Result<Duration, ConfigError> {
    let seconds: u32 = parsed_or("SWEEP_AFTER_SECONDS", 60)?;
    Ok(Duration::seconds(seconds.into()))
}

pub async fn sweep(deps: &Deps) -> Result<SweepReport, StoreError> {
    let handoff = Handoff { store: &*deps.store, queue: &*deps.queue, clock: &*deps.clock, ids: &*deps.ids };
    let report = handoff.sweep(deps.after, BATCH).await?;
    if report.handed_on + report.failed > 0 {
        tracing::warn!(handed_on = report.handed_on, failed = report.failed, "sweeper handed on stalled incidents");
    }
    Ok(report)
}
