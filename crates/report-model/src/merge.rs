//! Merging the shards of one split run into the report of the whole run: counters summed,
//! histograms merged exactly (HdrHistogram adds losslessly), per-second series aligned by
//! wall clock and summed, endpoints and error classes matched by name. The merged report
//! is then judged like any other.
//!
//! Refused, with the first difference named: shards of different runs (another schema,
//! identity, shard count, start instant or scenario set), a missing or a duplicated shard.
//! A partial merge (some shards) is itself a shard covering those, so merging is associative
//! and commutative: merging partial merges gives the merge of all.

use std::collections::BTreeMap;

use crate::load::{
    CheckCounts, EndpointReport, ErrorCount, GeneratorHealth, LatencyDistribution, SecondStats,
    merge_all, per_second, percent,
};
use crate::{LoadReport, ReportError, SCHEMA_VERSION, ScenarioReport, SuiteReport};

/// The whole run of which `shards` are every part, once each, in any order.
pub fn merge_shards(shards: &[SuiteReport]) -> Result<SuiteReport, ReportError> {
    merge(shards, false)
}

/// Some parts of one run, once each, merged into a report that covers them (a shard of
/// the run still, merged again later); every part, the whole run.
pub fn merge_partial(shards: &[SuiteReport]) -> Result<SuiteReport, ReportError> {
    merge(shards, true)
}

fn merge(shards: &[SuiteReport], partial: bool) -> Result<SuiteReport, ReportError> {
    let refuse = |message: String| Err(ReportError::Merge { message });
    let Some(first) = shards.first() else {
        return refuse("no shard reports given".to_owned());
    };
    let Some(segment) = &first.meta.segment else {
        return refuse(format!(
            "run {} is not a shard (it has no `segment`)",
            first.meta.run_id
        ));
    };
    let mut seen = vec![None::<&str>; segment.total as usize];
    for shard in shards {
        let run = &shard.meta.run_id;
        let Some(this) = &shard.meta.segment else {
            return refuse(format!("run {run} is not a shard (it has no `segment`)"));
        };
        if shard.schema_version != SCHEMA_VERSION {
            return refuse(format!(
                "run {run} has schema_version {}, this build merges {SCHEMA_VERSION}",
                shard.schema_version
            ));
        }
        if this.total != segment.total {
            return refuse(format!(
                "run {run} is shard {}/{} of a {}-shard run, not of {}",
                this.index, this.total, this.total, segment.total
            ));
        }
        if this.start_at != segment.start_at {
            return refuse(format!(
                "run {run} started at {:?}, run {} at {:?}: not the same run",
                this.start_at, first.meta.run_id, segment.start_at
            ));
        }
        let identity = |r: &SuiteReport| {
            r.meta
                .identity
                .as_ref()
                .map(|i| (i.target.clone(), i.workload.clone()))
        };
        if identity(shard) != identity(first) {
            return refuse(format!(
                "run {run} measured another target or workload than run {}",
                first.meta.run_id
            ));
        }
        if scenario_names(shard) != scenario_names(first) {
            return refuse(format!(
                "run {run} ran the scenarios {:?}, run {} ran {:?}",
                scenario_names(shard),
                first.meta.run_id,
                scenario_names(first)
            ));
        }
        for index in this.shards() {
            let Some(slot) = (index as usize)
                .checked_sub(1)
                .and_then(|i| seen.get_mut(i))
            else {
                return refuse(format!("run {run} claims shard {index}/{}", this.total));
            };
            if let Some(other) = slot.replace(run) {
                return refuse(format!(
                    "shard {index}/{} given twice (runs {other} and {run})",
                    this.total
                ));
            }
        }
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, run)| run.is_none())
        .map(|(i, _)| format!("{}/{}", i + 1, segment.total))
        .collect();
    if !missing.is_empty() && !partial {
        return refuse(format!(
            "shard {} missing\n(hint: --partial merges some shards, to merge with the rest later)",
            missing.join(", ")
        ));
    }

    let mut merged = first.clone();
    let covered: Vec<u32> = (1..=segment.total)
        .filter(|i| seen[*i as usize - 1].is_some())
        .collect();
    merged.meta.segment = (!missing.is_empty()).then(|| crate::meta::RunSegment {
        index: covered[0],
        total: segment.total,
        start_at: segment.start_at,
        start_offset_us: None,
        covers: covered.clone(),
    });
    merged.meta.run_id = format!("{}-merged", first.meta.run_id);
    merged.meta.started_at = shards
        .iter()
        .map(|s| s.meta.started_at)
        .min()
        .unwrap_or_default();
    merged.meta.finished_at = shards
        .iter()
        .map(|s| s.meta.finished_at)
        .max()
        .unwrap_or_default();
    merged.outcome = shards
        .iter()
        .map(|s| s.outcome.clone())
        .find(|o| *o != crate::RunOutcome::Completed)
        .unwrap_or(crate::RunOutcome::Completed);
    merged.leftovers = shards.iter().flat_map(|s| s.leftovers.clone()).collect();
    // Judged afresh on the merged figures.
    merged.thresholds = Vec::new();
    merged.comparison = None;
    merged.gaps = Vec::new();
    if let Some(load) = &first.load {
        let scenarios = load
            .scenarios
            .iter()
            .map(|scenario| {
                let parts: Vec<&ScenarioReport> = shards
                    .iter()
                    .filter_map(|s| s.load.as_ref())
                    .flat_map(|l| l.scenarios.iter().filter(|s| s.name == scenario.name))
                    .collect();
                merge_scenarios(&parts)
            })
            .collect();
        merged.load = Some(LoadReport {
            schema_version: SCHEMA_VERSION,
            scenarios,
        });
    }
    Ok(merged)
}

fn scenario_names(report: &SuiteReport) -> Vec<&str> {
    report
        .load
        .iter()
        .flat_map(|l| l.scenarios.iter().map(|s| s.name.as_str()))
        .collect()
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
fn offset_us(start: crate::meta::Timestamp, at: crate::meta::Timestamp) -> u64 {
    u64::try_from((at - start).num_microseconds().unwrap_or(0)).unwrap_or(0)
}

/// The shards' seconds on one wall clock (seconds since the earliest start): counts and busy
/// time summed; a second's percentiles are the highest any shard saw (they do not add up).
fn merge_series(parts: &[&ScenarioReport], start: crate::meta::Timestamp) -> Vec<SecondStats> {
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

/// Adds `from`'s count per status code to `into`'s.
fn add_counts(into: &mut BTreeMap<u16, u64>, from: &BTreeMap<u16, u64>) {
    for (status, count) in from {
        *into.entry(*status).or_insert(0) += count;
    }
}

/// Error counts matched by class, the first sample message kept.
fn merge_errors<'a>(lists: impl IntoIterator<Item = &'a Vec<ErrorCount>>) -> Vec<ErrorCount> {
    let mut merged: Vec<ErrorCount> = Vec::new();
    for error in lists.into_iter().flatten() {
        match merged.iter_mut().find(|e| e.class == error.class) {
            Some(existing) => existing.count += error.count,
            None => merged.push(error.clone()),
        }
    }
    merged
}
