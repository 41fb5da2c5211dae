//! The closing lines every command prints: one per threshold, then the run's verdict.

use report_model::{SuiteReport, Verdict};

/// Appends `pass|warn|fail|skipped: <expression> (<numbers>)` per threshold and
/// `verdict: <verdict>`, and returns the text.
pub fn finish(report: &SuiteReport, mut lines: Vec<String>) -> String {
    for threshold in &report.thresholds {
        let verdict = threshold.verdict.map_or("skipped", Verdict::as_str);
        lines.push(format!(
            "{verdict}: {} ({})",
            threshold.expression, threshold.message
        ));
    }
    lines.push(format!("verdict: {}", report.verdict));
    lines.join("\n") + "\n"
}
