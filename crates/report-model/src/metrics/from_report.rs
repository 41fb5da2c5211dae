//! Every figure of a report as a named metric: [`SuiteReport::metrics`] is the one place a
//! measured value becomes something thresholds, baselines, `metrics.txt` and the history
//! can name.

use std::collections::BTreeMap;

use super::{DB_READS_SCENARIO, MIB, MetricSet};
use crate::load::per_second;
use crate::{LatencySummary, SamplerReport, StorageOperation, SuiteReport};

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

impl SuiteReport {
    /// [`SuiteReport::metrics`] and, for thresholds only, every endpoint's figures
    /// qualified `[scenario/label]` (a journey's steps): `http.p95[order_lifecycle/POST
    /// /orders/create]`. They stay out of renderings and comparisons, which would otherwise
    /// grow a row per endpoint.
    pub fn metrics_for_thresholds(&self) -> MetricSet {
        let mut set = self.metrics();
        for scenario in self.load.iter().flat_map(|load| &load.scenarios) {
            insert_endpoints(&mut set, scenario);
        }
        set
    }
}

/// The `[scenario/label]`-qualified metrics of a scenario's endpoints.
fn insert_endpoints(set: &mut MetricSet, scenario: &crate::ScenarioReport) {
    for endpoint in &scenario.endpoints {
        let q = format!("[{}/{}]", scenario.name, endpoint.label);
        let latency = &endpoint.response_time.summary;
        if latency.count > 0 {
            set.insert(format!("http.avg{q}"), latency.mean_us);
            set.insert(format!("http.p50{q}"), latency.p50_us as f64);
            set.insert(format!("http.p90{q}"), latency.p90_us as f64);
            set.insert(format!("http.p95{q}"), latency.p95_us as f64);
            set.insert(format!("http.p99{q}"), latency.p99_us as f64);
        }
        set.insert(format!("load.requests{q}"), endpoint.requests as f64);
        if endpoint.requests > 0 {
            let errors = endpoint.failures as f64 * 100.0 / endpoint.requests as f64;
            set.insert(format!("load.error_rate{q}"), errors);
            set.insert(format!("load.success_rate{q}"), 100.0 - errors);
        }
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
