//! Every renderer's output parses back, with the fields its consumer reads.

use quick_xml::Reader;
use quick_xml::events::Event;
use report_model::*;

use crate::sample::sample_suite;

/// A minimal XML element tree, enough to check the JUnit shape.
#[derive(Debug, Default)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }
}

/// Parses XML into an element tree, failing on malformed input.
pub fn parse_xml(xml: &str) -> Element {
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => stack.push(element_from(&start)),
            Event::Empty(start) => {
                let element = element_from(&start);
                stack.last_mut().unwrap().children.push(element);
            }
            Event::End(_) => {
                let element = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(element);
            }
            Event::Text(text) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&text.unescape().unwrap()),
            Event::CData(data) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&String::from_utf8_lossy(&data)),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    stack
        .pop()
        .unwrap()
        .children
        .into_iter()
        .next()
        .expect("a root element")
}

fn element_from(start: &quick_xml::events::BytesStart<'_>) -> Element {
    Element {
        name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
        attributes: start
            .attributes()
            .map(|attribute| {
                let attribute = attribute.expect("valid attribute");
                (
                    String::from_utf8_lossy(attribute.key.as_ref()).into_owned(),
                    attribute.unescape_value().unwrap().into_owned(),
                )
            })
            .collect(),
        ..Element::default()
    }
}

fn failing_suite() -> SuiteReport {
    let mut report = sample_suite(1.0);
    report.thresholds = evaluate_all(
        &[
            "http.p95 < 1ms".parse().unwrap(),
            "load.success_rate > 99.5% acceptable 95%".parse().unwrap(),
            "storage.upload_mibps > 100".parse().unwrap(),
            "db.read_p95 < 100ms".parse().unwrap(),
        ],
        &report.metrics(),
    );
    let workflow = report.workflow.as_mut().unwrap();
    workflow.steps[2].status = StepStatus::Failed;
    workflow.steps[2].failure = Some(StepFailure {
        reason: "GET /clients/search returned 500".to_owned(),
        http_status: Some(500),
        detail: Some("Internal Server Error".to_owned()),
        expected: Some("200 with at least one client".to_owned()),
        found: None,
    });
    report.verdict = report.computed_verdict();
    report
}

#[test]
fn junit_has_the_shape_gitlab_reads_and_failures_carry_numbers() {
    let report = failing_suite();
    let xml = render_junit(&report).unwrap();
    let root = parse_xml(&xml);
    assert_eq!(root.name, "testsuites");
    let suites: Vec<&Element> = root.children_named("testsuite").collect();
    let names: Vec<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(names, ["thresholds", "workflow", "memory", "storage"]);
    for suite in &suites {
        for case in suite.children_named("testcase") {
            assert!(
                case.attribute("classname")
                    .is_some_and(|c| c.starts_with("vertex-perf.")),
                "{case:?}"
            );
            assert!(case.attribute("name").is_some(), "{case:?}");
            let time: f64 = case
                .attribute("time")
                .expect("time")
                .parse()
                .expect("numeric time");
            assert!(time >= 0.0);
        }
    }
    let thresholds = suites[0];
    let p95 = thresholds
        .children_named("testcase")
        .find(|c| c.attribute("name") == Some("http.p95 < 1ms"))
        .unwrap();
    let failure = p95.children_named("failure").next().expect("p95 fails");
    assert!(
        failure.text.contains("measured") && failure.text.contains("target < 1.0ms"),
        "{}",
        failure.text
    );
    let warned = thresholds
        .children_named("testcase")
        .find(|c| {
            c.attribute("name")
                .unwrap()
                .starts_with("load.success_rate")
        })
        .unwrap();
    assert_eq!(
        warned.children_named("failure").count(),
        0,
        "a warning is not a failure"
    );
    let skipped = thresholds
        .children_named("testcase")
        .find(|c| c.attribute("name").unwrap().starts_with("db.read_p95"))
        .unwrap();
    assert_eq!(
        skipped.children_named("skipped").count(),
        1,
        "unmeasured metrics are skipped"
    );
    let step = suites[1]
        .children_named("testcase")
        .find(|c| c.attribute("name") == Some("Client Search"))
        .unwrap();
    let failure = step.children_named("failure").next().unwrap();
    assert!(
        failure.text.contains("http status: 500"),
        "{}",
        failure.text
    );
    assert_eq!(
        root.attribute("failures"),
        Some("2"),
        "the p95 threshold and the workflow step"
    );
}

