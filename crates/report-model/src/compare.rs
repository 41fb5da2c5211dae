//! Baseline comparison: per metric, the relative change, whether it is better or worse, and
//! whether it counts as a regression.
//!
//! A change within the tolerance is "same". Beyond it, when both sides carry at least
//! `MIN_SAMPLES_FOR_TEST` (5) samples (per-second figures, repetitions), a Mann–Whitney U test
//! must also find the difference significant (p < [`SIGNIFICANCE_LEVEL`]), as benchstat
//! does; with fewer samples the relative change alone decides.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ReportError;
use crate::gate::gates_in;
use crate::metrics::{self, Better, MetricSet};
use crate::significance::mann_whitney_u;

/// Samples each side needs before significance is tested.
pub(crate) const MIN_SAMPLES_FOR_TEST: usize = 5;
/// p-value below which a difference is significant.
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;
/// How far a percentage (success or error rate) may move, in points, before it counts: a
/// relative tolerance of 10 % of a 100 % success rate would hide a 10 % error rate on a
/// route.
pub const PERCENT_POINTS_TOLERANCE: f64 = 1.0;

/// How much relative change is considered noise, e.g. `10%`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    fraction: f64,
}

impl Tolerance {
    /// A tolerance of `percent` percent.
    pub fn from_percent(percent: f64) -> Result<Tolerance, ReportError> {
        if percent.is_finite() && (0.0..=1000.0).contains(&percent) {
            Ok(Tolerance {
                fraction: percent / 100.0,
            })
        } else {
            Err(ReportError::Tolerance {
                input: percent.to_string(),
                message: "must be between 0% and 1000%".to_owned(),
            })
        }
    }

    /// The tolerance in percent.
    pub fn percent(self) -> f64 {
        self.fraction * 100.0
    }

    /// The change of a metric of `unit` from `baseline` that is still noise: the fraction
    /// of the baseline, except for percentages (success and error rates), which move in
    /// points ([`PERCENT_POINTS_TOLERANCE`]).
    pub fn allowance(self, unit: metrics::MetricUnit, baseline: f64) -> f64 {
        match unit {
            metrics::MetricUnit::Percent => PERCENT_POINTS_TOLERANCE,
            _ => self.fraction * baseline.abs(),
        }
    }
}

impl Default for Tolerance {
    /// 10 %.
    fn default() -> Self {
        Tolerance { fraction: 0.10 }
    }
}

impl FromStr for Tolerance {
    type Err = ReportError;
    /// Accepts `10%` or `10` (both ten percent).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let number = input.trim().trim_end_matches('%').trim();
        let percent: f64 = number.parse().map_err(|_| ReportError::Tolerance {
            input: input.to_owned(),
            message: "expected a percentage such as `10%`".to_owned(),
        })?;
        Tolerance::from_percent(percent).map_err(|_| ReportError::Tolerance {
            input: input.to_owned(),
            message: "must be between 0% and 1000%".to_owned(),
        })
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.percent())
    }
}

/// Direction of a change, judged by the metric's [`Better`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Improved beyond the tolerance (and significantly, when tested).
    Better,
    /// Worsened beyond the tolerance (and significantly, when tested).
    Worse,
    /// Within the tolerance, or not significant.
    Same,
}

/// The comparison of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MetricDelta {
    /// Metric name.
    pub metric: String,
    /// Baseline value, canonical unit.
    pub baseline: f64,
    /// Current value, canonical unit.
    pub current: f64,
    /// `(current - baseline) / baseline × 100`; `None` when the baseline is 0.
    pub delta_percent: Option<f64>,
    /// Better, worse or the same.
    pub change: Change,
    /// True when the change is worse beyond the tolerance (and significant when tested) on
    /// a gated metric ([`crate::is_gated`]): only these fail a run.
    pub regression: bool,
    /// Whether this metric can fail the run; the others are information.
    #[serde(default)]
    pub gated: bool,
    /// The value beyond which the current run counts as worse, when the method has one
    /// (the history's robust interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    /// Mann–Whitney p-value, when both sides had enough samples.
    pub p_value: Option<f64>,
    /// Samples on the baseline side.
    pub baseline_samples: usize,
    /// Samples on the current side.
    pub current_samples: usize,
}

impl MetricDelta {
    /// The figures for people, in the metric's unit: `[baseline, current, change, p]`
    /// (`n/a` for a change from zero, `-` without a significance test).
    pub fn display_cells(&self) -> [String; 4] {
        let unit = metrics::lookup(&self.metric).map_or(metrics::MetricUnit::Count, |d| d.unit);
        [
            unit.format(self.baseline),
            unit.format(self.current),
            self.delta_percent
                .map_or_else(|| "n/a".to_owned(), |d| format!("{d:+.1}%")),
            self.p_value
                .map_or_else(|| "-".to_owned(), |p| format!("{p:.3}")),
        ]
    }
}

