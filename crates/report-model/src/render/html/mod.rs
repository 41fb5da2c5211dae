//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network). The
//! verdict table comes first; then latency and throughput over time, server CPU and memory
//! on the same time axis (seconds since the run started, phases shaded), errors, storage
//! MiB/s by size and backend, and the leak trend with its fitted line. The time charts are
//! in [`timeline`]; the page, its stylesheet and the other sections are here.

use std::fmt::Write as _;

mod timeline;

use super::svg::{BarChart, LineChart, PALETTE, Series, YScale, escape};
use crate::{Align, MetricUnit, RunOutcome, StorageOperation, SuiteReport, Table, Verdict};
use timeline::{latency_and_throughput, phase_bands, seconds_since, server};

const MIB: f64 = 1024.0 * 1024.0;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;max-width:940px;color:#222}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}\
.pass{background:#e3f4e3}.warn{background:#fff4cc}.fail{background:#fbdada}.skip{color:#888}\
.empty{color:#888;font-style:italic}.meta{color:#555;font-size:13px}\
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}h3{font-size:14px;margin:14px 0 4px}";

/// Renders the page.
pub fn render_html(report: &SuiteReport) -> String {
    let mut out = String::new();
    let title = format!("vertex-perf run {}", report.meta.run_id);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body><h1>{}: {}</h1>",
        escape(&title),
        escape(&title),
        verdict_badge(report.verdict)
    );
    meta_line(&mut out, report);
    verdicts(&mut out, report);
    let start = report.meta.started_at;
    // The run's own length, however short: a 10 ms run is not drawn in the corner of a second.
    let end = seconds_since(start, report.meta.finished_at).max(0.001);
    let bands = phase_bands(report);
    latency_and_throughput(&mut out, report, (0.0, end), &bands);
    direct_queries(&mut out, report);
    server(&mut out, report, (0.0, end), &bands);
    errors(&mut out, report);
    workflow(&mut out, report);
    storage(&mut out, report);
    leak(&mut out, report);
    baseline(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

fn verdict_badge(verdict: Verdict) -> String {
    format!(
        "<span class=\"{}\">{}</span>",
        verdict.as_str(),
        verdict.as_str().to_uppercase()
    )
}

/// Who ran what: target, time, profile, tool version and commit, host, command line.
fn meta_line(out: &mut String, report: &SuiteReport) {
    let meta = &report.meta;
    let mut parts = vec![
        format!("target {}", meta.target.as_deref().unwrap_or("-")),
        format!("started {}", meta.started_at.to_rfc3339()),
        format!(
            "{:.1} s",
            (meta.finished_at - meta.started_at).num_milliseconds() as f64 / 1000.0
        ),
    ];
    if let Some(profile) = &meta.profile {
        parts.push(format!("profile {profile}"));
    }
    parts.push(format!(
        "vertex-perf {}{}",
        meta.tool_version,
        meta.git_sha
            .as_deref()
            .map_or_else(String::new, |sha| format!(
                " ({})",
                &sha[..sha.len().min(12)]
            ))
    ));
    parts.push(format!(
        "{} ({} cores, {})",
        meta.host.cpu_model,
        meta.host.logical_cores,
        MetricUnit::Bytes.format(meta.host.memory_total_bytes as f64)
    ));
    let _ = write!(out, "<p class=\"meta\">{}</p>", escape(&parts.join(" · ")));
    if let Some(command_line) = &meta.command_line {
        let _ = write!(
            out,
            "<p class=\"meta\"><code>{}</code></p>",
            escape(command_line)
        );
    }
}

/// A [`Table`] under an `h3`, rows coloured by their mark, numbers right-aligned.
fn table(out: &mut String, table: &Table) {
    if table.is_empty() {
        return;
    }
    let _ = write!(out, "<h3>{}</h3><table><tr>", escape(table.title));
    for (name, align) in &table.columns {
        let class = if *align == Align::Right {
            " class=\"num\""
        } else {
            ""
        };
        let _ = write!(out, "<th{class}>{}</th>", escape(name));
    }
    out.push_str("</tr>");
    for row in &table.rows {
        let _ = write!(out, "<tr class=\"{}\">", row.mark);
        for (cell, (_, align)) in row.cells.iter().zip(&table.columns) {
            let class = if *align == Align::Right {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

fn row(out: &mut String, class: &str, cells: &[&str]) {
    let _ = write!(out, "<tr class=\"{class}\">");
    for cell in cells {
        let _ = write!(out, "<td>{}</td>", escape(cell));
    }
    out.push_str("</tr>");
}

fn verdicts(out: &mut String, report: &SuiteReport) {
    out.push_str("<h2>Verdicts</h2><table><tr><th>verdict</th><th>check</th><th>result</th></tr>");
    // Collected first, written worst first: a failure is the first thing a reader sees.
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |_: &mut String, class: &str, cells: &[&str]| {
        rows.push((
            class.to_owned(),
            cells.iter().map(|c| (*c).to_owned()).collect(),
        ));
    };
    match &report.outcome {
        RunOutcome::Completed => {}
        RunOutcome::Interrupted => row(
            out,
            "warn",
            &[
                "interrupted",
                "run",
                "stopped early; figures cover what ran",
            ],
        ),
        RunOutcome::SetupFailed { message } => row(out, "fail", &["fail", "setup", message]),
        RunOutcome::NothingMeasured { message } => {
            row(out, "fail", &["fail", "nothing measured", message]);
        }
    }
    for gap in &report.gaps {
        row(out, "fail", &["fail", "not measured", gap]);
    }
    for threshold in &report.thresholds {
        let verdict = threshold.verdict.map_or("skip", Verdict::as_str);
        row(
            out,
            verdict,
            &[verdict, &threshold.expression, &threshold.message],
        );
    }
    if let Some(workflow) = &report.workflow {
        let verdict = if workflow.passed() { "pass" } else { "fail" };
        let failed: Vec<String> = workflow
            .steps
            .iter()
            .filter_map(|s| {
                s.failure
                    .as_ref()
                    .map(|f| format!("{}: {}", s.name, f.reason))
            })
            .collect();
        let result = if failed.is_empty() {
            format!("{} steps passed", workflow.steps.len())
        } else {
            failed.join("; ")
        };
        row(out, verdict, &[verdict, "workflow", &result]);
    }
    for (name, leak) in report.leak_checks() {
        let check = format!("leak check ({name})");
        row(
            out,
            leak.verdict_label(),
            &[leak.verdict_label(), &check, &leak.reason],
        );
    }
    for leftover in &report.leftovers {
        let verdict = if leftover.is_kept() { "info" } else { "warn" };
        row(
            out,
            verdict,
            &[verdict, "left behind", &leftover.to_string()],
        );
    }
    if let Some(growth) = &report.storage_growth {
        row(
            out,
            "info",
            &[
                "info",
                "service storage",
                &format!(
                    "grew by {} files, {} (the service keeps uploaded files after their rows are deleted)",
                    growth.files_added(),
                    crate::MetricUnit::Bytes.format(growth.bytes_added() as f64)
                ),
            ],
        );
    }
    if let Some(comparison) = &report.comparison {
        let regressed: Vec<&str> = comparison
            .regressions()
            .map(|d| d.metric.as_str())
            .collect();
        let (class, result) = if regressed.is_empty() {
            ("pass", "no gated metric regressed".to_owned())
        } else {
            (
                "fail",
                format!("regressed: {} (table below)", regressed.join(", ")),
            )
        };
        row(out, class, &[class, "baseline", &result]);
    }
    let rank = |class: &str| match class {
        "fail" => 0,
        "warn" | "interrupted" => 1,
        "skip" | "inconclusive" => 2,
        "info" => 3,
        _ => 4,
    };
    rows.sort_by_key(|(class, _)| rank(class));
    for (class, cells) in rows {
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        self::row(out, &class, &cells);
    }
    out.push_str("</table>");
}

fn direct_queries(out: &mut String, report: &SuiteReport) {
    let Some(db) = &report.db_direct else {
        return;
    };
    let _ = write!(
        out,
        "<p>The same reads directly on <code>{}</code> (read-only):</p><table><tr><th>query</th><th>rows</th><th>runs</th><th>p50</th><th>p95</th><th>max</th></tr>",
        escape(&db.database)
    );
    let ms = |us: u64| MetricUnit::Duration.format(us as f64);
    for q in &db.queries {
        let l = &q.latency.summary;
        row(
            out,
            "",
            &[
                &q.label,
                &q.rows.to_string(),
                &l.count.to_string(),
                &ms(l.p50_us),
                &ms(l.p95_us),
                &ms(l.max_us),
            ],
        );
    }
    out.push_str("</table>");
}

fn errors(out: &mut String, report: &SuiteReport) {
    out.push_str("<h2>Errors</h2>");
    let Some(load) = &report.load else {
        out.push_str("<p class=\"empty\">No load in this run.</p>");
        return;
    };
    let classes: Vec<String> = {
        let mut classes: Vec<String> = load
            .scenarios
            .iter()
            .flat_map(|s| s.errors.iter().map(|e| e.class.to_string()))
            .collect();
        classes.sort();
        classes.dedup();
        classes
    };
    if classes.is_empty() {
        out.push_str("<p>No failed requests.</p>");
        return;
    }
    let names: Vec<String> = load.scenarios.iter().map(|s| s.name.clone()).collect();
    let series = classes
        .iter()
        .map(|class| {
            let values = load
                .scenarios
                .iter()
                .map(|s| {
                    s.errors
                        .iter()
                        .find(|e| &e.class.to_string() == class)
                        .map(|e| e.count as f64)
                })
                .collect();
            (class.clone(), values)
        })
        .collect();
    out.push_str(
        &BarChart {
            title: "Failed requests by scenario and class",
            y_label: "requests",
            categories: names,
            series,
        }
        .render(),
    );
    table(out, &Table::errors(report));
}

fn workflow(out: &mut String, report: &SuiteReport) {
    if report.workflow.is_none() {
        return;
    }
    out.push_str("<h2>Workflow</h2>");
    table(out, &Table::workflow_steps(report));
}

fn baseline(out: &mut String, report: &SuiteReport) {
    let Some(comparison) = &report.comparison else {
        return;
    };
    let _ = write!(
        out,
        "<h2>Baseline comparison</h2><p class=\"meta\">{} baseline, {} runs, tolerance {}%</p>",
        comparison.method.as_str(),
        comparison.baseline_runs,
        comparison.tolerance_percent
    );
    table(out, &Table::baseline(report));
}

fn storage(out: &mut String, report: &SuiteReport) {
    out.push_str("<h2>Storage</h2>");
    let Some(storage) = &report.storage else {
        out.push_str("<p class=\"empty\">No storage comparison in this run.</p>");
        return;
    };
    let mut sizes: Vec<u64> = storage
        .results
        .iter()
        .map(|r| r.object_size_bytes)
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut backends: Vec<String> = Vec::new();
    for r in &storage.results {
        if !backends.contains(&r.backend) {
            backends.push(r.backend.clone());
        }
    }
    for (operation, title) in [
        (
            StorageOperation::Put,
            "Upload MiB/s by object size and backend",
        ),
        (
            StorageOperation::Get,
            "Download MiB/s by object size and backend",
        ),
    ] {
        let series = backends
            .iter()
            .map(|backend| {
                let values = sizes
                    .iter()
                    .map(|&size| {
                        storage
                            .results
                            .iter()
                            .find(|r| {
                                &r.backend == backend
                                    && r.operation == operation
                                    && r.object_size_bytes == size
                            })
                            .map(|r| r.bytes_per_sec / MIB)
                    })
                    .collect();
                (backend.clone(), values)
            })
            .collect();
        out.push_str(
            &BarChart {
                title,
                y_label: "MiB/s",
                categories: sizes
                    .iter()
                    .map(|&s| MetricUnit::Bytes.format(s as f64))
                    .collect(),
                series,
            }
            .render(),
        );
    }
    table(out, &Table::storage(report));
    for backend in storage.backends.iter().filter(|b| b.skipped.is_some()) {
        let _ = write!(
            out,
            "<p class=\"warn\">skipped {}: {}</p>",
            escape(&backend.url),
            escape(backend.skipped.as_deref().unwrap_or_default())
        );
    }
}

fn leak(out: &mut String, report: &SuiteReport) {
    out.push_str("<h2>Memory over workload cycles</h2>");
    let Some(memory) = &report.memory else {
        out.push_str("<p class=\"empty\">No memory scenario in this run.</p>");
        return;
    };
    let use_uss = memory.cycles.iter().all(|c| c.uss_bytes_after.is_some());
    let mut operations = 0u64;
    let points: Vec<(f64, f64)> = memory
        .cycles
        .iter()
        .map(|c| {
            operations += c.operations;
            let bytes = if use_uss {
                c.uss_bytes_after.unwrap_or_default()
            } else {
                c.rss_bytes_after
            };
            (f64::from(c.index), bytes as f64 / MIB)
        })
        .collect();
    let mut series = vec![Series {
        name: if use_uss {
            "USS MiB after cycle"
        } else {
            "RSS MiB after cycle"
        }
        .to_owned(),
        color: PALETTE[0],
        points: points.clone(),
        dashed: false,
        markers: true,
    }];
    if let (Some(leak), false) = (&memory.leak, points.is_empty()) {
        // The fitted slope per cycle: bytes per 1000 operations × operations per cycle.
        let per_cycle_mib = leak.bytes_per_1000_ops.map_or(0.0, |b| {
            b / 1000.0 * operations as f64 / points.len() as f64 / MIB
        });
        let mut offsets: Vec<f64> = points.iter().map(|(x, y)| y - per_cycle_mib * x).collect();
        offsets.sort_by(f64::total_cmp);
        let intercept = offsets[offsets.len() / 2];
        series.push(Series {
            name: format!(
                "fit: {per_cycle_mib:.2} MiB/cycle ({})",
                leak.verdict_label()
            ),
            color: PALETTE[1],
            points: points
                .iter()
                .map(|&(x, _)| (x, intercept + per_cycle_mib * x))
                .collect(),
            dashed: true,
            markers: false,
        });
        let _ = write!(out, "<p>{}</p>", escape(&leak.reason));
    }
    out.push_str(
        &LineChart {
            title: "Server memory after each identical workload cycle",
            x_label: "cycle",
            y_label: "MiB",
            x_domain: None,
            series,
            bands: &[],
            break_gap: f64::INFINITY,
            y_scale: YScale::Zoomed,
            rules: Vec::new(),
        }
        .render(),
    );
    out.push_str(
        "<table><tr><th>snapshot</th><th>RSS</th><th>USS</th><th>fds</th><th>threads</th></tr>",
    );
    for s in &memory.snapshots {
        row(
            out,
            "",
            &[
                &s.label,
                &MetricUnit::Bytes.format(s.rss_bytes as f64),
                &s.uss_bytes
                    .map_or_else(|| "-".to_owned(), |u| MetricUnit::Bytes.format(u as f64)),
                &s.open_files.to_string(),
                &s.threads.to_string(),
            ],
        );
    }
    out.push_str("</table>");
}