#[test]
fn junit_reports_a_setup_failure_as_an_error() {
    let mut report = SuiteReport::new(sample_suite(1.0).meta);
    report.outcome = RunOutcome::SetupFailed {
        message: "cannot reach `http://127.0.0.1:9`".to_owned(),
    };
    let root = parse_xml(&render_junit(&report).unwrap());
    let setup = root.children_named("testsuite").next().unwrap();
    let case = setup.children_named("testcase").next().unwrap();
    assert!(
        case.children_named("error")
            .next()
            .unwrap()
            .text
            .contains("127.0.0.1:9")
    );
}

#[test]
fn k6_summary_has_the_fields_gitlab_reads() {
    let report = sample_suite(1.0);
    let text = render_k6_summary(&report).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let metrics = &value["metrics"];
    let rate = metrics["http_reqs"]["rate"].as_f64().unwrap();
    assert!(
        (rate - 101.0).abs() < 1e-9,
        "two 10 s scenarios of 1010 requests: {rate}"
    );
    let p90 = metrics["http_req_waiting"]["p(90)"].as_f64().unwrap();
    let p95 = metrics["http_req_waiting"]["p(95)"].as_f64().unwrap();
    let ttfb = report.load.as_ref().unwrap().merged_ttfb();
    assert_eq!(
        p95,
        ttfb.value_at_quantile_us(0.95) as f64 / 1000.0,
        "milliseconds"
    );
    assert!(p90 > 10.0 && p90 <= p95, "p90 {p90} ms, p95 {p95} ms");
    assert_eq!(metrics["checks"]["passes"], 2000);
    assert_eq!(metrics["checks"]["fails"], 20);
    for field in ["avg", "min", "med", "max", "p(90)", "p(95)"] {
        assert!(metrics["http_req_duration"][field].is_number(), "{field}");
    }
    assert_eq!(
        value["root_group"]["id"],
        "d41d8cd98f00b204e9800998ecf8427e"
    );
}

#[test]
fn k6_summary_without_measurements_has_no_percentiles() {
    // No load at all (or nothing measured): the widget must not read 0 ms as a latency.
    let mut report = sample_suite(1.0);
    report.load = None;
    let value: serde_json::Value =
        serde_json::from_str(&render_k6_summary(&report).unwrap()).unwrap();
    for trend in ["http_req_duration", "http_req_waiting"] {
        assert_eq!(value["metrics"][trend], serde_json::json!({}), "{trend}");
    }
}

#[test]
fn metrics_text_is_openmetrics_with_each_family_once() {
    let report = failing_suite();
    let text = render_metrics_text(&report);
    assert!(text.ends_with("# EOF\n"), "{text}");
    let mut families = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').unwrap();
            assert_eq!(kind, "gauge", "{line}");
            families.push(family.to_owned());
        } else if !line.starts_with('#') {
            let (name, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap();
            let bare = name.split('{').next().unwrap();
            assert!(
                bare.starts_with(families.last().unwrap()),
                "a sample outside its family: {line}"
            );
            samples.push(name.to_owned());
        }
    }
    let mut unique = families.clone();
    unique.dedup();
    assert_eq!(unique, families, "each family is written once, together");
    assert!(
        samples.contains(&"vertex_perf_http_p95_seconds{scenario=\"read_mix\"}".to_owned()),
        "{text}"
    );
    assert!(text.contains("vertex_perf_verdict{} 2"), "{text}");
    assert!(
        samples.len() < 80,
        "only what an MR should look at: {}",
        samples.len()
    );
}