/// How the baseline side was formed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonMethod {
    /// One earlier run, metric by metric (`vertex-perf compare`): information for people,
    /// weak as a gate on a shared runner.
    #[default]
    Run,
    /// The last passing runs of the main branch, with a robust interval from their
    /// run-to-run spread ([`crate::History`]).
    History,
    /// Interleaved rounds against two targets in one job ([`compare_rounds`]).
    Interleaved,
}

/// The comparison of two runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Comparison {
    /// How the baseline side was formed.
    #[serde(default)]
    pub method: ComparisonMethod,
    /// Runs (history) or rounds (interleaved) on the baseline side; 1 for one run.
    #[serde(default = "one")]
    pub baseline_runs: usize,
    /// The tolerance used, percent.
    pub tolerance_percent: f64,
    /// Metrics present in both runs, in name order.
    pub metrics: Vec<MetricDelta>,
    /// Metrics of the baseline missing from the current run.
    pub missing_in_current: Vec<String>,
}

fn one() -> usize {
    1
}

impl ComparisonMethod {
    /// `run`, `history` or `interleaved`.
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonMethod::Run => "run",
            ComparisonMethod::History => "history",
            ComparisonMethod::Interleaved => "interleaved",
        }
    }
}

impl Comparison {
    /// The metrics that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &MetricDelta> {
        self.metrics.iter().filter(|delta| delta.regression)
    }

    /// True when at least one metric regressed.
    pub fn has_regression(&self) -> bool {
        self.regressions().next().is_some()
    }
}

/// Compares two metric sets metric by metric.
pub fn compare(baseline: &MetricSet, current: &MetricSet, tolerance: Tolerance) -> Comparison {
    compare_with(ComparisonMethod::Run, 1, baseline, current, tolerance)
}

/// Compares interleaved rounds: `a` (the baseline target) and `b` (the candidate), one
/// metric set per round, run in alternation in one job so both sides share the machine's
/// state. Each metric is the median over its rounds; a change must exceed the tolerance
/// *and* be significant over the rounds (Mann–Whitney, at least `MIN_SAMPLES_FOR_TEST` (5)
/// rounds a side) to count.
pub fn compare_rounds(a: &[MetricSet], b: &[MetricSet], tolerance: Tolerance) -> Comparison {
    let a_side = MetricSet::of_rounds(a);
    let b_side = MetricSet::of_rounds(b);
    compare_with(
        ComparisonMethod::Interleaved,
        a.len(),
        &a_side,
        &b_side,
        tolerance,
    )
}

