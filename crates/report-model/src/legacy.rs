//! The old Python suite's report files, with their file names and top-level keys, filled
//! with richer values, so scripts that read them keep working. Figures in MiB and seconds
//! as the old files had them; the full typed section rides along under its own key.

use serde_json::{Value, json};

use crate::{LatencySummary, ReportError, SuiteReport, render::to_json};

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
        .is_none_or(|leak| leak.judged() != Some(crate::Verdict::Fail));
    let mut document = json!({
        "timestamp": report.meta.started_at,
        "system_info": system_info(report),
        "test_results": {
            "monitor": {
                "success": success,
                "target": sampler.target.description,
                "performance": summary,
                "leak": sampler.leak.as_ref().map(|leak| json!({
                    "verdict": leak.verdict_label(),
                    "growth_mb": leak.growth_bytes / MIB,
                    "slope_mb_per_min": leak.slope_bytes_per_sec * 60.0 / MIB,
                    "reason": leak.reason,
                })),
            },
        },
        "sampler": sampler,
    });
    document["test_results"]
        .as_object_mut()
        .expect("built as an object")
        .extend(comprehensive_results(report));
    to_json(&document, true).map(Some)
}

/// The old comprehensive test's entries, from the suite's scenarios of the same purpose:
/// `large_file_upload`, `concurrent_uploads`, `database_performance` (DB-backed reads
/// through the app) and `memory_leak` (the memory cycles).
fn comprehensive_results(report: &SuiteReport) -> serde_json::Map<String, Value> {
    let mut results = serde_json::Map::new();
    let scenario = |name: &str| {
        report
            .load
            .as_ref()
            .and_then(|l| l.scenarios.iter().find(|s| s.name == name))
    };
    if let Some(upload) = scenario("large_upload") {
        let seconds = seconds(upload.duration_us).max(1e-9);
        results.insert(
            "large_file_upload".to_owned(),
            json!({
                "success": upload.failed_requests == 0 && upload.total_requests > 0,
                "upload_time": seconds,
                "file_size_mb": upload.bytes_sent as f64 / MIB,
                "throughput_mbps": upload.bytes_sent as f64 / MIB / seconds,
            }),
        );
    }
    if let Some(uploads) = scenario("concurrent_uploads") {
        results.insert(
            "concurrent_uploads".to_owned(),
            json!({
                "success": uploads.total_requests > 0
                    && uploads.successful_requests * 10 >= uploads.total_requests * 8,
                "total_requests": uploads.total_requests,
                "successful_requests": uploads.successful_requests,
                "total_time": seconds(uploads.duration_us),
                "requests_per_second": uploads.requests_per_second,
                "latency_seconds": percentiles_seconds(&uploads.response_time.summary),
            }),
        );
    }
    if let Some(reads) = scenario(crate::DB_READS_SCENARIO) {
        results.insert(
            "database_performance".to_owned(),
            json!({
                "success": reads.failed_requests == 0,
                "query_count": reads.total_requests,
                "query_time": seconds(reads.duration_us),
                "query_rate": reads.requests_per_second,
                "latency_seconds": percentiles_seconds(&reads.response_time.summary),
                "through": "the service's list and detail endpoints",
                "direct_queries": report.db_direct.as_ref().map(|db| json!({
                    "database": db.database,
                    "queries": db.queries.iter().map(|q| json!({
                        "label": q.label,
                        "rows": q.rows,
                        "count": q.latency.summary.count,
                        "latency_seconds": percentiles_seconds(&q.latency.summary),
                    })).collect::<Vec<_>>(),
                })),
            }),
        );
    }
    if let Some(memory) = &report.memory {
        let analysis = memory.analysis();
        results.insert(
            "memory_leak".to_owned(),
            json!({
                "success": memory.leak.as_ref().is_none_or(|l| l.judged() != Some(crate::Verdict::Fail)),
                "initial_memory_mb": analysis.initial_bytes as f64 / MIB,
                "final_memory_mb": analysis.final_bytes as f64 / MIB,
                "memory_increase_mb": analysis.increase_bytes as f64 / MIB,
                "max_memory_mb": analysis.peak_bytes as f64 / MIB,
                "samples_count": memory.snapshots.len(),
                "leak": memory.leak.as_ref().map(|l| &l.reason),
            }),
        );
    }
    results
}

