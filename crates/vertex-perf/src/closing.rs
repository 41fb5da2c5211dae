//! How every command closes its run, the same way: compare with what it is judged against,
//! judge by its gate, print its summary, write its files (the list per [`RunKind`] in
//! [`crate::run_folder::files_of`]), record a passing run in the history when asked, and
//! map the verdict to the exit code.

use anyhow::Result;
use report_model::{Comparison, Gate, RunKind, SuiteReport};

use crate::PerfExitCode;
use crate::baseline::Baseline;
use crate::output::Output;
use crate::run_folder::{RunFolder, files_of};

/// What a run is compared with before it is judged.
pub enum Against<'a> {
    /// Its thresholds alone.
    Thresholds,
    /// The `--baseline` history; a passing run is then recorded with `--record-history`.
    History(Baseline<'a>),
    /// A comparison the command made itself (`ab`'s interleaved rounds).
    Comparison(Comparison),
}

/// Judges `report` as a `kind` run and writes everything; returns the exit code.
pub fn close(
    mut report: SuiteReport,
    kind: RunKind,
    gate: &Gate,
    against: Against<'_>,
    folder: &RunFolder,
    summary: impl FnOnce(&SuiteReport) -> String,
    output: &mut Output,
) -> Result<u8> {
    let (comparison, history) = match against {
        Against::Thresholds => (None, None),
        Against::Comparison(comparison) => (Some(comparison), None),
        Against::History(mut baseline) => {
            // The suite is the run a baseline is meant for: its absence is worth a word.
            let comparison = baseline.compare(&mut report, output, kind == RunKind::Suite);
            (comparison, Some(baseline))
        }
    };
    report.judge(gate, comparison);
    output.stdout(&summary(&report))?;
    folder.write_reports(&report, files_of(kind))?;
    if let Some(history) = history {
        history.record(&report, output)?;
    }
    output.note(&format!("reports written to {}", folder.path().display()));
    Ok(PerfExitCode::for_report(&report))
}
