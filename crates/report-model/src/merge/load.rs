//! The load section of a merged run: each scenario from its shards' parts.

use std::collections::BTreeMap;

use super::{add_counts, merge_errors};
use crate::load::{
    CheckCounts, EndpointReport, GeneratorHealth, LatencyDistribution, SecondStats, merge_all,
    per_second, percent,
};
use crate::meta::Timestamp;
use crate::{LoadReport, SCHEMA_VERSION, ScenarioReport, SuiteReport};

/// Every scenario of `order` (the names of the report holding the first shard), each from
/// the parts of the shards that ran it.
pub(super) fn merge_load(shards: &[SuiteReport], order: &[String]) -> LoadReport {
    let scenarios = order
        .iter()
        .map(|name| {
            let parts: Vec<&ScenarioReport> = shards
                .iter()
                .filter_map(|s| s.load.as_ref())
                .flat_map(|l| l.scenarios.iter().filter(|s| &s.name == name))
                .collect();
            merge_scenarios(&parts)
        })
        .collect();
    LoadReport {
        schema_version: SCHEMA_VERSION,
        scenarios,
    }
}

/// One scenario of the whole run from its shards' parts (at least one).
fn merge_scenarios(parts: &[&ScenarioReport]) -> ScenarioReport {
    let first = parts[0];
    let start = parts
        .iter()
        .map(|p| p.started_at)
        .min()
        .unwrap_or(first.started_at);
    let end_us = parts
        .iter()
        .map(|p| offset_us(start, p.started_at).saturating_add(p.duration_us))
        .max()
        .unwrap_or(0);
    let sum = |f: fn(&ScenarioReport) -> u64| parts.iter().map(|p| f(p)).sum::<u64>();
    let (total, successes) = (sum(|p| p.total_requests), sum(|p| p.successful_requests));
    let histogram = |f: fn(&ScenarioReport) -> &LatencyDistribution| {
        LatencyDistribution::from(merge_all(parts.iter().map(|p| &f(p).histogram)))
    };
    let mut status_codes = BTreeMap::new();
    for part in parts {
        add_counts(&mut status_codes, &part.status_codes);
    }
    let mut endpoints: Vec<EndpointReport> = Vec::new();
    for endpoint in parts.iter().flat_map(|p| &p.endpoints) {
        match endpoints.iter_mut().find(|e| e.label == endpoint.label) {
            Some(merged) => {
                merged.requests += endpoint.requests;
                merged.failures += endpoint.failures;
                merged.response_time.merge(&endpoint.response_time);
                add_counts(&mut merged.status_codes, &endpoint.status_codes);
                merged.errors = merge_errors([&merged.errors, &endpoint.errors]);
            }
            None => endpoints.push(endpoint.clone()),
        }
    }
    let generators = parts.iter().map(|p| &p.generator);
    // The shards' asked rates add up to the whole run's (none for a closed model).
    let requested_rate = parts
        .iter()
        .map(|p| p.executor.target_rate_per_sec)
        .sum::<Option<f64>>();
    let mut executor = first.executor.clone();
    executor.concurrency = parts.iter().map(|p| p.executor.concurrency).sum();
    executor.target_rate_per_sec = requested_rate;
    ScenarioReport {
        name: first.name.clone(),
        executor,
        started_at: start,
        duration_us: end_us,
        total_requests: total,
        successful_requests: successes,
        failed_requests: sum(|p| p.failed_requests),
        requests_per_second: per_second(total, end_us),
        success_rate_percent: percent(successes, total),
        bytes_sent: sum(|p| p.bytes_sent),
        bytes_received: sum(|p| p.bytes_received),
        response_time: histogram(|p| &p.response_time),
        service_time: histogram(|p| &p.service_time),
        ttfb: histogram(|p| &p.ttfb),
        status_codes,
        errors: merge_errors(parts.iter().map(|p| &p.errors)),
        checks: CheckCounts {
            passes: sum(|p| p.checks.passes),
            fails: sum(|p| p.checks.fails),
        },
        endpoints,
        series: merge_series(parts, start),
        generator: GeneratorHealth {
            requested_rate_per_sec: requested_rate,
            achieved_rate_per_sec: generators.clone().map(|g| g.achieved_rate_per_sec).sum(),
            // The worst shard's lag: lag summaries do not add up.
            start_lag: generators
                .clone()
                .map(|g| g.start_lag)
                .max_by_key(|lag| lag.p99_us)
                .unwrap_or_default(),
            late_starts: generators.clone().map(|g| g.late_starts).sum(),
            dropped_starts: generators.clone().map(|g| g.dropped_starts).sum(),
            max_in_flight: generators.clone().map(|g| g.max_in_flight).sum(),
            cpu_seconds: generators.clone().map(|g| g.cpu_seconds).sum(),
            runtime_threads: generators.map(|g| g.runtime_threads).sum(),
        },
        interrupted: parts.iter().any(|p| p.interrupted),
    }
}

/// Microseconds from `start` to `at` (0 when `at` is earlier).
fn offset_us(start: Timestamp, at: Timestamp) -> u64 {
    u64::try_from((at - start).num_microseconds().unwrap_or(0)).unwrap_or(0)
}

/// The shards' seconds on one wall clock (seconds since the earliest start): counts and busy
/// time summed; a second's percentiles are the highest any shard saw (they do not add up).
fn merge_series(parts: &[&ScenarioReport], start: Timestamp) -> Vec<SecondStats> {
    let mut seconds: BTreeMap<u64, SecondStats> = BTreeMap::new();
    for part in parts {
        let shift = offset_us(start, part.started_at) / 1_000_000;
        for second in &part.series {
            let at = second.second + shift;
            let merged = seconds.entry(at).or_insert(SecondStats {
                second: at,
                ..SecondStats::default()
            });
            merged.requests += second.requests;
            merged.errors += second.errors;
            merged.busy_us += second.busy_us;
            merged.p50_us = merged.p50_us.max(second.p50_us);
            merged.p95_us = merged.p95_us.max(second.p95_us);
            merged.p99_us = merged.p99_us.max(second.p99_us);
        }
    }
    seconds.into_values().collect()
}
