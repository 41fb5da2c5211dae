//! The exit-code table, per command, and the runs that must not pass: 0 pass, 1 a check
//! failed, 2 setup (target down, wrong password, nothing measured), each with its reason.

use std::net::TcpListener;

use crate::http_server::TestServer;
use crate::sim::RunningSim;
use crate::util::{Run, json_file, vertex_perf, vertex_perf_with_env};

/// A loopback URL nobody listens on.
fn down_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A fresh vertex-sim with the admin registered (password `admin`, the default).
fn sim_with_admin() -> RunningSim {
    let sim = RunningSim::start(vertex_sim::Faults::default());
    let out = tempfile::tempdir().unwrap();
    vertex_perf(&[
        "workflow",
        "--url",
        &sim.url(),
        "--register-admin",
        "--out",
        out.path().to_str().unwrap(),
    ])
    .assert_exit(0);
    sim
}

/// Runs `args` with `--password-env` naming a wrong password.
fn with_wrong_password(args: &[&str]) -> Run {
    let mut args = args.to_vec();
    args.extend(["--password-env", "VERDICT_TEST_PASSWORD"]);
    vertex_perf_with_env(&args, &[("VERDICT_TEST_PASSWORD", "not-the-password")])
}

fn out_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn assert_says(run: &Run, fragment: &str) {
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains(fragment), "`{fragment}` missing from:\n{all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn load_url_exit_codes() {
    let out = out_dir();
    let out = out.path().to_str().unwrap();
    let down = vertex_perf(&["load", "--url", &down_url(), "-n", "5", "--out", out]);
    down.assert_exit(2);
    assert_says(&down, "nothing measured");
    assert_says(&down, "no successful request of 5");

    let server = TestServer::start();
    let ok = vertex_perf(&["load", "--url", &server.url("/"), "-n", "20", "--out", out]);
    ok.assert_exit(0);
    assert_says(&ok, "verdict: pass");
}

#[test]
fn load_scenario_exit_codes() {
    let out = out_dir();
    let out = out.path().to_str().unwrap();
    let down = vertex_perf(&[
        "load",
        "--url",
        &down_url(),
        "--scenario",
        "read-mix",
        "--out",
        out,
    ]);
    down.assert_exit(2);

    let sim = sim_with_admin();
    let wrong = with_wrong_password(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "--out",
        out,
    ]);
    wrong.assert_exit(2);
    assert_says(&wrong, "cannot log in");

    let ok = vertex_perf(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "-n",
        "20",
        "--out",
        out,
    ]);
    ok.assert_exit(0);
}

#[test]
fn workflow_exit_codes() {
    let out = out_dir();
    let out = out.path().to_str().unwrap();
    let down = vertex_perf(&["workflow", "--url", &down_url(), "--out", out]);
    down.assert_exit(2);
    assert_says(&down, "setup failed: the workflow could not log in");

    let sim = sim_with_admin();
    let wrong = with_wrong_password(&["workflow", "--url", &sim.url(), "--out", out]);
    wrong.assert_exit(2);
    assert_says(&wrong, "could not log in");

    vertex_perf(&["workflow", "--url", &sim.url(), "--out", out]).assert_exit(0);
}

#[test]
fn storage_with_every_backend_skipped_is_not_a_pass() {
    let out = out_dir();
    let out = out.path().to_str().unwrap();
    let down = vertex_perf(&[
        "storage",
        "--backend",
        &format!("vertex+{}", down_url()),
        "--sizes",
        "64KiB",
        "--out",
        out,
    ]);
    down.assert_exit(2);
    assert_says(&down, "every backend was skipped");

    let s3_down = vertex_perf(&[
        "storage",
        "--backend",
        &format!("s3://bucket?endpoint={}", down_url()),
        "--sizes",
        "64KiB",
        "--out",
        out,
    ]);
    s3_down.assert_exit(2);
    assert_says(&s3_down, "nothing measured");

    let sim = sim_with_admin();
    let wrong = with_wrong_password(&[
        "storage",
        "--backend",
        &format!("vertex+{}", sim.url()),
        "--sizes",
        "64KiB",
        "--out",
        out,
    ]);
    wrong.assert_exit(2);
    assert_says(&wrong, "cannot log in");
}

