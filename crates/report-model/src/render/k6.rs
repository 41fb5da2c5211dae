//! k6's legacy `--summary-export` JSON, which GitLab's load performance widget reads:
//! `metrics.http_reqs.rate`, `metrics.http_req_waiting["p(90)"]` and `["p(95)"]` in
//! milliseconds, `metrics.checks.passes` / `fails`.
//!
//! As in k6, `http_req_waiting` runs from the end of sending (an upload's body included) to
//! the first byte, from the `ttfb` histograms; `http_req_duration` is sending, waiting and
//! receiving, from the service-time histograms (no time queued behind a late start).
//! `checks` are the load scenarios' per-request checks.

use serde_json::{Value, json};

use crate::{LatencyHistogram, ReportError, SuiteReport};

/// MD5 of the empty string: k6's id of the root group.
const ROOT_GROUP_ID: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// Renders the load section (all scenarios merged) in k6's legacy summary shape. A run with
/// no load section renders zeros.
pub fn render_k6_summary(report: &SuiteReport) -> Result<String, ReportError> {
    let (totals, service_time, ttfb) = match &report.load {
        Some(load) => (
            load.totals(),
            load.merged_service_time(),
            load.merged_ttfb(),
        ),
        None => Default::default(),
    };
    let seconds = totals.duration_us as f64 / 1e6;
    let rate = |count: u64| {
        if seconds > 0.0 {
            count as f64 / seconds
        } else {
            0.0
        }
    };
    let checks_total = totals.check_passes + totals.check_fails;
    let fraction = |part: u64, whole: u64| {
        if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        }
    };
    let summary = json!({
        "root_group": {
            "name": "",
            "path": "",
            "id": ROOT_GROUP_ID,
            "groups": {},
            "checks": {},
        },
        "metrics": {
            "http_reqs": { "count": totals.requests, "rate": rate(totals.requests) },
            "iterations": { "count": totals.requests, "rate": rate(totals.requests) },
            "http_req_duration": trend_ms(&service_time),
            "http_req_waiting": trend_ms(&ttfb),
            "http_req_failed": {
                "passes": totals.failed,
                "fails": totals.successful,
                "value": fraction(totals.failed, totals.requests),
            },
            "checks": {
                "passes": totals.check_passes,
                "fails": totals.check_fails,
                "value": fraction(totals.check_passes, checks_total),
            },
            "data_received": { "count": totals.bytes_received, "rate": rate(totals.bytes_received) },
            "data_sent": { "count": totals.bytes_sent, "rate": rate(totals.bytes_sent) },
        },
    });
    crate::render::to_json(&summary, true)
}

/// k6 trend fields in milliseconds; none when nothing was measured, so a run where every
/// request failed shows no latency in the widget instead of a 0 ms "improvement".
fn trend_ms(histogram: &LatencyHistogram) -> Value {
    if histogram.is_empty() {
        return json!({});
    }
    let ms = |us: u64| us as f64 / 1000.0;
    json!({
        "avg": histogram.mean_us() / 1000.0,
        "min": ms(histogram.min_us()),
        "med": ms(histogram.value_at_quantile_us(0.5)),
        "max": ms(histogram.max_us()),
        "p(90)": ms(histogram.value_at_quantile_us(0.9)),
        "p(95)": ms(histogram.value_at_quantile_us(0.95)),
    })
}
