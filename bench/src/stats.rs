//! Percentiles of measured durations.

use std::time::Duration;

pub struct Summary {
    pub median: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

pub fn summarise(mut samples: Vec<Duration>) -> Summary {
    assert!(!samples.is_empty(), "no samples");
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1];
    Summary { median: at(0.5), p95: at(0.95), p99: at(0.99) }
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}
