//! Merging the shards of one split run into the report of the whole run: counters summed,
//! histograms merged exactly (HdrHistogram adds losslessly), per-second series aligned by
//! wall clock and summed, endpoints and error classes matched by name (`load.rs`); storage
//! figures per backend, operation and size (`storage.rs`); the watched processes per host
//! (`hosts.rs`). The merged report is then judged like any other.
//!
//! What runs once in a split run (the suite's workflow, memory cycles, large upload and
//! direct database reads) runs on the first shard: the merged report takes those sections
//! and scenarios from the report holding shard 1.
//!
//! Refused, with the first difference named: shards of different runs (another schema,
//! command, identity, shard count, start instant or scenario set), a missing or a duplicated
//! shard. A partial merge (some shards) is itself a shard covering those, so merging is
//! associative and commutative: merging partial merges gives the merge of all.

mod hosts;
mod load;
mod storage;

use std::collections::BTreeMap;

use crate::load::ErrorCount;
use crate::meta::RunSegment;
use crate::{ReportError, SCHEMA_VERSION, SuiteReport};

/// The whole run of which `shards` are every part, once each, in any order.
pub fn merge_shards(shards: &[SuiteReport]) -> Result<SuiteReport, ReportError> {
    merge(shards, false)
}

/// Some parts of one run, once each, merged into a report that covers them (a shard of
/// the run still, merged again later); every part, the whole run.
pub fn merge_partial(shards: &[SuiteReport]) -> Result<SuiteReport, ReportError> {
    merge(shards, true)
}

fn refuse<T>(message: String) -> Result<T, ReportError> {
    Err(ReportError::Merge { message })
}