fn compare_with(
    method: ComparisonMethod,
    baseline_runs: usize,
    baseline: &MetricSet,
    current: &MetricSet,
    tolerance: Tolerance,
) -> Comparison {
    let mut deltas = Vec::new();
    let mut missing_in_current = Vec::new();
    for (name, base) in baseline.iter() {
        let Some(def) = metrics::lookup(name) else {
            continue;
        };
        let Some(cur) = current.get(name) else {
            missing_in_current.push(name.to_owned());
            continue;
        };
        let worse_direction = match def.better {
            Better::Lower => cur.value > base.value,
            Better::Higher => cur.value < base.value,
        };
        let delta_percent =
            (base.value != 0.0).then(|| (cur.value - base.value) / base.value.abs() * 100.0);
        let beyond_tolerance =
            (cur.value - base.value).abs() > tolerance.allowance(def.unit, base.value);
        let p_value = (base.samples.len() >= MIN_SAMPLES_FOR_TEST
            && cur.samples.len() >= MIN_SAMPLES_FOR_TEST)
            .then(|| mann_whitney_u(&base.samples, &cur.samples))
            .flatten()
            .map(|test| test.p_value);
        let significant = p_value.is_none_or(|p| p < SIGNIFICANCE_LEVEL);
        let change = match (beyond_tolerance && significant, worse_direction) {
            (false, _) => Change::Same,
            (true, true) => Change::Worse,
            (true, false) => Change::Better,
        };
        let gated = gates_in(name, current);
        deltas.push(MetricDelta {
            metric: name.to_owned(),
            baseline: base.value,
            current: cur.value,
            delta_percent,
            change,
            regression: gated && change == Change::Worse,
            gated,
            limit: None,
            p_value,
            baseline_samples: base.samples.len(),
            current_samples: cur.samples.len(),
        });
    }
    Comparison {
        method,
        baseline_runs,
        tolerance_percent: tolerance.percent(),
        metrics: deltas,
        missing_in_current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `name` with `value`, in a run of 1000 requests per scenario (so percentiles gate).
    fn one(name: &str, value: f64) -> MetricSet {
        let mut set = MetricSet::new();
        set.insert(name, value);
        for scenario in ["read_mix", "s"] {
            set.insert(format!("load.requests[{scenario}]"), 1000.0);
            set.insert(format!("load.total_rps[{scenario}]"), 100.0);
        }
        set
    }

    fn check(name: &str, baseline: f64, current: f64, expected: Change) {
        let comparison = compare(
            &one(name, baseline),
            &one(name, current),
            Tolerance::default(),
        );
        let delta = comparison
            .metrics
            .iter()
            .find(|d| d.metric == name)
            .unwrap();
        assert_eq!(delta.change, expected, "{name}: {baseline} -> {current}");
        assert_eq!(
            delta.regression,
            crate::is_gated(name) && expected == Change::Worse
        );
    }

    #[test]
    fn judges_direction_by_metric() {
        check("http.p95[read_mix]", 100_000.0, 130_000.0, Change::Worse);
        check("http.p95", 100_000.0, 130_000.0, Change::Worse);
        check("http.p95", 100_000.0, 102_000.0, Change::Same);
        check("http.p95", 100_000.0, 70_000.0, Change::Better);
        check("load.rps[read_mix]", 100.0, 70.0, Change::Worse);
        check("load.rps", 100.0, 70.0, Change::Worse);
        check("load.rps", 100.0, 130.0, Change::Better);
        check("workflow.failed_steps", 0.0, 1.0, Change::Worse);
        check("workflow.failed_steps", 0.0, 0.0, Change::Same);
        // Rates move in points: 2 points of success lost is worse, half a point is not.
        check("load.success_rate[s]", 100.0, 98.0, Change::Worse);
        check("load.success_rate[s]", 100.0, 99.5, Change::Same);
    }

    #[test]
    fn significance_test_overrides_a_noisy_point_difference() {
        let noisy = |shift: f64| -> Vec<f64> {
            [100.0, 180.0, 90.0, 150.0, 120.0, 95.0, 170.0, 110.0]
                .iter()
                .map(|v| v + shift)
                .collect()
        };
        let mut baseline = one("load.requests[s]", 1000.0);
        baseline.insert_with_samples("http.p95[s]", 100.0, noisy(0.0));
        let mut current = one("load.requests[s]", 1000.0);
        current.insert_with_samples("http.p95[s]", 120.0, noisy(5.0));
        let comparison = compare(&baseline, &current, Tolerance::default());
        let delta = comparison
            .metrics
            .iter()
            .find(|d| d.metric == "http.p95[s]")
            .unwrap();
        assert!(delta.p_value.unwrap() > 0.05);
        assert_eq!(delta.change, Change::Same);

        let mut shifted = one("load.requests[s]", 1000.0);
        shifted.insert_with_samples("http.p95[s]", 230.0, noisy(130.0));
        let comparison = compare(&baseline, &shifted, Tolerance::default());
        let delta = comparison
            .metrics
            .iter()
            .find(|d| d.metric == "http.p95[s]")
            .unwrap();
        assert!(delta.p_value.unwrap() < 0.05);
        assert!(delta.regression);
    }

    #[test]
    fn rounds_are_judged_across_rounds() {
        let rounds = |p95: &[f64]| -> Vec<MetricSet> {
            p95.iter()
                .map(|&v| {
                    let mut set = one("load.requests[s]", 1000.0);
                    set.insert("http.p95[s]", v);
                    set
                })
                .collect()
        };
        let a = rounds(&[100.0, 104.0, 98.0, 101.0, 103.0]);
        let same = rounds(&[102.0, 99.0, 105.0, 100.0, 97.0]);
        let comparison = compare_rounds(&a, &same, Tolerance::default());
        assert_eq!(comparison.method, ComparisonMethod::Interleaved);
        assert_eq!(comparison.baseline_runs, 5);
        assert!(!comparison.has_regression(), "{comparison:?}");

        let slower = rounds(&[131.0, 128.0, 135.0, 129.0, 133.0]);
        let comparison = compare_rounds(&a, &slower, Tolerance::default());
        let delta = comparison
            .metrics
            .iter()
            .find(|d| d.metric == "http.p95[s]")
            .unwrap();
        assert!(delta.regression, "{delta:?}");
        assert_eq!(delta.baseline, 101.0);
        assert_eq!(delta.current, 131.0);

        // One slow round out of five is not a regression.
        let one_slow = rounds(&[100.0, 180.0, 99.0, 102.0, 101.0]);
        assert!(!compare_rounds(&a, &one_slow, Tolerance::default()).has_regression());
    }

    #[test]
    fn parses_tolerance() {
        assert_eq!("10%".parse::<Tolerance>().unwrap().percent(), 10.0);
        assert_eq!(" 2.5 ".parse::<Tolerance>().unwrap().percent(), 2.5);
        assert!("ten".parse::<Tolerance>().is_err());
        assert!("-5%".parse::<Tolerance>().is_err());
    }

    #[test]
    fn reports_metrics_missing_from_current() {
        let mut baseline = MetricSet::new();
        baseline.insert("http.p95", 1.0);
        let comparison = compare(&baseline, &MetricSet::new(), Tolerance::default());
        assert_eq!(comparison.missing_in_current, vec!["http.p95".to_owned()]);
        assert!(!comparison.has_regression());
    }
}
