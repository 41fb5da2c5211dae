//! Running a [`Plan`] over backends: per backend × operation × size, throughput, latency,
//! TTFB for gets, errors, and SHA-256 verification of every object read back. Everything is
//! written under one run prefix and deleted at the end, also after a failure.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt as _};
use report_model::{
    ErrorClass, LatencyHistogram, SCHEMA_VERSION, StorageOperation, StorageReport,
    leftovers::Leftover, leftovers::LeftoverKind, load::ErrorCount, load::LatencyDistribution,
    storage::BackendRatio, storage::BackendSummary, storage::IntegrityResult,
    storage::StorageResult,
};

use crate::body_buffers::BodyBuffers;
use crate::mixed::{PoolObject, run_mixed};
use crate::operation::{
    OnBackend, OpOutcome, get_object, one_operation, put_object, sha256_hex, verify,
};
use crate::plan::{Plan, StorageProgress, payload};
use crate::{Backend, StorageError};

/// The figures of one backend × operation × size, accumulated over repetitions.
#[derive(Default)]
struct Figures {
    n_operations: u64,
    total_bytes: u64,
    busy: Duration,
    repetition_rates: Vec<f64>,
    latency: LatencyHistogram,
    ttfb: Option<LatencyHistogram>,
    errors: BTreeMap<ErrorClass, (u64, String)>,
    integrity: IntegrityResult,
}

impl Figures {
    fn fail(&mut self, class: ErrorClass, message: String) {
        let entry = self.errors.entry(class).or_insert((0, String::new()));
        entry.0 += 1;
        if entry.1.is_empty() {
            entry.1 = message;
        }
    }

    /// Adds one batch's verified outcomes, which took `busy`; returns the bytes it moved.
    fn absorb(&mut self, outcomes: Vec<OpOutcome>, busy: Duration) -> u64 {
        let moved: u64 = outcomes
            .iter()
            .filter(|o| o.result.is_ok())
            .map(|o| o.bytes)
            .sum();
        for outcome in outcomes {
            self.n_operations += 1;
            self.latency.record(outcome.latency);
            if let Some(ttfb) = outcome.ttfb {
                self.ttfb
                    .get_or_insert_with(LatencyHistogram::new)
                    .record(ttfb);
            }
            match outcome.result {
                Ok(None) => {
                    self.total_bytes += outcome.bytes;
                    if outcome.verified {
                        self.integrity.verified += 1;
                    }
                }
                Ok(Some(mismatch)) => {
                    self.fail(
                        ErrorClass::IntegrityMismatch,
                        format!(
                            "{}: sent {}, got {}",
                            mismatch.key, mismatch.expected_sha256, mismatch.actual_sha256
                        ),
                    );
                    self.integrity.mismatches.push(mismatch);
                }
                Err(message) => self.fail(ErrorClass::Other, message),
            }
        }
        self.busy += busy;
        self.repetition_rates
            .push(moved as f64 / busy.as_secs_f64().max(1e-9));
        moved
    }

    /// The result row: throughput over the busy time of every batch.
    fn into_result(
        self,
        backend: &Backend,
        operation: StorageOperation,
        size: u64,
        plan: &Plan,
    ) -> StorageResult {
        let seconds = self.busy.as_secs_f64().max(1e-9);
        StorageResult {
            backend: backend.name.clone(),
            operation,
            object_size_bytes: size,
            n_operations: self.n_operations,
            concurrency: plan.concurrency,
            total_bytes: self.total_bytes,
            duration_us: u64::try_from(self.busy.as_micros()).unwrap_or(u64::MAX),
            bytes_per_sec: self.total_bytes as f64 / seconds,
            operations_per_sec: self.n_operations as f64 / seconds,
            repetition_bytes_per_sec: self.repetition_rates,
            latency: LatencyDistribution::from(self.latency),
            ttfb: self.ttfb.map(LatencyDistribution::from),
            errors: self
                .errors
                .into_iter()
                .map(|(class, (count, sample_message))| ErrorCount {
                    class,
                    count,
                    sample_message,
                })
                .collect(),
            integrity: self.integrity,
        }
    }
}

