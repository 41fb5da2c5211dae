//! Every renderer's output parses back, with the fields its consumer reads.

use quick_xml::Reader;
use quick_xml::events::Event;
use report_model::*;
use report_model::{compare::*, leftovers::*, load::*, render::*, threshold::*, workflow::*};

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
                .push_str(&text.decode().unwrap()),
            Event::GeneralRef(entity) => {
                let text = match entity.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&entity.decode().unwrap())
                        .expect("only XML's predefined entities")
                        .to_owned(),
                };
                stack.last_mut().unwrap().text.push_str(&text);
            }
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
                    attribute
                        .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned(),
                )
            })
            .collect(),
        ..Element::default()
    }
}

pub fn failing_suite() -> SuiteReport {
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

/// The failing suite, also interrupted, compared with a faster baseline and leaving rows
/// behind: every kind of JUnit case at once.
pub fn regressed_suite() -> SuiteReport {
    let mut report = failing_suite();
    let baseline = sample_suite(0.5);
    report.comparison = Some(compare(
        &baseline.metrics(),
        &report.metrics(),
        Tolerance::from_percent(10.0).unwrap(),
    ));
    report.interrupted = true;
    report.leftovers.push(Leftover {
        kind: LeftoverKind::Client,
        id: "42".to_owned(),
        place: "http://127.0.0.1:8000".to_owned(),
        reason: "DELETE /clients/42 returned 503".to_owned(),
    });
    report.verdict = report.computed_verdict();
    report
}

fn junit_cases<'a>(root: &'a Element, suite: &str) -> Vec<&'a Element> {
    root.children_named("testsuite")
        .filter(|s| s.attribute("name") == Some(suite))
        .flat_map(|s| s.children_named("testcase"))
        .collect()
}

