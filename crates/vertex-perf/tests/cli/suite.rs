//! `vertex-perf suite` end to end against a vertex-sim process (the built binary, so the
//! sampler watches a real server pid), bounded by a small quick profile: a clean run passes,
//! a leak fails the memory verdict, an error rate fails the load verdict, a target that is
//! down is a setup error with a `suite.json` saying so.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Run, in_parallel, json_file, vertex_perf_with_env};

const PASSWORD: &str = "suite-test-secret-7f3a";

/// Small sizes: every phase runs, the whole suite takes seconds.
const CONFIG: &str = r#"
# The built-in thresholds, with the upload KPI (meant for 1–20 MiB objects) scaled to the
# 256 KiB – 1 MiB objects below, whose uploads measure the per-order cost.
thresholds = [
    "server.cpu_avg < 60% acceptable 80%",
    "server.memory_growth < 50MiB acceptable 100MiB",
    "http.p95[api_endpoints] < 500ms acceptable 2s",
    "http.p95[stress_load] < 500ms acceptable 2s",
    "http.p95[concurrent_orders] < 500ms acceptable 2s",
    "db.read_p95 < 100ms acceptable 500ms",
    "storage.upload_mibps[service] > 0.2MiB/s",
    "load.success_rate > 95% acceptable 90%",
    "load.error_rate < 5% acceptable 10%",
    "load.rps[stress_load] > 10/s acceptable 5/s",
    "storage.integrity_failures < 1",
    "workflow.failed_steps < 1",
]

[profiles.quick]
sample_interval_ms = 100
large_upload_image_mib = 2
large_upload_video_mib = 3
concurrent_uploads = 4
db_reads = 40
orders = 4
read_mix_requests = 50
stress_seconds = 2
storage_sizes = "256KiB,1MiB"
memory_cycles = 5
memory_requests_per_cycle = 30
memory_orders_per_cycle = 1
"#;

