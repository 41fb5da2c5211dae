//! Named metrics: the catalog of what thresholds and baseline comparisons can refer to, and
//! [`MetricSet`], the values one run produced.
//!
//! A metric name is a family from [`CATALOG`] (`http.p95`), optionally qualified by a
//! scenario in brackets (`http.p95[read_mix]`). Values are stored in the family's canonical
//! unit ([`MetricUnit`]); units appear in text only when rendering.

use std::collections::BTreeMap;

mod from_report;
pub mod live;

const MIB: f64 = 1024.0 * 1024.0;

/// The unit a metric family is measured in. Values are stored in the canonical unit named
/// in each variant's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricUnit {
    /// A duration, canonical microseconds. Written `250us`, `500ms`, `2s`, `1m`.
    Duration,
    /// A percentage, canonical percent points (95 % is `95.0`). Written `95%` or `95`.
    Percent,
    /// A size, canonical bytes. Written `512KiB`, `50MiB`, `1GiB`, `100B`.
    Bytes,
    /// Throughput, canonical MiB per second. Written `20MiB/s` or `20`.
    MibPerSec,
    /// A rate, canonical per second. Written `10/s` or `10`.
    PerSecond,
    /// A plain count. Written `3`.
    Count,
}

/// Whether a smaller or a larger value is better (used by baseline comparison).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Latency, CPU, memory, errors.
    Lower,
    /// Throughput, success rate.
    Higher,
}

/// One metric family of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDef {
    /// Family name, e.g. `http.p95`.
    pub name: &'static str,
    /// Canonical unit.
    pub unit: MetricUnit,
    /// Direction of improvement.
    pub better: Better,
    /// Whether a `[scenario]` qualifier is meaningful.
    pub per_scenario: bool,
    /// One line for documentation and error hints.
    pub description: &'static str,
}

const fn def(
    name: &'static str,
    unit: MetricUnit,
    better: Better,
    per_scenario: bool,
    description: &'static str,
) -> MetricDef {
    MetricDef {
        name,
        unit,
        better,
        per_scenario,
        description,
    }
}

use Better::{Higher, Lower};
use MetricUnit::{Bytes, Count, Duration, MibPerSec, PerSecond, Percent};

/// Every metric family a run can produce.
pub const CATALOG: &[MetricDef] = &[
    def(
        "http.avg",
        Duration,
        Lower,
        true,
        "mean response time of successful requests",
    ),
    def("http.p50", Duration, Lower, true, "median response time"),
    def(
        "http.p90",
        Duration,
        Lower,
        true,
        "90th percentile response time",
    ),
    def(
        "http.p95",
        Duration,
        Lower,
        true,
        "95th percentile response time",
    ),
    def(
        "http.p99",
        Duration,
        Lower,
        true,
        "99th percentile response time",
    ),
    def(
        "http.p999",
        Duration,
        Lower,
        true,
        "99.9th percentile response time",
    ),
    def(
        "http.max",
        Duration,
        Lower,
        true,
        "slowest successful response",
    ),
    def(
        "http.ttfb_p95",
        Duration,
        Lower,
        true,
        "95th percentile time to first byte",
    ),
    def(
        "load.rps",
        PerSecond,
        Higher,
        true,
        "successful requests per second (failed ones do not count)",
    ),
    def(
        "load.total_rps",
        PerSecond,
        Higher,
        true,
        "completed requests per second, failed ones included (information)",
    ),
    def(
        "load.success_rate",
        Percent,
        Higher,
        true,
        "successful requests, percent",
    ),
    def(
        "load.error_rate",
        Percent,
        Lower,
        true,
        "failed requests, percent",
    ),
    def("load.requests", Count, Higher, true, "completed requests"),
    def(
        "db.direct_p95",
        Duration,
        Lower,
        false,
        "p95 of the service's list/detail queries run directly on its SQLite file",
    ),
    def(
        "db.read_p95",
        Duration,
        Lower,
        false,
        "95th percentile of the DB-backed read scenario (`db_reads`)",
    ),
    def(
        "storage.upload_mibps",
        MibPerSec,
        Higher,
        true,
        "put throughput of one backend (`[service]`, `[s3]`, `[local]`, ...): bytes put divided by the wall time of the put phase, median over object sizes",
    ),
    def(
        "storage.download_mibps",
        MibPerSec,
        Higher,
        true,
        "get throughput of one backend: bytes read back divided by the wall time of the get phase, median over object sizes",
    ),
    def(
        "storage.integrity_failures",
        Count,
        Lower,
        false,
        "objects whose SHA-256 did not match",
    ),
    def(
        "server.cpu_avg",
        Percent,
        Lower,
        false,
        "mean server CPU, 100 = one core",
    ),
    def(
        "server.cpu_max",
        Percent,
        Lower,
        false,
        "peak server CPU, 100 = one core",
    ),
    def(
        "server.rss_max",
        Bytes,
        Lower,
        false,
        "peak server resident memory",
    ),
    def(
        "server.memory_growth",
        Bytes,
        Lower,
        false,
        "fitted server memory growth after warm-up",
    ),
    def(
        "server.fds_max",
        Count,
        Lower,
        false,
        "peak open file descriptors of the server",
    ),
    def(
        "server.threads_max",
        Count,
        Lower,
        false,
        "peak thread count of the server",
    ),
    def(
        "workflow.failed_steps",
        Count,
        Lower,
        false,
        "workflow steps that failed",
    ),
];

