//! The clock port. Every "now" in SIM comes from here so tests can pin time.

use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to: for tests and for the local stack's
/// shortened-time demos.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().expect("clock lock");
        *now += by;
    }

    /// Moves to `at` (tests: straight to when something falls due).
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock lock")
    }
}

/// Real time sped up: `speed` minutes pass every minute. The local stack's
/// demo option, so a person can watch a 10-minute escalation happen in 10 s.
#[derive(Debug)]
pub struct ScaledClock {
    start: OffsetDateTime,
    started: std::time::Instant,
    speed: u32,
}

impl ScaledClock {
    pub fn new(speed: u32) -> Self {
        Self { start: OffsetDateTime::now_utc(), started: std::time::Instant::now(), speed: speed.max(1) }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> OffsetDateTime {
        self.start + self.started.elapsed() * self.speed
    }
}
