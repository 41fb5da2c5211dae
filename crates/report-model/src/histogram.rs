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
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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

    /// How many recorded values are at or below each of `bounds_us` (ascending), in one
    /// pass over the recorded values; a value counts by the highest value of its bucket,
    /// so no value is counted below a bound it might exceed.
    pub fn cumulative_counts_us(&self, bounds_us: &[u64]) -> Vec<u64> {
        let mut counts = vec![0; bounds_us.len()];
        for value in self.inner.iter_recorded() {
            let first = bounds_us.partition_point(|bound| *bound < value.value_iterated_to());
            if let Some(count) = counts.get_mut(first) {
                *count += value.count_at_value();
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        counts
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
    ///
    /// Memory is bounded whatever the input claims: an encoding longer than
    /// 1 MiB (`MAX_ENCODED_BYTES`), a payload that inflates beyond 8 MiB (`MAX_PAYLOAD_BYTES`) or a
    /// header that announces more, or a precision above 4 significant digits, is refused
    /// before anything of that size is allocated.
    pub fn from_base64(encoded: &str) -> Result<Self, ReportError> {
        let invalid = |message: String| ReportError::Histogram { message };
        let encoded = encoded.trim();
        if encoded.len() > MAX_ENCODED_BYTES {
            return Err(invalid(format!(
                "the encoding is {} bytes, more than the {MAX_ENCODED_BYTES} a histogram needs",
                encoded.len()
            )));
        }
        let bytes = BASE64
            .decode(encoded)
            .map_err(|err| invalid(format!("not base64: {err}")))?;
        let plain = bounded_v2(&bytes)?;
        let decoded: Histogram<u64> =
            Deserializer::new()
                .deserialize(&mut &plain[..])
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

/// The longest base64 encoding [`LatencyHistogram::from_base64`] reads: 1 MiB (a full
/// 1 µs – 1 h histogram at 3 digits encodes in a few KiB).
pub const MAX_ENCODED_BYTES: usize = 1 << 20;
/// The largest uncompressed V2 payload [`LatencyHistogram::from_base64`] accepts: 8 MiB.
pub const MAX_PAYLOAD_BYTES: u64 = 8 << 20;

// The base cookies with the word-size bits (0x10) that every V2 encoder sets.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// Cookie, payload length, normalizing offset, digits, lowest, highest, conversion ratio.
const V2_HEADER_BYTES: usize = 40;

/// The uncompressed V2 encoding of `bytes` (compressed or not), checked against the caps
/// before the HdrHistogram decoder allocates what its header claims.
fn bounded_v2(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, ReportError> {
    use std::io::Read as _;
    let invalid = |message: String| ReportError::Histogram { message };
    let word = |at: usize, from: &[u8]| -> Option<u32> {
        Some(u32::from_be_bytes(from.get(at..at + 4)?.try_into().ok()?))
    };
    let cookie = word(0, bytes).ok_or_else(|| invalid("too short for a histogram".to_owned()))?;
    let plain = match cookie {
        V2_COOKIE => std::borrow::Cow::Borrowed(bytes),
        V2_COMPRESSED_COOKIE => {
            let mut plain = Vec::new();
            let limit = MAX_PAYLOAD_BYTES + V2_HEADER_BYTES as u64 + 1;
            flate2::read::ZlibDecoder::new(bytes.get(8..).unwrap_or_default())
                .take(limit)
                .read_to_end(&mut plain)
                .map_err(|err| invalid(format!("the payload does not inflate: {err}")))?;
            if plain.len() as u64 >= limit {
                return Err(invalid(format!(
                    "the payload inflates beyond {MAX_PAYLOAD_BYTES} bytes"
                )));
            }
            std::borrow::Cow::Owned(plain)
        }
        other => {
            return Err(invalid(format!(
                "not an HdrHistogram V2 encoding (cookie {other:#x})"
            )));
        }
    };
    let header = |at| word(at, &plain).ok_or_else(|| invalid("the header is cut".to_owned()));
    if header(0)? != V2_COOKIE {
        return Err(invalid("the inflated payload is not V2".to_owned()));
    }
    let payload = u64::from(header(4)?);
    let present = plain.len().saturating_sub(V2_HEADER_BYTES);
    if payload > MAX_PAYLOAD_BYTES || payload > present as u64 {
        return Err(invalid(format!(
            "the header announces {payload} payload bytes, more than the {present} present (at most {MAX_PAYLOAD_BYTES})"
        )));
    }
    let digits = header(12)?;
    // The decoder allocates its counts from the precision and range in the header; at
    // 4 digits that is at most 6 MiB whatever the range (5 digits: about 50 MiB).
    if digits > 4 {
        return Err(invalid(format!("{digits} significant digits (at most 4)")));
    }
    Ok(plain)
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

impl schemars::JsonSchema for LatencyHistogram {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LatencyHistogram".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "HdrHistogram V2 + deflate, base64 (`HISTF...`), values in microseconds from 1 µs to 1 h at 3 significant digits",
            "maxLength": MAX_ENCODED_BYTES,
        })
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

    /// A V2 header (uncompressed, then compressed) claiming `payload` bytes.
    fn crafted(payload: u32, digits: u32, compressed: bool) -> String {
        use std::io::Write as _;
        let mut plain = Vec::new();
        plain.extend_from_slice(&V2_COOKIE.to_be_bytes());
        plain.extend_from_slice(&payload.to_be_bytes());
        plain.extend_from_slice(&0u32.to_be_bytes());
        plain.extend_from_slice(&digits.to_be_bytes());
        plain.extend_from_slice(&1u64.to_be_bytes());
        plain.extend_from_slice(&3_600_000_000u64.to_be_bytes());
        plain.extend_from_slice(&1f64.to_bits().to_be_bytes());
        plain.extend_from_slice(&[0u8; 16]);
        if !compressed {
            return BASE64.encode(plain);
        }
        let mut deflated =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        deflated.write_all(&plain).unwrap();
        let deflated = deflated.finish().unwrap();
        let mut bytes = V2_COMPRESSED_COOKIE.to_be_bytes().to_vec();
        bytes.extend_from_slice(&u32::try_from(deflated.len()).unwrap().to_be_bytes());
        bytes.extend_from_slice(&deflated);
        BASE64.encode(bytes)
    }

    #[test]
    fn a_header_claiming_gigabytes_is_refused_before_allocating() {
        for compressed in [false, true] {
            let error = LatencyHistogram::from_base64(&crafted(0xFFFF_FFF0, 3, compressed))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("announces 4294967280 payload bytes"),
                "{error}"
            );
            let error = LatencyHistogram::from_base64(&crafted(16, 5, compressed))
                .unwrap_err()
                .to_string();
            assert!(error.contains("significant digits"), "{error}");
        }
    }

    #[test]
    fn a_payload_that_inflates_without_end_is_cut_at_the_cap() {
        use std::io::Write as _;
        // 64 MiB of zeros deflate to a few KiB.
        let mut deflated = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        deflated.write_all(&vec![0u8; 64 << 20]).unwrap();
        let deflated = deflated.finish().unwrap();
        let mut bytes = V2_COMPRESSED_COOKIE.to_be_bytes().to_vec();
        bytes.extend_from_slice(&u32::try_from(deflated.len()).unwrap().to_be_bytes());
        bytes.extend_from_slice(&deflated);
        let error = LatencyHistogram::from_base64(&BASE64.encode(bytes))
            .unwrap_err()
            .to_string();
        assert!(error.contains("inflates beyond"), "{error}");
        let long = "A".repeat(MAX_ENCODED_BYTES + 4);
        assert!(LatencyHistogram::from_base64(&long).is_err());
    }
}
