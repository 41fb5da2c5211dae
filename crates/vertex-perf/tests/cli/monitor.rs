//! `vertex-perf monitor` against a real process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{assert_setup_error, json_file, top_level_keys, vertex_perf};

/// A `sleep` process killed when dropped.
struct Sleeper(Child);

impl Sleeper {
    fn start() -> Sleeper {
        Sleeper(Command::new("sleep").arg("30").spawn().expect("sleep runs"))
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn writes_the_old_and_the_new_report() {
    let sleeper = Sleeper::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let pid = sleeper.0.id().to_string();
    let run = vertex_perf(&[
        "monitor",
        "--pid",
        &pid,
        "--interval",
        "50ms",
        "--duration",
        "1s",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert!(run.stdout.contains(&format!("pid {pid}")), "{}", run.stdout);

    let legacy: serde_json::Value = json_file(&out.join("performance_report.json"));
    let keys = top_level_keys(&legacy);
    assert_eq!(
        keys,
        ["timestamp", "system_info", "test_results", "sampler"]
    );
    let summary = &legacy["test_results"]["monitor"]["performance"];
    for field in [
        "duration_seconds",
        "cpu",
        "memory",
        "disk_io",
        "network",
        "resources",
    ] {
        assert!(!summary[field].is_null(), "{field} missing: {summary}");
    }
    assert!(summary["memory"]["max_mb"].as_f64().unwrap() > 0.0);
    assert!(legacy["system_info"]["cpu_count"].as_u64().unwrap() >= 1);
    assert_eq!(
        legacy["sampler"]["target"]["pid"]
            .as_u64()
            .unwrap()
            .to_string(),
        pid
    );

    let suite = report_model::SuiteReport::read(&out.join("suite.json")).unwrap();
    assert!(suite.sampler.unwrap().n_samples >= 10);
    assert!(out.join("summary.md").exists());
}

#[test]
fn ctrl_c_stops_early_writes_and_exits_130() {
    let sleeper = Sleeper::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let monitor = Command::new(env!("CARGO_BIN_EXE_vertex-perf"))
        .args([
            "monitor",
            "--pid",
            &sleeper.0.id().to_string(),
            "--interval",
            "50ms",
            "--duration",
            "60s",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the sampler runs (the run folder exists once setup is done), then interrupt.
    let started = Instant::now();
    while !out.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &monitor.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = monitor.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "stopped long before the 60 s duration"
    );
    let suite = report_model::SuiteReport::read(&out.join("suite.json")).unwrap();
    assert_eq!(suite.outcome, report_model::RunOutcome::Interrupted);
    assert!(out.join("performance_report.json").exists());
}

#[test]
fn missing_targets_exit_two() {
    assert_setup_error(
        &vertex_perf(&["monitor", "--pid", "99999999", "--duration", "1s"]),
        "no process with pid `99999999`",
    );
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    assert_setup_error(
        &vertex_perf(&["monitor", "--port", &free_port, "--duration", "1s"]),
        "nothing listens on tcp port",
    );
    assert_setup_error(
        &vertex_perf(&[
            "monitor",
            "--name",
            "no-such-process-xyz",
            "--duration",
            "1s",
        ]),
        "no process named",
    );
    let run = vertex_perf(&["monitor", "--duration", "1s"]);
    assert_eq!(run.code, 2, "a target is required");
    let run = vertex_perf(&["monitor", "--pid", "1", "--interval", "soon"]);
    assert_eq!(run.code, 2);
}
