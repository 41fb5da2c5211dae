//! Running a [`Plan`] over backends: per backend × operation × size, throughput, latency,
//! TTFB for gets, errors, and SHA-256 verification of every object read back. Everything is
//! written under one run prefix and deleted at the end, also after a failure.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{StreamExt as _, TryStreamExt as _};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart};
use report_model::{
    BackendRatio, BackendSummary, ErrorClass, ErrorCount, IntegrityMismatch, IntegrityResult,
    LatencyDistribution, LatencyHistogram, Leftover, LeftoverKind, SCHEMA_VERSION,
    StorageOperation, StorageReport, StorageResult,
};
use sha2::Digest as _;
use tokio_util::sync::CancellationToken;

use crate::mixed::{MixWeights, PoolObject, run_mixed};
use crate::{Backend, StorageError};

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Object sizes, bytes (default 1, 5, 10, 20 MiB).
    pub sizes: Vec<u64>,
    /// Objects per size and repetition.
    pub objects: u32,
    /// Operations in flight at once.
    pub concurrency: u32,
    /// Repetitions (each one a fresh set of objects).
    pub repetitions: u32,
    /// Operations, in order. `Get`, `Head` and `Delete` need `Put`.
    pub operations: Vec<StorageOperation>,
    /// Seed of the payloads: the same seed gives the same bytes.
    pub seed: u64,
    /// Objects at least this big are uploaded in parts.
    pub multipart_threshold: u64,
    /// Part size of multipart uploads.
    pub part_size: usize,
    /// One unmeasured put/get per backend and size before measuring.
    pub warmup: bool,
    /// Everything goes under this prefix.
    pub run_prefix: String,
    /// Weights of the mixed workload (`StorageOperation::Mixed`).
    pub mix: MixWeights,
    /// Operations of the mixed workload per size and repetition.
    pub mixed_operations: u32,
    /// Cancel to stop after the operations in flight: no new phase starts, every backend
    /// opened is still cleaned up, and the report says it was interrupted.
    pub cancel: CancellationToken,
}

impl Plan {
    /// The defaults: 1/5/10/20 MiB, 2 objects, concurrency 2, 1 repetition, all operations.
    pub fn new(run_prefix: &str) -> Plan {
        Plan {
            sizes: vec![1 << 20, 5 << 20, 10 << 20, 20 << 20],
            objects: 2,
            concurrency: 2,
            repetitions: 1,
            operations: vec![
                StorageOperation::Put,
                StorageOperation::Get,
                StorageOperation::Head,
                StorageOperation::List,
                StorageOperation::Delete,
            ],
            seed: 42,
            multipart_threshold: 16 << 20,
            part_size: 8 << 20,
            warmup: true,
            run_prefix: run_prefix.trim_matches('/').to_owned(),
            mix: MixWeights::default(),
            mixed_operations: 50,
            cancel: CancellationToken::new(),
        }
    }

    /// The largest object: 1 GiB.
    pub const MAX_OBJECT_SIZE: u64 = 1 << 30;
    /// The most bytes one phase writes (objects × size): 16 GiB.
    pub const MAX_PHASE_BYTES: u64 = 16 << 30;
    /// The most object sizes of a plan.
    pub const MAX_SIZES: usize = 64;
    /// The most objects per size, operations in flight, repetitions and mixed operations.
    pub const MAX_OBJECTS: u32 = 10_000;
    /// See [`Plan::MAX_OBJECTS`].
    pub const MAX_CONCURRENCY: u32 = 256;
    /// See [`Plan::MAX_OBJECTS`].
    pub const MAX_REPETITIONS: u32 = 100;
    /// See [`Plan::MAX_OBJECTS`].
    pub const MAX_MIXED_OPERATIONS: u32 = 1_000_000;

