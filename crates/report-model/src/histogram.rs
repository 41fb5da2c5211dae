//! A lossless latency distribution.
//!
//! [`LatencyHistogram`] wraps an HdrHistogram with fixed bounds (1 µs to 1 h, 3 significant
//! digits), so any two of them merge exactly: shards of one run, per-worker recorders in the load
//! engine, or several runs. In JSON it is one string: the HdrHistogram V2 encoding, deflate
//! compressed, in standard base64 — the format other HdrHistogram implementations read.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use serde::{Deserialize, Serialize};

use crate::ReportError;

/// Summary statistics of a latency distribution, all in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Number of recorded values.
    pub count: u64,
    /// Smallest value.
    pub min_us: u64,
    /// Arithmetic mean.
    pub mean_us: f64,
    /// Standard deviation.
    pub stdev_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest value.
    pub max_us: u64,
}

/// An HdrHistogram of latencies in microseconds, 1 µs to 1 h, 3 significant digits.
///
/// Values outside the range are clamped to it (a zero becomes 1 µs, anything above an hour
/// becomes an hour), so recording never fails and never loses a count.
#[derive(Clone, PartialEq)]
pub struct LatencyHistogram {
    inner: Histogram<u64>,
}

impl LatencyHistogram {
    /// The lowest discernible value, in microseconds.
    pub const LOWEST_US: u64 = 1;
    /// The highest trackable value, in microseconds (one hour).
    pub const HIGHEST_US: u64 = 3_600_000_000;
    /// Significant decimal digits kept.
    pub const SIGNIFICANT_DIGITS: u8 = 3;

    /// An empty histogram.
    pub fn new() -> Self {
        let inner =
            Histogram::new_with_bounds(Self::LOWEST_US, Self::HIGHEST_US, Self::SIGNIFICANT_DIGITS)
                .expect("constant histogram bounds are valid");
        Self { inner }
    }

    /// Records one value in microseconds, clamped to the histogram's range.
    pub fn record_us(&mut self, value_us: u64) {
        self.record_n_us(value_us, 1);
    }

    /// Records `count` occurrences of one value in microseconds.
    pub fn record_n_us(&mut self, value_us: u64, count: u64) {
        let value_us = value_us.clamp(Self::LOWEST_US, Self::HIGHEST_US);
        self.inner
            .record_n(value_us, count)
            .expect("clamped value is within bounds");
    }

    /// Records one duration.
    pub fn record(&mut self, duration: Duration) {
        self.record_us(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX));
    }

    /// Adds every count of `other` to `self`. Exact: both share the same bounds.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.inner
            .add(&other.inner)
            .expect("histograms with identical bounds always merge");
    }

    /// Number of recorded values.
    pub fn len(&self) -> u64 {
        self.inner.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The value at quantile `q` (0.0 to 1.0), or 0 for an empty histogram.
    pub fn value_at_quantile_us(&self, q: f64) -> u64 {
        if self.is_empty() {
            return 0;
        }
        self.inner.value_at_quantile(q)
    }

    /// Smallest recorded value, or 0 when empty.
    pub fn min_us(&self) -> u64 {
        if self.is_empty() { 0 } else { self.inner.min() }
    }

    /// Largest recorded value (highest equivalent), or 0 when empty.
    pub fn max_us(&self) -> u64 {
        if self.is_empty() { 0 } else { self.inner.max() }
    }

    /// Mean of the recorded values, or 0 when empty.
    pub fn mean_us(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.inner.mean()
        }
    }

    /// The summary statistics of this distribution.
    pub fn summary(&self) -> LatencySummary {
        if self.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: self.len(),
            min_us: self.min_us(),
            mean_us: self.inner.mean(),
            stdev_us: self.inner.stdev(),
            p50_us: self.value_at_quantile_us(0.50),
            p90_us: self.value_at_quantile_us(0.90),
            p95_us: self.value_at_quantile_us(0.95),
            p99_us: self.value_at_quantile_us(0.99),
            p999_us: self.value_at_quantile_us(0.999),
            max_us: self.max_us(),
        }
    }

    /// Encodes as HdrHistogram V2 + deflate, base64.
    pub fn to_base64(&self) -> Result<String, ReportError> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.inner, &mut bytes)
            .map_err(|err| ReportError::Histogram {
                message: format!("encoding failed: {err:?}"),
            })?;
        Ok(BASE64.encode(bytes))
    }

    /// Decodes the output of [`LatencyHistogram::to_base64`] (or of any HdrHistogram V2
    /// encoder). Values recorded by a foreign encoder outside 1 µs – 1 h are rejected.
    pub fn from_base64(encoded: &str) -> Result<Self, ReportError> {
        let bytes = BASE64
            .decode(encoded.trim())
            .map_err(|err| ReportError::Histogram {
                message: format!("not base64: {err}"),
            })?;
        let decoded: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|err| ReportError::Histogram {
                message: format!("not an HdrHistogram V2 encoding: {err:?}"),
            })?;
        let mut histogram = Self::new();
        histogram
            .inner
            .add(&decoded)
            .map_err(|err| ReportError::Histogram {
                message: format!("values outside 1 µs – 1 h: {err:?}"),
            })?;
        Ok(histogram)
    }
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for LatencyHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatencyHistogram")
            .field("count", &self.len())
            .field("p50_us", &self.value_at_quantile_us(0.5))
            .field("max_us", &self.max_us())
            .finish()
    }
}

impl Serialize for LatencyHistogram {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let encoded = self.to_base64().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&encoded)
    }
}

impl<'de> Deserialize<'de> for LatencyHistogram {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let encoded = String::deserialize(deserializer)?;
        Self::from_base64(&encoded).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_out_of_range_values_without_losing_counts() {
        let mut histogram = LatencyHistogram::new();
        histogram.record_us(0);
        histogram.record_us(u64::MAX);
        histogram.record(Duration::from_hours(2));
        assert_eq!(histogram.len(), 3);
        assert_eq!(histogram.min_us(), 1);
        assert!(histogram.max_us() >= LatencyHistogram::HIGHEST_US);
    }

    #[test]
    fn empty_summary_is_zero() {
        assert_eq!(LatencyHistogram::new().summary(), LatencySummary::default());
    }

    #[test]
    fn rejects_garbage() {
        assert!(LatencyHistogram::from_base64("not base64!").is_err());
        assert!(LatencyHistogram::from_base64("aGVsbG8=").is_err());
    }
}