#[test]
fn metrics_text_passes_the_python_openmetrics_parser() {
    // `.ci/run` installs prometheus_client and names its Python here.
    let Ok(python) = std::env::var("VERTEX_PERF_OPENMETRICS_PYTHON") else {
        eprintln!("VERTEX_PERF_OPENMETRICS_PYTHON not set: the OpenMetrics parser is not run here");
        return;
    };
    let text = render_metrics_text(&failing_suite());
    let mut child = std::process::Command::new(python)
        .args([
            "-c",
            "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families as parse\nprint(len(list(parse(sys.stdin.read()))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    let families: usize = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(families > 5, "{families} families");
}

#[test]
fn markdown_puts_the_verdict_table_first() {
    let report = failing_suite();
    let markdown = render_markdown(&report);
    let first_heading = markdown.lines().find(|l| l.starts_with("## ")).unwrap();
    assert_eq!(first_heading, "## Verdicts");
    assert!(markdown.starts_with("# vertex-perf run `20261126T120000Z-a1b2c3`: FAIL"));
    assert!(markdown.contains("| `http.p95` |"), "{markdown}");
    assert!(
        markdown.contains("| Client Search | **failed** |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("Skipped `minio`: connection refused"),
        "{markdown}"
    );
    // Every table row has the same number of cells as its header.
    let mut expected_cells = None;
    for line in markdown.lines() {
        if line.starts_with('|') {
            let cells = line.replace("\\|", "").matches('|').count();
            match expected_cells {
                None => expected_cells = Some(cells),
                Some(n) => assert_eq!(cells, n, "{line}"),
            }
        } else {
            expected_cells = None;
        }
    }
}

#[test]
fn json_round_trips_pretty_and_compact() {
    let report = failing_suite();
    for format in [RenderFormat::JsonPretty, RenderFormat::JsonCompact] {
        let text = render(&report, format).unwrap();
        let back = SuiteReport::from_json_slice(text.as_bytes(), "<memory>".as_ref()).unwrap();
        assert_eq!(back, report, "{format}");
    }
    let compact = render(&report, RenderFormat::JsonCompact).unwrap();
    assert_eq!(compact.lines().count(), 1);
    assert!(
        !render(&report, RenderFormat::JsonPretty)
            .unwrap()
            .contains("secret"),
        "credentials are redacted"
    );
}

#[test]
fn default_thresholds_judge_the_sample() {
    let report = sample_suite(1.0);
    let verdict_of = |metric: &str| {
        report
            .thresholds
            .iter()
            .find(|t| t.metric == metric)
            .unwrap()
            .verdict
    };
    assert_eq!(
        verdict_of("http.p95[concurrent_orders]"),
        Some(Verdict::Pass)
    );
    assert_eq!(verdict_of("load.success_rate"), Some(Verdict::Pass));
    assert_eq!(verdict_of("server.cpu_avg"), Some(Verdict::Pass));
    assert_eq!(
        verdict_of("db.read_p95"),
        None,
        "no db_reads scenario in the sample"
    );
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn html_is_self_contained_with_the_verdicts_first_and_every_chart() {
    let report = failing_suite();
    let html = render_html(&report);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // No scripts, no external resources: the only URL is the SVG namespace.
    assert!(!html.contains("<script"), "no scripts");
    let urls: Vec<&str> = html
        .match_indices("http://")
        .map(|(i, _)| &html[i..(i + 40).min(html.len())])
        .filter(|u| !u.starts_with("http://www.w3.org/2000/svg"))
        .collect();
    assert!(
        urls.iter().all(|u| u.starts_with("http://127.0.0.1")),
        "{urls:?}"
    );
    assert!(!html.contains("src=") && !html.contains("href="));
    let verdicts = html.find("<h2>Verdicts</h2>").unwrap();
    let first_chart = html.find("<svg").unwrap();
    assert!(verdicts < first_chart);
    assert!(html.contains("<tr class=\"fail\"><td>fail</td><td>http.p95 &lt; 1ms</td>"));
    assert!(html.contains("Client Search: GET /clients/search returned 500"));
    for title in [
        "Response time percentiles per second",
        "Throughput and errors per second",
        "CPU (100% = one core)",
        "Memory",
        "Upload MiB/s by object size and backend",
        "Download MiB/s by object size and backend",
        "Server memory after each identical workload cycle",
    ] {
        let chart = format!("aria-label=\"{}\"", title.replace('&', "&amp;"));
        assert!(html.contains(&chart), "chart `{title}` missing");
    }
    // Every chart drew something: no "no data" notes for a full report.
    assert!(!html.contains("no data in this run"), "{html}");
    // Escaped user text cannot break out.
    let mut hostile = report.clone();
    hostile.load.as_mut().unwrap().scenarios[0].name = "<img src=x onerror=alert(1)>".to_owned();
    assert!(!render_html(&hostile).contains("<img"));
}
