//! JUnit XML valid against the Jenkins xunit plugin's `junit-10.xsd` (committed as
//! `docs/schema/junit-10.xsd`), the shape GitLab's test report parser reads.
//!
//! One `testsuite` per phase of the run (setup, load, workflow, storage, server, db, cleanup,
//! baseline), one `testcase` per check. A failure's `message` carries the measured value and
//! the limit and its `type` the kind of check; a warning is a `<skipped>` case whose message
//! starts with `warning:` (JUnit has no warning, and GitLab lists skipped cases with their
//! message), so what only deserves a look never fails a pipeline. A baseline regression is
//! one case per scenario, naming each metric that moved.
//!
//! Written with `quick-xml` rather than `quick-junit`: the latter always writes attributes
//! the schema rejects (`testsuite/@disabled`, `testsuites/@skipped`, `testsuites/@timestamp`).

use std::collections::BTreeMap;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::metrics::{self, MetricUnit};
use crate::workflow::StepStatus;
use crate::{MetricDelta, ReportError, RunOutcome, SuiteReport, ThresholdResult, Verdict};

/// Renders the report's checks as JUnit XML.
pub fn render_junit(report: &SuiteReport) -> Result<String, ReportError> {
    let suites = suites(report);
    write(report, &suites).map_err(|err| ReportError::Render {
        format: "junit xml",
        message: err.to_string(),
    })
}

/// One phase's checks.
struct Suite {
    name: &'static str,
    cases: Vec<Case>,
}

/// One check.
struct Case {
    name: String,
    time: Duration,
    outcome: Outcome,
    output: Option<String>,
}

/// How a check ended, as JUnit spells it.
enum Outcome {
    Passed,
    /// A check that judged and failed: `<failure type message>`.
    Failed(Problem),
    /// The run could not judge at all: `<error type message>`.
    Error(Problem),
    /// Not judged, or judged a warning: `<skipped message>`.
    Skipped {
        message: String,
    },
}

/// What went wrong: its kind (`failure@type`), one line with the numbers
/// (`failure@message`) and the detail (the element's text).
struct Problem {
    kind: &'static str,
    message: String,
    text: String,
}

impl Problem {
    fn new(kind: &'static str, message: impl Into<String>, text: impl Into<String>) -> Problem {
        Problem {
            kind,
            message: message.into(),
            text: text.into(),
        }
    }

    fn write(&self, writer: &mut Writer<Vec<u8>>, element: &str) -> std::io::Result<()> {
        writer
            .create_element(element)
            .with_attributes([("type", self.kind), ("message", self.message.as_str())])
            .write_text_content(BytesText::new(&self.text))?;
        Ok(())
    }
}

impl Case {
    fn new(name: impl Into<String>, outcome: Outcome) -> Case {
        Case {
            name: name.into(),
            time: Duration::ZERO,
            outcome,
            output: None,
        }
    }

    fn timed(mut self, time: Duration) -> Case {
        self.time = time;
        self
    }

    fn with_output(mut self, output: impl Into<String>) -> Case {
        self.output = Some(output.into());
        self
    }
}

/// The phases, in the order they are written; a phase without checks is left out.
const PHASES: [&str; 9] = [
    "setup", "measured", "load", "workflow", "storage", "server", "db", "cleanup", "baseline",
];