    fn validate(&self) -> Result<(), StorageError> {
        let fail = |message: &str| {
            Err(StorageError::Config {
                message: message.to_owned(),
            })
        };
        if self.sizes.is_empty() || self.sizes.contains(&0) {
            return fail("sizes must be non-empty and above zero");
        }
        if self.sizes.len() > Self::MAX_SIZES {
            return fail("at most 64 object sizes");
        }
        if self.objects == 0 || self.concurrency == 0 || self.repetitions == 0 {
            return fail("objects, concurrency and repetitions must be above zero");
        }
        if self.objects > Self::MAX_OBJECTS
            || self.concurrency > Self::MAX_CONCURRENCY
            || self.repetitions > Self::MAX_REPETITIONS
            || self.mixed_operations > Self::MAX_MIXED_OPERATIONS
        {
            return fail(
                "at most 10000 objects, 256 in flight, 100 repetitions and 1000000 mixed operations",
            );
        }
        if let Some(size) = self
            .sizes
            .iter()
            .find(|&&size| size > Self::MAX_OBJECT_SIZE)
        {
            return Err(StorageError::Config {
                message: format!("an object of {size} bytes is above the maximum of 1 GiB"),
            });
        }
        if self
            .sizes
            .iter()
            .any(|&size| size.saturating_mul(u64::from(self.objects)) > Self::MAX_PHASE_BYTES)
        {
            return fail("objects × size is above 16 GiB for one phase");
        }
        if self.run_prefix.is_empty() {
            return fail("the run prefix must not be empty");
        }
        if self.part_size < 5 << 20 {
            return fail("S3 parts are at least 5 MiB");
        }
        if let Some(mixed) = self
            .operations
            .iter()
            .position(|o| *o == StorageOperation::Mixed)
        {
            let before = &self.operations[..mixed];
            if !before.contains(&StorageOperation::Put)
                || before.contains(&StorageOperation::Delete)
            {
                return fail(
                    "the mixed workload reads the objects the put phase wrote: list `put` before `mixed` and `delete` after it",
                );
            }
            if self.mixed_operations == 0 {
                return fail("the mixed workload needs at least one operation");
            }
        }
        Ok(())
    }
}

/// Progress of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageProgress {
    /// Backend name.
    pub backend: String,
    /// Operation.
    pub operation: StorageOperation,
    /// Object size.
    pub object_size_bytes: u64,
    /// Payload bytes moved so far in this phase.
    pub bytes: u64,
    /// Seconds since the phase started.
    pub elapsed: Duration,
}

/// Parses sizes such as `64KiB,1MiB,100MiB` (also `KB`/`MB` meaning KiB/MiB, like the old
/// suite, and plain bytes).
pub fn parse_sizes(text: &str) -> Result<Vec<u64>, StorageError> {
    text.split(',')
        .map(|item| {
            let item = item.trim();
            let split = item
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(item.len());
            let (number, unit) = item.split_at(split);
            let number: u64 = number.parse().map_err(|_| StorageError::Config {
                message: format!("size `{item}` is not like 1MiB"),
            })?;
            let factor = match unit.trim() {
                "" | "B" => 1,
                "KiB" | "KB" | "K" => 1 << 10,
                "MiB" | "MB" | "M" => 1 << 20,
                "GiB" | "GB" | "G" => 1 << 30,
                _ => {
                    return Err(StorageError::Config {
                        message: format!("size `{item}` has an unknown unit (B, KiB, MiB, GiB)"),
                    });
                }
            };
            match number.checked_mul(factor) {
                Some(0) => Err(StorageError::Config {
                    message: format!("size `{item}` must be above zero"),
                }),
                Some(size) if size <= Plan::MAX_OBJECT_SIZE => Ok(size),
                _ => Err(StorageError::Config {
                    message: format!("size `{item}` is above the maximum of 1 GiB"),
                }),
            }
        })
        .collect()
}

