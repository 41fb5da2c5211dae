//! `summary.md`: the verdict table first, then one section per part of the run.

use std::fmt::Write as _;

use crate::metrics::{self, MetricUnit};
use crate::{RunOutcome, SuiteReport, Table, Verdict};

/// Renders a Markdown summary for people (MR comments, CI logs, artifacts).
pub fn render_markdown(report: &SuiteReport) -> String {
    let mut out = String::new();
    let meta = &report.meta;
    let _ = writeln!(
        out,
        "# vertex-perf run `{}`: {}\n",
        meta.run_id,
        verdict_badge(report.verdict)
    );
    let _ = writeln!(
        out,
        "Target `{}`, {} → {}, vertex-perf {} on {} ({} cores, {}).\n",
        meta.target.as_deref().unwrap_or("none"),
        meta.started_at,
        meta.finished_at,
        meta.tool_version,
        if meta.host.cpu_model.is_empty() {
            "unknown CPU"
        } else {
            &meta.host.cpu_model
        },
        meta.host.logical_cores,
        MetricUnit::Bytes.format(meta.host.memory_total_bytes as f64),
    );
    match &report.outcome {
        RunOutcome::Completed => {}
        RunOutcome::Interrupted => {
            out.push_str("> **Interrupted**: the figures cover what ran before the stop.\n\n");
        }
        RunOutcome::SetupFailed { message } => {
            let _ = writeln!(out, "> **Setup failed**: {}\n", escape(message));
        }
        RunOutcome::NothingMeasured { message } => {
            let _ = writeln!(out, "> **Nothing measured**: {}\n", escape(message));
        }
    }

    out.push_str("## Verdicts\n\n| Check | Measured | Target | Acceptable | Verdict |\n|---|---|---|---|---|\n");
    for threshold in &report.thresholds {
        let unit = metrics::lookup(&threshold.metric).map_or(MetricUnit::Count, |d| d.unit);
        let op = threshold.comparator.as_str();
        let _ = writeln!(
            out,
            "| `{}` | {} | {op} {} | {} | {} |",
            threshold.metric,
            threshold
                .measured
                .map_or_else(|| "not measured".to_owned(), |v| unit.format(v)),
            unit.format(threshold.target),
            threshold
                .acceptable
                .map_or_else(|| "—".to_owned(), |v| format!("{op} {}", unit.format(v))),
            threshold.verdict.map_or("skipped", Verdict::as_str),
        );
    }
    if let Some(workflow) = &report.workflow {
        let _ = writeln!(
            out,
            "| workflow | {} of {} steps failed | 0 | — | {} |",
            workflow.failed_steps(),
            workflow.steps.len(),
            if workflow.passed() { "pass" } else { "fail" }
        );
    }
    for (name, leak) in [
        (
            "server leak",
            report.sampler.as_ref().and_then(|s| s.leak.as_ref()),
        ),
        (
            "memory cycles leak",
            report.memory.as_ref().and_then(|m| m.leak.as_ref()),
        ),
    ] {
        if let Some(leak) = leak {
            let _ = writeln!(
                out,
                "| {name} | {} | — | — | {} |",
                escape(&leak.reason),
                leak.verdict_label()
            );
        }
    }
    for gap in &report.gaps {
        let _ = writeln!(out, "| not measured | {} | — | — | fail |", escape(gap));
    }
    if let Some(comparison) = &report.comparison {
        let _ = writeln!(
            out,
            "| baseline | {} regressions | 0 | — | {} |",
            comparison.regressions().count(),
            if comparison.has_regression() {
                "fail"
            } else {
                "pass"
            }
        );
    }
    out.push('\n');

    if report.load.is_some() {
        out.push_str("## Load\n\n");
        for table in [
            Table::scenarios(report),
            Table::endpoints(report),
            Table::status_codes(report),
            Table::errors(report),
        ] {
            if !table.is_empty() {
                out.push_str(&table.to_markdown());
            }
        }
    }

    if report.workflow.is_some() {
        out.push_str("## Workflow\n\n");
        out.push_str(&Table::workflow_steps(report).to_markdown());
    }

    if !report.leftovers.is_empty() {
        out.push_str("## Left behind\n\n| Kind | Id | Where | Why |\n|---|---|---|---|\n");
        for leftover in &report.leftovers {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                leftover.kind.as_str(),
                escape(&leftover.id),
                escape(&leftover.place),
                escape(&leftover.reason)
            );
        }
        out.push('\n');
    }
    if let Some(growth) = &report.storage_growth {
        let _ = writeln!(
            out,
            "The service's storage grew by {} files, {} (it keeps uploaded files after their rows are deleted).\n",
            growth.files_added(),
            MetricUnit::Bytes.format(growth.bytes_added() as f64)
        );
    }

    if let Some(storage) = &report.storage {
        out.push_str("## Storage\n\n");
        out.push_str(&Table::storage(report).to_markdown());
        for backend in storage.backends.iter().filter(|b| b.skipped.is_some()) {
            let _ = writeln!(
                out,
                "\nSkipped `{}`: {}",
                backend.name,
                escape(backend.skipped.as_deref().unwrap_or_default())
            );
        }
        out.push('\n');
    }

    if let Some(sampler) = &report.sampler
        && let Some(process) = &sampler.process
    {
        let _ = writeln!(
            out,
            "## Server resources\n\n{} over {}: CPU mean {:.1}% / max {:.1}% of a core, RSS max {}, fds max {:.0}, threads max {:.0}.\n",
            escape(&sampler.target.description),
            MetricUnit::Duration.format(sampler.duration_us as f64),
            process.cpu_percent.mean,
            process.cpu_percent.max,
            MetricUnit::Bytes.format(process.rss_bytes.max),
            process.fds.max,
            process.threads.max,
        );
    }

    if let Some(comparison) = &report.comparison {
        let _ = writeln!(
            out,
            "## Baseline comparison ({}, {} baseline runs, tolerance {}%)\n",
            comparison.method.as_str(),
            comparison.baseline_runs,
            comparison.tolerance_percent
        );
        out.push_str(&Table::baseline(report).to_markdown());
    }
    out
}

fn verdict_badge(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "PASS",
        Verdict::Warn => "PASS with warnings",
        Verdict::Fail => "FAIL",
    }
}

/// Keeps table cells on one line and pipes from splitting them.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