fn suites(report: &SuiteReport) -> Vec<Suite> {
    let mut by_phase: BTreeMap<&'static str, Vec<Case>> = BTreeMap::new();
    let mut add = |phase: &'static str, case: Case| by_phase.entry(phase).or_default().push(case);

    let unusable = match &report.outcome {
        RunOutcome::SetupFailed { message } => Some(("setup failed", "setup", message)),
        RunOutcome::NothingMeasured { message } => {
            Some(("nothing measured", "nothing-measured", message))
        }
        RunOutcome::Completed | RunOutcome::Interrupted => None,
    };
    if let Some((what, kind, message)) = unusable {
        add(
            "setup",
            Case::new(
                what,
                Outcome::Error(Problem::new(kind, message.as_str(), message.as_str())),
            ),
        );
    }
    if report.interrupted {
        add(
            "setup",
            Case::new(
                "run completed",
                Outcome::Skipped {
                    message: "warning: interrupted; the reports hold what was done".to_owned(),
                },
            ),
        );
    }
    for gap in &report.gaps {
        add(
            "measured",
            Case::new(
                gap.as_str(),
                Outcome::Failed(Problem::new("not-measured", gap.as_str(), gap.as_str())),
            ),
        );
    }
    for threshold in &report.thresholds {
        add(
            threshold_phase(&threshold.metric),
            threshold_case(threshold),
        );
    }
    if let Some(workflow) = &report.workflow {
        for step in &workflow.steps {
            let outcome = match step.status {
                StepStatus::Passed => Outcome::Passed,
                StepStatus::Failed => {
                    let (message, text) = step.failure.as_ref().map_or_else(
                        || ("step failed".to_owned(), String::new()),
                        |failure| (failure.reason.clone(), describe_step_failure(failure)),
                    );
                    Outcome::Failed(Problem::new("workflow-step", message, text))
                }
                StepStatus::Skipped => Outcome::Skipped {
                    message: step
                        .failure
                        .as_ref()
                        .map_or_else(|| "skipped".to_owned(), |f| f.reason.clone()),
                },
            };
            add(
                "workflow",
                Case::new(step.name.as_str(), outcome)
                    .timed(Duration::from_micros(step.duration_us)),
            );
        }
    }
    if let Some(storage) = &report.storage {
        for backend in &storage.backends {
            if let Some(reason) = &backend.skipped {
                add(
                    "storage",
                    Case::new(
                        format!("{} backend", backend.name),
                        Outcome::Skipped {
                            message: reason.clone(),
                        },
                    ),
                );
            }
        }
        for result in &storage.results {
            let name = format!(
                "{} {} {} integrity",
                result.backend,
                result.operation,
                MetricUnit::Bytes.format(result.object_size_bytes as f64)
            );
            let mismatches = &result.integrity.mismatches;
            let outcome = if mismatches.is_empty() {
                Outcome::Passed
            } else {
                let text: Vec<String> = mismatches
                    .iter()
                    .map(|m| {
                        format!(
                            "{}: sent sha256 {}, got {}",
                            m.key, m.expected_sha256, m.actual_sha256
                        )
                    })
                    .collect();
                Outcome::Failed(Problem::new(
                    "integrity",
                    format!(
                        "{} of {} objects came back different",
                        mismatches.len(),
                        mismatches.len() as u64 + result.integrity.verified
                    ),
                    text.join("\n"),
                ))
            };
            add(
                "storage",
                Case::new(name, outcome).timed(Duration::from_micros(result.duration_us)),
            );
        }
    }
    for (name, leak) in report.leak_checks() {
        let line = format!("{}: {}", leak.verdict_label(), leak.reason);
        let outcome = match leak.judged() {
            Some(Verdict::Fail) => Outcome::Failed(Problem::new(
                "memory-leak",
                leak.reason.as_str(),
                line.as_str(),
            )),
            Some(Verdict::Warn) => Outcome::Skipped {
                message: format!("warning: {}", leak.reason),
            },
            Some(Verdict::Pass) => Outcome::Passed,
            None => Outcome::Skipped {
                message: format!("inconclusive: {}", leak.reason),
            },
        };
        add(
            "server",
            Case::new(format!("leak check ({name})"), outcome).with_output(line),
        );
    }
    if !report.leftovers.is_empty() || report.storage_growth.is_some() {
        let left = report.leftovers.iter().filter(|l| !l.is_kept()).count();
        let lines = report.cleanup_lines().join("\n");
        let outcome = if left > 0 {
            Outcome::Skipped {
                message: format!("warning: {left} created rows or objects were left behind"),
            }
        } else {
            Outcome::Passed
        };
        add(
            "cleanup",
            Case::new("nothing left behind", outcome).with_output(lines),
        );
    }
    if let Some(comparison) = &report.comparison {
        for case in baseline_cases(comparison) {
            add("baseline", case);
        }
    }

    PHASES
        .iter()
        .filter_map(|phase| {
            by_phase
                .remove(phase)
                .map(|cases| Suite { name: phase, cases })
        })
        .collect()
}

/// The phase whose traffic a metric family describes.
fn threshold_phase(metric: &str) -> &'static str {
    match metric.split(['.', '[']).next().unwrap_or_default() {
        "http" | "load" => "load",
        "workflow" => "workflow",
        "storage" => "storage",
        "db" => "db",
        _ => "server",
    }
}

fn threshold_case(threshold: &ThresholdResult) -> Case {
    let outcome = match threshold.verdict {
        Some(Verdict::Fail) => Outcome::Failed(Problem::new(
            "threshold",
            threshold.message.as_str(),
            threshold.message.as_str(),
        )),
        Some(Verdict::Warn) => Outcome::Skipped {
            message: format!("warning: {}", threshold.message),
        },
        Some(Verdict::Pass) => Outcome::Passed,
        None => Outcome::Skipped {
            message: threshold.message.clone(),
        },
    };
    Case::new(threshold.expression.as_str(), outcome).with_output(threshold.message.as_str())
}

