//! The run folder of a suite run (design §5) and the summary table printed at the end.

use report_model::{
    MetricUnit, RenderFormat, SuiteReport, Verdict, automated_portraits_report, load_test_report,
    memory_profile_report, performance_report, storage_integration_report,
};

use crate::run_folder::ReportFile;

/// Every file of a suite run (design §5), `suite.json` first.
pub const SUITE_FILES: [ReportFile; 11] = [
    ReportFile::Rendered(RenderFormat::JsonPretty),
    ReportFile::Legacy("performance_report.json", performance_report),
    ReportFile::Legacy("load_test_report.json", load_test_report),
    ReportFile::Legacy(
        "storage_integration_report.json",
        storage_integration_report,
    ),
    ReportFile::Legacy(
        "automated_portraits_report.json",
        automated_portraits_report,
    ),
    ReportFile::Legacy("memory_profile_report.json", memory_profile_report),
    ReportFile::Rendered(RenderFormat::Junit),
    ReportFile::Rendered(RenderFormat::K6Summary),
    ReportFile::Rendered(RenderFormat::MetricsText),
    ReportFile::Rendered(RenderFormat::Markdown),
    ReportFile::Rendered(RenderFormat::Html),
];

/// The verdict table: one line per threshold and check, then the run's verdict.
pub fn summary_table(report: &SuiteReport) -> String {
    let mut lines = vec![format!("{:<6} {:<48} {}", "", "check", "value")];
    for threshold in &report.thresholds {
        lines.push(format!(
            "{:<6} {:<48} {}",
            threshold.verdict.map_or("skip", Verdict::as_str),
            threshold.expression,
            threshold.message
        ));
    }
    if let Some(workflow) = &report.workflow {
        lines.push(format!(
            "{:<6} {:<48} {} of {} steps passed",
            if workflow.passed() { "pass" } else { "fail" },
            "workflow",
            workflow.passed_steps(),
            workflow.steps.len()
        ));
    }
    for (name, leak) in report.leak_checks() {
        lines.push(format!(
            "{:<6} {:<48} {}",
            leak.verdict_label(),
            format!("leak check ({name})"),
            leak.reason
        ));
    }
    if let Some(storage) = &report.storage {
        for ratio in &storage.ratios {
            lines.push(format!(
                "{:<6} {:<48} {:.2}x",
                "info",
                format!(
                    "storage {} {} {}/{}",
                    ratio.operation,
                    MetricUnit::Bytes.format(ratio.object_size_bytes as f64),
                    ratio.numerator,
                    ratio.denominator
                ),
                ratio.ratio
            ));
        }
    }
    lines.extend(crate::summary::comparison_lines(report));
    lines.extend(crate::summary::outcome_lines(report));
    lines.extend(report.cleanup_lines());
    lines.push(format!("verdict: {}", report.verdict));
    lines.join("\n") + "\n"
}
