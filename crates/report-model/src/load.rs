//! [`LoadReport`]: results of HTTP load scenarios.

use std::collections::BTreeMap;
use std::fmt;

use crate::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{LatencyHistogram, LatencySummary};

/// Results of one or more load scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoadReport {
    /// Schema version of this section, [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// One entry per scenario (a sweep contributes one per concurrency level).
    pub scenarios: Vec<ScenarioReport>,
}

impl LoadReport {
    /// The response-time distribution of all scenarios merged.
    pub fn merged_response_time(&self) -> LatencyHistogram {
        merge_all(self.scenarios.iter().map(|s| &s.response_time.histogram))
    }

    /// The service-time distribution (send to end of body) of all scenarios merged.
    pub fn merged_service_time(&self) -> LatencyHistogram {
        merge_all(self.scenarios.iter().map(|s| &s.service_time.histogram))
    }

    /// The waiting-time distribution (end of sending to first byte) of all scenarios merged.
    pub fn merged_ttfb(&self) -> LatencyHistogram {
        merge_all(self.scenarios.iter().map(|s| &s.ttfb.histogram))
    }

    /// Totals over all scenarios.
    pub fn totals(&self) -> LoadTotals {
        let mut totals = LoadTotals::default();
        for scenario in &self.scenarios {
            totals.requests += scenario.total_requests;
            totals.successful += scenario.successful_requests;
            totals.failed += scenario.failed_requests;
            totals.duration_us += scenario.duration_us;
            totals.check_passes += scenario.checks.passes;
            totals.check_fails += scenario.checks.fails;
            totals.bytes_received += scenario.bytes_received;
            totals.bytes_sent += scenario.bytes_sent;
        }
        totals
    }
}

/// One histogram holding every sample of `histograms`.
pub(crate) fn merge_all<'a>(
    histograms: impl Iterator<Item = &'a LatencyHistogram>,
) -> LatencyHistogram {
    let mut merged = LatencyHistogram::new();
    for histogram in histograms {
        merged.merge(histogram);
    }
    merged
}

/// Sums over every scenario of a [`LoadReport`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadTotals {
    /// Requests completed.
    pub requests: u64,
    /// Requests that succeeded.
    pub successful: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Summed scenario durations, microseconds.
    pub duration_us: u64,
    /// Checks passed.
    pub check_passes: u64,
    /// Checks failed.
    pub check_fails: u64,
    /// Response bytes.
    pub bytes_received: u64,
    /// Request bytes.
    pub bytes_sent: u64,
}

impl LoadTotals {
    /// Requests per second over the summed durations.
    pub fn requests_per_second(&self) -> f64 {
        per_second(self.requests, self.duration_us)
    }

    /// Successful requests as a percentage of all (100 when there were none).
    pub fn success_rate_percent(&self) -> f64 {
        percent(self.successful, self.requests)
    }
}

/// `count` per second over `duration_us`; 0 for an empty window.
pub fn per_second(count: u64, duration_us: u64) -> f64 {
    if duration_us == 0 {
        0.0
    } else {
        count as f64 * 1e6 / duration_us as f64
    }
}

