//! The fault matrix: one test per row, each against vertex-sim's knobs (or a real S3), each
//! asserting the exit code, that every report file parses, that the leftovers list names
//! exactly what the server still holds (its database, read directly), and that nothing is
//! left where cleanup was possible. Every child run is bounded: a hang fails the test
//! instead of stalling CI.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use vertex_sim::Faults;

use crate::sim::RunningSim;
use crate::util::Run;

/// The longest any child run may take before the test calls it a hang.
const HANG: Duration = Duration::from_mins(4);

/// A `vertex-perf` child whose stderr is collected as it runs.
struct Child {
    process: std::process::Child,
    stderr: Arc<Mutex<String>>,
    stdout: std::thread::JoinHandle<String>,
    reader: std::thread::JoinHandle<()>,
}

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vertex-perf"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("CI")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = Arc::new(Mutex::new(String::new()));
    let pipe = child.stderr.take().unwrap();
    let sink = Arc::clone(&stderr);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    let mut out = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut text);
        text
    });
    Child {
        process: child,
        stderr,
        stdout,
        reader,
    }
}

impl Child {
    /// Waits until stderr contains `needle` (or the run ended, or [`HANG`] passed).
    fn wait_for(&mut self, needle: &str) -> bool {
        let deadline = Instant::now() + HANG;
        while Instant::now() < deadline {
            if self.stderr.lock().unwrap().contains(needle) {
                return true;
            }
            if self.process.try_wait().unwrap().is_some() {
                return self.stderr.lock().unwrap().contains(needle);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends SIGINT, as Ctrl-C does.
    fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.process.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit (bounded by [`HANG`]).
    fn finish(mut self) -> Run {
        let deadline = Instant::now() + HANG;
        let status = loop {
            if let Some(status) = self.process.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.process.kill();
                panic!(
                    "vertex-perf hung; stderr so far:\n{}",
                    self.stderr.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.reader.join().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.stdout.join().unwrap(),
            stderr: self.stderr.lock().unwrap().clone(),
        }
    }
}

fn run(args: &[&str]) -> Run {
    spawn(args, &[]).finish()
}

/// Parses every file of a run folder with its format's reader and returns `suite.json`
/// (`None` when the run wrote no folder).
fn reports(dir: &Path) -> Option<Value> {
    if !dir.exists() {
        return None;
    }
    let mut suite = None;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "a temporary file was left: {name}");
        let text = std::fs::read_to_string(&path).unwrap();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if extension == "json" {
            let value: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
            if name == "suite.json" {
                suite = Some(value);
            }
        } else if extension == "xml" {
            let mut reader = quick_xml::Reader::from_str(&text);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(error) => panic!("{name} does not parse: {error}"),
                }
            }
            if name == "junit.xml" {
                assert_valid_junit(&path);
            }
        } else {
            assert!(!text.is_empty(), "{name} is empty");
        }
    }
    let suite = suite.expect("every run folder holds suite.json");
    report_model::SuiteReport::read(&dir.join("suite.json"))
        .unwrap_or_else(|e| panic!("suite.json does not read back: {e}"));
    let errors: Vec<String> = SCHEMA.iter_errors(&suite).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "suite.json against docs/schema: {errors:?}"
    );
    Some(suite)
}

/// The committed JSON Schema of `suite.json`: every run of the matrix must satisfy it.
static SCHEMA: std::sync::LazyLock<jsonschema::Validator> = std::sync::LazyLock::new(|| {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/schema/suite.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
});

/// Checks a `junit.xml` against the committed Jenkins `junit-10.xsd` with xmllint, when
/// `.ci/run` (or the developer) names it in `VERTEX_PERF_XMLLINT`.
fn assert_valid_junit(path: &std::path::Path) {
    let Ok(xmllint) = std::env::var("VERTEX_PERF_XMLLINT") else {
        return;
    };
    let schema =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/junit-10.xsd");
    let output = std::process::Command::new(xmllint)
        .arg("--noout")
        .arg("--schema")
        .arg(schema)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} against junit-10.xsd: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The client, portrait and video rows `suite.json` says were left behind.