/// Looks up a family by name, ignoring any `[scenario]` qualifier.
pub fn lookup(name: &str) -> Option<&'static MetricDef> {
    let family = name.split_once('[').map_or(name, |(family, _)| family);
    CATALOG.iter().find(|def| def.name == family)
}

/// One measured value, and the repeated samples behind it when there are any (per-second
/// figures, repetitions) so a comparison can test significance.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricValue {
    /// The value, in the family's canonical unit.
    pub value: f64,
    /// Independent samples of the same quantity, possibly empty.
    pub samples: Vec<f64>,
}

/// The metrics of one run, by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricSet {
    values: BTreeMap<String, MetricValue>,
}

impl MetricSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a value without samples.
    pub fn insert(&mut self, name: impl Into<String>, value: f64) {
        self.insert_with_samples(name, value, Vec::new());
    }

    /// Sets a value with its samples.
    pub fn insert_with_samples(&mut self, name: impl Into<String>, value: f64, samples: Vec<f64>) {
        self.values
            .insert(name.into(), MetricValue { value, samples });
    }

    /// The value of a metric, if the run produced it.
    pub fn get(&self, name: &str) -> Option<&MetricValue> {
        self.values.get(name)
    }

    /// All metrics in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetricValue)> {
        self.values
            .iter()
            .map(|(name, value)| (name.as_str(), value))
    }

    /// Number of metrics.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// One set from repeated runs or rounds: each metric's value is its median over the
    /// sets that have it, its samples the per-set values (so a comparison tests
    /// significance across runs, not across seconds of one run).
    pub fn of_rounds(rounds: &[MetricSet]) -> MetricSet {
        let mut values: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for round in rounds {
            for (name, value) in round.iter() {
                values.entry(name).or_default().push(value.value);
            }
        }
        let mut set = MetricSet::new();
        for (name, mut samples) in values {
            samples.sort_by(f64::total_cmp);
            let median = crate::stat::quantile_sorted(&samples, 0.5);
            set.insert_with_samples(name, median, samples);
        }
        set
    }
}

/// The scenario whose p95 is `db.read_p95`.
pub const DB_READS_SCENARIO: &str = "db_reads";

impl MetricUnit {
    /// Renders a canonical value for people: `512us`, `12.3ms`, `2.00s`, `95.0%`, `48.0MiB`,
    /// `20.5MiB/s`, `10.0/s`, `3`.
    pub fn format(self, value: f64) -> String {
        if !value.is_finite() {
            return value.to_string();
        }
        match self {
            MetricUnit::Duration => {
                let magnitude = value.abs();
                if magnitude < 1_000.0 {
                    format!("{value:.0}us")
                } else if magnitude < 1_000_000.0 {
                    format!("{:.1}ms", value / 1_000.0)
                } else {
                    format!("{:.2}s", value / 1_000_000.0)
                }
            }
            MetricUnit::Percent => format!("{value:.1}%"),
            MetricUnit::Bytes => {
                let magnitude = value.abs();
                if magnitude >= MIB * 1024.0 {
                    format!("{:.2}GiB", value / (MIB * 1024.0))
                } else if magnitude >= MIB {
                    format!("{:.1}MiB", value / MIB)
                } else if magnitude >= 1024.0 {
                    format!("{:.1}KiB", value / 1024.0)
                } else {
                    format!("{value:.0}B")
                }
            }
            MetricUnit::MibPerSec => format!("{value:.1}MiB/s"),
            MetricUnit::PerSecond => format!("{value:.1}/s"),
            MetricUnit::Count => {
                if value.fract() == 0.0 {
                    format!("{value:.0}")
                } else {
                    format!("{value:.2}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_qualifier() {
        assert_eq!(lookup("http.p95[read_mix]").unwrap().name, "http.p95");
        assert_eq!(lookup("server.cpu_avg").unwrap().unit, MetricUnit::Percent);
        assert!(lookup("http.p42").is_none());
    }

    #[test]
    fn catalog_names_are_unique() {
        let mut names: Vec<_> = CATALOG.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len());
    }
}