/// Runs `plan` on every backend. `backends` may hold setup failures (reported as skipped);
/// a backend that fails mid-run is marked skipped with the reason, and the others go on.
pub async fn run(
    plan: &Plan,
    backends: Vec<Result<Backend, (String, StorageError)>>,
    mut progress: impl FnMut(StorageProgress),
) -> Result<StorageReport, StorageError> {
    plan.validate()?;
    let mut summaries = Vec::new();
    let mut results: Vec<StorageResult> = Vec::new();
    let mut leftovers = Vec::new();
    for backend in backends {
        if plan.cancel.is_cancelled() {
            let url = match &backend {
                Ok(backend) => backend.url.clone(),
                Err((url, _)) => report_model::redact_url(url),
            };
            let name = match &backend {
                Ok(backend) => backend.name.clone(),
                Err((url, _)) => url
                    .parse::<crate::BackendSpec>()
                    .map_or_else(|_| "unknown".to_owned(), |s| s.short_name().to_owned()),
            };
            summaries.push(BackendSummary {
                name,
                url,
                skipped: Some("interrupted before it ran".to_owned()),
                page_cache_reads: false,
            });
            continue;
        }
        let backend = match backend {
            Ok(backend) => backend,
            Err((url, error)) => {
                let name = url
                    .parse::<crate::BackendSpec>()
                    .map_or_else(|_| "unknown".to_owned(), |s| s.short_name().to_owned());
                summaries.push(BackendSummary {
                    name,
                    url: report_model::redact_url(&url),
                    skipped: Some(report_model::error_chain(&error)),
                    page_cache_reads: false,
                });
                continue;
            }
        };
        let outcome = run_backend(plan, &backend, &mut progress).await;
        leftovers.extend(cleanup(&backend, &plan.run_prefix).await);
        match outcome {
            Ok(mut backend_results) => {
                results.append(&mut backend_results);
                summaries.push(BackendSummary {
                    name: backend.name.clone(),
                    url: backend.url.clone(),
                    skipped: None,
                    page_cache_reads: backend.page_cache_reads(),
                });
            }
            Err(reason) => summaries.push(BackendSummary {
                name: backend.name.clone(),
                url: backend.url.clone(),
                skipped: Some(reason),
                page_cache_reads: backend.page_cache_reads(),
            }),
        }
    }
    let ratios = BackendRatio::of_results(&results);
    Ok(StorageReport {
        schema_version: SCHEMA_VERSION,
        run_prefix: plan.run_prefix.clone(),
        backends: summaries,
        results,
        ratios,
        leftovers,
        interrupted: plan.cancel.is_cancelled(),
    })
}

fn key(plan: &Plan, backend: &str, size: u64, repetition: u32, index: u32) -> StorePath {
    StorePath::from(format!(
        "{}/{backend}/{size}/r{repetition}/object-{index}",
        plan.run_prefix
    ))
}

