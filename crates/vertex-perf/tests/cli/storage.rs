//! `vertex-perf storage`.

use crate::util::{
    assert_setup_error, assert_usage_error, in_parallel, json_file, top_level_keys, vertex_perf,
};

#[test]
fn default_plan_compares_local_and_embedded_s3() {
    let dir = tempfile::tempdir().unwrap();
    let run = vertex_perf(&[
        "storage",
        "--sizes",
        "64KiB,1MiB",
        "--objects",
        "2",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert!(
        run.stdout.contains("embedded-s3/local put 64.0KiB"),
        "{}",
        run.stdout
    );
    let legacy: serde_json::Value = json_file(&dir.path().join("storage_integration_report.json"));
    let keys = top_level_keys(&legacy);
    assert_eq!(
        keys,
        [
            "timestamp",
            "base_url",
            "minio_available",
            "test_results",
            "summary",
            "system_info",
            "storage"
        ]
    );
    assert_eq!(
        legacy["minio_available"], true,
        "the embedded S3 server ran"
    );
    let first = legacy["test_results"][0].as_object().unwrap();
    for key in [
        "test_name",
        "success",
        "duration",
        "file_size_mb",
        "upload_speed_mbps",
        "download_speed_mbps",
        "error_message",
        "metadata",
    ] {
        assert!(first.contains_key(key), "{key}");
    }
    assert_eq!(legacy["summary"]["failed_tests"], 0);
    let text = std::fs::read_to_string(dir.path().join("suite.json")).unwrap();
    assert!(!text.contains("secret"), "no S3 secret in the report");
}

#[test]
fn an_unreachable_s3_is_skipped_and_the_rest_reports() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s3 = format!("s3://bench?endpoint=http://127.0.0.1:{port}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_vertex-perf"))
        .args([
            "storage",
            "--backend",
            "memory://",
            "--backend",
            &s3,
            "--sizes",
            "64KiB",
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .env("AWS_ACCESS_KEY_ID", "key")
        .env("AWS_SECRET_ACCESS_KEY", "super-secret-value")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("memory       put"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "skipped s3://bench?endpoint=http://127.0.0.1:{port}"
        )),
        "{stdout}"
    );
    assert!(stderr.contains("is the S3 endpoint running"), "{stderr}");
    assert!(!stdout.contains("super-secret-value") && !stderr.contains("super-secret-value"));
}

#[test]
fn bad_arguments_exit_two() {
    assert_setup_error(
        &vertex_perf(&["storage", "--ops", "put,fly"]),
        "unknown operation `fly`",
    );
    assert_usage_error(&vertex_perf(&["storage", "--sizes", "1XB"]), "unknown unit");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    for (flag, value, fragment) in [
        ("--sizes", "0B", "above zero"),
        ("--sizes", "18446744073709551615GiB", "maximum of 1 GiB"),
        ("--objects", "0", "from 1 to 10000"),
        ("--objects", "4294967296", "from 1 to 10000"),
        ("--concurrency", "100000", "from 1 to 256"),
        ("--repeat", "0", "from 1 to 100"),
    ] {
        let run = vertex_perf(&["storage", "--out", out.to_str().unwrap(), flag, value]);
        assert_usage_error(&run, fragment);
        assert!(!out.exists(), "{flag} {value} made a run folder");
    }
    assert_setup_error(
        &vertex_perf(&["storage", "--backend", "ftp://x"]),
        "expected file:///dir",
    );
    assert_setup_error(
        &vertex_perf(&["storage", "--ops", "put,mixed", "--mix", "fly=1"]),
        "unknown mix operation `fly`",
    );
    assert_setup_error(
        &vertex_perf(&["storage", "--ops", "mixed,put", "--backend", "memory://"]),
        "before `mixed`",
    );
}

#[test]
fn through_the_service_is_a_backend_like_the_others() {
    let sim = crate::sim::RunningSim::start(vertex_sim::Faults::default());
    // A fresh sim has no admin: register one through the contract's /auth/register.
    let login = vertex_perf(&[
        "workflow",
        "--url",
        &sim.url(),
        "--register-admin",
        "--out",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
    ]);
    assert_eq!(login.code, 0, "{}", login.stderr);
    let dir = tempfile::tempdir().unwrap();
    let local = format!("file://{}", dir.path().join("local").display());
    let service = format!("vertex+{}", sim.url());
    let out = dir.path().join("run");
    let run = vertex_perf(&[
        "storage",
        "--backend",
        &local,
        "--backend",
        &service,
        "--sizes",
        "64KiB,1MiB",
        "--ops",
        "put,get,head,delete",
        // The upload KPI is for 1–20 MiB objects; these small ones measure the per-order cost.
        "--threshold",
        "storage.integrity_failures < 1",
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(0);
    let suite: serde_json::Value = json_file(&out.join("suite.json"));
    let storage = &suite["storage"];
    let service_gets: Vec<&serde_json::Value> = storage["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["backend"] == "service" && r["operation"] == "get")
        .collect();
    assert_eq!(service_gets.len(), 2);
    for get in service_gets {
        assert_eq!(get["integrity"]["verified"], 2, "{get}");
        assert!(get["bytes_per_sec"].as_f64().unwrap() > 0.0);
    }
    assert!(storage["leftovers"].as_array().unwrap().is_empty());
    assert!(
        storage["ratios"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["numerator"] == "service" && r["denominator"] == "local"),
        "{}",
        storage["ratios"]
    );
}

#[test]
fn a_storage_run_split_in_two_merges_into_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let start_at = (chrono::Utc::now() + chrono::TimeDelta::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let shard = |shard: &str, objects: &str, out: &std::path::Path| {
        vertex_perf(&[
            "storage",
            "--backend",
            "memory://",
            "--sizes",
            "64KiB",
            "--objects",
            objects,
            "--concurrency",
            "2",
            "--shard",
            shard,
            "--start-at",
            &start_at,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let folders: Vec<std::path::PathBuf> = (1..=2)
        .map(|i| dir.path().join(format!("shard{i}")))
        .collect();
    for run in in_parallel(2, |i| shard(&format!("{}/2", i + 1), "5", &folders[i])) {
        run.assert_exit(0);
    }
    let merged = dir.path().join("merged");
    vertex_perf(&[
        "merge",
        folders[0].to_str().unwrap(),
        folders[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ])
    .assert_exit(0);
    let report: serde_json::Value = json_file(&merged.join("suite.json"));
    let shards: Vec<serde_json::Value> = folders
        .iter()
        .map(|f| json_file(&f.join("suite.json")))
        .collect();
    let put = |report: &serde_json::Value| report["storage"]["results"][0].clone();
    // Objects 0–1 and 2–4: every object of the whole run once.
    assert_eq!(put(&shards[0])["n_operations"], 2);
    assert_eq!(put(&shards[1])["n_operations"], 3);
    assert_eq!(put(&report)["operation"], "put");
    assert_eq!(put(&report)["n_operations"], 5);
    assert_eq!(put(&report)["total_bytes"], 5 * 64 * 1024);
    let get = report["storage"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["operation"] == "get")
        .unwrap();
    assert_eq!(get["n_operations"], 5);
    assert_eq!(
        get["integrity"]["verified"], 5,
        "every object read back intact"
    );
    assert_eq!(
        put(&report)["latency"]["count"],
        5,
        "the latencies merged exactly"
    );
    assert!(std::fs::read_to_string(merged.join("storage_integration_report.json")).is_ok());

    // A shard with no object of its own is refused before anything runs.
    let empty = shard("1/2", "1", &dir.path().join("empty"));
    assert_setup_error(&empty, "nothing to do");
}
