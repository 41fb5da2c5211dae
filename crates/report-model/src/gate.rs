//! The one judging path every command uses: a [`Gate`] says what a run is judged by (its
//! thresholds, defined once per [`RunKind`], and what it was asked to measure), and
//! [`SuiteReport::judge`] turns a finished run into its verdict.
//!
//! Three rules hold for every command:
//!
//! - **No data is not a pass.** A scenario without one successful request, a storage run
//!   whose every backend was skipped, a sampler that was asked for and took no sample, or a
//!   run whose every threshold was skipped is a *gap*, and a gap fails the run. A run that
//!   measured nothing at all ends as [`RunOutcome::NothingMeasured`] (exit 2).
//! - **Only the gated metrics fail a comparison** ([`is_gated`]): per-scenario p50/p95/p99,
//!   success rate and successful requests per second; server CPU and memory growth. Every
//!   other compared metric is shown as information.
//! - **Inconclusive leak checks do not judge** ([`crate::LeakAnalysis::judged`]).

use serde::{Deserialize, Serialize};

use crate::{Comparison, MetricSet, RunOutcome, SuiteReport, Threshold, evaluate_all};

/// Which command produced a run; each has its own built-in thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunKind {
    /// `vertex-perf load`.
    Load,
    /// `vertex-perf monitor`.
    Monitor,
    /// `vertex-perf storage`.
    Storage,
    /// `vertex-perf workflow`.
    Workflow,
    /// `vertex-perf suite` (and `cargo xtask perf`).
    Suite,
    /// `vertex-perf ab`: interleaved rounds against two targets.
    Ab,
}

/// The suite's built-in thresholds: the old suite's documented KPIs (target / acceptable),
/// per scenario where a merged figure would mix 30 MiB uploads with list calls. Upload speed
/// means uploads *through the service*, as the old KPI did.
pub const DEFAULT_THRESHOLDS: &[&str] = &[
    "server.cpu_avg < 60% acceptable 80%",
    "server.memory_growth < 50MiB acceptable 100MiB",
    "http.p95[api_endpoints] < 500ms acceptable 2s",
    "http.p95[stress_load] < 500ms acceptable 2s",
    "http.p95[concurrent_orders] < 500ms acceptable 2s",
    "db.read_p95 < 100ms acceptable 500ms",
    "storage.upload_mibps[service] > 20MiB/s acceptable 5MiB/s",
    "load.success_rate > 95% acceptable 90%",
    "load.error_rate < 5% acceptable 10%",
    "load.rps[stress_load] > 10/s acceptable 5/s",
    "storage.integrity_failures < 1",
    "workflow.failed_steps < 1",
];

/// `load` and `ab`: latency and success (a fixed rate makes a throughput floor meaningless).
const LOAD_THRESHOLDS: &[&str] = &[
    "http.p95 < 500ms acceptable 2s",
    "load.success_rate > 95% acceptable 90%",
    "load.error_rate < 5% acceptable 10%",
];

/// `storage`: integrity always, upload speed through the service when it was measured.
const STORAGE_THRESHOLDS: &[&str] = &[
    "storage.integrity_failures < 1",
    "storage.upload_mibps[service] > 20MiB/s acceptable 5MiB/s",
];

/// `monitor`: the server's CPU.
const MONITOR_THRESHOLDS: &[&str] = &["server.cpu_avg < 60% acceptable 80%"];

/// `workflow`: every step.
const WORKFLOW_THRESHOLDS: &[&str] = &["workflow.failed_steps < 1"];

impl RunKind {
    /// The command's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Load => "load",
            RunKind::Monitor => "monitor",
            RunKind::Storage => "storage",
            RunKind::Workflow => "workflow",
            RunKind::Suite => "suite",
            RunKind::Ab => "ab",
        }
    }

    /// The built-in threshold expressions of this command.
    pub fn default_threshold_expressions(self) -> &'static [&'static str] {
        match self {
            RunKind::Suite => DEFAULT_THRESHOLDS,
            RunKind::Load | RunKind::Ab => LOAD_THRESHOLDS,
            RunKind::Storage => STORAGE_THRESHOLDS,
            RunKind::Monitor => MONITOR_THRESHOLDS,
            RunKind::Workflow => WORKFLOW_THRESHOLDS,
        }
    }

    /// The built-in thresholds of this command, parsed.
    pub fn default_thresholds(self) -> Vec<Threshold> {
        parse_builtin(self.default_threshold_expressions())
    }
}

/// The suite's [`DEFAULT_THRESHOLDS`], parsed.
pub fn default_thresholds() -> Vec<Threshold> {
    RunKind::Suite.default_thresholds()
}

fn parse_builtin(expressions: &[&str]) -> Vec<Threshold> {
    expressions
        .iter()
        .filter_map(|expression| Threshold::parse(expression).ok())
        .collect()
}