async fn run_backend(
    plan: &Plan,
    backend: &Backend,
    progress: &mut impl FnMut(StorageProgress),
) -> Result<Vec<StorageResult>, String> {
    let mut all = Vec::new();
    for &size in &plan.sizes {
        if plan.cancel.is_cancelled() {
            break;
        }
        let payloads: Vec<Bytes> = plan
            .object_numbers()
            .map(|i| payload(size, plan.seed, u64::from(i)))
            .collect();
        let hashes: Vec<String> = payloads.iter().map(|p| sha256_hex(p)).collect();
        let buffers = BodyBuffers::default();
        if plan.warmup {
            warm_up(plan, backend, size, &payloads[0], &buffers).await?;
        }
        let mut figures: BTreeMap<StorageOperation, Figures> = BTreeMap::new();
        'repetitions: for repetition in 0..plan.repetitions {
            for &operation in &plan.operations {
                if plan.cancel.is_cancelled() {
                    break 'repetitions;
                }
                let batch = Batch {
                    plan,
                    backend,
                    operation,
                    size,
                    repetition,
                    buffers: &buffers,
                };
                let started = Instant::now();
                let outcomes = batch.run(&payloads, &hashes).await;
                let busy = started.elapsed();
                let outcomes: Vec<OpOutcome> = outcomes
                    .into_iter()
                    .map(|outcome| verify(outcome, &buffers))
                    .collect();
                if repetition == 0
                    && operation == StorageOperation::Put
                    && outcomes.iter().all(|o| o.result.is_err())
                {
                    let reason = outcomes
                        .iter()
                        .find_map(|o| o.result.as_ref().err())
                        .cloned()
                        .unwrap_or_default();
                    return Err(format!("every put of {size} bytes failed: {reason}"));
                }
                let moved = figures.entry(operation).or_default().absorb(outcomes, busy);
                progress(StorageProgress {
                    backend: backend.name.clone(),
                    operation,
                    object_size_bytes: size,
                    bytes: moved,
                    elapsed: busy,
                });
            }
        }
        all.extend(
            figures
                .into_iter()
                .map(|(operation, figures)| figures.into_result(backend, operation, size, plan)),
        );
    }
    Ok(all)
}

/// One untimed put, get and delete of `payload` before a size's timed operations, so
/// connection setup and first-touch costs stay out of the figures.
async fn warm_up(
    plan: &Plan,
    backend: &Backend,
    size: u64,
    payload: &Bytes,
    buffers: &BodyBuffers,
) -> Result<(), String> {
    let store = backend.store.as_ref();
    let warm = StorePath::from(format!(
        "{}/{}/warmup-{size}",
        plan.run_prefix, backend.name
    ));
    put_object(store, &warm, payload.clone(), plan, backend.multipart)
        .await
        .map_err(|e| format!("warm-up put of {size} bytes failed: {e}"))?;
    if let Ok((body, _)) = get_object(store, &warm, size, None, buffers).await {
        buffers.give_back(body);
    }
    let _ = store.delete(&warm).await;
    Ok(())
}

/// One timed batch: `operation` on every object of one size in one repetition.
struct Batch<'a> {
    plan: &'a Plan,
    backend: &'a Backend,
    operation: StorageOperation,
    size: u64,
    repetition: u32,
    buffers: &'a BodyBuffers,
}

impl Batch<'_> {
    /// The prefix this batch's objects live under.
    fn prefix(&self) -> String {
        format!(
            "{}/{}/{}/r{}",
            self.plan.run_prefix, self.backend.name, self.size, self.repetition
        )
    }

    /// Runs the batch: a list is one call, the mixed workload runs over the pool, every
    /// other operation runs once per object with `plan.concurrency` in flight.
    async fn run(&self, payloads: &[Bytes], hashes: &[String]) -> Vec<OpOutcome> {
        let (plan, backend, store) = (self.plan, self.backend, &self.backend.store);
        let on = OnBackend {
            store: store.as_ref(),
            plan,
            multipart: backend.multipart,
            buffers: self.buffers,
        };
        let keys: Vec<StorePath> = plan
            .object_numbers()
            .map(|i| key(plan, &backend.name, self.size, self.repetition, i))
            .collect();
        match self.operation {
            StorageOperation::List => {
                let prefix = StorePath::from(self.prefix());
                let started = Instant::now();
                let listed: Result<Vec<_>, _> = store.list(Some(&prefix)).try_collect().await;
                vec![OpOutcome {
                    latency: started.elapsed(),
                    ttfb: None,
                    bytes: 0,
                    to_verify: None,
                    verified: false,
                    result: listed.map(|_| None).map_err(|e| e.to_string()),
                }]
            }
            StorageOperation::Mixed => {
                let pool: Vec<PoolObject> = keys
                    .iter()
                    .enumerate()
                    .map(|(i, key)| PoolObject {
                        key: key.clone(),
                        payload: payloads[i].clone(),
                        sha256: hashes[i].clone(),
                    })
                    .collect();
                run_mixed(&on, &pool, &self.prefix()).await
            }
            operation => {
                futures::stream::iter(keys.iter().enumerate())
                    .map(|(i, key)| {
                        one_operation(&on, operation, key, payloads[i].clone(), &hashes[i])
                    })
                    .buffer_unordered(plan.concurrency as usize)
                    .collect()
                    .await
            }
        }
    }
}