/// `part` as a percentage of `whole`; 100 when `whole` is 0 (nothing failed).
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The result of one scenario run by one executor.
///
/// The first block of fields are the old suite's `LoadTestMetrics` (with units in the
/// names); the rest is what it lacked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScenarioReport {
    /// Scenario name, e.g. `concurrent_orders`.
    pub name: String,
    /// How load was generated.
    pub executor: ExecutorSummary,
    /// Start, UTC.
    pub started_at: Timestamp,
    /// Wall time from the first scheduled start to the last completion, microseconds.
    pub duration_us: u64,
    /// Requests completed (successful + failed).
    pub total_requests: u64,
    /// Requests with a success status that passed their checks.
    pub successful_requests: u64,
    /// Everything else, broken down in `errors`.
    pub failed_requests: u64,
    /// Completed requests per second of `duration_us`.
    pub requests_per_second: f64,
    /// `successful / total × 100`.
    pub success_rate_percent: f64,
    /// Request bytes sent (headers and bodies).
    pub bytes_sent: u64,
    /// Response bytes received (bodies).
    pub bytes_received: u64,
    /// Response time of successful requests: from the intended start in the open model
    /// (no coordinated omission), from the send in the closed model.
    pub response_time: LatencyDistribution,
    /// Service time of successful requests: from the actual send to the end of the body.
    pub service_time: LatencyDistribution,
    /// Waiting time (k6's `http_req_waiting`): from the end of sending the request, its
    /// body included, to the first response byte.
    pub ttfb: LatencyDistribution,
    /// Responses by HTTP status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Failures by class, with a count and one sample message each.
    pub errors: Vec<ErrorCount>,
    /// User checks on status or body.
    pub checks: CheckCounts,
    /// Per request label (endpoint) statistics.
    pub endpoints: Vec<EndpointReport>,
    /// One entry per second of the run.
    pub series: Vec<SecondStats>,
    /// How well the generator itself kept up.
    pub generator: GeneratorHealth,
    /// True when the run was cancelled before its bound; the figures cover what was done.
    pub interrupted: bool,
}

/// How load was generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExecutorSummary {
    /// Executor kind.
    pub kind: ExecutorKind,
    /// Human description, e.g. `5 users × 20 iterations` or `500/s for 4s`.
    pub description: String,
    /// Virtual users (closed model) or the cap on requests in flight (open model).
    pub concurrency: u32,
    /// Target arrival rate in the open model, requests per second.
    pub target_rate_per_sec: Option<f64>,
}

/// The executor families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExecutorKind {
    /// N virtual users, each starting its next iteration when the last ended.
    Closed,
    /// A constant arrival rate, independent of response times.
    Open,
    /// Stages of rate or users.
    Ramping,
    /// One level of a concurrency sweep.
    Sweep,
}

/// A latency distribution: summary for readers, lossless histogram for merging.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LatencyDistribution {
    /// Percentiles and moments, derived from `histogram`.
    #[serde(flatten)]
    pub summary: LatencySummary,
    /// The lossless distribution (HdrHistogram V2, deflate, base64).
    pub histogram: LatencyHistogram,
}

impl LatencyDistribution {
    /// Adds `other`'s samples; the summary follows.
    pub fn merge(&mut self, other: &LatencyDistribution) {
        self.histogram.merge(&other.histogram);
        self.summary = self.histogram.summary();
    }
}

impl From<LatencyHistogram> for LatencyDistribution {
    fn from(histogram: LatencyHistogram) -> Self {
        LatencyDistribution {
            summary: histogram.summary(),
            histogram,
        }
    }
}

/// The classes every failure is sorted into.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "class", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// Nothing listens on the port.
    ConnectRefused,
    /// The TCP (or TLS) connection was not established in time.
    ConnectTimeout,
    /// The response did not complete within the per-request timeout.
    RequestTimeout,
    /// The peer reset or closed the connection mid-request.
    ConnectionReset,
    /// TLS handshake or certificate failure.
    Tls,
    /// HTTP 429 Too Many Requests.
    RateLimited,
    /// Another HTTP 4xx status.
    ClientError {
        /// The status code.
        status: u16,
    },
    /// An HTTP 5xx status.
    ServerError {
        /// The status code.
        status: u16,
    },
    /// A user check on status or body failed (including a body that was not the expected JSON).
    CheckFailed,
    /// Stored data did not match what was sent (storage and workflow integrity).
    IntegrityMismatch,
    /// Anything else (I/O, protocol errors), described in the sample message.
    Other,
}