/// `memory_profile_report.json`: the old `snapshots` (label, epoch `timestamp`, `rss_mb`,
/// `vms_mb`, `percent`, `open_files`, `threads`) and `analysis` (initial, final, peak,
/// increase and average MiB), taken of the server process, plus the cycles and the leak
/// verdict. `None` without a memory section.
pub fn memory_profile_report(report: &SuiteReport) -> Result<Option<String>, ReportError> {
    let Some(memory) = report.memory.as_ref() else {
        return Ok(None);
    };
    let snapshots: Vec<Value> = memory
        .snapshots
        .iter()
        .map(|s| {
            json!({
                "label": s.label,
                "timestamp": s.at.timestamp_micros() as f64 / 1e6,
                "rss_mb": s.rss_bytes as f64 / MIB,
                "vms_mb": s.vms_bytes as f64 / MIB,
                "uss_mb": s.uss_bytes.map(|u| u as f64 / MIB),
                "percent": s.memory_percent,
                "open_files": s.open_files,
                "threads": s.threads,
            })
        })
        .collect();
    let analysis = memory.analysis();
    let document = json!({
        "snapshots": snapshots,
        "analysis": {
            "initial_memory_mb": analysis.initial_bytes as f64 / MIB,
            "final_memory_mb": analysis.final_bytes as f64 / MIB,
            "peak_memory_mb": analysis.peak_bytes as f64 / MIB,
            "memory_increase_mb": analysis.increase_bytes as f64 / MIB,
            "avg_memory_mb": analysis.average_bytes / MIB,
        },
        "cycles": memory.cycles,
        "leak": memory.leak,
    });
    to_json(&document, true).map(Some)
}

fn seconds(us: u64) -> f64 {
    us as f64 / 1e6
}

fn percentiles_seconds(summary: &LatencySummary) -> Value {
    json!({
        "p50": seconds(summary.p50_us),
        "p90": seconds(summary.p90_us),
        "p95": seconds(summary.p95_us),
        "p99": seconds(summary.p99_us),
        "p99_9": seconds(summary.p999_us),
        "max": seconds(summary.max_us),
    })
}

/// `load_test_report.json`: `timestamp`, `base_url`, `test_results` keyed by scenario with
/// the old `LoadTestMetrics` keys (seconds; latency over successful requests), plus
/// percentiles, error classes with counts, per-endpoint figures and the time series; then
/// `system_info` and the full `load` section. `None` without a load section.
pub fn load_test_report(report: &SuiteReport) -> Result<Option<String>, ReportError> {
    let Some(load) = report.load.as_ref() else {
        return Ok(None);
    };
    let mut results = serde_json::Map::new();
    for scenario in &load.scenarios {
        let latency = &scenario.response_time.summary;
        let errors: Vec<String> = scenario
            .errors
            .iter()
            .map(|e| {
                if e.sample_message.is_empty() {
                    e.class.to_string()
                } else {
                    e.sample_message.clone()
                }
            })
            .collect();
        let endpoints: serde_json::Map<String, Value> = scenario
            .endpoints
            .iter()
            .map(|endpoint| {
                let summary = &endpoint.response_time.summary;
                (
                    endpoint.label.clone(),
                    json!({
                        "total_requests": endpoint.requests,
                        "failed_requests": endpoint.failures,
                        "success_rate": crate::percent(endpoint.requests - endpoint.failures, endpoint.requests),
                        "avg_response_time": summary.mean_us / 1e6,
                        "percentiles": percentiles_seconds(summary),
                        "status_codes": endpoint.status_codes,
                    }),
                )
            })
            .collect();
        results.insert(
            scenario.name.clone(),
            json!({
                "total_requests": scenario.total_requests,
                "successful_requests": scenario.successful_requests,
                "failed_requests": scenario.failed_requests,
                "total_time": seconds(scenario.duration_us),
                "avg_response_time": latency.mean_us / 1e6,
                "min_response_time": seconds(latency.min_us),
                "max_response_time": seconds(latency.max_us),
                "requests_per_second": scenario.requests_per_second,
                "success_rate": scenario.success_rate_percent,
                "errors": errors,
                "percentiles": percentiles_seconds(latency),
                "service_time_percentiles": percentiles_seconds(&scenario.service_time.summary),
                "error_classes": scenario.errors,
                "status_codes": scenario.status_codes,
                "endpoints": endpoints,
                "time_series": scenario.series,
            }),
        );
    }
    let document = json!({
        "timestamp": report.meta.started_at,
        "base_url": report.meta.target,
        "test_results": results,
        "system_info": system_info(report),
        "load": load,
    });
    to_json(&document, true).map(Some)
}

