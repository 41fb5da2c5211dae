//! `vertex-perf load` against a real loopback server.

use crate::http_server::TestServer;
use crate::util::{assert_setup_error, assert_usage_error, json_file, top_level_keys, vertex_perf};

#[test]
fn closed_run_writes_every_report() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = vertex_perf(&[
        "load",
        "--url",
        &server.url("/clients/list"),
        "-n",
        "200",
        "-c",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert!(run.stdout.contains("200 requests in"), "{}", run.stdout);
    assert_eq!(server.requests(), 200);

    let legacy: serde_json::Value = json_file(&out.join("load_test_report.json"));
    let keys = top_level_keys(&legacy);
    assert_eq!(
        keys,
        [
            "timestamp",
            "base_url",
            "test_results",
            "system_info",
            "load"
        ]
    );
    let result = &legacy["test_results"]["load"];
    for key in [
        "total_requests",
        "successful_requests",
        "failed_requests",
        "total_time",
        "avg_response_time",
        "min_response_time",
        "max_response_time",
        "requests_per_second",
        "success_rate",
        "errors",
        "percentiles",
        "error_classes",
        "endpoints",
    ] {
        assert!(!result[key].is_null(), "{key} missing");
    }
    assert_eq!(result["total_requests"], 200);
    assert_eq!(result["success_rate"], 100.0);
    assert!(result["percentiles"]["p99"].as_f64().unwrap() > 0.0);
    let suite = report_model::SuiteReport::read(&out.join("suite.json")).unwrap();
    assert_eq!(suite.load.unwrap().scenarios[0].total_requests, 200);
    for file in ["summary.md", "junit.xml", "load-performance.json"] {
        assert!(out.join(file).exists(), "{file}");
    }
}

#[test]
fn open_rate_and_multipart_upload() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("portrait.jpg");
    std::fs::write(&image, b"\xff\xd8\xff fake jpeg").unwrap();
    let run = vertex_perf(&[
        "load",
        "--url",
        &server.url("/orders/create"),
        "-X",
        "post",
        "--rate",
        "50/s",
        "-d",
        "1s",
        "--form",
        "phone=+79991112233",
        "--file",
        &format!("image=@{};type=image/jpeg", image.display()),
        "--out",
        dir.path().join("run").to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert!(
        (45..=55).contains(&server.requests()),
        "{}",
        server.requests()
    );
    let head = server.seen.last_head.lock().unwrap().clone();
    assert!(head.starts_with("POST /orders/create"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: multipart/form-data; boundary="),
        "{head}"
    );
    let body = String::from_utf8_lossy(&server.seen.last_body.lock().unwrap()).into_owned();
    assert!(
        body.contains("filename=\"portrait.jpg\"\r\nContent-Type: image/jpeg"),
        "{body}"
    );
    assert!(body.contains("+79991112233"));
}

#[test]
fn a_failed_threshold_exits_one_and_refused_connections_are_counted() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let run = vertex_perf(&[
        "load",
        "--url",
        &server.url("/"),
        "-n",
        "20",
        "--threshold",
        "http.p95 < 1us",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    run.assert_exit(1);
    assert!(
        run.stdout.contains("fail: http.p95 < 1us"),
        "{}",
        run.stdout
    );

    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = vertex_perf(&[
        "load",
        "--url",
        &format!("http://127.0.0.1:{closed_port}/"),
        "-n",
        "5",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    // Nothing was measured: a setup error, not a pass and not a mere threshold failure.
    run.assert_exit(2);
    assert!(run.stdout.contains("5 × connect refused"), "{}", run.stdout);
}

#[test]
fn bad_arguments_exit_two() {
    let server = TestServer::start();
    let url = server.url("/");
    assert_setup_error(
        &vertex_perf(&["load", "--url", &url, "-c", "2"]),
        "a bound is required",
    );
    assert_usage_error(
        &vertex_perf(&["load", "--url", &url, "-n", "5", "--rate", "fast"]),
        "is not a rate such as 500/s",
    );
    assert_setup_error(
        &vertex_perf(&["load", "--url", "ftp://x/", "-n", "5"]),
        "invalid url",
    );
    assert_setup_error(
        &vertex_perf(&[
            "load",
            "--url",
            &url,
            "-n",
            "5",
            "--bearer-env",
            "VERTEX_PERF_NO_SUCH_VAR",
        ]),
        "VERTEX_PERF_NO_SUCH_VAR",
    );
    assert_setup_error(
        &vertex_perf(&["load", "--url", &url, "--stages", "10s:5,5s:3/s"]),
        "mixes rates",
    );
    assert_setup_error(
        &vertex_perf(&["load", "--url", &url, "-n", "5", "-H", "no colon"]),
        "invalid header",
    );
    assert_eq!(server.requests(), 0, "nothing was sent");
}

#[test]
fn numbers_no_run_could_honour_are_usage_errors_and_make_no_folder() {
    let server = TestServer::start();
    let url = server.url("/");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 15] = [
        (&["-d", "18446744073709551615s"], "at most 7days"),
        (&["-d", "9223372036854775807s"], "at most 7days"),
        (
            &["-n", "5", "--timeout", "18446744073709551615s"],
            "at most 1h",
        ),
        (&["-n", "5", "--timeout", "0s"], "at least 1ms"),
        (&["-n", "5", "-c", "4294967295"], "1 to 100000"),
        (&["-n", "0"], "above zero"),
        (&["-c", "0", "-n", "5"], "1 to 100000"),
        (&["--rate", "1e300/s", "-d", "2s"], "1000000/s"),
        (&["--rate", "0.0000001/s", "-n", "5"], "0.001/s"),
        (
            &["-n", "5", "--think", "18446744073709551615s"],
            "at most 1h",
        ),
        (&["--stages", "1s:1e300/s"], "1000000/s"),
        (
            &["--rate", "0.001/s", "-n", "18446744073709551615"],
            "longest run",
        ),
        (&["--sweep", "1,4294967295", "-n", "5"], "1 to 100000"),
        (&["-n", "5", "-t", "0"], "1 to 1024"),
        (
            &["-n", "5", "--threads", "99999999999999999999"],
            "1 to 1024",
        ),
    ];
    for (extra, fragment) in cases {
        let mut args = vec!["load", "--url", &url, "--out", out];
        args.extend_from_slice(extra);
        let run = vertex_perf(&args);
        assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
        assert!(run.stderr.contains(fragment), "{extra:?}: {}", run.stderr);
        assert!(
            !run.stderr.contains("panicked"),
            "{extra:?}: {}",
            run.stderr
        );
        assert!(
            !std::path::Path::new(out).exists(),
            "{extra:?} made a run folder"
        );
    }
    assert_eq!(server.requests(), 0, "nothing was sent");
}

#[test]
fn plain_progress_lines_under_ci_show_percent_time_left_rates_and_statuses() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = crate::util::vertex_perf_with_env(
        &[
            "--progress-interval",
            "1s",
            "load",
            "--url",
            &server.url("/clients/list"),
            "--rate",
            "40/s",
            "-d",
            "3s",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("CI", "true")],
    );
    run.assert_exit(0);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains(" requests ("))
        .collect();
    assert!(!lines.is_empty(), "{}", run.stderr);
    let mut previous = 0u64;
    for line in &lines {
        assert!(line.starts_with("vertex-perf: ["), "{line}");
        assert!(line.contains("%] ") && line.contains(" left · "), "{line}");
        assert!(line.contains("of 40/s asked"), "{line}");
        assert_eq!(line.matches(" left").count(), 1, "elapsed once: {line}");
        let count: u64 = line
            .split(" · ")
            .nth(1)
            .and_then(|part| part.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in {line}"));
        assert!(count >= previous, "counts only grow: {lines:?}");
        assert!(count <= server.requests(), "{line}");
        previous = count;
    }
    // Statuses come from the same exact counters as the count: a line that counted a
    // request shows its status.
    assert!(
        lines
            .iter()
            .filter(|l| !l.contains(" · 0 requests"))
            .all(|l| l.contains("200×")),
        "{lines:?}"
    );
    let bad = vertex_perf(&[
        "--progress-interval",
        "0s",
        "load",
        "--url",
        &server.url("/"),
    ]);
    assert_usage_error(&bad, "progress interval");
}

/// What oha, hey and k6 users type: the URL as a positional argument, `-z` for the
/// duration, `-q` for the rate, `-m` for the method and `-j` for a JSON summary on stdout.
#[test]
fn oha_style_flags_and_a_json_summary_on_stdout() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = vertex_perf(&[
        "load",
        &server.url("/clients/list"),
        "-z",
        "1s",
        "-q",
        "50",
        "-m",
        "GET",
        "-t",
        "1",
        "-j",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(0);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", run.stdout));
    let count = summary["metrics"]["http_reqs"]["count"].as_u64().unwrap();
    assert_eq!(count, server.requests(), "{summary}");
    // 50/s for 1 s schedules 50 arrivals; a busy machine may start fewer before the second
    // ends, never more.
    assert!((1..=50).contains(&count), "50/s for 1s: {count}");
    assert_eq!(
        json_file(&out.join("load-performance.json")),
        summary,
        "the file holds the same summary"
    );
    assert!(run.stderr.contains("reports written to"), "{}", run.stderr);
    // `-t 1` (wrk's threads): the runtime the generator ran on had one worker.
    let report = json_file(&out.join("suite.json"));
    assert_eq!(
        report["load"]["scenarios"][0]["generator"]["runtime_threads"],
        1
    );
    // One way to name the URL at a time.
    let both = vertex_perf(&[
        "load",
        "http://127.0.0.1:1/",
        "--url",
        "http://127.0.0.1:1/",
    ]);
    assert_usage_error(&both, "cannot be used with");
}
