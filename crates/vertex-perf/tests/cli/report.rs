//! `vertex-perf report`.

use std::fs;

use crate::util::{assert_setup_error, fixture, vertex_perf};

#[test]
fn renders_every_format_to_stdout() {
    let run_json = fixture("baseline-suite.json");
    let junit = vertex_perf(&["report", &run_json, "--format", "junit"]);
    assert_eq!(junit.code, 0, "{}", junit.stderr);
    let mut reader = quick_xml::Reader::from_str(&junit.stdout);
    let mut testcases = 0;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().as_ref() == b"testcase" =>
            {
                testcases += 1;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert!(testcases >= 8, "{}", junit.stdout);

    let k6 = vertex_perf(&["report", &run_json, "--format", "k6"]);
    let value: serde_json::Value = serde_json::from_str(&k6.stdout).unwrap();
    assert!(value["metrics"]["http_reqs"]["rate"].is_number());
    assert!(value["metrics"]["http_req_waiting"]["p(95)"].is_number());

    let metrics = vertex_perf(&["report", &run_json, "--format", "metrics"]);
    assert!(metrics.stdout.ends_with("# EOF\n"), "{}", metrics.stdout);
    assert!(
        metrics
            .stdout
            .lines()
            .filter(|l| !l.starts_with('#'))
            .all(|l| l
                .rsplit_once(' ')
                .is_some_and(|(_, v)| v.parse::<f64>().is_ok())),
        "{}",
        metrics.stdout
    );

    let md = vertex_perf(&["report", &run_json, "--format", "md"]);
    assert!(md.stdout.starts_with("# vertex-perf run"), "{}", md.stdout);

    let json = vertex_perf(&["report", &run_json, "--format", "json"]);
    assert_eq!(
        json.stdout,
        fs::read_to_string(&run_json).unwrap(),
        "json re-renders identically"
    );
}

#[test]
fn writes_to_a_file_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("junit.xml");
    let run = vertex_perf(&[
        "report",
        &fixture("baseline-suite.json"),
        "--format",
        "junit",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(fs::read_to_string(&out).unwrap().contains("<testsuites"));
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}

#[test]
fn bad_input_or_output_exits_two() {
    assert_setup_error(
        &vertex_perf(&["report", &fixture("truncated-suite.json"), "--format", "md"]),
        "truncated",
    );
    assert_setup_error(
        &vertex_perf(&[
            "report",
            &fixture("wrong-schema-suite.json"),
            "--format",
            "md",
        ]),
        "schema_version",
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("missing-dir/report.md");
    let run = vertex_perf(&[
        "report",
        &fixture("baseline-suite.json"),
        "--format",
        "md",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_setup_error(&run, "cannot write report");
    let run = vertex_perf(&["report", &fixture("baseline-suite.json"), "--format", "pdf"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
