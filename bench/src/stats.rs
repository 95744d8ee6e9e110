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

/// "median (min-max)" of durations.
pub fn spread(samples: &[Duration]) -> String {
    if samples.is_empty() {
        return "-".into();
    }
    let mut s = samples.to_vec();
    s.sort();
    format!("{} ({}-{})", ms(s[s.len() / 2]), ms(s[0]), ms(s[s.len() - 1]))
}

/// Median, min and max of durations (zero for none).
pub fn median_range(samples: &[Duration]) -> (Duration, Duration, Duration) {
    let mut s = samples.to_vec();
    s.sort();
    match s.len() {
        0 => (Duration::ZERO, Duration::ZERO, Duration::ZERO),
        n => (s[n / 2], s[0], s[n - 1]),
    }
}

/// Median, min and max.
pub fn spread_f64(samples: &[f64]) -> (f64, f64, f64) {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => (f64::NAN, f64::NAN, f64::NAN),
        n => (s[n / 2], s[0], s[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_range_ignore_order() {
        let d = |v: &[u64]| v.iter().map(|m| Duration::from_millis(*m)).collect::<Vec<_>>();
        assert_eq!(
            median_range(&d(&[7, 1, 5, 3, 9])),
            (Duration::from_millis(5), Duration::from_millis(1), Duration::from_millis(9))
        );
        assert_eq!(median_range(&[]), (Duration::ZERO, Duration::ZERO, Duration::ZERO));
    }
}
