//! Small summary types shared by every section: [`Stat`] for gauges, [`CounterDelta`] for
//! monotonically increasing counters.

use serde::{Deserialize, Serialize};

/// Summary of a gauge over a run (CPU %, RSS, fds, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stat {
    /// Number of readings the summary is computed from.
    pub count: u64,
    /// Smallest reading.
    pub min: f64,
    /// Largest reading.
    pub max: f64,
    /// Mean of the readings.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// The last reading.
    pub last: f64,
}

impl Stat {
    /// Computes the summary of `values` exactly (sorting a copy). Empty input gives all zeros.
    pub fn from_values(values: &[f64]) -> Stat {
        let Some(&last) = values.last() else {
            return Stat::default();
        };
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let sum: f64 = sorted.iter().sum();
        Stat {
            count: sorted.len() as u64,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            mean: sum / sorted.len() as f64,
            p50: quantile_sorted(&sorted, 0.50),
            p95: quantile_sorted(&sorted, 0.95),
            last,
        }
    }
}

/// Linear-interpolated quantile of already sorted values; 0 for an empty slice.
pub(crate) fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let rank = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let low = rank.floor() as usize;
            let high = rank.ceil() as usize;
            let weight = rank - low as f64;
            sorted[low] * (1.0 - weight) + sorted[high] * weight
        }
    }
}

/// How a cumulative counter (bytes read, context switches, ...) moved during a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CounterDelta {
    /// Value at the first reading.
    pub first: u64,
    /// Value at the last reading.
    pub last: u64,
    /// `last - first` (saturating: a counter that went backwards counts as 0).
    pub delta: u64,
    /// Delta divided by the time between the readings.
    pub rate_per_sec: f64,
}

impl CounterDelta {
    /// Builds the delta of a counter read `first` and `last`, `elapsed_secs` apart.
    pub fn new(first: u64, last: u64, elapsed_secs: f64) -> CounterDelta {
        let delta = last.saturating_sub(first);
        let rate_per_sec = if elapsed_secs > 0.0 {
            delta as f64 / elapsed_secs
        } else {
            0.0
        };
        CounterDelta {
            first,
            last,
            delta,
            rate_per_sec,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_of_values() {
        let stat = Stat::from_values(&[3.0, 1.0, 2.0, 4.0, 5.0]);
        assert_eq!(stat.count, 5);
        assert_eq!(
            (stat.min, stat.max, stat.mean, stat.p50, stat.last),
            (1.0, 5.0, 3.0, 3.0, 5.0)
        );
        assert!((stat.p95 - 4.8).abs() < 1e-9);
        assert_eq!(Stat::from_values(&[]), Stat::default());
    }

    #[test]
    fn counter_delta_saturates() {
        let delta = CounterDelta::new(10, 5, 1.0);
        assert_eq!(delta.delta, 0);
        assert_eq!(CounterDelta::new(0, 100, 2.0).rate_per_sec, 50.0);
    }
}
