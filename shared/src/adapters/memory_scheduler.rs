//! In-memory scheduler for the local stack and tests. moto stores schedules
//! but never fires them; this one does, on an injected clock: `fire_due`
//! delivers every schedule whose `at(…)` expression (read in Europe/London,
//! as EventBridge Scheduler reads it) has passed to the target queue, then
//! deletes it (`ActionAfterCompletion = DELETE`).

use crate::clock::Clock;
use crate::ports::queue::{OutgoingMessage, Queue, QueueError};
use crate::ports::scheduler::{instant_of, OneTimeSchedule, ScheduleError, ScheduleName, Scheduler};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A stored schedule as EventBridge Scheduler holds it: the expression, not the instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSchedule {
    pub expression: String,
    pub body: String,
}

pub struct MemoryScheduler {
    clock: Arc<dyn Clock>,
    target: Arc<dyn Queue>,
    schedules: Mutex<BTreeMap<ScheduleName, StoredSchedule>>,
}

impl MemoryScheduler {
    pub fn new(clock: Arc<dyn Clock>, target: Arc<dyn Queue>) -> Self {
        Self { clock, target, schedules: Mutex::default() }
    }

    /// The schedules waiting to fire, by name.
    pub fn pending(&self) -> BTreeMap<ScheduleName, StoredSchedule> {
        self.schedules.lock().expect("scheduler lock").clone()
    }

    /// Sends every schedule now due to the target queue and deletes it;
    /// returns how many fired. A schedule whose send fails stays, to fire on
    /// the next call.
    pub async fn fire_due(&self) -> Result<usize, QueueError> {
        let now = self.clock.now();
        let due: Vec<(ScheduleName, StoredSchedule)> = self
            .schedules
            .lock()
            .expect("scheduler lock")
            .iter()
            .filter(|(_, s)| instant_of(&s.expression).is_some_and(|at| at <= now))
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect();
        for (name, schedule) in &due {
            self.target.send(&[OutgoingMessage::now(schedule.body.clone())]).await?;
            self.schedules.lock().expect("scheduler lock").remove(name);
        }
        Ok(due.len())
    }
}

#[async_trait]
impl Scheduler for MemoryScheduler {
    async fn create(&self, schedule: &OneTimeSchedule) -> Result<(), ScheduleError> {
        let stored = StoredSchedule { expression: schedule.expression(), body: schedule.body.clone() };
        // An existing schedule of that name stands (EventBridge's ConflictException).
        self.schedules.lock().expect("scheduler lock").entry(schedule.name.clone()).or_insert(stored);
        Ok(())
    }
}
