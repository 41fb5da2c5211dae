//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network). The
//! verdict table comes first; then latency and throughput over time, server CPU and memory
//! on the same time axis (seconds since the run started, phases shaded), errors, storage
//! MiB/s by size and backend, and the leak trend with its fitted line.

use std::fmt::Write as _;

use super::svg::{Band, BarChart, LineChart, PALETTE, Series, escape};
use crate::{MetricUnit, RunOutcome, StorageOperation, SuiteReport, Timestamp, Verdict};

const MIB: f64 = 1024.0 * 1024.0;

const STYLE: &str = "body{font-family:sans-serif;margin:24px;max-width:940px;color:#222}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}\
.pass{background:#e3f4e3}.warn{background:#fff4cc}.fail{background:#fbdada}.skip{color:#888}\
.empty{color:#888;font-style:italic}.meta{color:#555;font-size:13px}";

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
    let _ = write!(
        out,
        "<p class=\"meta\">target {} · started {} · {:.1} s · vertex-perf {} · {} ({} cores, {})</p>",
        escape(report.meta.target.as_deref().unwrap_or("-")),
        report.meta.started_at.to_rfc3339(),
        (report.meta.finished_at - report.meta.started_at).num_milliseconds() as f64 / 1000.0,
        escape(&report.meta.tool_version),
        escape(&report.meta.host.cpu_model),
        report.meta.host.logical_cores,
        MetricUnit::Bytes.format(report.meta.host.memory_total_bytes as f64),
    );
    verdicts(&mut out, report);
    let start = report.meta.started_at;
    let end = seconds_since(start, report.meta.finished_at).max(1.0);
    let bands = phase_bands(report);
    latency_and_throughput(&mut out, report, (0.0, end), &bands);
    direct_queries(&mut out, report);
    server(&mut out, report, (0.0, end), &bands);
    errors(&mut out, report);
    storage(&mut out, report);
    leak(&mut out, report);
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

fn row(out: &mut String, class: &str, cells: &[&str]) {
    let _ = write!(out, "<tr class=\"{class}\">");
    for cell in cells {
        let _ = write!(out, "<td>{}</td>", escape(cell));
    }
    out.push_str("</tr>");
}

fn verdicts(out: &mut String, report: &SuiteReport) {
    out.push_str("<h2>Verdicts</h2><table><tr><th>verdict</th><th>check</th><th>result</th></tr>");
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
        for delta in comparison.regressions() {
            row(
                out,
                "fail",
                &[
                    "fail",
                    &format!("baseline: {}", delta.metric),
                    &delta.display_cells().join(" "),
                ],
            );
        }
    }
    out.push_str("</table>");
}

fn seconds_since(start: Timestamp, at: Timestamp) -> f64 {
    (at - start).num_microseconds().unwrap_or(0) as f64 / 1e6
}

/// Shaded spans of the time charts: the suite's phases (from the `before_<phase>` memory
/// snapshots) when the run has them, else its load scenarios.
fn phase_bands(report: &SuiteReport) -> Vec<Band> {
    let start = report.meta.started_at;
    let end = seconds_since(start, report.meta.finished_at);
    let phases: Vec<(String, f64)> = report
        .memory
        .iter()
        .flat_map(|m| &m.snapshots)
        .filter_map(|s| {
            s.label
                .strip_prefix("before_")
                .map(|phase| (phase.to_owned(), seconds_since(start, s.at)))
        })
        .collect();
    if !phases.is_empty() {
        return phases
            .iter()
            .enumerate()
            .map(|(i, (label, from))| Band {
                label: label.clone(),
                from: *from,
                to: phases.get(i + 1).map_or(end, |next| next.1),
            })
            .collect();
    }
    report
        .load
        .iter()
        .flat_map(|l| &l.scenarios)
        .map(|s| {
            let from = seconds_since(start, s.started_at);
            Band {
                label: s.name.clone(),
                from,
                to: from + s.duration_us as f64 / 1e6,
            }
        })
        .collect()
}

