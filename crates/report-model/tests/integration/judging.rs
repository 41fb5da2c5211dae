//! The one judging path: gaps, runs that measured nothing, identities and the history
//! baseline, on the sample report.

use report_model::{
    Gate, History, RunIdentity, RunKind, RunOutcome, SuiteReport, Verdict,
    compare::ComparisonMethod, compare::Tolerance, compare::compare_rounds, workflow::StepStatus,
};

use crate::sample::sample_suite;

fn identity(target: &str) -> RunIdentity {
    RunIdentity::new(target, "suite quick {}", &sample_suite(1.0).meta.host)
}

#[test]
fn the_sample_passes_the_suite_gate() {
    let mut report = sample_suite(1.0);
    report.judge(&Gate::new(RunKind::Suite).expecting_sampler(true), None);
    assert!(report.gaps.is_empty(), "{:?}", report.gaps);
    assert_eq!(report.outcome, RunOutcome::Completed);
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn thresholds_judge_one_endpoint_which_renderings_leave_out() {
    let mut report = sample_suite(1.0);
    let name = "http.p95[read_mix/GET /clients/list]";
    assert!(
        report.metrics().get(name).is_none(),
        "not a rendered metric"
    );
    let p95 = report
        .metrics_for_thresholds()
        .get(name)
        .expect("the endpoint's p95")
        .value;
    assert!(p95 > 0.0);
    let expression = format!("{name} < {}us", p95 as u64 - 1);
    let mut gate = Gate::new(RunKind::Suite).expecting_sampler(true);
    gate.thresholds = vec![expression.parse().unwrap()];
    report.judge(&gate, None);
    assert_eq!(
        report.thresholds[0].verdict,
        Some(Verdict::Fail),
        "{:?}",
        report.thresholds
    );
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn throughput_counts_successes_and_storage_is_per_backend() {
    let metrics = sample_suite(1.0).metrics();
    let value = |name: &str| metrics.get(name).unwrap_or_else(|| panic!("{name}")).value;
    // 1010 requests over 10 s, 1000 of them successful.
    assert!((value("load.rps[read_mix]") - 100.0).abs() < 1e-9);
    assert!((value("load.total_rps[read_mix]") - 101.0).abs() < 1e-9);
    assert!((value("storage.upload_mibps[local]") - 900.0).abs() < 1e-9);
    assert!((value("storage.upload_mibps[s3]") - 110.0).abs() < 1e-9);
    assert!(
        metrics.get("storage.upload_mibps").is_none(),
        "no median over backends that would hide the service"
    );
}

#[test]
fn a_scenario_without_one_success_is_a_gap_and_fails() {
    let mut report = sample_suite(1.0);
    let scenario = &mut report.load.as_mut().unwrap().scenarios[0];
    scenario.successful_requests = 0;
    scenario.failed_requests = scenario.total_requests;
    scenario.name = "db_reads".to_owned();
    scenario.response_time.summary.count = 0;
    scenario.ttfb.summary.count = 0;
    report.judge(&Gate::new(RunKind::Suite), None);
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(
        report.outcome,
        RunOutcome::Completed,
        "other parts measured"
    );
    assert!(
        report.gaps[0].starts_with("`db_reads`: no successful request of 1010"),
        "{:?}",
        report.gaps
    );
    let metrics = report.metrics();
    assert!(
        metrics.get("db.read_p95").is_none(),
        "no 0 µs p95 of nothing"
    );
    assert!(metrics.get("http.ttfb_p95[db_reads]").is_none());
}

#[test]
fn a_load_run_without_a_success_measured_nothing() {
    let mut report = sample_suite(1.0);
    report.sampler = None;
    report.storage = None;
    report.workflow = None;
    report.memory = None;
    for scenario in &mut report.load.as_mut().unwrap().scenarios {
        scenario.successful_requests = 0;
    }
    report.judge(&Gate::new(RunKind::Load), None);
    assert!(
        matches!(&report.outcome, RunOutcome::NothingMeasured { message } if message.contains("no successful request")),
        "{:?}",
        report.outcome
    );
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn every_backend_skipped_measured_nothing() {
    let mut report = sample_suite(1.0);
    report.sampler = None;
    report.load = None;
    report.workflow = None;
    report.memory = None;
    let storage = report.storage.as_mut().unwrap();
    storage.results.clear();
    for backend in &mut storage.backends {
        backend.skipped = Some("wrong password".to_owned());
    }
    report.judge(&Gate::new(RunKind::Storage), None);
    let RunOutcome::NothingMeasured { message } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(message.contains("every backend was skipped"), "{message}");
    assert!(message.contains("local: wrong password"), "{message}");
}

#[test]
fn an_expected_sampler_without_samples_is_a_gap() {
    let mut report = sample_suite(1.0);
    report.sampler = None;
    report.judge(&Gate::new(RunKind::Suite).expecting_sampler(true), None);
    assert!(report.gaps.iter().any(|g| g.starts_with("server sampler")));
    assert_eq!(report.verdict, Verdict::Fail);
    // Not asked for: no gap.
    report.judge(&Gate::new(RunKind::Suite), None);
    assert!(report.gaps.is_empty(), "{:?}", report.gaps);
}

#[test]
fn every_threshold_skipped_is_a_gap() {
    let mut report = sample_suite(1.0);
    let gate = Gate::new(RunKind::Suite).with_thresholds(&["db.read_p95 < 100ms".parse().unwrap()]);
    report.judge(&gate, None);
    assert!(
        report
            .gaps
            .iter()
            .any(|g| g.starts_with("every threshold was skipped")),
        "{:?}",
        report.gaps
    );
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn a_workflow_that_could_not_log_in_is_a_setup_failure() {
    let mut report = sample_suite(1.0);
    let step = &mut report.workflow.as_mut().unwrap().steps[0];
    step.status = StepStatus::Failed;
    step.failure = Some(report_model::workflow::StepFailure {
        reason: "HTTP 401 from POST /auth/login".to_owned(),
        http_status: Some(401),
        detail: None,
        expected: None,
        found: None,
    });
    report.judge(&Gate::new(RunKind::Workflow), None);
    assert!(
        matches!(&report.outcome, RunOutcome::SetupFailed { message } if message.contains("401")),
        "{:?}",
        report.outcome
    );
}

#[test]
fn an_inconclusive_leak_check_does_not_judge() {
    let mut report = sample_suite(1.0);
    let leak = report.sampler.as_mut().unwrap().leak.as_mut().unwrap();
    leak.verdict = Verdict::Fail;
    leak.inconclusive = Some("the workload changed".to_owned());
    report.judge(&Gate::new(RunKind::Suite), None);
    assert_eq!(report.verdict, Verdict::Pass);
}

fn history_of(scales: &[f64]) -> History {
    History::new(
        scales
            .iter()
            .map(|&scale| {
                let mut run = sample_suite(scale);
                run.meta.identity = Some(identity("vertex-sim (embedded)"));
                run
            })
            .collect(),
    )
}

#[test]
fn the_history_passes_the_same_build_and_names_a_regression() {
    let history = history_of(&[1.0, 1.03, 0.98, 1.01, 0.99]);
    let same = history
        .compare(&sample_suite(1.02).metrics(), Tolerance::default())
        .unwrap();
    assert_eq!(same.method, ComparisonMethod::History);
    assert_eq!(same.baseline_runs, 5);
    assert!(
        !same.has_regression(),
        "{:?}",
        same.regressions().collect::<Vec<_>>()
    );

    let slower = history
        .compare(&sample_suite(1.3).metrics(), Tolerance::default())
        .unwrap();
    let regressed: Vec<&str> = slower.regressions().map(|d| d.metric.as_str()).collect();
    assert!(regressed.contains(&"http.p95[read_mix]"), "{regressed:?}");
    assert!(
        regressed.iter().all(|m| report_model::gate::is_gated(m)),
        "only gated metrics fail: {regressed:?}"
    );
    let mut report: SuiteReport = sample_suite(1.3);
    report.judge(&Gate::new(RunKind::Suite), Some(slower));
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn the_history_keeps_only_comparable_passing_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (index, scale) in [(0i64, 1.0), (1, 1.01), (2, 0.99)] {
        let mut run = sample_suite(scale);
        run.meta.run_id = format!("run-{index}");
        run.meta.started_at += chrono::Duration::seconds(index);
        run.meta.identity = Some(identity("vertex-sim (embedded)"));
        assert!(History::record(dir.path(), &run, 2).unwrap());
    }
    let mut failed = sample_suite(1.0);
    failed.meta.run_id = "failed".to_owned();
    failed.verdict = Verdict::Fail;
    assert!(
        !History::record(dir.path(), &failed, 2).unwrap(),
        "a failing run is never recorded"
    );

    let history = History::read(dir.path()).unwrap();
    let ids: Vec<&str> = history
        .runs()
        .iter()
        .map(|r| r.meta.run_id.as_str())
        .collect();
    assert_eq!(ids, ["run-1", "run-2"], "pruned to the newest two");

    let (comparable, unlike) = history.comparable_with(&identity("127.0.0.1:8000"));
    assert!(comparable.is_empty());
    assert_eq!(unlike.len(), 2);
    assert!(
        unlike[0].1.starts_with("target `vertex-sim (embedded)`"),
        "{unlike:?}"
    );

    assert!(
        History::read(&dir.path().join("missing"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn interleaved_rounds_detect_a_shift_and_pass_the_same_target() {
    let rounds =
        |scales: &[f64]| -> Vec<_> { scales.iter().map(|&s| sample_suite(s).metrics()).collect() };
    let a = rounds(&[1.0, 1.02, 0.99, 1.01, 0.98]);
    let b_same = rounds(&[1.01, 0.99, 1.0, 1.02, 0.97]);
    assert!(!compare_rounds(&a, &b_same, Tolerance::default()).has_regression());
    let b_slow = rounds(&[1.3, 1.31, 1.29, 1.32, 1.28]);
    let comparison = compare_rounds(&a, &b_slow, Tolerance::default());
    assert!(
        comparison
            .regressions()
            .any(|d| d.metric == "http.p95[read_mix]"),
        "{comparison:?}"
    );
}