/// `automated_portraits_report.json`: `timestamp`, `base_url`, `test_summary` (counts and the
/// summed duration in seconds), `test_results[]` with `test_name, success, duration, details,
/// error_message`, plus the full `workflow` section. `None` without a workflow section.
pub fn automated_portraits_report(report: &SuiteReport) -> Result<Option<String>, ReportError> {
    let Some(workflow) = report.workflow.as_ref() else {
        return Ok(None);
    };
    let results: Vec<Value> = workflow
        .steps
        .iter()
        .map(|step| {
            json!({
                "test_name": step.name,
                "success": step.status == crate::StepStatus::Passed,
                "duration": seconds(step.duration_us),
                "details": step.details,
                "error_message": step.failure.as_ref().map(|f| f.reason.clone()),
            })
        })
        .collect();
    let passed = workflow
        .steps
        .iter()
        .filter(|s| s.status == crate::StepStatus::Passed)
        .count();
    let document = json!({
        "timestamp": report.meta.started_at,
        "base_url": workflow.base_url,
        "test_summary": {
            "total_tests": workflow.steps.len(),
            "successful_tests": passed,
            "failed_tests": workflow.steps.len() - passed,
            "total_duration": seconds(workflow.steps.iter().map(|s| s.duration_us).sum()),
        },
        "test_results": results,
        "workflow": workflow,
    });
    to_json(&document, true).map(Some)
}

/// `storage_integration_report.json`: `timestamp`, `base_url`, `minio_available` (an S3
/// backend ran), `test_results[]` with the old keys (one entry per backend × operation ×
/// size; speeds in MiB/s), `summary`, `system_info`, plus the full `storage` section. `None`
/// without a storage section.
pub fn storage_integration_report(report: &SuiteReport) -> Result<Option<String>, ReportError> {
    let Some(storage) = report.storage.as_ref() else {
        return Ok(None);
    };
    let results: Vec<Value> = storage
        .results
        .iter()
        .map(|result| {
            let mibps = result.bytes_per_sec / MIB;
            let success = result.errors.is_empty() && result.integrity.mismatches.is_empty();
            json!({
                "test_name": format!("{} {}", result.backend, result.operation),
                "success": success,
                "duration": seconds(result.duration_us),
                "file_size_mb": result.object_size_bytes as f64 / MIB,
                "upload_speed_mbps": (result.operation == crate::StorageOperation::Put).then_some(mibps),
                "download_speed_mbps": (result.operation == crate::StorageOperation::Get).then_some(mibps),
                "error_message": result.errors.first().map(|e| e.sample_message.clone()),
                "metadata": {
                    "backend": result.backend,
                    "operation": result.operation,
                    "objects": result.n_operations,
                    "integrity_verified": result.integrity.verified,
                    "integrity_mismatches": result.integrity.mismatches.len(),
                },
            })
        })
        .collect();
    let successful = results.iter().filter(|r| r["success"] == true).count();
    let minio_available = storage
        .backends
        .iter()
        .any(|b| b.skipped.is_none() && b.name.contains("s3"));
    let document = json!({
        "timestamp": report.meta.started_at,
        "base_url": report.meta.target,
        "minio_available": minio_available,
        "test_results": results,
        "summary": {
            "total_tests": results.len(),
            "successful_tests": successful,
            "failed_tests": results.len() - successful,
        },
        "system_info": system_info(report),
        "storage": storage,
    });
    to_json(&document, true).map(Some)
}
