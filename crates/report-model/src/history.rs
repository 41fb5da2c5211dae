//! [`History`]: the baseline a CI gate can trust on a shared runner — the last passing runs
//! of the main branch, kept in a folder (GitLab can cache it or keep it as an artifact), and
//! a robust interval from their run-to-run spread.
//!
//! One earlier run is not a baseline: its per-second samples share that run's machine
//! state and say nothing about how much the next run on a busy runner will differ. A
//! history of several runs does: for each gated metric the median `m` of the runs and their
//! spread `MAD` (median absolute deviation, scaled by 1.4826 to estimate a standard
//! deviation) give the interval `m ± max(tolerance × |m|, K × MAD, floor)` (percentages
//! such as the success rate move in points: 1 point instead of the relative term). The current run
//! regresses on a metric only beyond that interval in the worse direction, so one unlucky
//! run neither fails nor — as a failing run is never recorded — becomes the baseline.

use std::path::{Path, PathBuf};

use crate::compare::{Change, Comparison, ComparisonMethod, MetricDelta, Tolerance};
use crate::gate::gates_in;
use crate::metrics::{self, Better, MetricSet, MetricUnit};
use crate::{ReportError, RunIdentity, RunOutcome, SuiteReport, Verdict, write_atomic};

/// Runs a history needs before it judges; with fewer the run is judged by thresholds alone.
pub const MIN_HISTORY_RUNS: usize = 5;
/// Runs a history keeps by default (older ones are pruned when a run is recorded).
pub const DEFAULT_HISTORY_RUNS: usize = 10;
/// How many scaled MADs a metric may move before it counts as worse.
pub const MAD_FACTOR: f64 = 4.0;

/// Passing runs of one identity, oldest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    runs: Vec<SuiteReport>,
    /// Files written with another schema version, left out (`path`, version found).
    other_versions: Vec<(std::path::PathBuf, String)>,
}

impl History {
    /// A history of `runs` (oldest first).
    pub fn new(runs: Vec<SuiteReport>) -> History {
        History {
            runs,
            other_versions: Vec::new(),
        }
    }

    /// The files left out because another vertex-perf version wrote them (their schema
    /// version differs): path and the version found. Such runs are not comparable; they
    /// age out of a history as new runs are recorded.
    pub fn other_versions(&self) -> &[(std::path::PathBuf, String)] {
        &self.other_versions
    }

    /// The runs.
    pub fn runs(&self) -> &[SuiteReport] {
        &self.runs
    }

    /// Number of runs.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// True without runs.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Reads the passing runs at `path`, oldest first: a history folder (`<run id>/suite.json`
    /// each), a run folder, or one `suite.json`. Unreadable files are errors; a missing
    /// folder is an empty history. Runs that failed or did not complete are left out, and so
    /// are runs of another schema version (see [`History::other_versions`]): a history
    /// kept by CI across upgrades must not stop the job.
    pub fn read(path: &Path) -> Result<History, ReportError> {
        let mut runs = Vec::new();
        let mut other_versions = Vec::new();
        for file in suite_files(path)? {
            let report = match SuiteReport::read(&file) {
                Ok(report) => report,
                Err(ReportError::SchemaVersion { path, found, .. }) => {
                    other_versions.push((path, found));
                    continue;
                }
                Err(error) => return Err(error),
            };
            if passed(&report) {
                runs.push(report);
            }
        }
        runs.sort_by_key(|r| r.meta.started_at);
        Ok(History {
            runs,
            other_versions,
        })
    }

    /// Splits the history into the runs comparable with `identity` and the others, each
    /// other with its run id and the first difference.
    pub fn comparable_with(self, identity: &RunIdentity) -> (History, Vec<(String, String)>) {
        let mut comparable = Vec::new();
        let mut unlike = Vec::new();
        for run in self.runs {
            let first_difference = match &run.meta.identity {
                Some(theirs) => identity.differences(theirs).into_iter().next(),
                None => Some("it records no identity".to_owned()),
            };
            match first_difference {
                Some(difference) => unlike.push((run.meta.run_id.clone(), difference)),
                None => comparable.push(run),
            }
        }
        (
            History {
                runs: comparable,
                other_versions: self.other_versions,
            },
            unlike,
        )
    }

