//! The run folder of a suite run (design §5) and the summary table printed at the end.

use anyhow::Result;
use report_model::{
    MetricUnit, RenderFormat, SuiteReport, Verdict, automated_portraits_report, load_test_report,
    memory_profile_report, performance_report, render, storage_integration_report,
};

use crate::run_folder::RunFolder;

/// Writes every file; `suite.json` first, so it exists even if a later write fails.
pub fn write_all(folder: &RunFolder, report: &SuiteReport) -> Result<()> {
    folder.write("suite.json", &render(report, RenderFormat::JsonPretty)?)?;
    let legacy = [
        ("performance_report.json", performance_report(report)?),
        ("load_test_report.json", load_test_report(report)?),
        (
            "storage_integration_report.json",
            storage_integration_report(report)?,
        ),
        (
            "automated_portraits_report.json",
            automated_portraits_report(report)?,
        ),
        ("memory_profile_report.json", memory_profile_report(report)?),
    ];
    for (name, contents) in legacy {
        if let Some(contents) = contents {
            folder.write(name, &contents)?;
        }
    }
    for format in [
        RenderFormat::Junit,
        RenderFormat::K6Summary,
        RenderFormat::MetricsText,
        RenderFormat::Markdown,
        RenderFormat::Html,
    ] {
        folder.write(format.file_name(), &render(report, format)?)?;
    }
    Ok(())
}

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
    lines.push(format!("verdict: {}", report.verdict));
    lines.join("\n") + "\n"
}
