//! Snapshots of the text renderers on fixed fixtures (`cargo insta review` after an
//! intended change): a reviewer sees every line a change moves in Markdown, JUnit, metrics
//! and the terminal tables.

use report_model::render::{render_junit, render_markdown, render_metrics_text};
use report_model::table::Table;

use crate::renderers::{failing_suite, regressed_suite};
use crate::sample::sample_suite;

#[test]
fn markdown_of_a_failing_run() {
    insta::assert_snapshot!(render_markdown(&regressed_suite()));
}

#[test]
fn junit_of_a_failing_run() {
    insta::assert_snapshot!(render_junit(&regressed_suite()).unwrap());
}

#[test]
fn metrics_text_of_a_failing_run() {
    insta::assert_snapshot!(render_metrics_text(&failing_suite()));
}

#[test]
fn terminal_tables_of_a_passing_run() {
    let report = sample_suite(1.0);
    let text: Vec<String> = [
        Table::scenarios(&report),
        Table::endpoints(&report),
        Table::status_codes(&report),
        Table::storage(&report),
        Table::workflow_steps(&report),
    ]
    .iter()
    .map(Table::to_text)
    .collect();
    insta::assert_snapshot!(text.join("\n"));
}
