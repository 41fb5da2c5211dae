//! `--baseline`, `--record-history` and friends, shared by `suite` and `load`: read the
//! history before the run (so a bad path fails fast), compare with its comparable runs once
//! the run knows its identity, and record a passing run.

use anyhow::Result;
use report_model::{Comparison, History, RunOutcome, SuiteReport, history::MIN_HISTORY_RUNS};

use crate::cli::BaselineArgs;
use crate::output::Output;

/// The baseline history, read before the run.
pub struct Baseline<'a> {
    args: &'a BaselineArgs,
    history: Option<History>,
}

impl<'a> Baseline<'a> {
    /// Reads `--baseline` (a missing folder is an empty history; an unreadable report is an
    /// error).
    pub fn read(args: &'a BaselineArgs) -> Result<Baseline<'a>> {
        let history = match &args.path {
            Some(path) => Some(History::read(path)?),
            None => None,
        };
        Ok(Baseline { args, history })
    }

    /// Compares `report` with the history's comparable runs: `None` when there is no
    /// baseline (said on stderr when `say_when_absent`) or too few comparable runs (always
    /// said). A history of only unlike runs is refused unless `--force-baseline`: the run
    /// becomes a setup failure naming the first difference.
    pub fn compare(
        &mut self,
        report: &mut SuiteReport,
        output: &Output,
        say_when_absent: bool,
    ) -> Option<Comparison> {
        let (Some(history), Some(path)) = (self.history.take(), &self.args.path) else {
            if say_when_absent {
                output.note("no baseline given (--baseline): judged by thresholds alone");
            }
            return None;
        };
        let limit = usize::try_from(self.args.history_runs).unwrap_or(usize::MAX);
        if let Some((file, version)) = history.other_versions().first() {
            output.note(&format!(
                "baseline: {} run(s) of another vertex-perf version left out (schema version `{version}` in {}, this build writes `{}`); they age out as new runs are recorded",
                history.other_versions().len(),
                file.display(),
                report_model::SCHEMA_VERSION
            ));
        }
        let found = history.len();
        let history = match (&report.meta.identity, self.args.force_baseline) {
            (Some(identity), false) => {
                let (comparable, unlike) = history.comparable_with(identity);
                if let (true, Some((run_id, difference))) = (comparable.is_empty(), unlike.first())
                {
                    let refusal = format!(
                        "the baseline is not comparable with this run: {found} passing run(s) in {}, none of the same target, workload and machine class (run {run_id}: {difference})",
                        path.display()
                    );
                    output.note(&format!("error: {refusal}"));
                    report.outcome = RunOutcome::SetupFailed {
                        message: format!("{refusal}\n(hint: --force-baseline compares anyway)"),
                    };
                    return None;
                }
                if !unlike.is_empty() {
                    output.note(&format!(
                        "baseline: {} of {found} runs left out as not comparable",
                        unlike.len()
                    ));
                }
                comparable
            }
            _ => history,
        }
        .latest(limit);
        let comparison = history.compare(&report.metrics(), self.args.tolerance);
        if comparison.is_none() {
            output.note(&format!(
                "no comparable baseline in {} ({} passing runs of this target, workload and machine class, {MIN_HISTORY_RUNS} needed): judged by thresholds alone",
                path.display(),
                history.len()
            ));
        }
        comparison
    }

    /// Records a passing, judged `report` in `--record-history` when given.
    pub fn record(&self, report: &SuiteReport, output: &Output) -> Result<()> {
        if let Some(dir) = &self.args.record_history {
            let keep = usize::try_from(self.args.history_runs).unwrap_or(usize::MAX);
            if History::record(dir, report, keep)? {
                output.note(&format!("recorded in the history {}", dir.display()));
            }
        }
        Ok(())
    }
}
