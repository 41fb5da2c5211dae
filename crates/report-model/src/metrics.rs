//! Named metrics: the catalog of what thresholds and baseline comparisons can refer to, and
//! [`MetricSet`], the values one run produced.
//!
//! A metric name is a family from [`CATALOG`] (`http.p95`), optionally qualified by a
//! scenario in brackets (`http.p95[read_mix]`). Values are stored in the family's canonical
//! unit ([`MetricUnit`]); units appear in text only when rendering.

use std::collections::BTreeMap;

use crate::load::per_second;
use crate::{LatencySummary, SamplerReport, StorageOperation, SuiteReport};

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

const MIB: f64 = 1024.0 * 1024.0;

impl SuiteReport {
    /// Every catalog metric this run produced.
    pub fn metrics(&self) -> MetricSet {
        let mut set = MetricSet::new();
        if let Some(load) = &self.load
            && !load.scenarios.is_empty()
        {
            let totals = load.totals();
            let seconds: Vec<_> = load.scenarios.iter().flat_map(|s| &s.series).collect();
            insert_latency(
                &mut set,
                "",
                &load.merged_response_time().summary(),
                &seconds,
            );
            let ttfb = load.merged_ttfb().summary();
            if ttfb.count > 0 {
                set.insert("http.ttfb_p95", ttfb.p95_us as f64);
            }
            set.insert_with_samples(
                "load.rps",
                per_second(totals.successful, totals.duration_us),
                successes_per_second(&seconds),
            );
            set.insert("load.total_rps", totals.requests_per_second());
            set.insert("load.success_rate", totals.success_rate_percent());
            set.insert("load.error_rate", 100.0 - totals.success_rate_percent());
            set.insert("load.requests", totals.requests as f64);
            for scenario in &load.scenarios {
                insert_scenario(&mut set, scenario);
            }
        }
        if let Some(storage) = &self.storage {
            for (name, operation) in [
                ("storage.upload_mibps", StorageOperation::Put),
                ("storage.download_mibps", StorageOperation::Get),
            ] {
                let mut per_backend: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
                for result in storage
                    .results
                    .iter()
                    .filter(|r| r.operation == operation && r.n_operations > 0)
                {
                    per_backend
                        .entry(result.backend.as_str())
                        .or_default()
                        .push(result.bytes_per_sec / MIB);
                }
                for (backend, mut mibps) in per_backend {
                    mibps.sort_by(f64::total_cmp);
                    let median = crate::stat::quantile_sorted(&mibps, 0.5);
                    set.insert_with_samples(format!("{name}[{backend}]"), median, mibps);
                }
            }
            let mismatches: usize = storage
                .results
                .iter()
                .map(|r| r.integrity.mismatches.len())
                .sum();
            set.insert("storage.integrity_failures", mismatches as f64);
        }
        if let Some(sampler) = &self.sampler {
            insert_server(&mut set, sampler);
        }
        let leak = self
            .memory
            .as_ref()
            .and_then(|m| m.leak.as_ref())
            .or_else(|| self.sampler.as_ref().and_then(|s| s.leak.as_ref()));
        if let Some(leak) = leak {
            set.insert("server.memory_growth", leak.growth_bytes);
        }
        if let Some(workflow) = &self.workflow {
            set.insert("workflow.failed_steps", workflow.failed_steps() as f64);
        }
        if let Some(db) = &self.db_direct {
            let merged = db.merged().summary();
            if merged.count > 0 {
                set.insert("db.direct_p95", merged.p95_us as f64);
            }
        }
        set
    }
}

impl crate::ScenarioReport {
    /// The metrics of this scenario alone, qualified by its name (`http.p95[name]`, ...):
    /// what one round of an interleaved comparison contributes.
    pub fn metrics(&self) -> MetricSet {
        let mut set = MetricSet::new();
        insert_scenario(&mut set, self);
        set
    }
}

/// The `[scenario]`-qualified metrics of one scenario.
fn insert_scenario(set: &mut MetricSet, scenario: &crate::ScenarioReport) {
    let q = format!("[{}]", scenario.name);
    let seconds: Vec<_> = scenario.series.iter().collect();
    insert_latency(set, &q, &scenario.response_time.summary, &seconds);
    if scenario.ttfb.summary.count > 0 {
        set.insert(
            format!("http.ttfb_p95{q}"),
            scenario.ttfb.summary.p95_us as f64,
        );
    }
    set.insert_with_samples(
        format!("load.rps{q}"),
        per_second(scenario.successful_requests, scenario.duration_us),
        successes_per_second(&seconds),
    );
    set.insert(
        format!("load.total_rps{q}"),
        per_second(scenario.total_requests, scenario.duration_us),
    );
    set.insert(
        format!("load.success_rate{q}"),
        scenario.success_rate_percent,
    );
    set.insert(
        format!("load.error_rate{q}"),
        100.0 - scenario.success_rate_percent,
    );
    set.insert(format!("load.requests{q}"), scenario.total_requests as f64);
    // A percentile of no successful request is no figure (it would read 0 µs).
    if scenario.name == DB_READS_SCENARIO && scenario.response_time.summary.count > 0 {
        set.insert("db.read_p95", scenario.response_time.summary.p95_us as f64);
    }
}

/// Successful requests in each second, as samples for a significance test.
fn successes_per_second(seconds: &[&crate::SecondStats]) -> Vec<f64> {
    seconds
        .iter()
        .map(|s| s.requests.saturating_sub(s.errors) as f64)
        .collect()
}

fn insert_latency(
    set: &mut MetricSet,
    qualifier: &str,
    summary: &LatencySummary,
    seconds: &[&crate::SecondStats],
) {
    if summary.count == 0 {
        return;
    }
    let busy: Vec<_> = seconds.iter().filter(|s| s.requests > s.errors).collect();
    let per_second = |pick: fn(&crate::SecondStats) -> u64| -> Vec<f64> {
        busy.iter().map(|s| pick(s) as f64).collect()
    };
    set.insert(format!("http.avg{qualifier}"), summary.mean_us);
    set.insert_with_samples(
        format!("http.p50{qualifier}"),
        summary.p50_us as f64,
        per_second(|s| s.p50_us),
    );
    set.insert(format!("http.p90{qualifier}"), summary.p90_us as f64);
    set.insert_with_samples(
        format!("http.p95{qualifier}"),
        summary.p95_us as f64,
        per_second(|s| s.p95_us),
    );
    set.insert_with_samples(
        format!("http.p99{qualifier}"),
        summary.p99_us as f64,
        per_second(|s| s.p99_us),
    );
    set.insert(format!("http.p999{qualifier}"), summary.p999_us as f64);
    set.insert(format!("http.max{qualifier}"), summary.max_us as f64);
}

fn insert_server(set: &mut MetricSet, sampler: &SamplerReport) {
    let Some(process) = &sampler.process else {
        return;
    };
    if process.cpu_percent.count > 0 {
        set.insert_with_samples(
            "server.cpu_avg",
            process.cpu_percent.mean,
            sampler.series.iter().map(|p| p.cpu_percent).collect(),
        );
        set.insert("server.cpu_max", process.cpu_percent.max);
    }
    if process.rss_bytes.count > 0 {
        set.insert("server.rss_max", process.rss_bytes.max);
        set.insert("server.fds_max", process.fds.max);
        set.insert("server.threads_max", process.threads.max);
    }
}

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
