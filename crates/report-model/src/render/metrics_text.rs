//! `metrics.txt` for GitLab's metrics report, as OpenMetrics text written by
//! `prometheus-client`: one family per metric (`# HELP`, `# TYPE gauge`, `# UNIT`), the
//! scenario or backend as a label (`scenario="api_endpoints"`), `# EOF` at the end.
//!
//! Only what a merge request should look at: the gated metrics, a few headline figures
//! and the verdicts, each rounded to three significant digits (finer digits are noise
//! between two runs, and would make GitLab list every metric as changed on every run).

use std::collections::BTreeMap;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use crate::metrics::{self, MetricUnit};
use crate::{SuiteReport, Verdict};

type Labels = Vec<(String, String)>;
/// One family before encoding: help text, unit, samples.
type Pending = (String, Option<Unit>, Vec<(Labels, f64)>);

/// Families shown beside the gated ones (see [`crate::is_gated`]).
const HEADLINE: [&str; 8] = [
    "http.p95",
    "load.success_rate",
    "load.rps",
    "server.rss_max",
    "storage.upload_mibps",
    "storage.download_mibps",
    "storage.integrity_failures",
    "workflow.failed_steps",
];

/// Renders the gated and headline metrics, each threshold's verdict and the run's verdict
/// (0 pass, 1 warn, 2 fail).
pub fn render_metrics_text(report: &SuiteReport) -> String {
    // Family name → (help, unit, samples), in name order so each family is written once.
    let mut families: BTreeMap<String, Pending> = BTreeMap::new();
    for (name, value) in report.metrics().iter() {
        let Some(def) = metrics::lookup(name) else {
            continue;
        };
        let (family, qualifier) = match name.split_once('[') {
            Some((family, rest)) => (family, Some(rest.trim_end_matches(']'))),
            None => (name, None),
        };
        if !(crate::is_gated(name) || HEADLINE.contains(&family)) {
            continue;
        }
        let (unit, shown) = match def.unit {
            MetricUnit::Duration => (Some(Unit::Seconds), value.value / 1e6),
            MetricUnit::Percent => (Some(Unit::Ratios), value.value / 100.0),
            MetricUnit::Bytes => (Some(Unit::Bytes), value.value),
            MetricUnit::MibPerSec => (
                Some(Unit::Other("bytes_per_second".to_owned())),
                value.value * 1024.0 * 1024.0,
            ),
            MetricUnit::PerSecond | MetricUnit::Count => (None, value.value),
        };
        let labels = match qualifier {
            Some(qualifier) if family.starts_with("storage.") => {
                vec![("backend".to_owned(), qualifier.to_owned())]
            }
            Some(qualifier) => vec![("scenario".to_owned(), qualifier.to_owned())],
            None => Vec::new(),
        };
        // `storage.upload_mibps` is written in bytes per second: the unit goes in the suffix.
        let base = family.strip_suffix("_mibps").unwrap_or(family);
        let help = if def.unit == MetricUnit::Percent {
            format!("{} (written as a ratio: 1 is 100 %)", def.description)
        } else {
            def.description.to_owned()
        };
        families
            .entry(format!("vertex_perf_{}", base.replace('.', "_")))
            .or_insert_with(|| (help, unit, Vec::new()))
            .2
            .push((labels, rounded(shown)));
    }
    let threshold_verdicts: Vec<(Labels, f64)> = report
        .thresholds
        .iter()
        .filter_map(|t| {
            t.verdict.map(|verdict| {
                (
                    vec![("metric".to_owned(), t.metric.clone())],
                    verdict_code(verdict),
                )
            })
        })
        .collect();
    if !threshold_verdicts.is_empty() {
        families.insert(
            "vertex_perf_threshold_verdict".to_owned(),
            (
                "verdict of each threshold: 0 pass, 1 warn, 2 fail".to_owned(),
                None,
                threshold_verdicts,
            ),
        );
    }
    families.insert(
        "vertex_perf_verdict".to_owned(),
        (
            "verdict of the run: 0 pass, 1 warn, 2 fail".to_owned(),
            None,
            vec![(Vec::new(), verdict_code(report.verdict))],
        ),
    );

    let mut registry = Registry::default();
    for (name, (help, unit, mut samples)) in families {
        samples.sort_by(|a, b| a.0.cmp(&b.0));
        registry.register_collector(Box::new(SortedGauges {
            name,
            help,
            unit,
            samples,
        }));
    }
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut out, &registry);
    out
}

/// One gauge family written in label order: `Family` keeps its series in a hash map, and
/// the order it writes them in would change from run to run, which a diff of two
/// `metrics.txt` (GitLab's metrics widget) shows as a change.
#[derive(Debug)]
struct SortedGauges {
    name: String,
    help: String,
    unit: Option<Unit>,
    samples: Vec<(Labels, f64)>,
}

impl Collector for SortedGauges {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            &self.name,
            &self.help,
            self.unit.as_ref(),
            MetricType::Gauge,
        )?;
        for (labels, value) in &self.samples {
            ConstGauge::new(*value).encode(family.encode_family(labels)?)?;
        }
        Ok(())
    }
}

fn verdict_code(verdict: Verdict) -> f64 {
    match verdict {
        Verdict::Pass => 0.0,
        Verdict::Warn => 1.0,
        Verdict::Fail => 2.0,
    }
}

/// `value` to three significant digits (0 for what is not a number).
fn rounded(value: f64) -> f64 {
    if !value.is_finite() || value == 0.0 {
        return 0.0;
    }
    let magnitude = value.abs().log10().floor();
    let scale = 10f64.powf(2.0 - magnitude);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_three_significant_digits() {
        assert_eq!(rounded(12.3456), 12.3);
        assert_eq!(rounded(0.001_234_5), 0.001_23);
        assert_eq!(rounded(98_765.0), 98_800.0);
        assert_eq!(rounded(f64::NAN), 0.0);
        assert_eq!(rounded(0.0), 0.0);
    }
}
