//! `vertex-perf compare`.

use crate::util::{assert_setup_error, fixture, vertex_perf};

#[test]
fn no_regression_exits_zero() {
    let run = vertex_perf(&[
        "compare",
        &fixture("baseline-suite.json"),
        &fixture("current-same-suite.json"),
    ]);
    run.assert_exit(0);
    assert!(
        run.stdout.lines().next().unwrap().starts_with("metric"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("http.p95"), "{}", run.stdout);
    assert!(
        run.stdout.contains(", 0 regressed (tolerance 10%)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_thirty_percent_regression_exits_one() {
    let run = vertex_perf(&[
        "compare",
        &fixture("baseline-suite.json"),
        &fixture("current-regressed-suite.json"),
    ]);
    run.assert_exit(1);
    let p95 = run
        .stdout
        .lines()
        .find(|l| l.starts_with("http.p95[read_mix] "))
        .unwrap();
    assert!(p95.contains("REGRESSION") && p95.contains("+30."), "{p95}");
    // The merged p95 is information, not a gate.
    let merged = run
        .stdout
        .lines()
        .find(|l| l.starts_with("http.p95 "))
        .unwrap();
    assert!(!merged.contains("REGRESSION"), "{merged}");
    assert!(
        run.stderr.contains("regression beyond 10%"),
        "{}",
        run.stderr
    );
}

#[test]
fn tolerance_and_formats() {
    let run = vertex_perf(&[
        "compare",
        &fixture("baseline-suite.json"),
        &fixture("current-regressed-suite.json"),
        "--tolerance",
        "50%",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["tolerance_percent"], 50.0);
    assert!(
        value["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["regression"] == false)
    );

    let run = vertex_perf(&[
        "compare",
        &fixture("baseline-suite.json"),
        &fixture("current-regressed-suite.json"),
        "--format",
        "md",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.starts_with("| metric | baseline |"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_inputs_exit_two_with_one_line() {
    let baseline = fixture("baseline-suite.json");
    let run = vertex_perf(&["compare", &baseline, &fixture("truncated-suite.json")]);
    assert_setup_error(&run, "truncated");
    let run = vertex_perf(&["compare", &fixture("wrong-schema-suite.json"), &baseline]);
    assert_setup_error(&run, "schema_version `99`");
    let run = vertex_perf(&["compare", &baseline, &fixture("not-json.txt")]);
    assert_setup_error(&run, "not JSON");
    let run = vertex_perf(&["compare", &baseline, &fixture("does-not-exist.json")]);
    assert_setup_error(&run, "does-not-exist.json");
}

#[test]
fn bad_tolerance_is_a_usage_error() {
    let baseline = fixture("baseline-suite.json");
    let run = vertex_perf(&["compare", &baseline, &baseline, "--tolerance", "lots"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid tolerance `lots`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_crafted_histogram_is_refused_within_a_small_memory_limit() {
    use base64::Engine as _;
    // An HdrHistogram V2 header whose payload length claims 0xFFFFFFF0 bytes: a decoder
    // that trusts it allocates 4 GiB. Under a 512 MiB address-space limit, `compare` must
    // still answer with a clear error.
    let mut header = Vec::new();
    header.extend_from_slice(&0x1c84_9313u32.to_be_bytes());
    header.extend_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    header.extend_from_slice(&0u32.to_be_bytes());
    header.extend_from_slice(&3u32.to_be_bytes());
    header.extend_from_slice(&1u64.to_be_bytes());
    header.extend_from_slice(&3_600_000_000u64.to_be_bytes());
    header.extend_from_slice(&1f64.to_bits().to_be_bytes());
    let crafted = base64::engine::general_purpose::STANDARD.encode(header);
    let baseline = fixture("baseline-suite.json");
    let text = std::fs::read_to_string(&baseline).unwrap();
    let at = text.find("\"histogram\": \"").unwrap() + "\"histogram\": \"".len();
    let end = at + text[at..].find('"').unwrap();
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("crafted-suite.json");
    std::fs::write(
        &current,
        format!("{}{crafted}{}", &text[..at], &text[end..]),
    )
    .unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 524288 && exec "$0" compare "$1" "$2""#)
        .arg(env!("CARGO_BIN_EXE_vertex-perf"))
        .arg(&baseline)
        .arg(&current)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("announces 4294967280 payload bytes"),
        "{stderr}"
    );
}
