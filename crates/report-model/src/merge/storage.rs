//! The storage section of a merged run. The shards started together (`--start-at`) and ran
//! their batches side by side, each on its own objects: per backend, operation and size,
//! operations, bytes and in-flight counts add up, latencies merge exactly, and the whole
//! run's throughput is every byte over the longest shard's time (the shards' batches
//! overlapped; a sum of the shards' rates would count a straggler's tail as parallel).

use super::merge_errors;
use crate::SCHEMA_VERSION;
use crate::SuiteReport;
use crate::storage::{BackendRatio, BackendSummary, StorageReport, StorageResult};

/// The shards' storage sections as one; `None` when no shard has one.
pub(super) fn merge_storage(shards: &[SuiteReport]) -> Option<StorageReport> {
    let parts: Vec<&StorageReport> = shards.iter().filter_map(|s| s.storage.as_ref()).collect();
    let first = parts.first()?;
    let mut backends: Vec<BackendSummary> = Vec::new();
    let mut results: Vec<StorageResult> = Vec::new();
    for part in &parts {
        for backend in &part.backends {
            // A backend some shard had to skip: its figures are the other shards' alone. The
            // reason kept is the same whatever the order the shards are given in.
            match backends.iter_mut().find(|b| b.name == backend.name) {
                Some(merged) => {
                    merged.skipped = match (merged.skipped.take(), &backend.skipped) {
                        (Some(a), Some(b)) => Some(a.min(b.clone())),
                        (a, b) => a.or_else(|| b.clone()),
                    };
                }
                None => backends.push(backend.clone()),
            }
        }
        for result in &part.results {
            match results.iter_mut().find(|r| {
                r.backend == result.backend
                    && r.operation == result.operation
                    && r.object_size_bytes == result.object_size_bytes
            }) {
                Some(merged) => absorb(merged, result),
                None => results.push(result.clone()),
            }
        }
    }
    Some(StorageReport {
        schema_version: SCHEMA_VERSION,
        run_prefix: first.run_prefix.clone(),
        ratios: BackendRatio::of_results(&results),
        backends,
        results,
        leftovers: parts
            .iter()
            .flat_map(|p| p.leftovers.iter().cloned())
            .collect(),
        interrupted: parts.iter().any(|p| p.interrupted),
    })
}

/// Adds another shard's figures of the same backend, operation and size to `merged`.
fn absorb(merged: &mut StorageResult, other: &StorageResult) {
    merged.n_operations += other.n_operations;
    merged.total_bytes += other.total_bytes;
    merged.concurrency += other.concurrency;
    merged.duration_us = merged.duration_us.max(other.duration_us);
    let seconds = (merged.duration_us as f64 / 1e6).max(1e-9);
    merged.bytes_per_sec = merged.total_bytes as f64 / seconds;
    merged.operations_per_sec = merged.n_operations as f64 / seconds;
    // Repetition r of every shard ran side by side: their rates add up.
    for (i, rate) in other.repetition_bytes_per_sec.iter().enumerate() {
        match merged.repetition_bytes_per_sec.get_mut(i) {
            Some(merged_rate) => *merged_rate += rate,
            None => merged.repetition_bytes_per_sec.push(*rate),
        }
    }
    merged.latency.merge(&other.latency);
    match (&mut merged.ttfb, &other.ttfb) {
        (Some(merged), Some(other)) => merged.merge(other),
        (None, Some(other)) => merged.ttfb = Some(other.clone()),
        _ => {}
    }
    merged.errors = merge_errors([&merged.errors, &other.errors]);
    merged.integrity.verified += other.integrity.verified;
    merged
        .integrity
        .mismatches
        .extend(other.integrity.mismatches.iter().cloned());
}