#[test]
fn junit_has_one_suite_per_phase_and_failures_carry_the_numbers() {
    let report = failing_suite();
    let xml = render_junit(&report).unwrap();
    let root = parse_xml(&xml);
    assert_eq!(root.name, "testsuites");
    assert_eq!(root.attribute("timestamp"), None, "not in junit-10.xsd");
    let suites: Vec<&Element> = root.children_named("testsuite").collect();
    let names: Vec<&str> = suites.iter().filter_map(|s| s.attribute("name")).collect();
    assert_eq!(names, ["load", "workflow", "storage", "server", "db"]);
    for suite in &suites {
        for attribute in [
            "tests",
            "failures",
            "errors",
            "skipped",
            "time",
            "timestamp",
            "hostname",
        ] {
            assert!(
                suite.attribute(attribute).is_some(),
                "{attribute}: {suite:?}"
            );
        }
        assert_eq!(suite.attribute("disabled"), None);
        let name = suite.attribute("name").unwrap();
        for case in suite.children_named("testcase") {
            assert_eq!(
                case.attribute("classname"),
                Some(format!("vertex-perf.{name}").as_str())
            );
            let time: f64 = case.attribute("time").unwrap().parse().unwrap();
            assert!(time >= 0.0);
        }
    }
    let load = junit_cases(&root, "load");
    let p95 = load
        .iter()
        .find(|c| c.attribute("name") == Some("http.p95 < 1ms"))
        .unwrap();
    let failure = p95.children_named("failure").next().expect("p95 fails");
    assert_eq!(failure.attribute("type"), Some("threshold"));
    let message = failure.attribute("message").unwrap();
    assert!(
        message.contains("measured") && message.contains("target < 1.0ms"),
        "the message carries the value and the limit: {message}"
    );
    let warned = load
        .iter()
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
    let shown = warned
        .children_named("skipped")
        .next()
        .expect("a warning is shown");
    assert!(shown.attribute("message").unwrap().starts_with("warning: "));
    let unmeasured = junit_cases(&root, "db");
    assert_eq!(
        unmeasured[0].children_named("skipped").count(),
        1,
        "unmeasured is skipped"
    );
    let step = junit_cases(&root, "workflow")
        .into_iter()
        .find(|c| c.attribute("name") == Some("Client Search"))
        .unwrap();
    let failure = step.children_named("failure").next().unwrap();
    assert_eq!(failure.attribute("type"), Some("workflow-step"));
    assert_eq!(
        failure.attribute("message"),
        Some("GET /clients/search returned 500")
    );
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
fn junit_baseline_regressions_are_one_case_per_scenario() {
    let root = parse_xml(&render_junit(&regressed_suite()).unwrap());
    let baseline = junit_cases(&root, "baseline");
    let report = regressed_suite();
    let comparison = report.comparison.as_ref().unwrap();
    let scenarios: std::collections::BTreeSet<&str> = comparison
        .regressions()
        .filter_map(|d| {
            d.metric
                .split_once('[')
                .map(|(_, s)| s.trim_end_matches(']'))
        })
        .collect();
    assert!(scenarios.len() >= 2, "{scenarios:?}");
    let failing: Vec<&&Element> = baseline
        .iter()
        .filter(|c| c.children_named("failure").next().is_some())
        .collect();
    assert_eq!(failing.len(), scenarios.len(), "{baseline:?}");
    for scenario in scenarios {
        let case = baseline
            .iter()
            .find(|c| c.attribute("name") == Some(format!("no regression ({scenario})").as_str()))
            .unwrap();
        let failure = case.children_named("failure").next().unwrap();
        assert_eq!(failure.attribute("type"), Some("regression"));
        let message = failure.attribute("message").unwrap();
        assert!(
            message.contains(&format!("http.p95[{scenario}]")),
            "{message}"
        );
        assert!(message.contains('%'), "{message}");
    }
    let cleanup = junit_cases(&root, "cleanup");
    let skipped = cleanup[0]
        .children_named("skipped")
        .next()
        .expect("leftovers are shown");
    assert!(
        skipped
            .attribute("message")
            .unwrap()
            .starts_with("warning: 1 ")
    );
    let output = &cleanup[0].children_named("system-out").next().unwrap().text;
    assert!(output.contains("42"), "{output}");
    let setup = junit_cases(&root, "setup");
    assert!(
        setup[0]
            .children_named("skipped")
            .next()
            .unwrap()
            .attribute("message")
            .unwrap()
            .contains("interrupted")
    );
}

#[test]
fn junit_reports_a_setup_failure_as_an_error() {
    let mut report = SuiteReport::new(sample_suite(1.0).meta);
    report.outcome = RunOutcome::SetupFailed {
        message: "cannot reach `http://127.0.0.1:9`".to_owned(),
    };
    let root = parse_xml(&render_junit(&report).unwrap());
    let case = junit_cases(&root, "setup")[0];
    let error = case.children_named("error").next().unwrap();
    assert_eq!(error.attribute("type"), Some("setup"));
    assert!(error.attribute("message").unwrap().contains("127.0.0.1:9"));
    assert_eq!(root.attribute("errors"), Some("1"));
}

#[test]
fn junit_is_valid_against_the_jenkins_xsd() {
    // `.ci/run` installs libxml2-utils and names xmllint here; the schema is committed.
    let Ok(xmllint) = std::env::var("VERTEX_PERF_XMLLINT") else {
        eprintln!("VERTEX_PERF_XMLLINT not set: junit.xml is not checked against its XSD here");
        return;
    };
    let schema =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/junit-10.xsd");
    let dir = tempfile::tempdir().unwrap();
    let mut setup_failed = SuiteReport::new(sample_suite(1.0).meta);
    setup_failed.outcome = RunOutcome::SetupFailed {
        message: "cannot reach <x> & \"y\"".to_owned(),
    };
    let fixtures = vec![
        ("passing", sample_suite(1.0)),
        ("failing", failing_suite()),
        ("regressed", regressed_suite()),
        ("setup-failed", setup_failed),
    ];
    for (name, report) in fixtures {
        let path = dir.path().join(format!("{name}.xml"));
        std::fs::write(&path, render_junit(&report).unwrap()).unwrap();
        let output = std::process::Command::new(&xmllint)
            .arg("--noout")
            .arg("--schema")
            .arg(&schema)
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
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
        markdown.contains("| **Client Search** | **failed** |"),
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
    // Failures come first in the verdict table, passes after.
    let verdict_table = &html[verdicts..html[verdicts..].find("</table>").unwrap() + verdicts];
    let first_pass = verdict_table.find("<tr class=\"pass\">").unwrap();
    assert!(verdict_table.rfind("<tr class=\"fail\">").unwrap() < first_pass);
    // What summary.md has, the page has too, and who ran what.
    for text in [
        "<h3>Workflow steps</h3>",
        "<h3>Storage</h3>",
        "<h3>Endpoints</h3>",
        "<h3>Status codes</h3>",
        "profile quick",
        "vertex-perf 0.1.0 (0123456789ab)",
        "<code>vertex-perf suite --profile quick",
        "clipPath",
    ] {
        assert!(html.contains(text), "`{text}` missing");
    }
    for title in [
        "Response time percentiles per second (log scale)",
        "Throughput and errors per second",
        "Requests in flight (mean per second)",
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

#[test]
fn html_baseline_columns_are_named_and_regressions_listed_first() {
    let html = render_html(&regressed_suite());
    let section = &html[html.find("<h2>Baseline comparison</h2>").unwrap()..];
    assert!(
        section.contains("<th>metric</th><th class=\"num\">baseline</th><th class=\"num\">current</th><th class=\"num\">change</th>"),
        "{section}"
    );
    let first_row = section.find("<tr class=").unwrap();
    assert!(section[first_row..].starts_with("<tr class=\"fail\">"));
}

/// A run under a second where every request failed: one partial second, 20 errors.
fn sub_second_all_errors() -> SuiteReport {
    let mut report = SuiteReport::new(sample_suite(1.0).meta);
    let mut scenario = sample_suite(1.0).load.unwrap().scenarios.remove(0);
    scenario.duration_us = 40_000;
    scenario.total_requests = 20;
    scenario.successful_requests = 0;
    scenario.failed_requests = 20;
    scenario.success_rate_percent = 0.0;
    scenario.response_time = LatencyDistribution::from(LatencyHistogram::new());
    scenario.series = vec![SecondStats {
        second: 0,
        requests: 20,
        errors: 20,
        busy_us: 20 * 8_000,
        ..SecondStats::default()
    }];
    for endpoint in &mut scenario.endpoints {
        endpoint.requests = 20;
        endpoint.failures = 20;
        endpoint.response_time = LatencyDistribution::from(LatencyHistogram::new());
        endpoint.status_codes = [(500, 20)].into_iter().collect();
    }
    report.meta.finished_at = report.meta.started_at + chrono::Duration::milliseconds(60);
    report.load = Some(LoadReport {
        schema_version: SCHEMA_VERSION,
        scenarios: vec![scenario],
    });
    report
}

#[test]
fn html_of_a_sub_second_all_errors_run_draws_its_one_second_and_no_fake_latency() {
    let html = render_html(&sub_second_all_errors());
    let throughput = &html[html
        .find("aria-label=\"Throughput and errors per second\"")
        .unwrap()..];
    let throughput = &throughput[..throughput.find("</svg>").unwrap()];
    // One point per series, drawn as a dot: 20 requests over 40 ms is 500/s.
    assert_eq!(throughput.matches("<circle").count(), 2, "{throughput}");
    assert!(
        throughput.contains(">500<") || throughput.contains(">400<"),
        "{throughput}"
    );
    assert!(
        html.contains("Response time percentiles per second (log scale): no data in this run.")
    );
    let scenarios = &html[html.find("<h3>Scenarios</h3>").unwrap()..];
    let row = &scenarios[scenarios.find("<tr class=\"warn\">").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("n/a") && !row.contains("0us"), "{row}");
    assert!(
        html.contains("<td class=\"num\">20</td>"),
        "status counts shown"
    );
}