fn reported_rows(suite: &Value) -> BTreeSet<(String, String)> {
    suite["leftovers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| ["client", "portrait", "video"].contains(&l["kind"].as_str().unwrap()))
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The leftovers name exactly what the server holds.
fn assert_leftovers_match(suite: &Value, sim: &RunningSim) {
    assert_eq!(
        reported_rows(suite),
        sim.rows(),
        "suite.json's leftovers against the server's database"
    );
}

fn out_dir() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run").to_str().unwrap().to_owned();
    (dir, out)
}

fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn target_down_at_start() {
    let url = closed_port_url();
    let commands: [&[&str]; 3] = [
        &["workflow", "--url", &url],
        &["load", "--url", &url, "--scenario", "read-mix", "-n", "5"],
        &["suite", "--target", &url, "--quick"],
    ];
    for args in commands {
        let (_dir, out) = out_dir();
        let mut args = args.to_vec();
        args.extend(["--out", &out]);
        let result = run(&args);
        assert_eq!(result.code, 2, "{args:?}: {}", result.stderr);
        assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
        if let Some(suite) = reports(Path::new(&out)) {
            assert_ne!(suite["verdict"], "pass");
        }
    }
}

#[test]
fn killed_mid_run() {
    let mut sim = RunningSim::with_admin(|_| {});
    let (_dir, out) = out_dir();
    let url = sim.url();
    let child = spawn(
        &[
            "load",
            "--url",
            &url,
            "--scenario",
            "orders",
            "-n",
            "400",
            "-c",
            "2",
            "--out",
            &out,
        ],
        &[],
    );
    let deadline = Instant::now() + HANG;
    while sim.rows().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    sim.shut_down();
    let result = child.finish();
    assert!([1, 2].contains(&result.code), "{}", result.stderr);
    assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
    let suite = reports(Path::new(&out)).expect("reports of what was done");
    assert!(!sim.rows().is_empty(), "the server died holding rows");
    // The server cannot be asked any more: the rows the run knows of are listed, and it
    // says that it could not look for others (`<phone tag>*`, unverified).
    let (unverified, known): (BTreeSet<_>, BTreeSet<_>) = reported_rows(&suite)
        .into_iter()
        .partition(|(_, id)| id.ends_with('*'));
    assert_eq!(
        known,
        sim.rows(),
        "the leftovers against the server's database"
    );
    assert_eq!(unverified.len(), 1, "{unverified:?}");
}

#[test]
fn one_second_stall() {
    let sim = RunningSim::with_admin(|c| c.faults.stall_ms = 1_000);
    let (_dir, out) = out_dir();
    let result = run(&["workflow", "--url", &sim.url(), "--out", &out]);
    result.assert_exit(0);
    let suite = reports(Path::new(&out)).unwrap();
    assert_leftovers_match(&suite, &sim);
    assert!(sim.rows().is_empty(), "everything was cleaned up");
}

#[test]
fn server_error_storm() {
    let sim = RunningSim::with_admin(|c| c.faults.error_rate = 0.5);
    // The read mix after the login (which the storm may hit too: then exit 2).
    let (result, scenario) = read_mix(&sim, 200);
    assert!([1, 2].contains(&result.code), "{}", result.stderr);
    if result.code == 1 {
        let scenario = scenario.expect("a run that measured writes its reports");
        assert_eq!(scenario["total_requests"], 200);
        // Each 500 closes the connection (as uvicorn does); the next request reconnects
        // and every request is still classified by its status, never as a reset.
        for error in scenario["errors"].as_array().unwrap() {
            assert_eq!(error["class"], "server_error", "{error}");
        }
        let codes = scenario["status_codes"].as_object().unwrap();
        let counted: u64 = codes.values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(counted, 200);
    }

    // The workflow under a storm (lighter, so its cleanup can still get answers): steps
    // fail, and what the server kept is listed.
    let sim = RunningSim::with_admin(|c| c.faults.error_rate = 0.2);
    let (_dir, out) = out_dir();
    let result = run(&["workflow", "--url", &sim.url(), "--out", &out]);
    assert!([1, 2].contains(&result.code), "{}", result.stderr);
    let suite = reports(Path::new(&out)).unwrap();
    assert_leftovers_match(&suite, &sim);
}

#[test]
fn too_many_requests_with_retry_after() {
    // Every login is throttled: one wait of Retry-After, then a clear failure.
    let sim = RunningSim::with_admin(|c| {
        c.faults = Faults {
            throttle_rate: 1.0,
            retry_after_secs: 1,
            route: Some("/auth/login".to_owned()),
            ..Faults::default()
        };
    });
    let (_dir, out) = out_dir();
    let result = run(&["workflow", "--url", &sim.url(), "--out", &out]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stdout.contains("429"), "{}", result.stdout);
    reports(Path::new(&out)).unwrap();
    assert!(sim.rows().is_empty());

    // Reads throttled: counted as rate limited, not a pass.
    let scenario = read_mix_under(Faults {
        throttle_rate: 1.0,
        route: Some("/clients".to_owned()),
        ..Faults::default()
    });
    let errors = scenario["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["class"] == "rate_limited"),
        "{errors:?}"
    );
}

/// The read mix (`requests` GETs) against `sim`: the run, and its scenario from
/// `suite.json` when it wrote reports (which must all parse).
fn read_mix(sim: &RunningSim, requests: u32) -> (Run, Option<Value>) {
    let (_dir, out) = out_dir();
    let requests = requests.to_string();
    let result = run(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "-n",
        &requests,
        "--out",
        &out,
    ]);
    let scenario = reports(Path::new(&out)).map(|suite| suite["load"]["scenarios"][0].clone());
    (result, scenario)
}