    /// The newest `count` runs.
    #[must_use]
    pub fn latest(mut self, count: usize) -> History {
        let skip = self.runs.len().saturating_sub(count.max(1));
        self.runs.drain(..skip);
        self
    }

    /// Adds a passing run to the history folder `dir` (as `<run id>/suite.json`, written
    /// atomically) and removes the oldest runs beyond `keep` — oldest by folder name, as run
    /// ids start with their UTC start time ([`crate::meta::new_run_id`]). A run that did not pass
    /// is not recorded: a regression must never become the baseline.
    pub fn record(dir: &Path, report: &SuiteReport, keep: usize) -> Result<bool, ReportError> {
        if !passed(report) {
            return Ok(false);
        }
        let run_dir = dir.join(&report.meta.run_id);
        std::fs::create_dir_all(&run_dir).map_err(|source| ReportError::Write {
            path: run_dir.clone(),
            source,
        })?;
        let json = crate::to_json(report, true)?;
        write_atomic(&run_dir.join("suite.json"), json.as_bytes())?;
        // `suite_files` lists `<run id>/suite.json` sorted by path: oldest first.
        let recorded = suite_files(dir)?;
        let excess = recorded.len().saturating_sub(keep.max(1));
        for folder in recorded
            .iter()
            .take(excess)
            .filter_map(|file| file.parent())
        {
            std::fs::remove_dir_all(folder).map_err(|source| ReportError::Write {
                path: folder.to_owned(),
                source,
            })?;
        }
        Ok(true)
    }

    /// Compares `current` with the history's robust interval per metric. `None` when the
    /// history has fewer than [`MIN_HISTORY_RUNS`] runs.
    pub fn compare(&self, current: &MetricSet, tolerance: Tolerance) -> Option<Comparison> {
        if self.runs.len() < MIN_HISTORY_RUNS {
            return None;
        }
        let sets: Vec<MetricSet> = self.runs.iter().map(SuiteReport::metrics).collect();
        Some(compare_with_spread(
            &MetricSet::of_rounds(&sets),
            self.runs.len(),
            current,
            tolerance,
        ))
    }
}

/// The history rule on a prepared baseline of `runs` runs (value = median over runs,
/// samples = per-run values): a metric regresses when it is worse than the median by more
/// than `max(tolerance allowance, MAD_FACTOR × scaled MAD, floor)`.
fn compare_with_spread(
    baseline: &MetricSet,
    runs: usize,
    current: &MetricSet,
    tolerance: Tolerance,
) -> Comparison {
    let mut deltas = Vec::new();
    let mut missing_in_current = Vec::new();
    for (name, base) in baseline.iter() {
        let Some(def) = metrics::lookup(name) else {
            continue;
        };
        if base.samples.len() < MIN_HISTORY_RUNS {
            continue;
        }
        let Some(cur) = current.get(name) else {
            missing_in_current.push(name.to_owned());
            continue;
        };
        let median = base.value;
        let mad = scaled_mad(&base.samples, median);
        let allowed = tolerance
            .allowance(def.unit, median)
            .max(MAD_FACTOR * mad)
            .max(floor(def.unit));
        let (worse_by, limit) = match def.better {
            Better::Lower => (cur.value - median, median + allowed),
            Better::Higher => (median - cur.value, median - allowed),
        };
        let change = if worse_by > allowed {
            Change::Worse
        } else if -worse_by > allowed {
            Change::Better
        } else {
            Change::Same
        };
        let gated = gates_in(name, current);
        deltas.push(MetricDelta {
            metric: name.to_owned(),
            baseline: median,
            current: cur.value,
            delta_percent: (median != 0.0).then(|| (cur.value - median) / median.abs() * 100.0),
            change,
            regression: gated && change == Change::Worse,
            gated,
            limit: Some(limit),
            p_value: None,
            baseline_samples: base.samples.len(),
            current_samples: 1,
        });
    }
    Comparison {
        method: ComparisonMethod::History,
        baseline_runs: runs,
        tolerance_percent: tolerance.percent(),
        metrics: deltas,
        missing_in_current,
    }
}

