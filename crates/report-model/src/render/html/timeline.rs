//! The time charts of `report.html`, on one axis (seconds since the run started) with the
//! phases shaded: latency and throughput per scenario, then the server's CPU and memory.

use std::fmt::Write as _;

use super::{MIB, table};
use crate::render::svg::{Band, LineChart, PALETTE, Rule, Series, YScale, escape};
use crate::{MetricUnit, ScenarioReport, SecondStats, SuiteReport, Table, Timestamp, Traffic};

pub(super) fn seconds_since(start: Timestamp, at: Timestamp) -> f64 {
    (at - start).num_microseconds().unwrap_or(0) as f64 / 1e6
}

/// Shaded spans of the time charts: the suite's phases (from the `before_<phase>` memory
/// snapshots) when the run has them, else its load scenarios.
pub(super) fn phase_bands(report: &SuiteReport) -> Vec<Band> {
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

/// Every run whose requests belong on the time axis: the load scenarios and the memory
/// cycles' reads and orders.
fn traffic(report: &SuiteReport) -> Vec<Traffic> {
    report
        .load
        .iter()
        .flat_map(|l| &l.scenarios)
        .map(ScenarioReport::traffic)
        .chain(report.memory.iter().flat_map(|m| m.traffic.iter().cloned()))
        .collect()
}

/// Per-second points of one run: `(x, covered seconds, stats)`. The last second of a run
/// usually covers part of a second; its x is the middle of what it covers and rates are
/// divided by what it covers, so a partial second is no fake drop. A sliver under a tenth
/// of a second is left out when the run has whole seconds to show.
fn seconds_of(run: &Traffic, start: Timestamp) -> impl Iterator<Item = (f64, f64, &SecondStats)> {
    let offset = seconds_since(start, run.started_at);
    let length = run.duration_us as f64 / 1e6;
    let whole = run.series.len() > 1;
    run.series.iter().filter_map(move |second| {
        let from = second.second as f64;
        let covered = (length - from).clamp(0.0, 1.0);
        let covered = if covered > 0.0 { covered } else { 1.0 };
        if covered < 0.1 && whole {
            return None;
        }
        Some((offset + from + covered / 2.0, covered, second))
    })
}

/// Thresholds on latency families, as lines on the latency chart (ms): one line per level,
/// labelled with its thresholds (several scenarios often share one level).
fn latency_rules(report: &SuiteReport) -> Vec<Rule> {
    let mut levels: Vec<(f64, Vec<&str>)> = Vec::new();
    for threshold in report.thresholds.iter().filter(|t| {
        let family = t.metric.split('[').next().unwrap_or_default();
        ["http.p50", "http.p95", "http.p99", "http.avg", "http.max"].contains(&family)
    }) {
        let value = threshold.target / 1000.0;
        match levels.iter_mut().find(|(level, _)| *level == value) {
            Some((_, names)) => names.push(&threshold.metric),
            None => levels.push((value, vec![&threshold.metric])),
        }
    }
    levels
        .into_iter()
        .map(|(value, names)| Rule {
            value,
            label: format!(
                "{} < {}",
                if names.len() > 2 {
                    format!("{} thresholds", names.len())
                } else {
                    names.join(", ")
                },
                MetricUnit::Duration.format(value * 1000.0)
            ),
            color: PALETTE[1],
        })
        .collect()
}

pub(super) fn latency_and_throughput(
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
    let mut in_flight = Vec::new();
    for run in traffic(report) {
        for (x, covered, second) in seconds_of(&run, start) {
            if second.requests > second.errors {
                p50.push((x, second.p50_us as f64 / 1000.0));
                p95.push((x, second.p95_us as f64 / 1000.0));
                p99.push((x, second.p99_us as f64 / 1000.0));
            }
            rps.push((x, second.requests as f64 / covered));
            errors.push((x, second.errors as f64 / covered));
            in_flight.push((x, second.busy_us as f64 / 1e6 / covered));
        }
    }
    let sort = |v: &mut Vec<(f64, f64)>| v.sort_by(|a, b| a.0.total_cmp(&b.0));
    for v in [
        &mut p50,
        &mut p95,
        &mut p99,
        &mut rps,
        &mut errors,
        &mut in_flight,
    ] {
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
            title: "Response time percentiles per second (log scale)",
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
            y_scale: YScale::Log,
            rules: latency_rules(report),
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
            y_scale: YScale::FromZero,
            rules: Vec::new(),
        }
        .render(),
    );
    out.push_str(
        &LineChart {
            title: "Requests in flight (mean per second)",
            x_label: "seconds since the run started",
            y_label: "requests",
            x_domain: Some(domain),
            series: vec![series("in flight", PALETTE[3], in_flight)],
            bands,
            break_gap: 1.5,
            y_scale: YScale::FromZero,
            rules: Vec::new(),
        }
        .render(),
    );
    table(out, &Table::scenarios(report));
    table(out, &Table::endpoints(report));
    table(out, &Table::status_codes(report));
}

pub(super) fn server(out: &mut String, report: &SuiteReport, domain: (f64, f64), bands: &[Band]) {
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
            y_scale: YScale::FromZero,
            rules: Vec::new(),
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
            y_scale: YScale::Zoomed,
            rules: Vec::new(),
        }
        .render(),
    );
}