/// The read mix (50 GETs) against a sim with `faults`: it must fail (exit 1) with reports
/// that parse; returns its scenario from `suite.json`.
fn read_mix_under(faults: Faults) -> Value {
    let sim = RunningSim::with_admin(|c| c.faults = faults);
    let (result, scenario) = read_mix(&sim, 50);
    result.assert_exit(1);
    scenario.expect("a failed run writes its reports")
}

#[test]
fn html_instead_of_json() {
    let scenario = read_mix_under(Faults {
        html_rate: 1.0,
        route: Some("/clients".to_owned()),
        ..Faults::default()
    });
    assert!(scenario["successful_requests"].as_u64().unwrap() < 50);
    let errors = scenario["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["class"] == "check_failed"),
        "a 200 page where JSON was promised is a failed check: {errors:?}"
    );

    // Everything answered with a page: the workflow cannot start.
    let sim = RunningSim::with_admin(|c| c.faults.html_rate = 1.0);
    let (_dir, out) = out_dir();
    let result = run(&["workflow", "--url", &sim.url(), "--out", &out]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    reports(Path::new(&out)).unwrap();
    assert!(sim.rows().is_empty());
}

#[test]
fn connection_resets() {
    let sim = RunningSim::with_admin(|c| c.faults.cut_rate = 0.15);
    let (_dir, out) = out_dir();
    let result = run(&["workflow", "--url", &sim.url(), "--out", &out]);
    assert!([0, 1, 2].contains(&result.code), "{}", result.stderr);
    let suite = reports(Path::new(&out)).unwrap();
    // Answers were cut (creations and deletions alike): the list still names exactly
    // what the server kept, and the cleanup (which re-reads what it is unsure of) left
    // nothing.
    assert_leftovers_match(&suite, &sim);
    assert!(sim.rows().is_empty(), "{:?}", sim.rows());
}

#[test]
fn slow_body() {
    let sim = RunningSim::with_admin(|c| {
        c.faults = Faults {
            slow_body_bytes_per_sec: Some(64),
            route: Some("/admin/content-stats".to_owned()),
            ..Faults::default()
        };
    });
    let (_dir, out) = out_dir();
    let result = run(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "-n",
        "10",
        "--timeout",
        "200ms",
        "--out",
        &out,
    ]);
    result.assert_exit(1);
    let suite = reports(Path::new(&out)).unwrap();
    let errors = suite["load"]["scenarios"][0]["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["class"] == "request_timeout"),
        "{errors:?}"
    );
}