impl ErrorClass {
    /// Classifies an HTTP status that counts as a failure.
    pub fn from_status(status: u16) -> ErrorClass {
        match status {
            429 => ErrorClass::RateLimited,
            500..=599 => ErrorClass::ServerError { status },
            _ => ErrorClass::ClientError { status },
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorClass::ConnectRefused => f.write_str("connect refused"),
            ErrorClass::ConnectTimeout => f.write_str("connect timeout"),
            ErrorClass::RequestTimeout => f.write_str("request timeout"),
            ErrorClass::ConnectionReset => f.write_str("connection reset"),
            ErrorClass::Tls => f.write_str("tls"),
            ErrorClass::RateLimited => f.write_str("http 429"),
            ErrorClass::ClientError { status } | ErrorClass::ServerError { status } => {
                write!(f, "http {status}")
            }
            ErrorClass::CheckFailed => f.write_str("check failed"),
            ErrorClass::IntegrityMismatch => f.write_str("integrity mismatch"),
            ErrorClass::Other => f.write_str("other"),
        }
    }
}

/// How often one error class occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorCount {
    /// The class.
    #[serde(flatten)]
    pub class: ErrorClass,
    /// Occurrences.
    pub count: u64,
    /// The first message seen for this class.
    pub sample_message: String,
}

/// Passed and failed user checks.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct CheckCounts {
    /// Checks that passed.
    pub passes: u64,
    /// Checks that failed.
    pub fails: u64,
}

/// Statistics of one request label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EndpointReport {
    /// The label, e.g. `GET /clients/list`.
    pub label: String,
    /// Requests completed.
    pub requests: u64,
    /// Requests that failed.
    pub failures: u64,
    /// Response time of successful requests.
    pub response_time: LatencyDistribution,
    /// Responses by status code.
    pub status_codes: BTreeMap<u16, u64>,
    /// Failures by class.
    pub errors: Vec<ErrorCount>,
}

/// A run's traffic over time without its histograms: what the time charts draw of runs
/// that are not scenarios of their own (the memory cycles' reads and orders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Traffic {
    /// What ran (`memory_cycle_3 read_mix`).
    pub name: String,
    /// Start, UTC.
    pub started_at: Timestamp,
    /// Length, microseconds.
    pub duration_us: u64,
    /// Requests per second of the run.
    pub series: Vec<SecondStats>,
}

impl ScenarioReport {
    /// This scenario's traffic over time.
    pub fn traffic(&self) -> Traffic {
        Traffic {
            name: self.name.clone(),
            started_at: self.started_at,
            duration_us: self.duration_us,
            series: self.series.clone(),
        }
    }
}

/// One second of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SecondStats {
    /// Seconds since the scenario started.
    pub second: u64,
    /// Requests completed in this second.
    pub requests: u64,
    /// Failures in this second.
    pub errors: u64,
    /// Median response time of this second's successful requests.
    pub p50_us: u64,
    /// 95th percentile of this second.
    pub p95_us: u64,
    /// 99th percentile of this second.
    pub p99_us: u64,
    /// Response time of every request that ended in this second, summed (successes and
    /// failures): divided by the second's length it is the mean number of requests in
    /// flight (Little's law).
    #[serde(default)]
    pub busy_us: u64,
}

/// The load generator's own health: a report from a saturated generator measures the
/// generator, not the server.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GeneratorHealth {
    /// Requested arrival rate (open model), per second.
    pub requested_rate_per_sec: Option<f64>,
    /// Achieved start rate, per second.
    pub achieved_rate_per_sec: f64,
    /// How late iterations started relative to their schedule.
    pub start_lag: LatencySummary,
    /// Iterations that started late (beyond 1 ms).
    pub late_starts: u64,
    /// Iterations not started because the in-flight cap was reached.
    pub dropped_starts: u64,
    /// Highest number of requests in flight.
    pub max_in_flight: u64,
    /// CPU time the generator process used, seconds.
    pub cpu_seconds: f64,
    /// Worker threads of the async runtime the generator ran on (`load --threads`; summed
    /// over merged shards); 0 in reports from before it was recorded.
    #[serde(default)]
    pub runtime_threads: u32,
}