fn latency_and_throughput(
    out: &mut String,
    report: &SuiteReport,
    domain: (f64, f64),
    bands: &[Band],
) {
    out.push_str("<h2>Latency and throughput</h2>");
    let start = report.meta.started_at;
    let mut p50 = Vec::new();
    let mut p95 = Vec::new();
    let mut p99 = Vec::new();
    let mut rps = Vec::new();
    let mut errors = Vec::new();
    for scenario in report.load.iter().flat_map(|l| &l.scenarios) {
        let offset = seconds_since(start, scenario.started_at);
        for second in &scenario.series {
            let x = offset + second.second as f64 + 0.5;
            if second.requests > second.errors {
                p50.push((x, second.p50_us as f64 / 1000.0));
                p95.push((x, second.p95_us as f64 / 1000.0));
                p99.push((x, second.p99_us as f64 / 1000.0));
            }
            rps.push((x, second.requests as f64));
            errors.push((x, second.errors as f64));
        }
    }
    let sort = |v: &mut Vec<(f64, f64)>| v.sort_by(|a, b| a.0.total_cmp(&b.0));
    for v in [&mut p50, &mut p95, &mut p99, &mut rps, &mut errors] {
        sort(v);
    }
    let series = |name: &str, color, points| Series {
        name: name.to_owned(),
        color,
        points,
        dashed: false,
        markers: false,
    };
    out.push_str(
        &LineChart {
            title: "Response time percentiles per second",
            x_label: "seconds since the run started",
            y_label: "ms",
            x_domain: Some(domain),
            series: vec![
                series("p50", PALETTE[0], p50),
                series("p95", PALETTE[4], p95),
                series("p99", PALETTE[1], p99),
            ],
            bands,
            break_gap: 1.5,
        }
        .render(),
    );
    out.push_str(
        &LineChart {
            title: "Throughput and errors per second",
            x_label: "seconds since the run started",
            y_label: "requests/s",
            x_domain: Some(domain),
            series: vec![
                series("requests", PALETTE[2], rps),
                series("errors", PALETTE[1], errors),
            ],
            bands,
            break_gap: 1.5,
        }
        .render(),
    );
    if let Some(load) = &report.load {
        out.push_str("<table><tr><th>scenario</th><th>requests</th><th>req/s</th><th>ok</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>");
        let ms = |us: u64| MetricUnit::Duration.format(us as f64);
        for s in &load.scenarios {
            let l = &s.response_time.summary;
            let class = if s.failed_requests == 0 { "" } else { "warn" };
            row(
                out,
                class,
                &[
                    &s.name,
                    &s.total_requests.to_string(),
                    &format!("{:.1}", s.requests_per_second),
                    &format!("{:.1}%", s.success_rate_percent),
                    &ms(l.p50_us),
                    &ms(l.p95_us),
                    &ms(l.p99_us),
                    &ms(l.max_us),
                ],
            );
        }
        out.push_str("</table>");
    }
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

fn server(out: &mut String, report: &SuiteReport, domain: (f64, f64), bands: &[Band]) {
    out.push_str("<h2>Server resources</h2>");
    let start = report.meta.started_at;
    let mut cpu = Vec::new();
    let mut memory = Vec::new();
    let mut watched = Vec::new();
    for (name, sampler) in [
        ("server", &report.sampler),
        ("storage server", &report.storage_server),
    ] {
        let Some(sampler) = sampler else { continue };
        watched.push(format!("{name}: {}", sampler.target.description));
        let offset = seconds_since(start, sampler.started_at);
        let color = if name == "server" { 0 } else { 2 };
        let point = |t_us: u64| offset + t_us as f64 / 1e6;
        cpu.push(Series {
            name: format!("{name} CPU %"),
            color: PALETTE[color],
            points: sampler
                .series
                .iter()
                .map(|p| (point(p.t_us), p.cpu_percent))
                .collect(),
            dashed: false,
            markers: false,
        });
        memory.push(Series {
            name: format!("{name} RSS MiB"),
            color: PALETTE[color],
            points: sampler
                .series
                .iter()
                .map(|p| (point(p.t_us), p.rss_bytes as f64 / MIB))
                .collect(),
            dashed: false,
            markers: false,
        });
        if sampler.series.iter().any(|p| p.uss_bytes.is_some()) {
            memory.push(Series {
                name: format!("{name} USS MiB"),
                color: PALETTE[color + 1],
                points: sampler
                    .series
                    .iter()
                    .filter_map(|p| p.uss_bytes.map(|u| (point(p.t_us), u as f64 / MIB)))
                    .collect(),
                dashed: true,
                markers: false,
            });
        }
    }
    if watched.is_empty() {
        out.push_str("<p class=\"empty\">No server process was watched (give --server-pid or --server-port).</p>");
        return;
    }
    let _ = write!(
        out,
        "<p class=\"meta\">{}</p>",
        escape(&watched.join(" · "))
    );
    out.push_str(
        &LineChart {
            title: "CPU (100% = one core)",
            x_label: "seconds since the run started",
            y_label: "%",
            x_domain: Some(domain),
            series: cpu,
            bands,
            break_gap: 5.0,
        }
        .render(),
    );
    out.push_str(
        &LineChart {
            title: "Memory",
            x_label: "seconds since the run started",
            y_label: "MiB",
            x_domain: Some(domain),
            series: memory,
            bands,
            break_gap: 5.0,
        }
        .render(),
    );
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
    out.push_str("<table><tr><th>scenario</th><th>class</th><th>count</th><th>sample</th></tr>");
    for s in &load.scenarios {
        for e in &s.errors {
            row(
                out,
                "",
                &[
                    &s.name,
                    &e.class.to_string(),
                    &e.count.to_string(),
                    &e.sample_message,
                ],
            );
        }
    }
    out.push_str("</table>");
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