/// An embedded S3 server on its own runtime, for the S3 rows.
struct S3 {
    server: Option<storage_bench::EmbeddedS3>,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl S3 {
    fn start() -> S3 {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let server = runtime
            .block_on(storage_bench::EmbeddedS3::start(dir.path()))
            .unwrap();
        server.create_bucket("bench").unwrap();
        S3 {
            server: Some(server),
            runtime,
            _dir: dir,
        }
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _guard = self.runtime.enter();
        self.server.take();
    }
}

#[test]
fn s3_down_wrong_keys_and_missing_bucket() {
    let s3 = S3::start();
    let server = s3.server.as_ref().unwrap();
    let endpoint = server.endpoint();
    let local = tempfile::tempdir().unwrap();
    let local_url = format!("file://{}", local.path().join("bench").display());
    let cases = [
        (
            format!("s3://bench?endpoint={}", closed_port_url()),
            (server.access_key(), server.secret_key()),
            "is the S3 endpoint running",
        ),
        (
            format!("s3://bench?endpoint={endpoint}"),
            ("WRONGKEY", "wrong-secret-value"),
            "access",
        ),
        (
            format!("s3://no-such-bucket?endpoint={endpoint}"),
            (server.access_key(), server.secret_key()),
            "bucket",
        ),
    ];
    let mut cases = cases.to_vec();
    // A second, independent S3 (moto, started by .ci/run): a missing bucket there too.
    let moto = std::env::var("VERTEX_PERF_MOTO_ENDPOINT").ok();
    if let Some(moto) = &moto {
        cases.push((
            format!("s3://vertex-perf-no-such-bucket?endpoint={moto}"),
            ("testing", "testing-secret-value"),
            "bucket",
        ));
    } else {
        eprintln!("VERTEX_PERF_MOTO_ENDPOINT not set: the moto row is not run here");
    }
    for (url, (key, secret), reason) in cases {
        let (_dir, out) = out_dir();
        let result = spawn(
            &[
                "storage",
                "--backend",
                &local_url,
                "--backend",
                &url,
                "--sizes",
                "64KiB",
                "--out",
                &out,
                "--threshold",
                "storage.upload_mibps[local] > 0",
            ],
            &[
                ("AWS_ACCESS_KEY_ID", key),
                ("AWS_SECRET_ACCESS_KEY", secret),
            ],
        )
        .finish();
        result.assert_exit(0);
        let text = format!("{}{}", result.stdout, result.stderr).to_lowercase();
        assert!(text.contains(&reason.to_lowercase()), "{url}: {text}");
        assert!(
            !text.contains(&secret.to_lowercase()),
            "a secret was printed"
        );
        let suite = reports(Path::new(&out)).unwrap();
        assert!(!suite.to_string().contains(secret), "a secret was written");
        let backends = suite["storage"]["backends"].as_array().unwrap();
        assert!(backends.iter().any(|b| !b["skipped"].is_null()));
        assert!(suite["leftovers"].as_array().unwrap().is_empty());
        assert_folder_empty(&local.path().join("bench"));
    }
}

/// `folder` holds nothing (or is gone).
fn assert_folder_empty(folder: &Path) {
    if folder.exists() {
        let left: Vec<_> = walk(folder);
        assert!(left.is_empty(), "left in {}: {left:?}", folder.display());
    }
}

fn walk(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        found.push(path.clone());
        if path.is_dir() {
            found.extend(walk(&path));
        }
    }
    found
}

#[test]
fn report_folder_unwritable() {
    let sim = RunningSim::with_admin(|_| {});
    let result = run(&[
        "load",
        "--url",
        &sim.url(),
        "--scenario",
        "read-mix",
        "-n",
        "10",
        "--out",
        "/dev/null/run",
    ]);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result.stdout.contains("verdict:"),
        "the results reach stdout before the files: {}",
        result.stdout
    );
    assert!(result.stderr.contains("/dev/null/run"), "{}", result.stderr);
}

/// Starts `args`, waits for `ready` on stderr, interrupts, and checks the common promise:
/// exit 130, every report parses and says interrupted.
fn interrupted(args: &[&str], ready: &str, out: &str) -> Value {
    let mut child = spawn(args, &[]);
    assert!(child.wait_for(ready), "never saw `{ready}`");
    child.interrupt();
    let result = child.finish();
    assert_eq!(result.code, 130, "{args:?}\n{}", result.stderr);
    assert!(!result.stderr.contains("panicked"), "{}", result.stderr);
    let suite = reports(Path::new(out)).expect("reports are written when interrupted");
    assert_eq!(suite["interrupted"], true);
    assert_eq!(suite["outcome"]["status"], "interrupted");
    suite
}

