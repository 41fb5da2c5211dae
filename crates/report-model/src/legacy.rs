//! The old Python suite's report files, with their file names and top-level keys, filled
//! with richer values, so scripts that read them keep working. Figures in MiB and seconds
//! as the old files had them; the full typed section rides along under its own key.

use serde_json::{Value, json};

use crate::{ReportError, SuiteReport, render::to_json};

const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = MIB * 1024.0;

fn system_info(report: &SuiteReport) -> Value {
    let host = &report.meta.host;
    json!({
        "cpu_count": host.logical_cores,
        "memory_total_gb": host.memory_total_bytes as f64 / GIB,
        "disk_total_gb": host.disk_total_bytes.map(|b| b as f64 / GIB),
    })
}

/// `performance_report.json`: `timestamp`, `system_info`, `test_results` (here one
/// `monitor` entry holding the old monitor summary, measured on the server process rather
/// than the test client) and the full `sampler` report. `None` without a sampler section.
pub fn performance_report(report: &SuiteReport) -> Result<Option<String>, ReportError> {
    let Some(sampler) = report.sampler.as_ref() else {
        return Ok(None);
    };
    let summary = match &sampler.process {
        Some(process) => {
            let (mut sent, mut received, mut lo_sent, mut lo_received) = (0u64, 0u64, 0u64, 0u64);
            for interface in &sampler.system.network {
                if interface.loopback {
                    lo_sent += interface.tx_bytes;
                    lo_received += interface.rx_bytes;
                } else {
                    sent += interface.tx_bytes;
                    received += interface.rx_bytes;
                }
            }
            json!({
                "duration_seconds": sampler.duration_us as f64 / 1e6,
                "cpu": {
                    "max": process.cpu_percent.max,
                    "min": process.cpu_percent.min,
                    "avg": process.cpu_percent.mean,
                    "p95": process.cpu_percent.p95,
                },
                "memory": {
                    "max_mb": process.rss_bytes.max / MIB,
                    "min_mb": process.rss_bytes.min / MIB,
                    "avg_mb": process.rss_bytes.mean / MIB,
                    "peak_increase_mb": (process.rss_bytes.max - process.rss_bytes.min) / MIB,
                    "uss_max_mb": process.uss_bytes.map(|uss| uss.max / MIB),
                },
                "disk_io": {
                    "total_read_mb": process.read_bytes.delta as f64 / MIB,
                    "total_write_mb": process.write_bytes.delta as f64 / MIB,
                },
                "network": {
                    "total_sent_mb": sent as f64 / MIB,
                    "total_recv_mb": received as f64 / MIB,
                    "loopback_sent_mb": lo_sent as f64 / MIB,
                    "loopback_recv_mb": lo_received as f64 / MIB,
                },
                "resources": {
                    "max_open_files": process.fds.max,
                    "max_threads": process.threads.max,
                },
            })
        }
        None => json!({}),
    };
    let success = sampler
        .leak
        .as_ref()
        .is_none_or(|leak| leak.verdict != crate::Verdict::Fail);
    let document = json!({
        "timestamp": report.meta.started_at,
        "system_info": system_info(report),
        "test_results": {
            "monitor": {
                "success": success,
                "target": sampler.target.description,
                "performance": summary,
                "leak": sampler.leak.as_ref().map(|leak| json!({
                    "verdict": leak.verdict,
                    "growth_mb": leak.growth_bytes / MIB,
                    "slope_mb_per_min": leak.slope_bytes_per_sec * 60.0 / MIB,
                    "reason": leak.reason,
                })),
            },
        },
        "sampler": sampler,
    });
    to_json(&document, true).map(Some)
}
