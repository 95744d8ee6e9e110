//! Pacing provider calls to the provider's quota, so a large fan-out is
//! spaced rather than throttled.

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces provider calls to a rate (messages per second), so a large
/// fan-out is paced rather than throttled.
pub struct Pacer {
    interval: std::time::Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn per_second(rate: f64) -> Self {
        let interval =
            if rate > 0.0 { std::time::Duration::from_secs_f64(1.0 / rate) } else { std::time::Duration::ZERO };
        Self { interval, next: Mutex::new(None) }
    }

    /// Waits until this caller's turn.
    pub async fn wait(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        let at = next.map_or(now, |n| n.max(now));
        tokio::time::sleep_until(at).await;
        *next = Some(at + self.interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_pacer_spaces_calls_at_the_configured_rate() {
        let pacer = Pacer::per_second(5.0);
        let start = Instant::now();
        for _ in 0..10 {
            pacer.wait().await;
        }
        // Ten calls at five a second: the tenth goes 1.8 s after the first.
        assert_eq!(Instant::now() - start, std::time::Duration::from_millis(1800));
    }
}