#[test]
fn sigint_in_load_monitor_and_ab() {
    let sim = RunningSim::with_admin(|_| {});
    let url = sim.url();
    let (_dir, out) = out_dir();
    let suite = interrupted(
        &[
            "load",
            "--url",
            &format!("{url}/health"),
            "-d",
            "60s",
            "--out",
            &out,
        ],
        "requests",
        &out,
    );
    assert!(
        suite["load"]["scenarios"][0]["total_requests"]
            .as_u64()
            .unwrap()
            > 0
    );

    let (_dir, out) = out_dir();
    let pid = std::process::id().to_string();
    interrupted(
        &[
            "monitor",
            "--pid",
            &pid,
            "--interval",
            "50ms",
            "--duration",
            "60s",
            "--out",
            &out,
        ],
        "cpu",
        &out,
    );

    let other = RunningSim::with_admin(|_| {});
    let (_dir, out) = out_dir();
    interrupted(
        &[
            "ab",
            "--a",
            &url,
            "--b",
            &other.url(),
            "--rounds",
            "5",
            "-d",
            "10s",
            "--out",
            &out,
        ],
        "requests",
        &out,
    );
}

#[test]
fn sigint_in_workflow_cleans_up() {
    // Slow enough to be interrupted mid-walk: every call takes 300 ms.
    let sim = RunningSim::with_admin(|c| c.faults.latency_ms = 300);
    let (_dir, out) = out_dir();
    let child = spawn(&["workflow", "--url", &sim.url(), "--out", &out], &[]);
    let deadline = Instant::now() + HANG;
    while sim.rows().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.interrupt();
    let result = child.finish();
    assert_eq!(result.code, 130, "{}", result.stderr);
    let suite = reports(Path::new(&out)).unwrap();
    assert_eq!(suite["interrupted"], true);
    let steps = suite["workflow"]["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["failure"]["reason"] == "skipped: interrupted"),
        "{steps:?}"
    );
    assert_leftovers_match(&suite, &sim);
    assert!(sim.rows().is_empty(), "the interrupted walk cleaned up");
}

#[test]
fn a_second_sigint_exits_at_once() {
    let sim = RunningSim::with_admin(|c| c.faults.latency_ms = 300);
    let (_dir, out) = out_dir();
    let mut child = spawn(&["workflow", "--url", &sim.url(), "--out", &out], &[]);
    // Rows on the server: the walk is under way, so the handler is installed.
    let deadline = Instant::now() + HANG;
    while sim.rows().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.interrupt();
    assert!(child.wait_for("interrupt again to exit at once"));
    child.interrupt();
    let result = child.finish();
    assert_eq!(result.code, 130, "{}", result.stderr);
    assert!(
        result.stderr.contains("exiting without cleanup"),
        "{}",
        result.stderr
    );
}

#[test]
fn sigint_in_storage_cleans_up() {
    let local = tempfile::tempdir().unwrap();
    let local_url = format!("file://{}", local.path().join("bench").display());
    let (_dir, out) = out_dir();
    let suite = interrupted(
        &[
            "storage",
            "--backend",
            &local_url,
            "--backend",
            "s3+embedded://",
            "--sizes",
            "1MiB,2MiB,4MiB,8MiB",
            "--objects",
            "20",
            "--repeat",
            "20",
            "--out",
            &out,
        ],
        "storage ",
        &out,
    );
    assert_eq!(suite["storage"]["interrupted"], true);
    assert!(suite["leftovers"].as_array().unwrap().is_empty(), "{suite}");
    assert_folder_empty(&local.path().join("bench"));
}

#[test]
fn sigint_in_each_suite_phase() {
    for phase in ["comprehensive", "workflow", "load", "storage", "memory"] {
        let sim = RunningSim::with_admin(|c| {
            // A little slower, so each phase is still running when the signal comes.
            c.faults.latency_ms = 20;
        });
        let (_dir, out) = out_dir();
        let suite = interrupted(
            &["suite", "--target", &sim.url(), "--quick", "--out", &out],
            &format!("phase: {phase}"),
            &out,
        );
        assert_leftovers_match(&suite, &sim);
        assert!(
            sim.rows().is_empty(),
            "interrupted in {phase}: the suite cleaned up, {:?}",
            sim.rows()
        );
    }
}