/// Deletes everything under the run prefix, lists the prefix again to see what is really
/// left (a deletion whose answer was lost may still have happened), and removes what the
/// deletions left on this machine's disk (empty folders, sidecar files). Returns what is
/// still there, by key.
pub async fn cleanup(backend: &Backend, run_prefix: &str) -> Vec<Leftover> {
    let prefix = StorePath::from(run_prefix);
    let leftover = |id: String, reason: String| Leftover {
        kind: LeftoverKind::Object,
        id,
        place: backend.name.clone(),
        reason,
    };
    let mut failures = BTreeMap::new();
    match backend
        .store
        .list(Some(&prefix))
        .try_collect::<Vec<_>>()
        .await
    {
        Ok(objects) => {
            for meta in objects {
                if let Err(error) = backend.store.delete(&meta.location).await {
                    failures.insert(
                        meta.location.to_string(),
                        format!("deletion failed: {error}"),
                    );
                }
            }
        }
        Err(error) => {
            return vec![leftover(
                format!("{run_prefix}/"),
                format!("cannot list the run's objects: {error}"),
            )];
        }
    }
    let mut leftovers = match backend
        .store
        .list(Some(&prefix))
        .try_collect::<Vec<_>>()
        .await
    {
        Ok(still) => still
            .into_iter()
            .map(|meta| {
                let key = meta.location.to_string();
                let reason = failures
                    .remove(&key)
                    .unwrap_or_else(|| "still listed after its deletion".to_owned());
                leftover(key, reason)
            })
            .collect(),
        Err(error) => failures
            .into_iter()
            .map(|(key, reason)| leftover(key, format!("{reason}; unverified: {error}")))
            .collect::<Vec<_>>(),
    };
    if let Some(disk) = &backend.disk {
        for problem in disk.after_cleanup(run_prefix) {
            leftovers.push(Leftover {
                kind: LeftoverKind::File,
                id: problem,
                place: backend.name.clone(),
                reason: "cannot remove".to_owned(),
            });
        }
    }
    leftovers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::parse_sizes;

    #[test]
    fn sizes_and_payloads() {
        assert_eq!(
            parse_sizes("64KiB, 1MiB,2MB,100").unwrap(),
            vec![64 << 10, 1 << 20, 2 << 20, 100]
        );
        assert!(parse_sizes("1XB").is_err());
        assert!(parse_sizes("0B").is_err());
        assert!(parse_sizes("18446744073709551615GiB").is_err());
        assert!(parse_sizes("99999999999999999999999").is_err());
        assert!(parse_sizes("2GiB").is_err());
        assert_eq!(parse_sizes("1GiB").unwrap(), vec![1 << 30]);
        assert_eq!(payload(1000, 1, 0), payload(1000, 1, 0));
        assert_ne!(payload(1000, 1, 0), payload(1000, 1, 1));
        assert_eq!(payload(1 << 20, 7, 3).len(), 1 << 20);
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sizes_parse_within_the_object_cap(
            number in prop_oneof![
                any::<u64>().prop_map(|n| n.to_string()),
                "[0-9]{1,30}",
            ],
            unit in prop::sample::select(vec!["", "B", "K", "KiB", "KB", "M", "MiB", "MB", "G", "GiB", "GB", "TiB", " MiB"]),
            more in ".{0,6}",
        ) {
            for text in [format!("{number}{unit}"), format!("{number}{unit},{more}")] {
                if let Ok(sizes) = parse_sizes(&text) {
                    prop_assert!(sizes.iter().all(|&s| (1..=Plan::MAX_OBJECT_SIZE).contains(&s)), "{text}");
                }
            }
        }
    }
}