/// A vertex-sim process on an ephemeral port, killed on drop.
struct SimProcess {
    child: Child,
    base_url: String,
    dir: tempfile::TempDir,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn vertex_sim_binary() -> PathBuf {
    // `cargo test --workspace` builds every binary before running tests; vertex-sim's sits
    // next to ours.
    let path = Path::new(env!("CARGO_BIN_EXE_vertex-perf")).with_file_name("vertex-sim");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p vertex-sim`",
        path.display()
    );
    path
}

fn start_sim(faults: Option<&str>) -> SimProcess {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let mut command = Command::new(vertex_sim_binary());
    command
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--admin", "admin", "--ready-file"])
        .arg(&ready)
        .env("VERTEX_SIM_ADMIN_PASSWORD", PASSWORD)
        .stdout(Stdio::null());
    if let Some(faults) = faults {
        command.args(["--faults", faults]);
    }
    let child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let base_url = loop {
        if let Ok(url) = std::fs::read_to_string(&ready)
            && !url.is_empty()
        {
            break url.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "vertex-sim did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    SimProcess {
        child,
        base_url,
        dir,
    }
}

fn port_of(base_url: &str) -> String {
    base_url.rsplit(':').next().unwrap().to_owned()
}

/// One suite at a time: they measure CPU and memory, and two at once on two cores would
/// judge each other's load.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs the quick suite against `sim`; returns the run and the run folder.
fn run_suite(sim: &SimProcess, work: &Path, extra: &[&str]) -> (Run, PathBuf) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let config = work.join("vertex-perf.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let out = work.join("run");
    let run = suite_run(sim, &config, &out, extra);
    (run, out)
}

/// One `suite --quick` process against `sim` with the config file `config`.
fn suite_run(sim: &SimProcess, config: &Path, out: &Path, extra: &[&str]) -> Run {
    let port = port_of(&sim.base_url);
    let mut args = vec![
        "suite",
        "--quick",
        "--target",
        &sim.base_url,
        "--server-port",
        &port,
        "--password-env",
        "SUITE_TEST_PASSWORD",
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    // The journey files' `[secrets]` read the password from VERTEX_PASSWORD.
    vertex_perf_with_env(
        &args,
        &[
            ("SUITE_TEST_PASSWORD", PASSWORD),
            ("VERTEX_PASSWORD", PASSWORD),
        ],
    )
}

const EVERY_FILE: [&str; 11] = [
    "suite.json",
    "performance_report.json",
    "load_test_report.json",
    "storage_integration_report.json",
    "automated_portraits_report.json",
    "memory_profile_report.json",
    "junit.xml",
    "load-performance.json",
    "metrics.txt",
    "summary.md",
    "report.html",
];

fn read(folder: &Path, name: &str) -> String {
    std::fs::read_to_string(folder.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn suite_json(folder: &Path) -> serde_json::Value {
    json_file(&folder.join("suite.json"))
}

/// `(testcase name, failure message and text)` of every failed JUnit testcase.
fn junit_failures(folder: &Path) -> Vec<(String, String)> {
    use quick_xml::events::Event;
    let xml = read(folder, "junit.xml");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut testcase = String::new();
    let mut in_failure = false;
    let attribute = |e: &quick_xml::events::BytesStart<'_>, name: &str| {
        e.try_get_attribute(name)
            .unwrap()
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                    .unwrap()
                    .into_owned()
            })
            .unwrap_or_default()
    };
    loop {
        match reader.read_event().expect("junit.xml is well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                testcase = attribute(&e, "name");
            }
            Event::Start(e) if e.name().as_ref() == b"failure" => {
                failures.push((testcase.clone(), attribute(&e, "message")));
                in_failure = true;
            }
            Event::Empty(e) if e.name().as_ref() == b"failure" => {
                failures.push((testcase.clone(), attribute(&e, "message")));
            }
            Event::Text(text) if in_failure => {
                let last = failures.last_mut().expect("inside a failure");
                last.1.push('\n');
                last.1.push_str(&text.decode().unwrap());
            }
            Event::GeneralRef(entity) if in_failure => {
                let last = failures.last_mut().expect("inside a failure");
                last.1.push_str(&resolve_entity(&entity));
            }
            Event::End(e) if e.name().as_ref() == b"failure" => in_failure = false,
            Event::Eof => break,
            _ => {}
        }
    }
    failures
}

/// The text an entity reference (`&lt;`, `&#38;`) in junit.xml stands for.
fn resolve_entity(entity: &quick_xml::events::BytesRef<'_>) -> String {
    if let Some(c) = entity.resolve_char_ref().unwrap() {
        return c.to_string();
    }
    let name = entity.decode().unwrap();
    quick_xml::escape::resolve_predefined_entity(&name)
        .expect("only XML's predefined entities")
        .to_owned()
}

#[test]
fn clean_run_passes_and_writes_every_file() {
    let sim = start_sim(None);
    let work = tempfile::tempdir().unwrap();
    let database = sim.dir.path().join("data/app_data.db");
    let metrics_port = crate::live_metrics::free_port();
    let scraper = crate::live_metrics::Scraper::start(metrics_port);
    let listen = format!("127.0.0.1:{metrics_port}");
    let (run, out) = run_suite(
        &sim,
        work.path(),
        &[
            "--sqlite",
            database.to_str().unwrap(),
            "--metrics-listen",
            &listen,
            "--metrics-linger",
            "2s",
        ],
    );
    let scrapes = scraper.stop();
    run.assert_exit(0);
    for name in EVERY_FILE {
        let text = read(&out, name);
        assert!(!text.contains(PASSWORD), "{name} holds the password");
    }
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));
    let suite = suite_json(&out);
    assert_eq!(suite["outcome"]["status"], "completed");
    // Warnings are allowed (exit 0): a debug build on a shared machine may be slower than
    // the targets; nothing may fail.
    assert_ne!(suite["verdict"], "fail", "{}", run.stdout);
    let scenarios: Vec<&str> = suite["load"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        scenarios,
        [
            "large_upload",
            "concurrent_uploads",
            "db_reads",
            "workflow",
            "concurrent_orders",
            "api_endpoints",
            "stress_load"
        ]
    );
    let backends: Vec<&str> = suite["storage"]["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(backends, ["local", "embedded-s3", "service"]);
    assert!(suite["sampler"]["n_samples"].as_u64().unwrap() > 5);
    assert_eq!(suite["memory"]["cycles"].as_array().unwrap().len(), 5);
    // --sqlite: the same reads straight on the service's database.
    let direct = suite["db_direct"]["queries"]
        .as_array()
        .unwrap_or_else(|| panic!("no db_direct: {}", run.stderr));
    assert_eq!(direct.len(), 5, "{direct:?}");
    assert!(direct.iter().all(|q| q["latency"]["count"] == 40));
    assert!(junit_failures(&out).is_empty());

    // The k6 summary in the shape GitLab reads.
    let k6: serde_json::Value = json_file(&out.join("load-performance.json"));
    assert!(k6["metrics"]["http_reqs"]["rate"].as_f64().unwrap() > 0.0);
    assert!(
        k6["metrics"]["http_req_waiting"]["p(95)"]
            .as_f64()
            .is_some()
    );
    assert!(k6["metrics"]["checks"]["passes"].as_u64().unwrap() > 0);
    // The old files keep their keys.
    let memory: serde_json::Value = json_file(&out.join("memory_profile_report.json"));
    assert!(memory["snapshots"][0]["rss_mb"].as_f64().unwrap() > 0.0);
    assert!(memory["analysis"]["peak_memory_mb"].as_f64().is_some());
    let performance: serde_json::Value = json_file(&out.join("performance_report.json"));
    for key in [
        "monitor",
        "large_file_upload",
        "concurrent_uploads",
        "database_performance",
        "memory_leak",
    ] {
        assert_eq!(
            performance["test_results"][key]["success"], true,
            "{key}: {}",
            performance["test_results"][key]
        );
    }
    let html = read(&out, "report.html");
    assert!(html.matches("<svg").count() >= 7, "charts missing");
    assert!(!html.contains("<script") && !html.contains("http://www.w3.org/1999"));
    // --metrics-listen: the watched server's process_* while the suite ran, and at the end
    // (the linger) every load scenario's request counter as exact as its report.
    assert!(
        scrapes
            .iter()
            .any(|scrape| scrape.contains("process_cpu_seconds_total{role=\"server\"}")),
        "{} scrapes, none with the server's CPU",
        scrapes.len()
    );
    let last = scrapes.last().expect("scraped during the linger");
    for scenario in suite["load"]["scenarios"].as_array().unwrap() {
        let name = scenario["name"].as_str().unwrap();
        let requests = scenario["total_requests"].as_u64().unwrap() as f64;
        let scraped = crate::live_metrics::sample_sum(
            last,
            "vertex_perf_requests_total",
            &format!("scenario=\"{name}\""),
        );
        assert_eq!(scraped, requests, "{name} in\n{last}");
    }
}

#[test]
fn a_leaking_server_fails_the_memory_verdict() {
    // 6 MiB kept per read-mix call of content-stats: about 36 MiB per memory cycle.
    let sim = start_sim(Some(
        r#"{"leak_kib_per_request":6144,"route":"/admin/content-stats"}"#,
    ));
    let work = tempfile::tempdir().unwrap();
    let (run, out) = run_suite(&sim, work.path(), &[]);
    run.assert_exit(1);
    let suite = suite_json(&out);
    assert_eq!(suite["memory"]["leak"]["verdict"], "fail");
    let failures = junit_failures(&out);
    let leak = failures
        .iter()
        .find(|(name, _)| name == "leak check (memory cycles)")
        .unwrap_or_else(|| panic!("no failed memory testcase in {failures:?}"));
    assert!(leak.1.contains("grew"), "{leak:?}");
    assert!(
        failures
            .iter()
            .any(|(name, _)| name.starts_with("server.memory_growth")),
        "{failures:?}"
    );
}

#[test]
fn an_erroring_server_fails_the_load_verdict() {
    let sim = start_sim(Some(r#"{"error_rate":0.9,"route":"/admin/system-info"}"#));
    let work = tempfile::tempdir().unwrap();
    let (run, out) = run_suite(&sim, work.path(), &[]);
    run.assert_exit(1);
    let failures = junit_failures(&out);
    assert!(
        failures
            .iter()
            .any(|(name, message)| name.starts_with("load.error_rate") && message.contains('%')),
        "{failures:?}"
    );
    assert_eq!(suite_json(&out)["outcome"]["status"], "completed");
}

#[test]
fn a_target_that_is_down_is_a_setup_error_with_a_report() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("run");
    let run = vertex_perf_with_env(
        &[
            "suite",
            "--quick",
            "--target",
            &url,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    run.assert_exit(2);
    assert!(run.stderr.contains("not healthy"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    let suite = suite_json(&out);
    assert_eq!(suite["outcome"]["status"], "setup_failed");
    assert!(
        suite["outcome"]["message"]
            .as_str()
            .unwrap()
            .contains("refused"),
        "{}",
        suite["outcome"]
    );
    assert_eq!(suite["verdict"], "fail");
    assert!(out.join("junit.xml").is_file() && out.join("report.html").is_file());
}

#[test]
fn a_wrong_password_is_a_setup_error() {
    let sim = start_sim(None);
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("run");
    let run = vertex_perf_with_env(
        &[
            "suite",
            "--quick",
            "--target",
            &sim.base_url,
            "--password-env",
            "SUITE_TEST_PASSWORD",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("SUITE_TEST_PASSWORD", "not-the-password")],
    );
    run.assert_exit(2);
    assert!(
        run.stderr.contains("cannot log in as `admin`"),
        "{}",
        run.stderr
    );
    assert_eq!(suite_json(&out)["outcome"]["status"], "setup_failed");
}

#[test]
fn a_sampler_switched_off_is_a_usage_error() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("off.toml");
    std::fs::write(&config, "[profiles.quick]\nsample_interval_ms = 0\n").unwrap();
    let run = vertex_perf_with_env(
        &[
            "suite",
            "--quick",
            "--server-pid",
            "1",
            "--config",
            config.to_str().unwrap(),
        ],
        &[],
    );
    crate::util::assert_setup_error(&run, "sample_interval_ms must be at least 10");
}

/// `suite --quick` with only a config file (no target): for configs refused up front.
fn suite_without_target(config: &Path, out: &Path) -> Run {
    vertex_perf_with_env(
        &[
            "suite",
            "--quick",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    )
}

#[test]
fn bad_config_is_a_usage_error_before_anything_runs() {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("bad.toml");
    std::fs::write(&config, "[profiles.quick]\nstress_second = 3\n").unwrap();
    let out = work.path().join("run");
    let run = suite_without_target(&config, &out);
    crate::util::assert_setup_error(&run, "stress_second");
    assert!(!out.exists(), "no run folder for a usage error");
}

/// The committed example journey, as `[[suite.scenario_files]]` would name it.
fn order_lifecycle_journey() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/journeys/order-lifecycle.toml")
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_journey_file_runs_in_the_load_phase_judged_per_step() {
    let sim = start_sim(None);
    let work = tempfile::tempdir().unwrap();
    let before_steps = "\"workflow.failed_steps < 1\",\n";
    let config_text = CONFIG.replace(
        before_steps,
        &format!(
            "{before_steps}    \"http.p95[order_lifecycle/POST /orders/create] < 30s\",\n    \"load.error_rate[order_lifecycle/DELETE /portraits/{{id}}] < 1%\",\n    \"load.requests[order_lifecycle/GET /portraits/{{id}}/details] > 3\",\n"
        ),
    ) + &format!(
        "\n[[suite.scenario_files]]\nfile = \"{}\"\nusers = 2\niterations = 4\n",
        order_lifecycle_journey()
    );
    let config = work.path().join("vertex-perf.toml");
    std::fs::write(&config, config_text).unwrap();
    let out = work.path().join("run");
    let run = {
        let _turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        suite_run(&sim, &config, &out, &[])
    };
    run.assert_exit(0);
    let suite = suite_json(&out);
    let journey = suite["load"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "order_lifecycle")
        .expect("the journey's scenario");
    assert_eq!(journey["total_requests"], 12, "{journey:#}");
    assert_eq!(journey["checks"]["passes"], 4);
    let judged: Vec<String> = suite["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t["metric"].as_str().unwrap_or_default(),
                t["verdict"]
            )
        })
        .collect();
    for step in [
        "POST /orders/create",
        "DELETE /portraits/{id}",
        "GET /portraits/{id}/details",
    ] {
        assert!(
            judged
                .iter()
                .any(|t| t.contains(&format!("[order_lifecycle/{step}]")) && t.contains("pass")),
            "{step}: {judged:#?}"
        );
    }
}

#[test]
fn a_bad_journey_file_in_the_config_is_refused_before_anything_runs() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("journey.toml"),
        "[[step]]\nurl = \"{base}/x/{nope}\"\n",
    )
    .unwrap();
    let config = work.path().join("vertex-perf.toml");
    std::fs::write(
        &config,
        "[[suite.scenario_files]]\nfile = \"journey.toml\"\n",
    )
    .unwrap();
    let out = work.path().join("run");
    let run = suite_without_target(&config, &out);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("journey.toml:1:1: step[1].url: unknown variable `nope`"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "no run folder for a bad config");
}

#[test]
fn html_where_the_contract_answers_json_fails_every_scenario_of_the_suite() {
    let server = crate::http_server::TestServer::start_html();
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("vertex-perf.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let out = work.path().join("run");
    let run = {
        let _turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        vertex_perf_with_env(
            &[
                "suite",
                "--quick",
                "--target",
                &server.url(""),
                "--config",
                config.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &[],
        )
    };
    run.assert_exit(1);
    for scenario in [
        "concurrent_uploads",
        "db_reads",
        "concurrent_orders",
        "api_endpoints",
        "stress_load",
    ] {
        let gap = format!("not measured: `{scenario}`: no successful request");
        assert!(run.stdout.contains(&gap), "{gap}:\n{}", run.stdout);
    }
    assert!(
        run.stdout
            .contains("expected a `json` content type, got `text/html; charset=utf-8`"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.starts_with("pass ") && l.contains("db.read_p95")),
        "a p95 of no request is not a pass:\n{}",
        run.stdout
    );
    assert_eq!(suite_json(&out)["verdict"], "fail");
}

#[test]
fn a_suite_split_in_two_merges_into_the_whole_suite() {
    let sim = start_sim(None);
    let work = tempfile::tempdir().unwrap();
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Two objects per size, so each shard has one of its own.
    let config = work.path().join("vertex-perf.toml");
    std::fs::write(&config, format!("{CONFIG}storage_objects = 2\n")).unwrap();
    let start_at = (chrono::Utc::now() + chrono::TimeDelta::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let folders: Vec<PathBuf> = (1..=2)
        .map(|i| work.path().join(format!("shard{i}")))
        .collect();
    let runs: Vec<Run> = in_parallel(2, |i| {
        let shard = format!("{}/2", i + 1);
        suite_run(
            &sim,
            &config,
            &folders[i],
            &["--shard", &shard, "--start-at", &start_at],
        )
    });
    for run in &runs {
        run.assert_exit(0);
    }
    let shards: Vec<serde_json::Value> = folders.iter().map(|f| suite_json(f)).collect();
    let names = |suite: &serde_json::Value| -> Vec<String> {
        suite["load"]["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect()
    };
    // What runs once ran on shard 1 only.
    assert!(names(&shards[0]).contains(&"workflow".to_owned()));
    assert!(names(&shards[0]).contains(&"large_upload".to_owned()));
    assert_eq!(
        names(&shards[1]),
        [
            "concurrent_uploads",
            "db_reads",
            "concurrent_orders",
            "api_endpoints",
            "stress_load"
        ]
    );
    assert!(shards[1]["workflow"].is_null());
    assert_eq!(shards[1]["memory"]["cycles"], serde_json::json!([]));
    for (i, shard) in shards.iter().enumerate() {
        assert_eq!(shard["meta"]["segment"]["index"], i + 1);
        assert_eq!(shard["meta"]["segment"]["kind"], "suite");
    }

    let merged_dir = work.path().join("merged");
    let merge = crate::util::vertex_perf(&[
        "merge",
        folders[1].to_str().unwrap(),
        folders[0].to_str().unwrap(),
        "--out",
        merged_dir.to_str().unwrap(),
    ]);
    merge.assert_exit(0);
    for name in EVERY_FILE {
        read(&merged_dir, name);
    }
    let merged = suite_json(&merged_dir);
    assert_eq!(merged["outcome"]["status"], "completed");
    assert_eq!(names(&merged), names(&shards[0]));
    // The split counts add up to the whole suite's, exactly.
    let total = |suite: &serde_json::Value, name: &str| {
        suite["load"]["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .map_or(0, |s| s["total_requests"].as_u64().unwrap())
    };
    for (name, whole) in [
        ("concurrent_uploads", 4),
        ("db_reads", 40),
        ("concurrent_orders", 4),
        ("api_endpoints", 50),
        ("large_upload", 1),
    ] {
        assert_eq!(total(&merged, name), whole, "{name}");
        assert_eq!(total(&shards[0], name) + total(&shards[1], name), whole);
    }
    assert_eq!(
        total(&merged, "stress_load"),
        total(&shards[0], "stress_load") + total(&shards[1], "stress_load")
    );
    // Storage: every object of the whole run once, each verified.
    for result in merged["storage"]["results"].as_array().unwrap() {
        if result["operation"] == "put" || result["operation"] == "get" {
            assert_eq!(result["n_operations"], 2, "{result}");
        }
        if result["operation"] == "get" {
            assert_eq!(result["integrity"]["verified"], 2, "{result}");
        }
    }
    // The workflow and the memory cycles are shard 1's; the server as this host saw it.
    assert_eq!(merged["workflow"], shards[0]["workflow"]);
    assert_eq!(merged["memory"]["cycles"], shards[0]["memory"]["cycles"]);
    let hosts = merged["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1, "{hosts:?}");
    assert_eq!(hosts[0]["shards"], serde_json::json!([1, 2]));
    assert!(merged["sampler"]["n_samples"].as_u64().unwrap() > 5);
    // Judged afresh by the thresholds the shards were judged by (the config file's).
    let judged = merged["thresholds"].as_array().unwrap();
    assert_eq!(judged.len(), 12);
    let workflow = judged
        .iter()
        .find(|t| t["metric"] == "workflow.failed_steps")
        .unwrap();
    assert_eq!(workflow["verdict"], "pass", "{workflow}");
}
