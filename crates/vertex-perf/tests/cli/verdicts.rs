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
