//! The closing lines every command prints: thresholds, the baseline comparison, gaps, the
//! outcome when the run did not complete, then the run's verdict.

use report_model::{RunOutcome, SuiteReport, Verdict, table::Table};

/// Appends `pass|warn|fail|skipped: <expression> (<numbers>)` per threshold, a
/// `not measured:` line per gap, the outcome when the run did not complete, and
/// `verdict: <verdict>`, and returns the text.
pub fn finish(report: &SuiteReport, mut lines: Vec<String>) -> String {
    for threshold in &report.thresholds {
        let verdict = threshold.verdict.map_or("skipped", Verdict::as_str);
        lines.push(format!(
            "{verdict}: {} ({})",
            threshold.expression, threshold.message
        ));
    }
    lines.extend(comparison_lines(report));
    lines.extend(outcome_lines(report));
    lines.extend(report.cleanup_lines());
    lines.push(format!("verdict: {}", report.verdict));
    lines.join("\n") + "\n"
}

/// One line per gap and one for an outcome other than completed.
pub fn outcome_lines(report: &SuiteReport) -> Vec<String> {
    let mut lines: Vec<String> = report
        .gaps
        .iter()
        .map(|gap| format!("fail: not measured: {gap}"))
        .collect();
    match &report.outcome {
        RunOutcome::Completed => {}
        RunOutcome::Interrupted => lines.push("interrupted: reports hold what was done".to_owned()),
        RunOutcome::SetupFailed { message } => {
            lines.push(format!("setup failed: {}", message.replace('\n', " ")));
        }
        RunOutcome::NothingMeasured { .. } => {
            lines.push("nothing measured: the run is not a pass".to_owned());
        }
    }
    lines
}

/// The baseline comparison in one line, then one line per regression.
pub fn comparison_lines(report: &SuiteReport) -> Vec<String> {
    let Some(comparison) = &report.comparison else {
        return Vec::new();
    };
    let mut lines = vec![format!(
        "{}: baseline: {} gated metrics against {} baseline runs ({}), {} regressed",
        if comparison.has_regression() {
            "fail"
        } else {
            "pass"
        },
        comparison.metrics.iter().filter(|d| d.gated).count(),
        comparison.baseline_runs,
        comparison.method.as_str(),
        comparison.regressions().count()
    )];
    for delta in comparison.regressions() {
        let [baseline, current, change, _] = delta.display_cells();
        lines.push(format!(
            "fail: regression: {} {baseline} -> {current} ({change})",
            delta.metric
        ));
    }
    lines
}

/// The per-endpoint table and the status-code table of the run's load, as aligned text
/// (nothing when the run had no load).
pub fn traffic_tables(report: &SuiteReport) -> String {
    [Table::endpoints(report), Table::status_codes(report)]
        .iter()
        .filter(|table| !table.is_empty())
        .map(Table::to_text)
        .collect::<Vec<_>>()
        .join("\n")
}