/// What a run is judged by.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The thresholds evaluated against the run's metrics.
    pub thresholds: Vec<Threshold>,
    /// The run was asked to sample a server process: no samples is a gap.
    pub expects_sampler: bool,
}

impl Gate {
    /// The built-in gate of `kind`.
    pub fn new(kind: RunKind) -> Gate {
        Gate {
            thresholds: kind.default_thresholds(),
            expects_sampler: false,
        }
    }

    /// Replaces the built-in thresholds with `thresholds` when there are any.
    #[must_use]
    pub fn with_thresholds(mut self, thresholds: &[Threshold]) -> Gate {
        if !thresholds.is_empty() {
            self.thresholds = thresholds.to_vec();
        }
        self
    }

    /// Marks the server sampler as asked for.
    #[must_use]
    pub fn expecting_sampler(mut self, expected: bool) -> Gate {
        self.expects_sampler = expected;
        self
    }
}

/// Whether a metric can fail a baseline comparison. The gated set is small on purpose:
/// per-scenario `http.p50/p95/p99`, `load.success_rate` and `load.rps`, plus
/// `server.cpu_avg` and `server.memory_growth`. Everything else is information.
pub fn is_gated(metric: &str) -> bool {
    let (family, qualified) = match metric.split_once('[') {
        Some((family, _)) => (family, true),
        None => (metric, false),
    };
    match family {
        "http.p50" | "http.p95" | "http.p99" | "load.success_rate" | "load.rps" => qualified,
        "server.cpu_avg" | "server.memory_growth" => !qualified,
        _ => false,
    }
}

/// Requests beyond a percentile a scenario needs before that percentile can gate: the p95
/// of 20 requests is its 19th value, noise rather than a figure (p50 needs 20 requests, p95
/// 200, p99 1000).
pub const MIN_TAIL_REQUESTS: f64 = 10.0;

/// The shortest scenario whose latency and throughput gate a comparison, seconds: a burst of
/// 200 reads in 30 ms shows one moment of a shared machine, not the service (the suite's
/// `db_reads` p95 moved +70 % between two runs of one build).
pub const MIN_GATED_SECONDS: f64 = 1.0;

/// Whether `metric` gates a comparison whose current side is `current`: it is in the gated
/// set ([`is_gated`]); for latency and throughput, its scenario ran at least
/// [`MIN_GATED_SECONDS`]; for a percentile, it also had [`MIN_TAIL_REQUESTS`] beyond it.
/// A success rate always gates: a healthy service has no error noise to hide in.
pub fn gates_in(metric: &str, current: &MetricSet) -> bool {
    if !is_gated(metric) {
        return false;
    }
    let Some((family, scenario)) = metric.split_once('[') else {
        return true;
    };
    let value = |name: &str| current.get(&format!("{name}[{scenario}")).map(|m| m.value);
    let quantile = match family {
        "http.p50" => 0.50,
        "http.p95" => 0.95,
        "http.p99" => 0.99,
        "load.rps" => 0.0,
        _ => return true,
    };
    let (Some(requests), Some(rate)) = (value("load.requests"), value("load.total_rps")) else {
        return false;
    };
    let long_enough = rate > 0.0 && requests / rate >= MIN_GATED_SECONDS;
    long_enough && (quantile == 0.0 || requests * (1.0 - quantile) >= MIN_TAIL_REQUESTS)
}

impl SuiteReport {
    /// Judges a finished run: evaluates the gate's thresholds, takes the comparison with a
    /// baseline (when one was made), finds the gaps, marks a run that measured nothing, and
    /// sets the verdict. Every command ends here.
    pub fn judge(&mut self, gate: &Gate, comparison: Option<Comparison>) {
        let metrics = self.metrics_for_thresholds();
        self.thresholds = evaluate_all(&gate.thresholds, &metrics);
        self.comparison = comparison;
        self.gaps = self.find_gaps(gate);
        if self.outcome == RunOutcome::Completed
            && let Some(message) = self
                .workflow
                .as_ref()
                .and_then(crate::WorkflowReport::setup_failure)
        {
            self.outcome = RunOutcome::SetupFailed { message };
        }
        if self.outcome == RunOutcome::Completed && !self.measured_anything() {
            let message = if self.gaps.is_empty() {
                "nothing was measured".to_owned()
            } else {
                format!("nothing was measured: {}", self.gaps.join("; "))
            };
            self.outcome = RunOutcome::NothingMeasured { message };
        }
        self.interrupted = self.outcome == RunOutcome::Interrupted;
        if let Some(storage) = &self.storage {
            self.leftovers.extend(storage.leftovers.iter().cloned());
        }
        self.leftovers.sort();
        self.leftovers.dedup();
        self.verdict = self.computed_verdict();
    }

