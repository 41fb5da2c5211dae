//! JUnit XML in the shape GitLab's test report parser reads: `testsuites` → `testsuite name`
//! → `testcase classname name time`, with `failure` elements whose text carries the numbers.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::metrics;
use crate::workflow::StepStatus;
use crate::{ReportError, RunOutcome, SuiteReport, Verdict};

/// Renders one testcase per threshold, workflow step, leak verdict, storage integrity check and
/// baseline regression check.
pub fn render_junit(report: &SuiteReport) -> Result<String, ReportError> {
    let mut junit = Report::new("vertex-perf");
    junit.set_timestamp(report.meta.started_at.fixed_offset());

    let unusable = match &report.outcome {
        RunOutcome::SetupFailed { message } => Some(("setup failed", message)),
        RunOutcome::NothingMeasured { message } => Some(("nothing measured", message)),
        RunOutcome::Completed | RunOutcome::Interrupted => None,
    };
    if let Some((what, message)) = unusable {
        let mut suite = TestSuite::new("setup");
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(what);
        status.set_description(message.as_str());
        suite.add_test_case(case("vertex-perf.setup", "setup", status, Duration::ZERO));
        junit.add_test_suite(suite);
    }

    if !report.gaps.is_empty() {
        let mut suite = TestSuite::new("measured");
        for gap in &report.gaps {
            suite.add_test_case(case(
                "vertex-perf.measured",
                gap,
                failure("not measured", gap),
                Duration::ZERO,
            ));
        }
        junit.add_test_suite(suite);
    }

    if !report.thresholds.is_empty() {
        let mut suite = TestSuite::new("thresholds");
        for threshold in &report.thresholds {
            let status = match threshold.verdict {
                Some(Verdict::Fail) => failure("threshold failed", &threshold.message),
                Some(Verdict::Pass | Verdict::Warn) => TestCaseStatus::success(),
                None => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(threshold.message.as_str());
                    status
                }
            };
            let mut test_case = case(
                "vertex-perf.thresholds",
                &threshold.expression,
                status,
                Duration::ZERO,
            );
            if threshold.verdict == Some(Verdict::Warn) {
                test_case.set_system_out(format!("warn: {}", threshold.message));
            } else if threshold.verdict == Some(Verdict::Pass) {
                test_case.set_system_out(format!("pass: {}", threshold.message));
            }
            suite.add_test_case(test_case);
        }
        junit.add_test_suite(suite);
    }

    if let Some(workflow) = &report.workflow {
        let mut suite = TestSuite::new("workflow");
        for step in &workflow.steps {
            let status = match step.status {
                StepStatus::Passed => TestCaseStatus::success(),
                StepStatus::Failed => {
                    let failure_text = step
                        .failure
                        .as_ref()
                        .map_or_else(String::new, describe_step_failure);
                    failure("step failed", &failure_text)
                }
                StepStatus::Skipped => {
                    let mut status = TestCaseStatus::skipped();
                    if let Some(failure) = &step.failure {
                        status.set_message(failure.reason.as_str());
                    }
                    status
                }
            };
            suite.add_test_case(case(
                "vertex-perf.workflow",
                &step.name,
                status,
                Duration::from_micros(step.duration_us),
            ));
        }
        junit.add_test_suite(suite);
    }

    if !report.leftovers.is_empty() || report.storage_growth.is_some() {
        // JUnit has no warning: a passing testcase whose output starts with `warning:`
        // (GitLab shows it), so what was left behind never fails a pipeline by itself.
        let mut suite = TestSuite::new("cleanup");
        let lines = report.cleanup_lines();
        let left = report.leftovers.iter().filter(|l| !l.is_kept()).count();
        let mut test_case = case(
            "vertex-perf.cleanup",
            &format!("left behind: {left}"),
            TestCaseStatus::success(),
            Duration::ZERO,
        );
        let warning = if left > 0 { "warning: " } else { "" };
        test_case.set_system_out(format!("{warning}{}", lines.join("\n")));
        suite.add_test_case(test_case);
        junit.add_test_suite(suite);
    }

    if report.leak_checks().next().is_some() {
        let mut suite = TestSuite::new("memory");
        for (name, leak) in report.leak_checks() {
            let status = match leak.judged() {
                Some(Verdict::Fail) => failure("memory leak", &leak.reason),
                Some(Verdict::Pass | Verdict::Warn) => TestCaseStatus::success(),
                None => TestCaseStatus::skipped(),
            };
            let mut test_case = case(
                "vertex-perf.memory",
                &format!("leak check ({name})"),
                status,
                Duration::ZERO,
            );
            test_case.set_system_out(format!("{}: {}", leak.verdict_label(), leak.reason));
            suite.add_test_case(test_case);
        }
        junit.add_test_suite(suite);
    }

    if let Some(storage) = &report.storage {
        let mut suite = TestSuite::new("storage");
        for backend in &storage.backends {
            if let Some(reason) = &backend.skipped {
                let mut status = TestCaseStatus::skipped();
                status.set_message(reason.as_str());
                suite.add_test_case(case(
                    "vertex-perf.storage",
                    &format!("{} backend", backend.name),
                    status,
                    Duration::ZERO,
                ));
            }
        }
        for result in &storage.results {
            let name = format!(
                "{} {} {}",
                result.backend,
                result.operation,
                metrics::MetricUnit::Bytes.format(result.object_size_bytes as f64)
            );
            let status = if result.integrity.mismatches.is_empty() {
                TestCaseStatus::success()
            } else {
                let text: Vec<String> = result
                    .integrity
                    .mismatches
                    .iter()
                    .map(|m| {
                        format!(
                            "{}: sent sha256 {}, got {}",
                            m.key, m.expected_sha256, m.actual_sha256
                        )
                    })
                    .collect();
                failure("integrity mismatch", &text.join("\n"))
            };
            suite.add_test_case(case(
                "vertex-perf.storage",
                &name,
                status,
                Duration::from_micros(result.duration_us),
            ));
        }
        junit.add_test_suite(suite);
    }

    if let Some(comparison) = &report.comparison {
        let mut suite = TestSuite::new("baseline");
        for delta in comparison.metrics.iter().filter(|d| d.gated) {
            let unit =
                metrics::lookup(&delta.metric).map_or(metrics::MetricUnit::Count, |d| d.unit);
            let text = format!(
                "baseline {}, current {}, change {}, tolerance {}%{}",
                unit.format(delta.baseline),
                unit.format(delta.current),
                delta
                    .delta_percent
                    .map_or_else(|| "n/a".to_owned(), |d| format!("{d:+.1}%")),
                comparison.tolerance_percent,
                delta
                    .p_value
                    .map_or_else(String::new, |p| format!(", p = {p:.4}")),
            );
            let status = if delta.regression {
                failure("regression", &text)
            } else {
                TestCaseStatus::success()
            };
            let mut test_case = case(
                "vertex-perf.baseline",
                &delta.metric,
                status,
                Duration::ZERO,
            );
            if !delta.regression {
                test_case.set_system_out(text);
            }
            suite.add_test_case(test_case);
        }
        junit.add_test_suite(suite);
    }

    junit.to_string().map_err(|err| ReportError::Render {
        format: "junit xml",
        message: err.to_string(),
    })
}

fn case(classname: &str, name: &str, status: TestCaseStatus, time: Duration) -> TestCase {
    let mut test_case = TestCase::new(name, status);
    test_case.set_classname(classname);
    test_case.set_time(time);
    test_case
}

fn failure(message: &str, text: &str) -> TestCaseStatus {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(message);
    status.set_description(text);
    status
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
