//! A realistic [`SuiteReport`] built in code: every section filled, deterministic, with
//! latencies scaled by a factor so comparisons have a known truth.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use report_model::*;
use report_model::{
    gate::*, histogram::*, load::*, memory::*, meta::*, sampler::*, stat::*, storage::*,
    threshold::*, workflow::*,
};

/// A full suite report whose latencies are the reference ones multiplied by `latency_scale`.
pub fn sample_suite(latency_scale: f64) -> SuiteReport {
    let started_at = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
    let meta = RunMeta {
        profile: Some("quick".to_owned()),
        command_line: Some(
            "vertex-perf suite --profile quick --url http://127.0.0.1:8000".to_owned(),
        ),
        identity: None,
        segment: None,
        run_id: "20261126T120000Z-a1b2c3".to_owned(),
        tool_version: "0.1.0".to_owned(),
        git_sha: Some("0123456789abcdef".to_owned()),
        host: HostInfo {
            hostname: Some("ci-runner".to_owned()),
            os: "Debian GNU/Linux 12".to_owned(),
            kernel: "6.1.0".to_owned(),
            cpu_model: "Test CPU @ 2.0GHz".to_owned(),
            logical_cores: 2,
            physical_cores: Some(1),
            memory_total_bytes: 24 << 30,
            disk_total_bytes: Some(252 << 30),
        },
        target: Some(redact_url("http://admin:secret@127.0.0.1:8000")),
        started_at,
        finished_at: started_at + chrono::Duration::seconds(75),
    };
    let mut report = SuiteReport::new(meta);
    report.load = Some(LoadReport {
        schema_version: SCHEMA_VERSION,
        scenarios: vec![
            scenario("read_mix", 10, latency_scale, started_at),
            scenario("concurrent_orders", 5, latency_scale, started_at),
        ],
    });
    report.sampler = Some(sampler(started_at));
    report.storage = Some(storage());
    report.workflow = Some(workflow());
    report.memory = Some(memory(started_at));
    report.thresholds = evaluate_all(&default_thresholds(), &report.metrics());
    report.verdict = report.computed_verdict();
    report
}

/// Latencies of second `second` of the reference run, microseconds: 20 ms to ~200 ms with a
/// slow tail and a little deterministic wobble between seconds.
fn latencies_us(second: u64, scale: f64) -> Vec<u64> {
    (0..100u64)
        .map(|i| {
            let base = 20_000 + i * i * 18 + (second * 37 % 11) * 700;
            (base as f64 * scale) as u64
        })
        .collect()
}

fn scenario(name: &str, concurrency: u32, scale: f64, started_at: Timestamp) -> ScenarioReport {
    let mut response = LatencyHistogram::new();
    let mut service = LatencyHistogram::new();
    let mut ttfb = LatencyHistogram::new();
    let mut series = Vec::new();
    for second in 0..10 {
        let mut this_second = LatencyHistogram::new();
        for latency_us in latencies_us(second, scale) {
            response.record_us(latency_us);
            this_second.record_us(latency_us);
            service.record_us(latency_us * 9 / 10);
            ttfb.record_us(latency_us * 8 / 10);
        }
        series.push(SecondStats {
            second,
            requests: 101,
            errors: 1,
            p50_us: this_second.value_at_quantile_us(0.5),
            p95_us: this_second.value_at_quantile_us(0.95),
            p99_us: this_second.value_at_quantile_us(0.99),
            busy_us: latencies_us(second, scale).iter().sum(),
        });
    }
    let mut endpoint_histogram = LatencyHistogram::new();
    endpoint_histogram.merge(&response);
    ScenarioReport {
        name: name.to_owned(),
        executor: ExecutorSummary {
            kind: ExecutorKind::Closed,
            description: format!("{concurrency} users for 10s"),
            concurrency,
            target_rate_per_sec: None,
        },
        started_at,
        duration_us: 10_000_000,
        total_requests: 1010,
        successful_requests: 1000,
        failed_requests: 10,
        requests_per_second: 101.0,
        success_rate_percent: percent(1000, 1010),
        bytes_sent: 120_000,
        bytes_received: 2_400_000,
        response_time: response.into(),
        service_time: service.into(),
        ttfb: ttfb.into(),
        status_codes: BTreeMap::from([(200, 1000), (500, 6)]),
        errors: vec![
            ErrorCount {
                class: ErrorClass::ServerError { status: 500 },
                count: 6,
                sample_message: "Internal Server Error".to_owned(),
            },
            ErrorCount {
                class: ErrorClass::RequestTimeout,
                count: 4,
                sample_message: "no response within 30s".to_owned(),
            },
        ],
        checks: CheckCounts {
            passes: 1000,
            fails: 10,
        },
        endpoints: vec![EndpointReport {
            label: "GET /clients/list".to_owned(),
            requests: 1010,
            failures: 10,
            response_time: endpoint_histogram.into(),
            status_codes: BTreeMap::from([(200, 1000), (500, 6)]),
            errors: Vec::new(),
        }],
        series,
        generator: GeneratorHealth {
            requested_rate_per_sec: None,
            achieved_rate_per_sec: 101.0,
            start_lag: LatencySummary::default(),
            late_starts: 0,
            dropped_starts: 0,
            max_in_flight: u64::from(concurrency),
            cpu_seconds: 0.4,
            runtime_threads: 2,
        },
        interrupted: false,
    }
}

