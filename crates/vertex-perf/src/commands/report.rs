//! `vertex-perf report RUN.json --format ...`.

use anyhow::Result;
use report_model::{SuiteReport, render, write_atomic};

use crate::PerfExitCode;
use crate::cli::ReportArgs;
use crate::output::Output;

/// Re-renders a saved report to standard output or, atomically, to a file.
pub fn run(args: &ReportArgs, output: &mut Output) -> Result<u8> {
    let report = SuiteReport::read(&args.run)?;
    let text = render(&report, args.format.into())?;
    match &args.output {
        Some(path) => write_atomic(path, text.as_bytes())?,
        None => output.stdout(&text)?,
    }
    Ok(PerfExitCode::OK)
}
