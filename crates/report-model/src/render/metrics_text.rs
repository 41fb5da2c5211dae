//! `metrics.txt` for GitLab's metrics report: one `name value` per line, names
//! `[a-z0-9_]`, the scenario as a label, no `#` anywhere (GitLab would read it as a
//! comment).

use std::fmt::Write as _;

use crate::metrics::{self, MetricUnit};
use crate::{SuiteReport, Verdict};

/// Renders every metric of the run, the overall verdict and each threshold's verdict
/// (0 pass, 1 warn, 2 fail).
pub fn render_metrics_text(report: &SuiteReport) -> String {
    let mut out = String::new();
    for (name, value) in report.metrics().iter() {
        let Some(def) = metrics::lookup(name) else {
            continue;
        };
        let (family, scenario) = match name.split_once('[') {
            Some((family, rest)) => (family, Some(rest.trim_end_matches(']'))),
            None => (name, None),
        };
        let (suffix, shown) = match def.unit {
            MetricUnit::Duration => ("_ms", value.value / 1000.0),
            MetricUnit::Percent => ("_percent", value.value),
            MetricUnit::Bytes => ("_bytes", value.value),
            MetricUnit::MibPerSec => ("", value.value),
            MetricUnit::PerSecond => ("_per_second", value.value),
            MetricUnit::Count => ("", value.value),
        };
        let metric_name = format!("vertex_perf_{}{suffix}", sanitize_name(family));
        match scenario {
            Some(scenario) => {
                let _ = writeln!(
                    out,
                    "{metric_name}{{scenario=\"{}\"}} {}",
                    sanitize_label(scenario),
                    number(shown)
                );
            }
            None => {
                let _ = writeln!(out, "{metric_name} {}", number(shown));
            }
        }
    }
    for threshold in &report.thresholds {
        if let Some(verdict) = threshold.verdict {
            let _ = writeln!(
                out,
                "vertex_perf_threshold_verdict{{metric=\"{}\"}} {}",
                sanitize_label(&threshold.metric),
                verdict_code(verdict)
            );
        }
    }
    let _ = writeln!(out, "vertex_perf_verdict {}", verdict_code(report.verdict));
    out
}

fn verdict_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Pass => 0,
        Verdict::Warn => 1,
        Verdict::Fail => 2,
    }
}

fn sanitize_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn sanitize_label(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn number(value: f64) -> String {
    if value.is_finite() {
        let text = format!("{value:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        "0".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.3456), "12.346");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(f64::NAN), "0");
    }

    #[test]
    fn labels_never_carry_hash_or_quotes() {
        assert_eq!(sanitize_label("a#b\"c"), "a_b_c");
        assert_eq!(sanitize_name("http.p95"), "http_p95");
    }
}