fn sampler(started_at: Timestamp) -> SamplerReport {
    let mib = 1024.0 * 1024.0;
    let series: Vec<SamplePoint> = (0..20u32)
        .map(|i| SamplePoint {
            t_us: u64::from(i) * 500_000,
            n_merged: 1,
            cpu_percent: 30.0 + f64::from(i % 5),
            rss_bytes: 80 << 20,
            uss_bytes: Some(60 << 20),
            fds: 24,
            threads: 6,
            system_cpu_percent: 40.0,
            system_memory_used_percent: 12.0,
            work_done: Some(u64::from(i) * 100),
        })
        .collect();
    SamplerReport {
        schema_version: SCHEMA_VERSION,
        target: SamplerTarget {
            description: "port 8000 (pid 4242)".to_owned(),
            pid: Some(4242),
            include_children: true,
            uss_enabled: true,
        },
        interval_us: 500_000,
        started_at,
        duration_us: 10_000_000,
        n_samples: 20,
        n_missed_ticks: 0,
        process: Some(ProcessStats {
            cpu_percent: Stat::from_values(
                &series.iter().map(|p| p.cpu_percent).collect::<Vec<_>>(),
            ),
            cpu_percent_normalized: Stat::from_values(&[16.0, 17.0]),
            rss_bytes: Stat::from_values(&[80.0 * mib, 81.0 * mib]),
            vms_bytes: Stat::from_values(&[400.0 * mib]),
            uss_bytes: Some(Stat::from_values(&[60.0 * mib])),
            pss_bytes: Some(Stat::from_values(&[65.0 * mib])),
            memory_percent: Stat::from_values(&[0.3]),
            threads: Stat::from_values(&[6.0]),
            fds: Stat::from_values(&[24.0]),
            read_bytes: CounterDelta::new(0, 4096, 10.0),
            write_bytes: CounterDelta::new(0, 40 << 20, 10.0),
            read_chars: CounterDelta::new(0, 1 << 20, 10.0),
            write_chars: CounterDelta::new(0, 41 << 20, 10.0),
            voluntary_ctx_switches: CounterDelta::new(100, 5100, 10.0),
            involuntary_ctx_switches: CounterDelta::new(10, 60, 10.0),
            minor_faults: CounterDelta::new(1000, 3000, 10.0),
            major_faults: CounterDelta::new(0, 0, 10.0),
        }),
        processes: Vec::new(),
        system: SystemStats {
            cpu_percent: Stat::from_values(&[40.0, 45.0]),
            memory_total_bytes: 24 << 30,
            ..SystemStats::default()
        },
        series,
        leak: Some(LeakAnalysis {
            metric: LeakMetric::Uss,
            warmup_us: 2_000_000,
            n_points: 16,
            growth_bytes: 1.5 * mib,
            slope_bytes_per_sec: 0.15 * mib,
            slope_ci_low_bytes_per_sec: -0.05 * mib,
            slope_ci_high_bytes_per_sec: 0.35 * mib,
            bytes_per_1000_ops: Some(0.2 * mib),
            r_squared: 0.12,
            fds_per_min: 0.0,
            threads_per_min: 0.0,
            verdict: Verdict::Pass,
            projected_growth_bytes: 0.0,
            inconclusive: None,
            reason: "growth 1.5 MiB after warm-up, slope not above zero with 95% confidence"
                .to_owned(),
        }),
        target_exit: None,
    }
}

