//! The summary table a suite run prints at the end.

use report_model::{MetricUnit, SuiteReport, Verdict};

/// The verdict table: one line per threshold and check, then the run's verdict. Columns
/// are as wide as their longest cell, so a long check never runs into its value.
pub fn summary_table(report: &SuiteReport) -> String {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for threshold in &report.thresholds {
        rows.push((
            threshold.verdict.map_or("skip", Verdict::as_str).to_owned(),
            threshold.expression.clone(),
            threshold.message.clone(),
        ));
    }
    if let Some(workflow) = &report.workflow {
        rows.push((
            if workflow.passed() { "pass" } else { "fail" }.to_owned(),
            "workflow".to_owned(),
            format!(
                "{} of {} steps passed",
                workflow.passed_steps(),
                workflow.steps.len()
            ),
        ));
    }
    for (name, leak) in report.leak_checks() {
        rows.push((
            leak.verdict_label().to_owned(),
            format!("leak check ({name})"),
            leak.reason.clone(),
        ));
    }
    if let Some(storage) = &report.storage {
        for ratio in &storage.ratios {
            rows.push((
                "info".to_owned(),
                format!(
                    "storage {} {} {}/{}",
                    ratio.operation,
                    MetricUnit::Bytes.format(ratio.object_size_bytes as f64),
                    ratio.numerator,
                    ratio.denominator
                ),
                format!("{:.2}x", ratio.ratio),
            ));
        }
    }
    let mark = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(6);
    let check = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    let tables = crate::summary::traffic_tables(report);
    let mut lines = Vec::new();
    if !tables.is_empty() {
        lines.push(tables);
    }
    lines.push(format!("{:<mark$} {:<check$} value", "", "check"));
    lines.extend(
        rows.iter()
            .map(|(m, c, v)| format!("{m:<mark$} {c:<check$} {v}")),
    );
    lines.extend(crate::summary::comparison_lines(report));
    lines.extend(crate::summary::outcome_lines(report));
    lines.extend(report.cleanup_lines());
    lines.push(format!("verdict: {}", report.verdict));
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod snapshots {
    use std::path::Path;

    use report_model::SuiteReport;

    #[test]
    fn the_terminal_summary_of_a_regressed_run() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/current-regressed-suite.json");
        let report = SuiteReport::read(&path).unwrap();
        insta::assert_snapshot!(super::summary_table(&report));
    }
}