/// A run that may serve as a baseline: completed, not failed.
fn passed(report: &SuiteReport) -> bool {
    report.outcome == RunOutcome::Completed && report.verdict != Verdict::Fail
}

/// The smallest move that can count, per unit: below it is measurement resolution, not
/// a regression (200 µs of latency, 1 MiB of memory, ...).
fn floor(unit: MetricUnit) -> f64 {
    match unit {
        // Already the tolerance's allowance for percentages.
        MetricUnit::Percent => 0.0,
        MetricUnit::Duration => 200.0,
        MetricUnit::Bytes => 1024.0 * 1024.0,
        MetricUnit::MibPerSec | MetricUnit::PerSecond => 0.5,
        MetricUnit::Count => 1.0,
    }
}

/// The median absolute deviation around `median`, times 1.4826 (a standard deviation for
/// normal data).
fn scaled_mad(samples: &[f64], median: f64) -> f64 {
    let mut deviations: Vec<f64> = samples.iter().map(|v| (v - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    1.4826 * crate::stat::quantile_sorted(&deviations, 0.5)
}

/// Every `suite.json` at `path`: the file itself, `path/suite.json`, or `path/*/suite.json`.
fn suite_files(path: &Path) -> Result<Vec<PathBuf>, ReportError> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    if !path.is_dir() {
        return Ok(Vec::new());
    }
    let direct = path.join("suite.json");
    if direct.is_file() {
        return Ok(vec![direct]);
    }
    let entries = std::fs::read_dir(path).map_err(|source| ReportError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("suite.json"))
        .filter(|file| file.is_file())
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(p95_ms: f64, success: f64) -> MetricSet {
        let mut set = MetricSet::new();
        set.insert("load.requests[s]", 1000.0);
        set.insert("load.total_rps[s]", 100.0);
        set.insert("http.p95[s]", p95_ms * 1000.0);
        set.insert("load.success_rate[s]", success);
        set.insert("http.max[s]", p95_ms * 5000.0);
        set
    }

    fn judge(history: &[MetricSet], current: &MetricSet) -> Comparison {
        compare_with_spread(
            &MetricSet::of_rounds(history),
            history.len(),
            current,
            Tolerance::default(),
        )
    }

    #[test]
    fn the_interval_follows_the_spread_of_the_runs() {
        let noisy = [
            set(100.0, 100.0),
            set(140.0, 100.0),
            set(90.0, 100.0),
            set(120.0, 100.0),
            set(105.0, 100.0),
        ];
        // +30 % on the median of a noisy history is within 4 MADs: not a regression.
        assert!(!judge(&noisy, &set(136.5, 100.0)).has_regression());
        let quiet = [
            set(100.0, 100.0),
            set(101.0, 100.0),
            set(99.0, 100.0),
            set(100.5, 100.0),
            set(100.0, 100.0),
        ];
        let comparison = judge(&quiet, &set(130.0, 100.0));
        let names: Vec<_> = comparison.regressions().map(|d| &d.metric).collect();
        assert_eq!(names, ["http.p95[s]"], "http.max is information only");
        assert_eq!(comparison.baseline_runs, 5);
        // 3 points of success rate lost is beyond the 1-point allowance.
        let comparison = judge(&quiet, &set(100.0, 97.0));
        let names: Vec<_> = comparison.regressions().map(|d| &d.metric).collect();
        assert_eq!(names, ["load.success_rate[s]"]);
        // Half a point is not.
        assert!(!judge(&quiet, &set(100.0, 99.5)).has_regression());
    }

    #[test]
    fn a_short_history_does_not_judge() {
        assert!(
            History::new(Vec::new())
                .compare(&set(1.0, 100.0), Tolerance::default())
                .is_none()
        );
    }

    #[test]
    fn scaled_mad_of_a_known_sample() {
        let mad = scaled_mad(&[1.0, 2.0, 3.0, 4.0, 100.0], 3.0);
        assert!((mad - 1.4826).abs() < 1e-9, "{mad}");
    }
}
