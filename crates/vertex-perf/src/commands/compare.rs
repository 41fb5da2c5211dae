//! `vertex-perf compare BASELINE CURRENT`.

use std::fmt::Write as _;

use anyhow::Result;
use report_model::{Comparison, SuiteReport, compare, compare::Change, render::to_json};

use crate::PerfExitCode;
use crate::cli::{CompareArgs, CompareFormat};
use crate::output::Output;

/// Runs the comparison and prints it; exit 1 when something regressed.
pub fn run(args: &CompareArgs, output: &mut Output) -> Result<u8> {
    let baseline = SuiteReport::read(&args.baseline)?;
    let current = SuiteReport::read(&args.current)?;
    let comparison = compare(&baseline.metrics(), &current.metrics(), args.tolerance);
    let text = match args.format {
        CompareFormat::Json => to_json(&comparison, true)?,
        CompareFormat::Md => table(&comparison, true),
        CompareFormat::Text => table(&comparison, false),
    };
    output.stdout(&text)?;
    if comparison.has_regression() {
        let names: Vec<&str> = comparison
            .regressions()
            .map(|d| d.metric.as_str())
            .collect();
        output.note(&format!(
            "regression beyond {}%: {}",
            comparison.tolerance_percent,
            names.join(", ")
        ));
        Ok(PerfExitCode::THRESHOLD_FAILED)
    } else {
        Ok(PerfExitCode::OK)
    }
}

fn table(comparison: &Comparison, markdown: bool) -> String {
    let header = ["metric", "baseline", "current", "change", "p", "verdict"];
    let mut rows: Vec<[String; 6]> = Vec::new();
    for delta in &comparison.metrics {
        let [baseline, current, change, p] = delta.display_cells();
        let verdict = match (delta.regression, delta.gated, delta.change) {
            (true, _, _) => "REGRESSION".to_owned(),
            (false, false, Change::Worse) => "worse (not gated)".to_owned(),
            (false, _, change) => format!("{change:?}").to_lowercase(),
        };
        rows.push([delta.metric.clone(), baseline, current, change, p, verdict]);
    }
    let mut out = String::new();
    if markdown {
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---|");
        for row in &rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
    } else {
        let mut widths = header.map(str::len);
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            padded.join("  ").trim_end().to_owned()
        };
        let _ = writeln!(out, "{}", line(&header.map(str::to_owned)));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row));
        }
    }
    if !comparison.missing_in_current.is_empty() {
        let _ = writeln!(
            out,
            "\nmissing in current run: {}",
            comparison.missing_in_current.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\n{} metrics compared, {} regressed (tolerance {}%)",
        comparison.metrics.len(),
        comparison.regressions().count(),
        comparison.tolerance_percent
    );
    out
}
