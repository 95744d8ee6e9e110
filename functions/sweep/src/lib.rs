//! The hand-off sweeper, run every minute by an EventBridge schedule: sends
//! again any incident whose latest change categorisation has not taken up
//! (the queue was down, the intake Lambda timed out, categorisation failed).
//! Together with the marker written in intake's transaction and cleared in
//! categorisation's, no incident is ever lost between being stored and being
//! categorised. Each attempt is counted on the marker; after
//! `HANDOFF_ATTEMPTS` the sweeper stops and logs an error instead.

use sim::config::{parsed_or, ConfigError};
use sim::handoff::SweepReport;
use sim::ports::StoreError;
use time::Duration;

/// The hand-off wiring it shares with intake, and the sweeper's one setting.
pub type Deps = sim::handoff::HandoffDeps<Settings>;

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Changes sent less than this ago are left to categorisation, which is
    /// probably still working on them (its timeout is 30 s); also the time
    /// between the sweeper's attempts.
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
    if report.handed_on + report.failed + report.abandoned > 0 {
        tracing::warn!(
            handed_on = report.handed_on,
            failed = report.failed,
            abandoned = report.abandoned,
            "sweeper handed on stalled incidents"
        );
    }
    Ok(report)
}