fn merge(shards: &[SuiteReport], partial: bool) -> Result<SuiteReport, ReportError> {
    let Some(first) = shards.first() else {
        return refuse("no shard reports given".to_owned());
    };
    let segment = segment_of(first)?;
    let mut seen = vec![None::<&str>; segment.total as usize];
    for shard in shards {
        check_same_run(shard, first)?;
        let this = segment_of(shard)?;
        let run = &shard.meta.run_id;
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
    // What ran once is in the report holding shard 1, when it is among these.
    let once = shards
        .iter()
        .find(|s| s.meta.segment.as_ref().is_some_and(RunSegment::holds_first));
    let order = scenario_order(shards, once)?;

    let mut merged = first.clone();
    let covered: Vec<u32> = (1..=segment.total)
        .filter(|i| seen[*i as usize - 1].is_some())
        .collect();
    merged.meta.segment = (!missing.is_empty()).then(|| RunSegment {
        index: covered[0],
        total: segment.total,
        start_at: segment.start_at,
        start_offset_us: None,
        covers: covered.clone(),
        kind: segment.kind,
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
    merged.interrupted = shards.iter().any(|s| s.interrupted);
    merged.leftovers = shards.iter().flat_map(|s| s.leftovers.clone()).collect();
    // Judged afresh on the merged figures.
    merged.thresholds = Vec::new();
    merged.comparison = None;
    merged.gaps = Vec::new();
    merged.load = first
        .load
        .is_some()
        .then(|| load::merge_load(shards, &order));
    merged.storage = storage::merge_storage(shards);
    merged.workflow = once.and_then(|s| s.workflow.clone());
    merged.memory = once.and_then(|s| s.memory.clone());
    merged.db_direct = once.and_then(|s| s.db_direct.clone());
    merged.storage_growth = once.and_then(|s| s.storage_growth);
    merged.hosts = hosts::merge_hosts(shards);
    merged.sampler = merged.hosts.iter().find_map(|h| h.sampler.clone());
    merged.storage_server = merged.hosts.iter().find_map(|h| h.storage_server.clone());
    Ok(merged)
}

/// The segment of a shard's report; refused when it is not a shard.
fn segment_of(report: &SuiteReport) -> Result<&RunSegment, ReportError> {
    report.meta.segment.as_ref().map_or_else(
        || {
            refuse(format!(
                "run {} is not a shard (it has no `segment`)",
                report.meta.run_id
            ))
        },
        Ok,
    )
}

/// Refused unless `shard` is of the same run as `first`: schema, command, shard count, start
/// instant, target and workload.
fn check_same_run(shard: &SuiteReport, first: &SuiteReport) -> Result<(), ReportError> {
    let run = &shard.meta.run_id;
    let (this, segment) = (segment_of(shard)?, segment_of(first)?);
    if shard.schema_version != SCHEMA_VERSION {
        return refuse(format!(
            "run {run} has schema_version {}, this build merges {SCHEMA_VERSION}",
            shard.schema_version
        ));
    }
    if this.kind() != segment.kind() {
        return refuse(format!(
            "run {run} is a shard of a `{}` run, run {} of a `{}` run",
            this.kind().as_str(),
            first.meta.run_id,
            segment.kind().as_str()
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
    Ok(())
}

/// The merged run's scenarios, in the order the report holding shard 1 (else the first)
/// ran them. Every report not holding shard 1 ran the same scenarios; the one holding it
/// may have run more (what runs once), never fewer.
fn scenario_order(
    shards: &[SuiteReport],
    once: Option<&SuiteReport>,
) -> Result<Vec<String>, ReportError> {
    let names = |report: &SuiteReport| -> Vec<String> {
        report
            .load
            .iter()
            .flat_map(|l| l.scenarios.iter().map(|s| s.name.clone()))
            .collect()
    };
    let reference = once.unwrap_or(&shards[0]);
    let others: Vec<&SuiteReport> = shards
        .iter()
        .filter(|s| once.is_none_or(|once| !std::ptr::eq(*s, once)))
        .collect();
    let common = others.first().map(|s| names(s));
    for shard in &others {
        if Some(names(shard)) != common {
            return refuse(format!(
                "run {} ran the scenarios {:?}, run {} ran {:?}",
                shard.meta.run_id,
                names(shard),
                others[0].meta.run_id,
                common.unwrap_or_default()
            ));
        }
    }
    let all = names(reference);
    if let Some(common) = &common
        && let Some(lacking) = common.iter().find(|name| !all.contains(name))
    {
        return refuse(format!(
            "run {} ran the scenarios {:?}, without `{lacking}` that run {} ran",
            reference.meta.run_id, all, others[0].meta.run_id
        ));
    }
    Ok(all)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunKind;
    use crate::storage::BackendRatio;

    /// A full suite report (every section filled), as shard `index` of `total` on `host`.
    fn shard(index: u32, total: u32, host: &str) -> SuiteReport {
        let text = include_str!("../../../../tests/fixtures/baseline-suite.json");
        let mut report: SuiteReport = serde_json::from_str(text).unwrap();
        report.meta.run_id = format!("run-{index}");
        report.meta.host.hostname = Some(host.to_owned());
        report.meta.segment = Some(RunSegment::of_shard(
            RunKind::Suite,
            index,
            total,
            None,
            None,
        ));
        report
    }

    fn sampled_for(report: &mut SuiteReport, us: u64) {
        report.sampler.as_mut().unwrap().duration_us = us;
    }

    #[test]
    fn shards_on_one_host_keep_the_longest_view_of_the_service() {
        let (mut a, mut b) = (shard(1, 2, "box"), shard(2, 2, "box"));
        sampled_for(&mut a, 5_000_000);
        sampled_for(&mut b, 7_000_000);
        let merged = merge_shards(&[a, b.clone()]).unwrap();
        assert_eq!(merged.hosts.len(), 1);
        let host = &merged.hosts[0];
        assert_eq!(
            (host.host.as_str(), host.shards.as_slice()),
            ("box", &[1, 2][..])
        );
        assert_eq!(host.sampled_by, Some(2));
        assert_eq!(
            merged.sampler, b.sampler,
            "the view is kept whole, not summed"
        );
    }

    #[test]
    fn shards_on_two_hosts_keep_a_view_per_host_and_merge_associatively() {
        let mut parts: Vec<SuiteReport> = (1..=4)
            .map(|i| shard(i, 4, if i % 2 == 1 { "one" } else { "two" }))
            .collect();
        for (i, part) in parts.iter_mut().enumerate() {
            sampled_for(part, 1_000_000 * (i as u64 + 1));
        }
        let all = merge_shards(&parts).unwrap();
        let hosts: Vec<(&str, &[u32], Option<u32>)> = all
            .hosts
            .iter()
            .map(|h| (h.host.as_str(), h.shards.as_slice(), h.sampled_by))
            .collect();
        assert_eq!(
            hosts,
            [("one", &[1, 3][..], Some(3)), ("two", &[2, 4][..], Some(4))]
        );
        // The top-level sections are the first host's, the one shard 1 ran on.
        assert_eq!(all.sampler, parts[2].sampler);

        let left = merge_partial(&[parts[3].clone(), parts[0].clone()]).unwrap();
        let right = merge_partial(&[parts[1].clone(), parts[2].clone()]).unwrap();
        let again = merge_shards(&[right, left]).unwrap();
        assert_eq!(again.hosts, all.hosts);
        assert_eq!(again.storage, all.storage);
        assert_eq!(again.load, all.load);
    }

    #[test]
    fn storage_figures_add_up_over_the_longest_shard() {
        let (a, mut b) = (shard(1, 2, "box"), shard(2, 2, "box"));
        for result in &mut b.storage.as_mut().unwrap().results {
            result.duration_us *= 2;
        }
        let merged = merge_shards(&[a.clone(), b.clone()]).unwrap();
        let storage = merged.storage.unwrap();
        for (i, result) in storage.results.iter().enumerate() {
            let (x, y) = (
                &a.storage.as_ref().unwrap().results[i],
                &b.storage.as_ref().unwrap().results[i],
            );
            assert_eq!(result.n_operations, x.n_operations + y.n_operations);
            assert_eq!(result.total_bytes, x.total_bytes + y.total_bytes);
            assert_eq!(result.duration_us, y.duration_us);
            let expected = result.total_bytes as f64 / (y.duration_us as f64 / 1e6);
            assert!((result.bytes_per_sec - expected).abs() < 1e-6 * expected.max(1.0));
            assert_eq!(
                result.latency.histogram.len(),
                x.latency.histogram.len() + y.latency.histogram.len()
            );
            assert_eq!(
                result.integrity.verified,
                x.integrity.verified + y.integrity.verified
            );
        }
        assert_eq!(storage.ratios, BackendRatio::of_results(&storage.results));
    }

    #[test]
    fn what_runs_once_comes_from_shard_one_and_only_it_may_run_more() {
        let mut first = shard(1, 2, "box");
        let mut second = shard(2, 2, "box");
        // Shard 2 ran neither the workflow nor the memory cycles, nor their scenarios.
        second.workflow = None;
        second.memory = None;
        let once = second.load.as_mut().unwrap().scenarios.remove(0);
        let merged = merge_shards(&[second.clone(), first.clone()]).unwrap();
        assert_eq!(merged.workflow, first.workflow);
        assert_eq!(merged.memory, first.memory);
        let scenarios = &merged.load.as_ref().unwrap().scenarios;
        assert_eq!(scenarios[0].name, once.name);
        assert_eq!(scenarios[0].total_requests, once.total_requests);

        // Shard 1 may not lack what the others ran.
        first.load.as_mut().unwrap().scenarios.remove(1);
        let error = merge_shards(&[first, second]).unwrap_err().to_string();
        assert!(error.contains("without"), "{error}");
    }

    #[test]
    fn shards_of_another_command_are_refused() {
        let (a, mut b) = (shard(1, 2, "box"), shard(2, 2, "box"));
        b.meta.segment.as_mut().unwrap().kind = Some(RunKind::Storage);
        let error = merge_shards(&[a, b]).unwrap_err().to_string();
        assert!(error.contains("`storage` run"), "{error}");
    }
}
