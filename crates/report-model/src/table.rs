//! [`Table`]: the tables people read (per scenario, per endpoint, status codes, errors,
//! workflow steps, storage, baseline), built once from a [`SuiteReport`] and laid out by
//! each renderer: aligned text for the terminal, Markdown, HTML.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::metrics::MetricUnit;
use crate::workflow::StepStatus;
use crate::{ScenarioReport, SuiteReport};

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// One row: its cells and a mark for renderers that colour rows (`pass`, `warn`, `fail`,
/// `skip` or empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `pass`, `warn`, `fail`, `skip`, or empty for a plain row.
    pub mark: &'static str,
    /// One cell per column.
    pub cells: Vec<String>,
}

/// A titled table with named, aligned columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// What the table shows.
    pub title: &'static str,
    /// Column names and alignment.
    pub columns: Vec<(String, Align)>,
    /// The rows.
    pub rows: Vec<Row>,
}

fn duration(us: u64) -> String {
    MetricUnit::Duration.format(us as f64)
}

/// A latency cell: `n/a` when nothing succeeded (a 0 would read as fast).
fn latency(count: u64, us: u64) -> String {
    if count == 0 {
        "n/a".to_owned()
    } else {
        duration(us)
    }
}

/// The p50, p95, p99 and max cells of a distribution.
fn percentile_cells(l: &crate::LatencySummary) -> [String; 4] {
    [
        latency(l.count, l.p50_us),
        latency(l.count, l.p95_us),
        latency(l.count, l.p99_us),
        latency(l.count, l.max_us),
    ]
}

