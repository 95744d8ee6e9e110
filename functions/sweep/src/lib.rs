//! The hand-off sweeper, run every minute by an EventBridge schedule: hands
//! on any incident whose hand-off to categorisation did not complete when it
//! was stored (the queue was down, the intake Lambda timed out). Together with
//! the marker written in intake's transaction, no incident is ever lost
//! between being stored and being categorised.

use sim::config::{parsed_or, ConfigError};
use sim::handoff::SweepReport;
use sim::ports::StoreError;
use time::Duration;

/// The hand-off wiring it shares with intake, and the sweeper's one setting.
pub type Deps = sim::handoff::HandoffDeps<Settings>;

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Hand-offs pending for less than this are left to intake, which is
    /// probably still completing them.
    pub after: Duration,
}

/// Incidents handed on per run; a backlog larger than this drains over runs.
pub const BATCH: usize = 100;

impl Settings {
    /// `SWEEP_AFTER_SECONDS`, 60 by default.
    pub fn from_env() -> Result<Self, ConfigError> {
        let seconds: u32 = parsed_or("SWEEP_AFTER_SECONDS", 60)?;
        Ok(Settings { after: Duration::seconds(seconds.into()) })
    }
}

pub async fn sweep(deps: &Deps) -> Result<SweepReport, StoreError> {
    let report = deps.handoff().sweep(deps.settings.after, BATCH).await?;
    if report.handed_on + report.failed > 0 {
        tracing::warn!(handed_on = report.handed_on, failed = report.failed, "sweeper handed on stalled incidents");
    }
    Ok(report)
}
