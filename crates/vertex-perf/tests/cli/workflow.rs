//! `vertex-perf workflow` against vertex-sim.

use vertex_sim::Faults;

use crate::sim::RunningSim;

use crate::util::{assert_setup_error, json_file, top_level_keys, vertex_perf};

#[test]
fn passes_and_writes_the_old_report() {
    let sim = RunningSim::start(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let run = vertex_perf(&[
        "workflow",
        "--url",
        &sim.url(),
        "--register-admin",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert!(
        run.stdout.contains("cleanup: ") && run.stdout.contains("3 portraits, 3 clients deleted"),
        "{}",
        run.stdout
    );
    let legacy: serde_json::Value = json_file(&dir.path().join("automated_portraits_report.json"));
    let keys = top_level_keys(&legacy);
    assert_eq!(
        keys,
        [
            "timestamp",
            "base_url",
            "test_summary",
            "test_results",
            "workflow"
        ]
    );
    assert_eq!(legacy["test_summary"]["total_tests"], 10);
    assert_eq!(legacy["test_summary"]["successful_tests"], 10);
    let first = legacy["test_results"][0].as_object().unwrap();
    assert_eq!(
        first.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "test_name",
            "success",
            "duration",
            "details",
            "error_message"
        ]
    );
    assert!(dir.path().join("junit.xml").exists());
}

#[test]
fn a_failing_step_exits_one_with_its_reason() {
    let sim = RunningSim::start(Faults {
        error_rate: 1.0,
        route: Some("/portraits/list".to_owned()),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let run = vertex_perf(&[
        "workflow",
        "--url",
        &sim.url(),
        "--register-admin",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    run.assert_exit(1);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("Portrait List"))
        .unwrap();
    assert!(
        line.starts_with("FAIL") && line.contains("returned 500"),
        "{line}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = vertex_perf(&[
        "workflow",
        "--url",
        &format!("http://127.0.0.1:{port}"),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    // The target is down: the workflow could not log in, a setup error.
    run.assert_exit(2);
    assert!(
        run.stdout
            .lines()
            .next()
            .unwrap()
            .contains("connect refused")
            || run.stdout.contains("connect to"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_password_variable_exits_two() {
    let run = vertex_perf(&[
        "workflow",
        "--url",
        "http://127.0.0.1:9",
        "--password-env",
        "VERTEX_PERF_NO_SUCH_PASSWORD",
    ]);
    assert_setup_error(&run, "VERTEX_PERF_NO_SUCH_PASSWORD");
}

#[test]
fn load_runs_the_vertex_scenarios() {
    let sim = RunningSim::start(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let run = vertex_perf(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "--register-admin",
        "--out",
        out,
    ]);
    run.assert_exit(0);
    assert!(run.stdout.contains("100 requests in"), "{}", run.stdout);
    let run = vertex_perf(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "orders",
        "-n",
        "6",
        "-c",
        "2",
        "--out",
        out,
    ]);
    run.assert_exit(0);
    assert!(run.stdout.contains("6 requests in"), "{}", run.stdout);
    assert!(!run.stderr.contains("could not delete"), "{}", run.stderr);
    let run = vertex_perf(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "stress",
        "-d",
        "1s",
        "--out",
        out,
    ]);
    run.assert_exit(0);
    let run = vertex_perf(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "--user",
        "nobody",
        "--out",
        out,
    ]);
    assert_setup_error(&run, "cannot log in");
}