#[test]
fn monitor_of_a_missing_process_is_a_setup_error() {
    let out = out_dir();
    let run = vertex_perf(&[
        "monitor",
        "--pid",
        "4000000",
        "--duration",
        "1s",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_exit(2);
}

#[test]
fn html_where_the_contract_answers_json_is_a_failed_request() {
    let server = TestServer::start_html();
    let dir = out_dir();
    let out = dir.path().join("run");
    let run = vertex_perf(&[
        "load",
        "--url",
        &server.url(""),
        "--scenario",
        "read-mix",
        "-n",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(2);
    assert_says(&run, "0.00% ok");
    assert_says(
        &run,
        "expected a `json` content type, got `text/html; charset=utf-8`",
    );
    let suite = json_file(&out.join("suite.json"));
    assert_eq!(suite["outcome"]["status"], "nothing_measured");
    assert_eq!(suite["verdict"], "fail");
    let scenario = &suite["load"]["scenarios"][0];
    assert_eq!(scenario["successful_requests"], 0);
    assert_eq!(scenario["errors"][0]["class"], "check_failed", "{scenario}");
}

#[test]
fn ab_judges_across_rounds_and_names_the_regressed_metric() {
    let a = sim_with_admin();
    let dir = out_dir();
    let out = dir.path().join("same");
    // The latency tolerance is wide open here (timing is not what this test checks);
    // success rates move in points whatever the tolerance.
    let ab = |b: &str, out: &std::path::Path| {
        vertex_perf(&[
            "ab",
            "--a",
            &a.url(),
            "--b",
            b,
            "--rounds",
            "5",
            "-d",
            "300ms",
            "-c",
            "2",
            "--tolerance",
            "1000%",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let same = ab(&a.url(), &out);
    same.assert_exit(0);
    let suite = json_file(&out.join("suite.json"));
    assert_eq!(suite["comparison"]["method"], "interleaved");
    assert_eq!(suite["comparison"]["baseline_runs"], 5);
    assert_eq!(suite["load"]["scenarios"].as_array().unwrap().len(), 10);

    let failing = RunningSim::start(vertex_sim::Faults {
        error_rate: 0.5,
        route: Some("/clients/list".to_owned()),
        ..vertex_sim::Faults::default()
    });
    let register = out_dir();
    vertex_perf(&[
        "workflow",
        "--url",
        &failing.url(),
        "--register-admin",
        "--out",
        register.path().to_str().unwrap(),
    ]);
    let out = dir.path().join("regressed");
    let regressed = ab(&failing.url(), &out);
    regressed.assert_exit(1);
    assert_says(&regressed, "load.success_rate[api_endpoints]");
    assert_says(&regressed, "REGRESSION");

    let down = vertex_perf(&["ab", "--a", &a.url(), "--b", &down_url(), "-d", "100ms"]);
    down.assert_exit(2);
    assert_says(&down, "cannot log in");
}

#[test]
fn a_history_run_says_when_it_has_no_comparable_baseline_and_refuses_an_unlike_one() {
    let sim = sim_with_admin();
    let dir = out_dir();
    let history = dir.path().join("history");
    let history_arg = history.to_str().unwrap().to_owned();
    let url = sim.url();
    let load = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec![
            "load",
            "--url",
            &url,
            "--scenario",
            "read-mix",
            "-n",
            "20",
            "--baseline",
            &history_arg,
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        vertex_perf(&args)
    };
    let first = load("first", &["--record-history", &history_arg]);
    first.assert_exit(0);
    assert_says(&first, "no comparable baseline");
    assert_says(&first, "judged by thresholds alone");
    assert_says(&first, "recorded in the history");

    // Another target name: the history holds only unlike runs.
    let unlike = load("unlike", &["--target-name", "production"]);
    unlike.assert_exit(2);
    assert_says(&unlike, "the baseline is not comparable with this run");
    assert_says(&unlike, "target `");
    let forced = load(
        "forced",
        &["--target-name", "production", "--force-baseline"],
    );
    forced.assert_exit(0);
}

#[test]
fn a_history_written_by_another_version_is_left_out_not_fatal() {
    // A CI cache or a checkout kept across an upgrade holds runs of an older schema: the
    // run says so and is judged by thresholds alone, it does not fail.
    let sim = sim_with_admin();
    let dir = out_dir();
    let history = dir.path().join("history");
    let old = history.join("20250101T000000Z-old");
    std::fs::create_dir_all(&old).unwrap();
    let fixture = std::fs::read_to_string(crate::util::fixture("baseline-suite.json")).unwrap();
    let older = fixture.replacen(
        &format!("\"schema_version\": {}", report_model::SCHEMA_VERSION),
        "\"schema_version\": 2",
        1,
    );
    assert_ne!(older, fixture);
    std::fs::write(old.join("suite.json"), older).unwrap();
    let out = dir.path().join("run");
    let run = vertex_perf(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "-n",
        "20",
        "--baseline",
        history.to_str().unwrap(),
        "--record-history",
        history.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert_says(&run, "of another vertex-perf version left out");
    assert_says(&run, "recorded in the history");
}
