//! The process exit codes of `vertex-perf`, in one documented place. CI decides pass or fail
//! from these alone.

/// Exit codes (an uninhabited type holding constants, as nextest does).
pub enum PerfExitCode {}

impl PerfExitCode {
    /// Everything passed (warnings allowed).
    pub const OK: u8 = 0;
    /// A threshold failed, a regression was found, or a check failed.
    pub const THRESHOLD_FAILED: u8 = 1;
    /// Usage or setup error: bad arguments or config, unreadable input, unreachable target,
    /// refused credentials, a baseline of another target or workload, nothing measurable,
    /// unwritable output.
    pub const SETUP_ERROR: u8 = 2;
    /// Interrupted by Ctrl-C (reports are still written).
    pub const INTERRUPTED: u8 = 130;
}

impl PerfExitCode {
    /// The code of a finished run: its outcome first (interrupted, setup failed), then its
    /// verdict (a warning still passes).
    pub fn for_report(report: &report_model::SuiteReport) -> u8 {
        use report_model::{RunOutcome, Verdict};
        match report.outcome {
            RunOutcome::Interrupted => PerfExitCode::INTERRUPTED,
            RunOutcome::SetupFailed { .. } | RunOutcome::NothingMeasured { .. } => {
                PerfExitCode::SETUP_ERROR
            }
            RunOutcome::Completed if report.verdict == Verdict::Fail => {
                PerfExitCode::THRESHOLD_FAILED
            }
            RunOutcome::Completed => PerfExitCode::OK,
        }
    }
}