fn storage() -> StorageReport {
    let result = |backend: &str, operation, size_mib: u64, mibps: f64| {
        let mut latency = LatencyHistogram::new();
        latency.record_us(40_000);
        latency.record_us(50_000);
        StorageResult {
            backend: backend.to_owned(),
            operation,
            object_size_bytes: size_mib << 20,
            n_operations: 4,
            concurrency: 1,
            total_bytes: 4 * (size_mib << 20),
            duration_us: 1_000_000,
            bytes_per_sec: mibps * 1024.0 * 1024.0,
            operations_per_sec: 4.0,
            repetition_bytes_per_sec: vec![mibps * 1024.0 * 1024.0; 3],
            latency: latency.into(),
            ttfb: None,
            errors: Vec::new(),
            integrity: IntegrityResult {
                verified: 4,
                mismatches: Vec::new(),
            },
        }
    };
    StorageReport {
        schema_version: SCHEMA_VERSION,
        run_prefix: "vertex-perf/20261126T120000Z-a1b2c3/".to_owned(),
        backends: vec![
            BackendSummary {
                name: "local".to_owned(),
                url: "file:///tmp/vp".to_owned(),
                skipped: None,
                page_cache_reads: false,
            },
            BackendSummary {
                name: "s3".to_owned(),
                url: "s3://bench?endpoint=http://127.0.0.1:9000".to_owned(),
                skipped: None,
                page_cache_reads: false,
            },
            BackendSummary {
                name: "minio".to_owned(),
                url: "s3://test-storage?endpoint=http://127.0.0.1:9001".to_owned(),
                skipped: Some("connection refused at 127.0.0.1:9001".to_owned()),
                page_cache_reads: false,
            },
        ],
        results: vec![
            result("local", StorageOperation::Put, 1, 900.0),
            result("local", StorageOperation::Get, 1, 1800.0),
            result("s3", StorageOperation::Put, 1, 110.0),
            result("s3", StorageOperation::Get, 1, 95.0),
        ],
        ratios: vec![BackendRatio {
            operation: StorageOperation::Put,
            object_size_bytes: 1 << 20,
            numerator: "s3".to_owned(),
            denominator: "local".to_owned(),
            ratio: 110.0 / 900.0,
        }],
        leftovers: Vec::new(),
        interrupted: false,
    }
}

fn workflow() -> WorkflowReport {
    let step = |name: &str, duration_us| WorkflowStep {
        name: name.to_owned(),
        status: StepStatus::Passed,
        duration_us,
        details: serde_json::Map::new(),
        failure: None,
    };
    WorkflowReport {
        schema_version: SCHEMA_VERSION,
        base_url: "http://127.0.0.1:8000".to_owned(),
        steps: vec![
            step("Authentication", 12_000),
            step("Test Data Creation", 450_000),
            step("Client Search", 8_000),
        ],
        cleanup: CleanupSummary {
            deleted_videos: 4,
            deleted_portraits: 3,
            deleted_clients: 3,
            leftovers: Vec::new(),
        },
    }
}

fn memory(started_at: Timestamp) -> MemoryReport {
    let snapshot = |label: &str, rss_mib: u64| MemorySnapshot {
        label: label.to_owned(),
        at: started_at,
        rss_bytes: rss_mib << 20,
        vms_bytes: 400 << 20,
        uss_bytes: None,
        memory_percent: 0.3,
        open_files: 20,
        threads: 6,
    };
    MemoryReport {
        schema_version: SCHEMA_VERSION,
        traffic: Vec::new(),
        snapshots: vec![
            snapshot("profiling_start", 78),
            snapshot("after_load", 82),
            snapshot("profiling_end", 80),
        ],
        cycles: (1..=5)
            .map(|index| MemoryCycle {
                index,
                operations: 102,
                rss_bytes_after: (80 << 20) + u64::from(index % 2) * 4096,
                uss_bytes_after: None,
                open_files_after: 20,
                threads_after: 6,
                duration_us: 600_000,
            })
            .collect(),
        leak: None,
    }
}
