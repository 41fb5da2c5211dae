//! Judges a handful of latencies against threshold expressions and prints the verdicts and
//! the JUnit XML a CI server would read.
//!
//! ```text
//! cargo run -p report-model --example judge_latencies
//! ```

use report_model::{LatencyHistogram, MetricSet, Threshold, threshold::evaluate_all};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut histogram = LatencyHistogram::new();
    for latency_us in [12_000, 15_000, 18_000, 22_000, 35_000, 480_000] {
        histogram.record_us(latency_us);
    }
    let summary = histogram.summary();
    let mut metrics = MetricSet::new();
    metrics.insert("http.p50", summary.p50_us as f64);
    metrics.insert("http.p95", summary.p95_us as f64);
    let thresholds: Vec<Threshold> = ["http.p50 < 50ms", "http.p95 < 200ms acceptable 1s"]
        .iter()
        .map(|t| t.parse())
        .collect::<Result<_, _>>()?;
    for result in evaluate_all(&thresholds, &metrics) {
        println!(
            "{:<6} {}: {}",
            result.verdict.map_or("skip", |v| v.as_str()),
            result.expression,
            result.message
        );
    }
    Ok(())
}
