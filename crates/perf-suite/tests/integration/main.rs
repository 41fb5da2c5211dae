//! The quick suite through the library API alone, against vertex-sim in this process: every
//! phase runs and fills its section, what the run created is gone afterwards, cancelling
//! stops it with the cleanup done, and a target that is down is a setup failure saying so.

use std::sync::Mutex;

use perf_suite::{
    CancellationToken, Phase, ProcessTarget, Profile, RunMeta, Suite, SuiteConfig, SuiteEvent,
};
use report_model::{RunOutcome, SuiteReport, Verdict};
use vertex_sim::{Sim, SimConfig, SimHandle};

const PASSWORD: &str = "perf-suite-test-secret";

/// The quick profile at test sizes: every phase runs, the whole suite takes seconds. The
/// thresholds judge what this test controls (the server sampled here is the test process
/// itself, which also runs the load, so its CPU is not the service's).
const CONFIG: &str = r#"
thresholds = [
    "load.success_rate > 99%",
    "storage.integrity_failures < 1",
    "workflow.failed_steps < 1",
]

[profiles.quick]
sample_interval_ms = 100
large_upload_image_mib = 1
large_upload_video_mib = 1
concurrent_uploads = 3
db_reads = 30
orders = 3
read_mix_requests = 30
stress_seconds = 1
storage_sizes = "256KiB"
memory_cycles = 4
memory_requests_per_cycle = 20
memory_orders_per_cycle = 1
"#;

async fn start_sim(dir: &std::path::Path) -> SimHandle {
    let mut config = SimConfig::new(dir.join("data"));
    config.admin = Some(("admin".to_owned(), PASSWORD.to_owned()));
    Sim::start(config).await.unwrap()
}

fn config_for(url: &str) -> SuiteConfig {
    let mut config = SuiteConfig::built_in(Profile::Quick);
    config.apply(CONFIG, Profile::Quick).unwrap();
    url.clone_into(&mut config.target.url);
    config
}

fn meta(url: &str) -> RunMeta {
    RunMeta::start("test", perf_sampler::host_info(), Some(url))
}

/// Runs `suite`, collecting its events.
async fn run(
    suite: &Suite,
    url: &str,
    cancel: CancellationToken,
) -> (SuiteReport, Vec<SuiteEvent>) {
    let events = Mutex::new(Vec::new());
    let report = suite
        .run(meta(url), cancel, &|event| {
            events.lock().unwrap().push(event);
        })
        .await;
    (report, events.into_inner().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_suite_runs_every_phase_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(dir.path()).await;
    let url = sim.base_url().to_owned();
    let suite =
        Suite::new(config_for(&url), PASSWORD).watch_server(ProcessTarget::Pid(std::process::id()));
    let (mut report, events) = run(&suite, &url, CancellationToken::new()).await;

    assert_eq!(
        report.outcome,
        RunOutcome::Completed,
        "{:?}",
        report.outcome
    );
    let started: Vec<Phase> = events
        .iter()
        .filter_map(|e| match e {
            SuiteEvent::PhaseStarted(phase) => Some(*phase),
            _ => None,
        })
        .collect();
    assert_eq!(started, Phase::ALL);
    // The watched server's readings go out as the run goes (a live metrics endpoint shows
    // them): this process's own, so its CPU time only grows.
    let cpu_seconds: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            SuiteEvent::ProcessSample {
                role: "server",
                sample,
            } => Some(sample.cpu_seconds_total),
            _ => None,
        })
        .collect();
    assert!(
        cpu_seconds.len() >= 2,
        "{} server samples",
        cpu_seconds.len()
    );
    assert!(
        cpu_seconds.windows(2).all(|w| w[0] <= w[1]),
        "{cpu_seconds:?}"
    );
    assert!(cpu_seconds.last().unwrap() > &0.0);

    let scenarios: Vec<&str> = report
        .load
        .as_ref()
        .unwrap()
        .scenarios
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    for name in [
        "large_upload",
        "concurrent_uploads",
        report_model::metrics::DB_READS_SCENARIO,
        "concurrent_orders",
        "api_endpoints",
        "stress_load",
    ] {
        assert!(
            scenarios.contains(&name),
            "{name} missing from {scenarios:?}"
        );
    }
    let workflow = report.workflow.as_ref().unwrap();
    assert!(workflow.passed(), "{workflow:?}");

    let storage = report.storage.as_ref().unwrap();
    let backends: Vec<&str> = storage
        .backends
        .iter()
        .filter(|b| b.skipped.is_none())
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(
        backends.len(),
        3,
        "local, embedded S3, service: {backends:?}"
    );
    assert!(
        storage
            .results
            .iter()
            .all(|r| r.integrity.mismatches.is_empty())
    );
    assert!(storage.results.iter().any(|r| r.integrity.verified > 0));

    let memory = report.memory.as_ref().unwrap();
    assert_eq!(memory.cycles.len(), 4, "the counted cycles");
    assert!(memory.leak.is_some(), "a leak verdict from the cycles");
    let labels: Vec<&str> = memory.snapshots.iter().map(|s| s.label.as_str()).collect();
    for label in ["suite_start", "before_comprehensive", "before_memory"] {
        assert!(labels.contains(&label), "{label} missing from {labels:?}");
    }
    assert!(report.sampler.is_some(), "the watched process was sampled");
    assert!(report.leftovers.is_empty(), "{:?}", report.leftovers);

    report.judge(&suite.gate().unwrap(), None);
    assert_eq!(
        report.thresholds.len(),
        3,
        "every threshold evaluated: {:?}",
        report.thresholds
    );
    for threshold in &report.thresholds {
        assert_eq!(threshold.verdict, Some(Verdict::Pass), "{threshold:?}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_suite_is_interrupted_and_runs_no_phase() {
    let dir = tempfile::tempdir().unwrap();
    let sim = start_sim(dir.path()).await;
    let url = sim.base_url().to_owned();
    let suite = Suite::new(config_for(&url), PASSWORD).only(&[Phase::Load]);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (report, events) = run(&suite, &url, cancel).await;
    assert_eq!(report.outcome, RunOutcome::Interrupted);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SuiteEvent::PhaseStarted(_))),
        "{events:?}"
    );
    assert!(report.leftovers.is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_is_down_is_a_setup_failure_with_a_hint() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let suite = Suite::new(config_for(&url), PASSWORD);
    let (report, _) = run(&suite, &url, CancellationToken::new()).await;
    let RunOutcome::SetupFailed { message } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(
        message.starts_with("the target is not healthy: "),
        "{message}"
    );
    assert!(
        message.contains("(hint: is the service running at"),
        "{message}"
    );
    assert!(report.load.is_none() && report.workflow.is_none());
}
