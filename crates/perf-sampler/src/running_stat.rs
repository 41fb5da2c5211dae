//! [`RunningStat`]: a gauge's summary in constant memory — exact count, min, max, mean and
//! last; p50/p95 from an HdrHistogram (3 significant digits), so an hour at 10 ms costs the
//! same memory as a minute.

use hdrhistogram::Histogram;
use report_model::stat::Stat;

/// Streaming summary of one gauge.
#[derive(Debug, Clone)]
pub(crate) struct RunningStat {
    count: u64,
    min: f64,
    max: f64,
    sum: f64,
    last: f64,
    /// Values multiplied by `scale` before they go into the integer histogram.
    scale: f64,
    histogram: Histogram<u64>,
}

impl RunningStat {
    /// A summary of values recorded with `scale` resolution (100 keeps two decimals of a
    /// percentage; 1 suits bytes and counts).
    pub(crate) fn new(scale: f64) -> RunningStat {
        RunningStat {
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            last: 0.0,
            scale,
            histogram: Histogram::new(3).expect("3 significant digits is valid"),
        }
    }

    pub(crate) fn record(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += value;
        self.last = value;
        let scaled = (value.max(0.0) * self.scale).round() as u64;
        // `record` grows the histogram as needed; only an absurd value saturates.
        if self.histogram.record(scaled).is_err() {
            self.histogram.saturating_record(scaled);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(crate) fn to_stat(&self) -> Stat {
        if self.count == 0 {
            return Stat::default();
        }
        // The histogram's quantiles are bucket edges; clamp them into the exact range.
        let quantile = |q: f64| {
            (self.histogram.value_at_quantile(q) as f64 / self.scale).clamp(self.min, self.max)
        };
        Stat {
            count: self.count,
            min: self.min,
            max: self.max,
            mean: self.sum / self.count as f64,
            p50: quantile(0.5),
            p95: quantile(0.95),
            last: self.last,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_exactly_where_it_can() {
        let mut stat = RunningStat::new(100.0);
        for value in 1..=100 {
            stat.record(f64::from(value));
        }
        stat.record(f64::NAN);
        let summary = stat.to_stat();
        assert_eq!(
            (summary.count, summary.min, summary.max, summary.last),
            (100, 1.0, 100.0, 100.0)
        );
        assert!((summary.mean - 50.5).abs() < 1e-9);
        assert!((summary.p50 - 50.0).abs() < 0.1, "{}", summary.p50);
        assert!((summary.p95 - 95.0).abs() < 0.1, "{}", summary.p95);
        assert_eq!(RunningStat::new(1.0).to_stat(), Stat::default());
    }
}