    /// What the run was asked to measure and did not, one line each.
    fn find_gaps(&self, gate: &Gate) -> Vec<String> {
        let mut gaps = Vec::new();
        for scenario in self.load.iter().flat_map(|load| &load.scenarios) {
            if scenario.successful_requests == 0 {
                let why = scenario.errors.first().map_or_else(String::new, |error| {
                    format!(" (first error: {})", error.sample_message)
                });
                gaps.push(format!(
                    "`{}`: no successful request of {}{why}",
                    scenario.name, scenario.total_requests
                ));
            }
        }
        if let Some(storage) = &self.storage
            && !storage.results.iter().any(|r| r.n_operations > 0)
        {
            let skipped: Vec<String> = storage
                .backends
                .iter()
                .filter_map(|b| {
                    b.skipped
                        .as_deref()
                        .map(|why| format!("{}: {}", b.name, why.replace('\n', " ")))
                })
                .collect();
            gaps.push(if skipped.is_empty() {
                "storage: no backend was measured".to_owned()
            } else {
                format!(
                    "storage: every backend was skipped ({})",
                    skipped.join("; ")
                )
            });
        }
        if gate.expects_sampler && !self.sampled_server() {
            gaps.push(
                "server sampler: no CPU sample of the server process was taken (was it gone, or the sampler off?)"
                    .to_owned(),
            );
        }
        if !self.thresholds.is_empty() && self.thresholds.iter().all(|t| t.verdict.is_none()) {
            gaps.push("every threshold was skipped: none of its metrics was measured".to_owned());
        }
        gaps
    }

    fn sampled_server(&self) -> bool {
        self.sampler
            .as_ref()
            .and_then(|s| s.process.as_ref())
            .is_some_and(|p| p.cpu_percent.count > 0)
    }

    /// Whether anything at all was measured: a successful request, a storage operation, a
    /// server sample or a workflow step that passed.
    fn measured_anything(&self) -> bool {
        let load = self
            .load
            .iter()
            .flat_map(|l| &l.scenarios)
            .any(|s| s.successful_requests > 0);
        let storage = self
            .storage
            .iter()
            .flat_map(|s| &s.results)
            .any(|r| r.n_operations > 0);
        let workflow = self.workflow.as_ref().is_some_and(|w| w.passed_steps() > 0);
        load || storage || self.sampled_server() || workflow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_threshold_parses() {
        for kind in [
            RunKind::Load,
            RunKind::Monitor,
            RunKind::Storage,
            RunKind::Workflow,
            RunKind::Suite,
            RunKind::Ab,
        ] {
            assert_eq!(
                kind.default_thresholds().len(),
                kind.default_threshold_expressions().len(),
                "{}",
                kind.as_str()
            );
        }
    }

    #[test]
    fn percentiles_gate_only_with_enough_requests() {
        let mut current = MetricSet::new();
        current.insert("load.requests[uploads]", 10.0);
        current.insert("load.total_rps[uploads]", 2.0);
        current.insert("load.requests[reads]", 400.0);
        current.insert("load.total_rps[reads]", 100.0);
        current.insert("load.requests[burst]", 200.0);
        current.insert("load.total_rps[burst]", 6000.0);
        assert!(
            !gates_in("http.p50[uploads]", &current),
            "p50 of 10 requests"
        );
        assert!(gates_in("http.p50[reads]", &current));
        assert!(gates_in("http.p95[reads]", &current));
        assert!(
            !gates_in("http.p99[reads]", &current),
            "p99 of 400 requests"
        );
        assert!(gates_in("load.success_rate[uploads]", &current));
        assert!(!gates_in("http.p95[unknown]", &current));
        assert!(!gates_in("http.p50[burst]", &current), "33 ms of requests");
        assert!(!gates_in("load.rps[burst]", &current));
        assert!(gates_in("load.rps[reads]", &current));
        assert!(gates_in("load.success_rate[burst]", &current));
        assert!(gates_in("server.cpu_avg", &current));
    }

    #[test]
    fn gated_set() {
        for (metric, gated) in [
            ("http.p95[api_endpoints]", true),
            ("http.p50[x]", true),
            ("http.p99[x]", true),
            ("load.success_rate[x]", true),
            ("load.rps[x]", true),
            ("server.cpu_avg", true),
            ("server.memory_growth", true),
            ("http.p95", false),
            ("http.max[x]", false),
            ("http.p999[x]", false),
            ("http.avg[x]", false),
            ("load.requests[x]", false),
            ("load.total_rps[x]", false),
            ("server.rss_max", false),
            ("storage.upload_mibps[service]", false),
        ] {
            assert_eq!(is_gated(metric), gated, "{metric}");
        }
    }
}