impl Table {
    fn new(title: &'static str, columns: &[(&str, Align)]) -> Table {
        Table {
            title,
            columns: columns
                .iter()
                .map(|(name, align)| ((*name).to_owned(), *align))
                .collect(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, mark: &'static str, cells: Vec<String>) {
        self.rows.push(Row { mark, cells });
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// One row per load scenario: requests, failures, rate, success and latency percentiles.
    pub fn scenarios(report: &SuiteReport) -> Table {
        use Align::{Left, Right};
        let mut table = Table::new(
            "Scenarios",
            &[
                ("scenario", Left),
                ("requests", Right),
                ("failed", Right),
                ("req/s", Right),
                ("success", Right),
                ("p50", Right),
                ("p95", Right),
                ("p99", Right),
                ("max", Right),
            ],
        );
        for scenario in report.load.iter().flat_map(|l| &l.scenarios) {
            let mut cells = vec![
                scenario.name.clone(),
                scenario.total_requests.to_string(),
                scenario.failed_requests.to_string(),
                format!("{:.1}", scenario.requests_per_second),
                format!("{:.1}%", scenario.success_rate_percent),
            ];
            cells.extend(percentile_cells(&scenario.response_time.summary));
            let mark = if scenario.failed_requests == 0 {
                ""
            } else {
                "warn"
            };
            table.push(mark, cells);
        }
        table
    }

    /// One row per endpoint of every scenario (Locust's statistics view): labels are
    /// templated (`GET /clients/{id}`), so one endpoint is one row whatever ids it was
    /// called with.
    pub fn endpoints(report: &SuiteReport) -> Table {
        use Align::{Left, Right};
        let mut table = Table::new(
            "Endpoints",
            &[
                ("scenario", Left),
                ("endpoint", Left),
                ("requests", Right),
                ("failed", Right),
                ("req/s", Right),
                ("p50", Right),
                ("p95", Right),
                ("p99", Right),
                ("max", Right),
            ],
        );
        for scenario in report.load.iter().flat_map(|l| &l.scenarios) {
            let seconds = scenario.duration_us as f64 / 1e6;
            for endpoint in &scenario.endpoints {
                let mut cells = vec![
                    scenario.name.clone(),
                    endpoint.label.clone(),
                    endpoint.requests.to_string(),
                    endpoint.failures.to_string(),
                    if seconds > 0.0 {
                        format!("{:.1}", endpoint.requests as f64 / seconds)
                    } else {
                        "n/a".to_owned()
                    },
                ];
                cells.extend(percentile_cells(&endpoint.response_time.summary));
                table.push(if endpoint.failures == 0 { "" } else { "warn" }, cells);
            }
        }
        table
    }

    /// HTTP status codes per endpoint, one column per code the run saw, and the requests
    /// that got no status (refused, reset, timed out).
    pub fn status_codes(report: &SuiteReport) -> Table {
        let scenarios: Vec<&ScenarioReport> =
            report.load.iter().flat_map(|l| &l.scenarios).collect();
        let codes: BTreeSet<u16> = scenarios
            .iter()
            .flat_map(|s| {
                s.endpoints
                    .iter()
                    .flat_map(|e| e.status_codes.keys().copied())
            })
            .collect();
        let mut columns = vec![
            ("scenario".to_owned(), Align::Left),
            ("endpoint".to_owned(), Align::Left),
        ];
        columns.extend(codes.iter().map(|c| (c.to_string(), Align::Right)));
        let unanswered = |e: &crate::EndpointReport| {
            e.requests
                .saturating_sub(e.status_codes.values().sum::<u64>())
        };
        let any_unanswered = scenarios
            .iter()
            .any(|s| s.endpoints.iter().any(|e| unanswered(e) > 0));
        if any_unanswered {
            columns.push(("no status".to_owned(), Align::Right));
        }
        let mut table = Table {
            title: "Status codes",
            columns,
            rows: Vec::new(),
        };
        for scenario in scenarios {
            for endpoint in &scenario.endpoints {
                let mut cells = vec![scenario.name.clone(), endpoint.label.clone()];
                cells.extend(codes.iter().map(|code| {
                    endpoint
                        .status_codes
                        .get(code)
                        .map_or_else(String::new, u64::to_string)
                }));
                let unanswered = unanswered(endpoint);
                if any_unanswered {
                    cells.push(if unanswered == 0 {
                        String::new()
                    } else {
                        unanswered.to_string()
                    });
                }
                let mark = if endpoint.status_codes.keys().any(|c| *c >= 400) || unanswered > 0 {
                    "warn"
                } else {
                    ""
                };
                table.push(mark, cells);
            }
        }
        table
    }

    /// Failed requests by scenario and error class, with one sample message each.
    pub fn errors(report: &SuiteReport) -> Table {
        use Align::{Left, Right};
        let mut table = Table::new(
            "Errors",
            &[
                ("scenario", Left),
                ("class", Left),
                ("count", Right),
                ("sample", Left),
            ],
        );
        for scenario in report.load.iter().flat_map(|l| &l.scenarios) {
            for error in &scenario.errors {
                table.push(
                    "",
                    vec![
                        scenario.name.clone(),
                        error.class.to_string(),
                        error.count.to_string(),
                        error.sample_message.clone(),
                    ],
                );
            }
        }
        table
    }

    /// The workflow's steps in order, with status, time and the reason of a failure or skip.
    pub fn workflow_steps(report: &SuiteReport) -> Table {
        use Align::{Left, Right};
        let mut table = Table::new(
            "Workflow steps",
            &[
                ("step", Left),
                ("status", Left),
                ("time", Right),
                ("reason", Left),
            ],
        );
        for step in report.workflow.iter().flat_map(|w| &w.steps) {
            let (mark, status) = match step.status {
                StepStatus::Passed => ("pass", "passed"),
                StepStatus::Failed => ("fail", "failed"),
                StepStatus::Skipped => ("skip", "skipped"),
            };
            table.push(
                mark,
                vec![
                    step.name.clone(),
                    status.to_owned(),
                    duration(step.duration_us),
                    step.failure
                        .as_ref()
                        .map_or_else(String::new, |f| f.reason.clone()),
                ],
            );
        }
        table
    }

    /// One row per storage backend, operation and object size: throughput, latency and
    /// integrity.
    pub fn storage(report: &SuiteReport) -> Table {
        use Align::{Left, Right};
        let mut table = Table::new(
            "Storage",
            &[
                ("backend", Left),
                ("operation", Left),
                ("size", Right),
                ("objects", Right),
                ("MiB/s", Right),
                ("p50", Right),
                ("p99", Right),
                ("integrity", Left),
            ],
        );
        for (storage, result) in report
            .storage
            .iter()
            .flat_map(|s| s.results.iter().map(move |r| (s, r)))
        {
            let l = &result.latency.summary;
            let broken = !result.integrity.mismatches.is_empty();
            table.push(
                if broken { "fail" } else { "" },
                vec![
                    result.backend.clone(),
                    storage.operation_label(result),
                    MetricUnit::Bytes.format(result.object_size_bytes as f64),
                    result.n_operations.to_string(),
                    format!("{:.1}", result.bytes_per_sec / (1024.0 * 1024.0)),
                    latency(l.count, l.p50_us),
                    latency(l.count, l.p99_us),
                    if broken {
                        format!("{} mismatched", result.integrity.mismatches.len())
                    } else {
                        format!("{} verified", result.integrity.verified)
                    },
                ],
            );
        }
        table
    }

    /// Every metric compared with the baseline: regressions first, then the other gated
    /// metrics, then the information-only ones.
    pub fn baseline(report: &SuiteReport) -> Table {
        use Align::{Left, Right};
        let mut table = Table::new(
            "Baseline comparison",
            &[
                ("metric", Left),
                ("baseline", Right),
                ("current", Right),
                ("change", Right),
                ("p", Right),
                ("regression", Left),
            ],
        );
        let Some(comparison) = &report.comparison else {
            return table;
        };
        let mut deltas: Vec<_> = comparison.metrics.iter().collect();
        deltas.sort_by_key(|d| (!d.regression, !d.gated));
        for delta in deltas {
            let [baseline, current, change, p] = delta.display_cells();
            let (mark, regression) = match (delta.regression, delta.gated) {
                (true, _) => ("fail", "yes"),
                (false, true) => ("", "no"),
                (false, false) => ("skip", "info only"),
            };
            table.push(
                mark,
                vec![
                    delta.metric.clone(),
                    baseline,
                    current,
                    change,
                    p,
                    regression.to_owned(),
                ],
            );
        }
        table
    }

    /// Aligned plain text: the title, a header line and one line per row, each column as
    /// wide as its widest cell.
    pub fn to_text(&self) -> String {
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|(name, _)| name.chars().count())
            .collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(&row.cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut text = String::new();
            for ((cell, width), (_, align)) in cells.zip(&widths).zip(&self.columns) {
                let pad = width.saturating_sub(cell.chars().count());
                match align {
                    Align::Left => {
                        let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
                    }
                    Align::Right => {
                        let _ = write!(text, "{}{cell}  ", " ".repeat(pad));
                    }
                }
            }
            text.trim_end().to_owned()
        };
        let mut out = format!("{}\n", self.title.to_lowercase());
        out.push_str(&line(
            &mut self.columns.iter().map(|(name, _)| name.as_str()),
        ));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(&mut row.cells.iter().map(String::as_str)));
            out.push('\n');
        }
        out
    }

    /// A Markdown table under a `###` heading (pipes and newlines in cells escaped).
    pub fn to_markdown(&self) -> String {
        let escape = |text: &str| text.replace('|', "\\|").replace(['\n', '\r'], " ");
        let mut out = format!("### {}\n\n|", self.title);
        for (name, _) in &self.columns {
            let _ = write!(out, " {} |", escape(name));
        }
        out.push_str("\n|");
        for (_, align) in &self.columns {
            out.push_str(match align {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        out.push('\n');
        for row in &self.rows {
            out.push('|');
            for cell in &row.cells {
                let cell = escape(cell);
                if row.mark == "fail" && !cell.is_empty() {
                    let _ = write!(out, " **{cell}** |");
                } else {
                    let _ = write!(out, " {cell} |");
                }
            }
            out.push('\n');
        }
        out.push('\n');
        out
    }
}
