//! `vertex-perf workflow`: the end-to-end portrait workflow; writes
//! `automated_portraits_report.json`, `suite.json`, `junit.xml` and `summary.md`.

use anyhow::Result;
use load_engine::LoadOptions;
use portrait_workflow::{WorkflowConfig, run_workflow};
use report_model::{
    Gate, LoadReport, MetricUnit, RunKind, RunOutcome, SCHEMA_VERSION, SuiteReport,
    workflow::StepStatus,
};

use crate::cli::WorkflowArgs;
use crate::closing::Against;
use crate::output::Output;

/// Runs the workflow; exit 0 when every step passed, 1 when one failed, 2 when it could
/// not log in (target down, wrong password).
pub fn run(args: &WorkflowArgs, output: &mut Output) -> Result<u8> {
    let password = crate::credentials::password(args.account.login.password_env.as_deref())?;
    let mut meta = crate::provenance::run_meta(Some(&args.url));
    let folder = args.out.folder(&meta.run_id);
    let mut config = WorkflowConfig::new(&args.url, &meta.run_id);
    config.username.clone_from(&args.account.login.user);
    config.password = password;
    config.register_admin = args.account.register_admin;
    config.keep_data = args.keep_data;
    config.options = LoadOptions {
        request_timeout: args.timeout,
        ..LoadOptions::default()
    };
    let runtime = crate::runtime::new()?;
    let cancel = config.cancel.clone();
    let outcome = runtime.block_on(crate::interrupt::cancelling_on_signal(
        cancel,
        run_workflow(config),
    ))?;
    meta.finish();

    let mut report = SuiteReport::new(meta);
    if outcome.interrupted {
        report.outcome = RunOutcome::Interrupted;
    }
    report.leftovers = outcome.leftovers;
    report.storage_growth = outcome.storage_growth;
    report.load = Some(LoadReport {
        schema_version: SCHEMA_VERSION,
        scenarios: vec![outcome.http],
    });
    report.workflow = Some(outcome.report);
    crate::closing::close(
        report,
        RunKind::Workflow,
        &Gate::new(RunKind::Workflow),
        Against::Thresholds,
        &folder,
        summary,
        output,
    )
}

/// One line per step, the cleanup, then the closing lines.
fn summary(report: &SuiteReport) -> String {
    let mut lines = Vec::new();
    let Some(workflow) = &report.workflow else {
        return crate::summary::finish(report, lines);
    };
    for step in &workflow.steps {
        let mark = match step.status {
            StepStatus::Passed => "pass",
            StepStatus::Failed => "FAIL",
            StepStatus::Skipped => "skip",
        };
        let reason = step
            .failure
            .as_ref()
            .map_or_else(String::new, |f| format!(" — {}", f.reason));
        lines.push(format!(
            "{mark} {:<24} {:>9}{reason}",
            step.name,
            MetricUnit::Duration.format(step.duration_us as f64)
        ));
    }
    let cleanup = &workflow.cleanup;
    lines.push(format!(
        "cleanup: {} videos, {} portraits, {} clients deleted{}",
        cleanup.deleted_videos,
        cleanup.deleted_portraits,
        cleanup.deleted_clients,
        if cleanup.leftovers.is_empty() {
            String::new()
        } else {
            format!("; left: {}", cleanup.leftovers.join("; "))
        }
    ));
    crate::summary::finish(report, lines)
}
