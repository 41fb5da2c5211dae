//! `vertex-perf ab`: the same read scenario against two targets (a baseline build A and a
//! candidate B) in alternating rounds within one run — A B, B A, A B, … so drift of a shared
//! machine falls on both sides — judged across rounds (`report_model::compare::compare_rounds`).
//! Writes `suite.json` (every round of both sides), `junit.xml` and `summary.md`.

use std::time::Duration;

use anyhow::Result;
use load_engine::{Bound, Executor, LoadOptions};
use portrait_workflow::scenarios;
use report_model::{
    LoadReport, MetricSet, RunIdentity, RunKind, RunOutcome, SCHEMA_VERSION, ScenarioReport,
    SuiteReport, compare::compare_rounds, target_name_of_url,
};

use crate::cli::{AbArgs, AbScenario};
use crate::closing::Against;
use crate::commands::load::log_in;
use crate::output::Output;
use crate::progress::follow_load;

/// Runs the rounds; exit 0 (B is not worse), 1 (a gated metric of B regressed against A),
/// 2 (a target is down or refused the login, or a round measured nothing) or 130.
pub fn run(args: &AbArgs, output: &mut Output) -> Result<u8> {
    let password = crate::credentials::password(args.login.password_env.as_deref())?;
    let options = LoadOptions {
        request_timeout: args.timeout,
        ..LoadOptions::default()
    };
    let runtime = crate::runtime::new()?;
    let targets = runtime.block_on(async {
        let mut targets = Vec::new();
        for url in [&args.a, &args.b] {
            targets.push(log_in(url, &args.login.user, &password, false, &options).await?);
        }
        anyhow::Ok(targets)
    })?;
    let mut meta = crate::provenance::run_meta(Some(&args.b));
    let executor = Executor::Closed {
        users: args.concurrency,
        bound: Bound::Duration(args.duration),
        think_time: Duration::ZERO,
    };
    meta.identity = Some(RunIdentity::new(
        &format!(
            "{} vs {}",
            target_name_of_url(&args.a),
            target_name_of_url(&args.b)
        ),
        &format!(
            "ab {} {} rounds of {}",
            args.scenario.name(),
            args.rounds,
            humantime::format_duration(args.duration)
        ),
        &meta.host,
    ));
    let folder = args.out.folder(&meta.run_id);

    let mut rounds: [Vec<ScenarioReport>; 2] = [Vec::new(), Vec::new()];
    let mut interrupted = false;
    'rounds: for round in 0..args.rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let target = &targets[side];
            let scenario = match args.scenario {
                AbScenario::ReadMix => scenarios::read_mix(target),
                AbScenario::Stress => scenarios::stress(target),
            };
            let label = format!("round {} {}", round + 1, side_name(side));
            let (report, cancelled) =
                runtime.block_on(follow_load(Some(&label), None, |control| {
                    load_engine::run(&scenario, &executor, &options, control)
                }));
            rounds[side].push(report?);
            if cancelled {
                interrupted = true;
                break 'rounds;
            }
        }
    }
    meta.finish();

    let metrics = |side: &[ScenarioReport]| -> Vec<MetricSet> {
        side.iter().map(ScenarioReport::metrics).collect()
    };
    let comparison = compare_rounds(&metrics(&rounds[0]), &metrics(&rounds[1]), args.tolerance);
    let mut report = SuiteReport::new(meta);
    if interrupted {
        report.outcome = RunOutcome::Interrupted;
    }
    let [a_rounds, b_rounds] = rounds;
    let named = |side: usize, runs: Vec<ScenarioReport>| {
        runs.into_iter()
            .enumerate()
            .map(move |(index, mut scenario)| {
                scenario.name = format!("{}:{}#{}", side_name(side), scenario.name, index + 1);
                scenario
            })
    };
    report.load = Some(LoadReport {
        schema_version: SCHEMA_VERSION,
        scenarios: named(0, a_rounds).chain(named(1, b_rounds)).collect(),
    });
    crate::closing::close(
        report,
        RunKind::Ab,
        &args.thresholds.gate(RunKind::Ab),
        Against::Comparison(comparison),
        &folder,
        summary,
        output,
    )
}

fn side_name(side: usize) -> &'static str {
    if side == 0 { "a" } else { "b" }
}

fn summary(report: &SuiteReport) -> String {
    let mut lines = Vec::new();
    if let Some(comparison) = &report.comparison {
        for delta in comparison.metrics.iter().filter(|d| d.gated) {
            let [a, b, change, p] = delta.display_cells();
            lines.push(format!(
                "{:<32} a {a:>10}  b {b:>10}  {change:>8}  p {p}{}",
                delta.metric,
                if delta.regression { "  REGRESSION" } else { "" }
            ));
        }
    }
    crate::summary::finish(report, lines)
}