/// Reproducible payload bytes (SplitMix64 stream) for object `index` of a size.
pub fn payload(size: u64, seed: u64, index: u64) -> Bytes {
    let mut state = seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ size;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 8);
    while (out.len() as u64) < size {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(usize::try_from(size).unwrap_or(0));
    Bytes::from(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

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
}

/// One outcome of an operation on one object.
pub(crate) struct OpOutcome {
    pub latency: Duration,
    pub ttfb: Option<Duration>,
    pub bytes: u64,
    /// A body read back, with its key and expected hash: verified after the timed region
    /// (peers such as the minio client verify nothing, so hashing is not part of a GET's
    /// time).
    pub to_verify: Option<(String, String, Bytes)>,
    pub result: Result<Option<IntegrityMismatch>, String>,
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
                    skipped: Some(error.to_string()),
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
                });
            }
            Err(reason) => summaries.push(BackendSummary {
                name: backend.name.clone(),
                url: backend.url.clone(),
                skipped: Some(reason),
            }),
        }
    }
    let ratios = ratios(&results);
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

/// Every backend against the first one that has results, per operation and size.
fn ratios(results: &[StorageResult]) -> Vec<BackendRatio> {
    let Some(reference) = results.first().map(|r| r.backend.clone()) else {
        return Vec::new();
    };
    let mut ratios = Vec::new();
    for result in results.iter().filter(|r| r.backend != reference) {
        if let Some(base) = results.iter().find(|r| {
            r.backend == reference
                && r.operation == result.operation
                && r.object_size_bytes == result.object_size_bytes
        }) && base.bytes_per_sec > 0.0
        {
            ratios.push(BackendRatio {
                operation: result.operation,
                object_size_bytes: result.object_size_bytes,
                numerator: result.backend.clone(),
                denominator: reference.clone(),
                ratio: result.bytes_per_sec / base.bytes_per_sec,
            });
        }
    }
    ratios
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
    let store = &backend.store;
    let mut all = Vec::new();
    for &size in &plan.sizes {
        if plan.cancel.is_cancelled() {
            break;
        }
        let payloads: Vec<Bytes> = (0..plan.objects)
            .map(|i| payload(size, plan.seed, u64::from(i)))
            .collect();
        let hashes: Vec<String> = payloads.iter().map(|p| sha256_hex(p)).collect();
        if plan.warmup {
            let warm = StorePath::from(format!(
                "{}/{}/warmup-{size}",
                plan.run_prefix, backend.name
            ));
            put_object(
                store.as_ref(),
                &warm,
                payloads[0].clone(),
                plan,
                backend.multipart,
            )
            .await
            .map_err(|e| format!("warm-up put of {size} bytes failed: {e}"))?;
            let _ = get_object(store.as_ref(), &warm, size, None).await;
            let _ = store.delete(&warm).await;
        }
        let mut figures: BTreeMap<StorageOperation, Figures> = BTreeMap::new();
        for repetition in 0..plan.repetitions {
            if plan.cancel.is_cancelled() {
                break;
            }
            for &operation in &plan.operations {
                if plan.cancel.is_cancelled() {
                    break;
                }
                let keys: Vec<StorePath> = (0..plan.objects)
                    .map(|i| key(plan, &backend.name, size, repetition, i))
                    .collect();
                let started = Instant::now();
                let outcomes: Vec<OpOutcome> = match operation {
                    StorageOperation::List => {
                        let prefix = StorePath::from(format!(
                            "{}/{}/{size}/r{repetition}",
                            plan.run_prefix, backend.name
                        ));
                        let op_started = Instant::now();
                        let listed: Result<Vec<_>, _> =
                            store.list(Some(&prefix)).try_collect().await;
                        vec![OpOutcome {
                            latency: op_started.elapsed(),
                            ttfb: None,
                            bytes: 0,
                            to_verify: None,
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
                        let new_prefix =
                            format!("{}/{}/{size}/r{repetition}", plan.run_prefix, backend.name);
                        run_mixed(store, plan, &pool, &new_prefix, backend.multipart).await
                    }
                    _ => {
                        futures::stream::iter(keys.iter().enumerate())
                            .map(|(i, key)| {
                                let (payload, expected) = (payloads[i].clone(), hashes[i].clone());
                                let store = Arc::clone(store);
                                let multipart = backend.multipart;
                                async move {
                                    one_operation(
                                        store.as_ref(),
                                        operation,
                                        key,
                                        payload,
                                        &expected,
                                        plan,
                                        multipart,
                                    )
                                    .await
                                }
                            })
                            .buffer_unordered(plan.concurrency as usize)
                            .collect()
                            .await
                    }
                };
                let busy = started.elapsed();
                let outcomes: Vec<OpOutcome> = outcomes.into_iter().map(verify).collect();
                let entry = figures.entry(operation).or_default();
                let moved: u64 = outcomes
                    .iter()
                    .filter(|o| o.result.is_ok())
                    .map(|o| o.bytes)
                    .sum();
                let failures = outcomes.iter().filter(|o| o.result.is_err()).count();
                if failures == outcomes.len()
                    && repetition == 0
                    && operation == StorageOperation::Put
                {
                    let reason = outcomes
                        .iter()
                        .find_map(|o| o.result.as_ref().err())
                        .cloned()
                        .unwrap_or_default();
                    return Err(format!("every put of {size} bytes failed: {reason}"));
                }
                for outcome in outcomes {
                    entry.n_operations += 1;
                    entry.latency.record(outcome.latency);
                    if let Some(ttfb) = outcome.ttfb {
                        entry
                            .ttfb
                            .get_or_insert_with(LatencyHistogram::new)
                            .record(ttfb);
                    }
                    match outcome.result {
                        Ok(None) => {
                            entry.total_bytes += outcome.bytes;
                            if outcome.to_verify.is_some() {
                                entry.integrity.verified += 1;
                            }
                        }
                        Ok(Some(mismatch)) => {
                            entry.fail(
                                ErrorClass::IntegrityMismatch,
                                format!(
                                    "{}: sent {}, got {}",
                                    mismatch.key, mismatch.expected_sha256, mismatch.actual_sha256
                                ),
                            );
                            entry.integrity.mismatches.push(mismatch);
                        }
                        Err(message) => entry.fail(ErrorClass::Other, message),
                    }
                }
                entry.busy += busy;
                entry
                    .repetition_rates
                    .push(moved as f64 / busy.as_secs_f64().max(1e-9));
                progress(StorageProgress {
                    backend: backend.name.clone(),
                    operation,
                    object_size_bytes: size,
                    bytes: moved,
                    elapsed: busy,
                });
            }
        }
        for (operation, figures) in figures {
            let seconds = figures.busy.as_secs_f64().max(1e-9);
            all.push(StorageResult {
                backend: backend.name.clone(),
                operation,
                object_size_bytes: size,
                n_operations: figures.n_operations,
                concurrency: plan.concurrency,
                total_bytes: figures.total_bytes,
                duration_us: u64::try_from(figures.busy.as_micros()).unwrap_or(u64::MAX),
                bytes_per_sec: figures.total_bytes as f64 / seconds,
                operations_per_sec: figures.n_operations as f64 / seconds,
                repetition_bytes_per_sec: figures.repetition_rates,
                latency: LatencyDistribution::from(figures.latency),
                ttfb: figures.ttfb.map(LatencyDistribution::from),
                errors: figures
                    .errors
                    .into_iter()
                    .map(|(class, (count, sample_message))| ErrorCount {
                        class,
                        count,
                        sample_message,
                    })
                    .collect(),
                integrity: figures.integrity,
            });
        }
    }
    Ok(all)
}

pub(crate) async fn one_operation(
    store: &dyn ObjectStore,
    operation: StorageOperation,
    key: &StorePath,
    payload: Bytes,
    expected: &str,
    plan: &Plan,
    multipart: bool,
) -> OpOutcome {
    let started = Instant::now();
    let size = payload.len() as u64;
    let (ttfb, bytes, result) = match operation {
        StorageOperation::Put => (
            None,
            size,
            put_object(store, key, payload, plan, multipart)
                .await
                .map(|()| None),
        ),
        StorageOperation::Get => match get_object(
            store,
            key,
            size,
            multipart.then_some((plan.multipart_threshold, plan.part_size)),
        )
        .await
        {
            Ok((body, ttfb)) => {
                let latency = started.elapsed();
                return OpOutcome {
                    latency,
                    ttfb: Some(ttfb),
                    bytes: body.len() as u64,
                    to_verify: Some((key.to_string(), expected.to_owned(), body)),
                    result: Ok(None),
                };
            }
            Err(error) => (None, 0, Err(error)),
        },
        StorageOperation::Head => (
            None,
            0,
            store
                .head(key)
                .await
                .map(|_| None)
                .map_err(|e| e.to_string()),
        ),
        StorageOperation::Delete => (
            None,
            0,
            store
                .delete(key)
                .await
                .map(|()| None)
                .map_err(|e| e.to_string()),
        ),
        _ => (
            None,
            0,
            Err(format!("operation `{operation}` is not per object")),
        ),
    };
    OpOutcome {
        latency: started.elapsed(),
        ttfb,
        bytes,
        to_verify: None,
        result,
    }
}

/// Compares the SHA-256 of a body read back with what was sent.
fn verify(mut outcome: OpOutcome) -> OpOutcome {
    if let Some((key, expected, body)) = &outcome.to_verify {
        let actual = sha256_hex(body);
        if &actual != expected {
            outcome.result = Ok(Some(IntegrityMismatch {
                key: key.clone(),
                expected_sha256: expected.clone(),
                actual_sha256: actual,
            }));
        }
    }
    outcome
}

/// Uploads one object: in parts when the backend benefits (`multipart`, i.e. S3) and the
/// object reaches the threshold, in one request otherwise.
async fn put_object(
    store: &dyn ObjectStore,
    key: &StorePath,
    payload: Bytes,
    plan: &Plan,
    multipart: bool,
) -> Result<(), String> {
    if !multipart || (payload.len() as u64) < plan.multipart_threshold {
        return store
            .put(key, PutPayload::from(payload))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let upload = store.put_multipart(key).await.map_err(|e| e.to_string())?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, plan.part_size);
    for chunk in payload.chunks(plan.part_size) {
        writer.write(chunk);
    }
    writer.finish().await.map(|_| ()).map_err(|e| e.to_string())
}

/// The whole body and the time to its first chunk. Objects of `parallel_from` bytes or more
/// are fetched as parallel ranged GETs of `part` bytes, as fast S3 clients do; the TTFB is
/// then the first chunk of any range.
async fn get_object(
    store: &dyn ObjectStore,
    key: &StorePath,
    size: u64,
    parallel: Option<(u64, usize)>,
) -> Result<(Bytes, Duration), String> {
    let started = Instant::now();
    let ranges: Vec<std::ops::Range<u64>> = match parallel {
        Some((from, part)) if size >= from => (0..size)
            .step_by(part)
            .map(|start| start..(start + part as u64).min(size))
            .collect(),
        _ => vec![],
    };
    if ranges.len() < 2 {
        let result = store.get(key).await.map_err(|e| e.to_string())?;
        return collect(result.into_stream(), started, size).await;
    }
    let parts = futures::future::try_join_all(ranges.into_iter().map(|range| async move {
        let options = object_store::GetOptions {
            range: Some(object_store::GetRange::Bounded(range.clone())),
            ..Default::default()
        };
        let result = store
            .get_opts(key, options)
            .await
            .map_err(|e| e.to_string())?;
        collect(result.into_stream(), started, range.end - range.start).await
    }))
    .await?;
    let ttfb = parts
        .iter()
        .map(|(_, ttfb)| *ttfb)
        .min()
        .unwrap_or_else(|| started.elapsed());
    let mut body = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for (part, _) in parts {
        body.extend_from_slice(&part);
    }
    Ok((Bytes::from(body), ttfb))
}

async fn collect(
    mut stream: futures::stream::BoxStream<'static, object_store::Result<Bytes>>,
    started: Instant,
    expected_len: u64,
) -> Result<(Bytes, Duration), String> {
    let mut body = Vec::with_capacity(usize::try_from(expected_len).unwrap_or(0));
    let mut ttfb = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        ttfb.get_or_insert_with(|| started.elapsed());
        body.extend_from_slice(&chunk);
    }
    Ok((Bytes::from(body), ttfb.unwrap_or_else(|| started.elapsed())))
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