/// One case per scenario (and one for the unqualified, whole-run metrics), failing when any
/// of its gated metrics regressed and naming each of them.
fn baseline_cases(comparison: &crate::Comparison) -> Vec<Case> {
    let mut groups: BTreeMap<String, Vec<&MetricDelta>> = BTreeMap::new();
    for delta in comparison.metrics.iter().filter(|d| d.gated) {
        let group = delta.metric.split_once('[').map_or_else(
            || "whole run".to_owned(),
            |(_, scenario)| scenario.trim_end_matches(']').to_owned(),
        );
        groups.entry(group).or_default().push(delta);
    }
    groups
        .into_iter()
        .map(|(group, deltas)| {
            let describe = |delta: &MetricDelta| {
                let unit = metrics::lookup(&delta.metric).map_or(MetricUnit::Count, |d| d.unit);
                format!(
                    "{} {} → {} ({}{})",
                    delta.metric,
                    unit.format(delta.baseline),
                    unit.format(delta.current),
                    delta
                        .delta_percent
                        .map_or_else(|| "n/a".to_owned(), |d| format!("{d:+.1}%")),
                    delta
                        .p_value
                        .map_or_else(String::new, |p| format!(", p = {p:.4}")),
                )
            };
            let all: Vec<String> = deltas.iter().map(|d| describe(d)).collect();
            let regressed: Vec<String> = deltas
                .iter()
                .filter(|d| d.regression)
                .map(|d| describe(d))
                .collect();
            let body = format!(
                "{} baseline, tolerance {}%\n{}",
                comparison.method.as_str(),
                comparison.tolerance_percent,
                all.join("\n")
            );
            let outcome = if regressed.is_empty() {
                Outcome::Passed
            } else {
                Outcome::Failed(Problem::new(
                    "regression",
                    format!("regressed: {}", regressed.join("; ")),
                    body.as_str(),
                ))
            };
            Case::new(format!("no regression ({group})"), outcome).with_output(body)
        })
        .collect()
}

fn describe_step_failure(failure: &crate::StepFailure) -> String {
    let mut lines = vec![failure.reason.clone()];
    if let Some(status) = failure.http_status {
        lines.push(format!("http status: {status}"));
    }
    if let Some(detail) = &failure.detail {
        lines.push(format!("detail: {detail}"));
    }
    if let Some(expected) = &failure.expected {
        lines.push(format!("expected: {expected}"));
    }
    if let Some(found) = &failure.found {
        lines.push(format!("found: {found}"));
    }
    lines.join("\n")
}

/// Seconds with three decimals, the schema's `SUREFIRE_TIME`.
fn seconds(time: Duration) -> String {
    format!("{:.3}", time.as_secs_f64())
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    time: Duration,
}

impl Counts {
    fn of<'a>(cases: impl IntoIterator<Item = &'a Case>) -> Counts {
        let mut counts = Counts::default();
        for case in cases {
            counts.tests += 1;
            counts.time += case.time;
            match case.outcome {
                Outcome::Passed => {}
                Outcome::Failed(_) => counts.failures += 1,
                Outcome::Error(_) => counts.errors += 1,
                Outcome::Skipped { .. } => counts.skipped += 1,
            }
        }
        counts
    }
}

fn write(report: &SuiteReport, suites: &[Suite]) -> Result<String, std::io::Error> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let total = Counts::of(suites.iter().flat_map(|s| &s.cases));
    let timestamp = report
        .meta
        .started_at
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let hostname = report.meta.host.hostname.clone().unwrap_or_default();
    let run_time = (report.meta.finished_at - report.meta.started_at)
        .to_std()
        .unwrap_or_default();
    writer
        .create_element("testsuites")
        .with_attributes([
            ("name", "vertex-perf"),
            ("tests", total.tests.to_string().as_str()),
            ("failures", total.failures.to_string().as_str()),
            ("errors", total.errors.to_string().as_str()),
            ("time", seconds(run_time.max(total.time)).as_str()),
        ])
        .write_inner_content(|writer| {
            for suite in suites {
                let counts = Counts::of(&suite.cases);
                writer
                    .create_element("testsuite")
                    .with_attributes([
                        ("name", suite.name),
                        ("tests", counts.tests.to_string().as_str()),
                        ("failures", counts.failures.to_string().as_str()),
                        ("errors", counts.errors.to_string().as_str()),
                        ("skipped", counts.skipped.to_string().as_str()),
                        ("time", seconds(counts.time).as_str()),
                        ("timestamp", timestamp.as_str()),
                        ("hostname", hostname.as_str()),
                    ])
                    .write_inner_content(|writer| {
                        for case in &suite.cases {
                            write_case(writer, suite.name, case)?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    let mut xml = String::from_utf8(writer.into_inner())
        .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidData, err))?;
    xml.push('\n');
    Ok(xml)
}

fn write_case(writer: &mut Writer<Vec<u8>>, phase: &str, case: &Case) -> std::io::Result<()> {
    let classname = format!("vertex-perf.{phase}");
    let element = writer.create_element("testcase").with_attributes([
        ("name", case.name.as_str()),
        ("classname", classname.as_str()),
        ("time", seconds(case.time).as_str()),
    ]);
    if matches!(case.outcome, Outcome::Passed) && case.output.is_none() {
        element.write_empty()?;
        return Ok(());
    }
    element.write_inner_content(|writer| {
        match &case.outcome {
            Outcome::Passed => {}
            Outcome::Failed(problem) => problem.write(writer, "failure")?,
            Outcome::Error(problem) => problem.write(writer, "error")?,
            Outcome::Skipped { message } => {
                writer
                    .create_element("skipped")
                    .with_attribute(("message", message.as_str()))
                    .write_empty()?;
            }
        }
        if let Some(output) = &case.output {
            writer
                .create_element("system-out")
                .write_text_content(BytesText::new(output))?;
        }
        Ok(())
    })?;
    Ok(())
}
