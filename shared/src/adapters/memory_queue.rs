//! In-memory queue with SQS's delivery semantics where they matter: delayed
//! messages, and received messages hidden until deleted or their visibility
//! timeout passes (then delivered again).

use crate::ports::queue::{OutgoingMessage, Queue, QueueError, ReceivedMessage};
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Pending {
    body: String,
    visible_at: Instant,
}

#[derive(Default)]
struct State {
    ready: VecDeque<Pending>,
    in_flight: HashMap<String, Pending>,
    next_receipt: u64,
}

pub struct MemoryQueue {
    name: String,
    visibility_timeout: Duration,
    /// Delays pass this many times faster (see `ScaledClock`).
    speed: u32,
    state: Mutex<State>,
}

impl MemoryQueue {
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), visibility_timeout: Duration::from_secs(30), speed: 1, state: Mutex::default() }
    }

    /// Delays pass `speed` times faster, to match a `ScaledClock`.
    pub fn with_speed(mut self, speed: u32) -> Self {
        self.speed = speed.max(1);
        self
    }

    /// Takes every message not yet received, delayed or not, with how long
    /// until it would have been visible: for driving scheduled work (such as
    /// escalation checks) on an injected clock rather than waiting.
    pub fn take_scheduled(&self) -> Vec<(String, std::time::Duration)> {
        let now = Instant::now();
        let mut s = self.state.lock().expect("queue lock");
        s.ready.drain(..).map(|p| (p.body, p.visible_at.saturating_duration_since(now))).collect()
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn send(&self, messages: &[OutgoingMessage]) -> Result<(), QueueError> {
        let now = Instant::now();
        let mut s = self.state.lock().expect("queue lock");
        for m in messages {
            let visible_at = now + Duration::from_secs(m.delay_seconds.into()) / self.speed;
            s.ready.push_back(Pending { body: m.body.clone(), visible_at });
        }
        Ok(())
    }

    async fn receive(&self, max: usize) -> Result<Vec<ReceivedMessage>, QueueError> {
        let now = Instant::now();
        let mut s = self.state.lock().expect("queue lock");
        // Messages whose visibility timeout passed are delivered again.
        let expired: Vec<String> =
            s.in_flight.iter().filter(|(_, p)| p.visible_at <= now).map(|(r, _)| r.clone()).collect();
        for receipt in expired {
            if let Some(p) = s.in_flight.remove(&receipt) {
                s.ready.push_back(p);
            }
        }
        let mut out = Vec::new();
        let mut waiting = VecDeque::new();
        while let Some(p) = s.ready.pop_front() {
            if out.len() < max && p.visible_at <= now {
                s.next_receipt += 1;
                let receipt = format!("{}-{}", self.name, s.next_receipt);
                out.push(ReceivedMessage { body: p.body.clone(), receipt: receipt.clone() });
                s.in_flight.insert(receipt, Pending { body: p.body, visible_at: now + self.visibility_timeout });
            } else {
                waiting.push_back(p);
            }
        }
        s.ready = waiting;
        Ok(out)
    }

    async fn delete(&self, receipt: &str) -> Result<(), QueueError> {
        self.state.lock().expect("queue lock").in_flight.remove(receipt);
        Ok(())
    }
}
