//! One operation on one object ([`one_operation`]: put, get, head, delete), timed, with its
//! TTFB and the body kept for the SHA-256 check after the timed region ([`verify`]).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt as _;
use object_store::path::Path as StorePath;
use object_store::{
    GetResultPayload, ObjectStore, ObjectStoreExt as _, PutPayload, WriteMultipart,
};
use report_model::{StorageOperation, storage::IntegrityMismatch};
use sha2::Digest as _;

use crate::body_buffers::BodyBuffers;
use crate::plan::Plan;

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// One outcome of an operation on one object.
pub(crate) struct OpOutcome {
    pub latency: Duration,
    pub ttfb: Option<Duration>,
    pub bytes: u64,
    /// A body read back, with its key and expected hash: verified after the timed region
    /// (peers such as the minio client verify nothing, so hashing is not part of a GET's
    /// time).
    pub to_verify: Option<(String, String, Vec<u8>)>,
    /// Set by [`verify`]: the body read back was checked.
    pub verified: bool,
    pub result: Result<Option<IntegrityMismatch>, String>,
}

/// Where an operation runs: the backend's store, the plan, whether big objects go in parts
/// (S3), and the buffers bodies are read into.
pub(crate) struct OnBackend<'a> {
    pub store: &'a dyn ObjectStore,
    pub plan: &'a Plan,
    pub multipart: bool,
    pub buffers: &'a BodyBuffers,
}

pub(crate) async fn one_operation(
    on: &OnBackend<'_>,
    operation: StorageOperation,
    key: &StorePath,
    payload: Bytes,
    expected: &str,
) -> OpOutcome {
    let OnBackend {
        store,
        plan,
        multipart,
        buffers,
    } = *on;
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
            buffers,
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
                    verified: false,
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
        verified: false,
        result,
    }
}

/// Compares the SHA-256 of a body read back with what was sent, then gives its buffer back.
pub(crate) fn verify(mut outcome: OpOutcome, buffers: &BodyBuffers) -> OpOutcome {
    if let Some((key, expected, body)) = outcome.to_verify.take() {
        let actual = sha256_hex(&body);
        buffers.give_back(body);
        outcome.verified = true;
        if actual != expected {
            outcome.result = Ok(Some(IntegrityMismatch {
                key,
                expected_sha256: expected,
                actual_sha256: actual,
            }));
        }
    }
    outcome
}

/// Uploads one object: in parts when the backend benefits (`multipart`, i.e. S3) and the
/// object reaches the threshold, in one request otherwise.
pub(crate) async fn put_object(
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

/// The whole body, read into a buffer of `buffers`, and the time to its first chunk.
/// Objects of `parallel_from` bytes or more are fetched as parallel ranged GETs of `part`
/// bytes, as fast S3 clients do; the TTFB is then the first chunk of any range.
pub(crate) async fn get_object(
    store: &dyn ObjectStore,
    key: &StorePath,
    size: u64,
    parallel: Option<(u64, usize)>,
    buffers: &BodyBuffers,
) -> Result<(Vec<u8>, Duration), String> {
    let started = Instant::now();
    let room = |bytes: u64| buffers.take(usize::try_from(bytes).unwrap_or(0));
    let ranges: Vec<std::ops::Range<u64>> = match parallel {
        Some((from, part)) if size >= from => (0..size)
            .step_by(part)
            .map(|start| start..(start + part as u64).min(size))
            .collect(),
        _ => vec![],
    };
    if ranges.len() < 2 {
        let result = store.get(key).await.map_err(|e| e.to_string())?;
        return match result.payload {
            // A local file: read whole, not as object_store's stream of 8 KiB chunks (one
            // blocking-pool hop each), so a local GET costs what a plain read of it does.
            GetResultPayload::File(file, _) => {
                let (range, body) = (result.range, room(size));
                tokio::task::spawn_blocking(move || read_file(file, range, started, body))
                    .await
                    .map_err(|e| e.to_string())?
            }
            GetResultPayload::Stream(stream) => collect(stream, started, room(size)).await,
        };
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
        collect(result.into_stream(), started, room(range.end - range.start)).await
    }))
    .await?;
    let ttfb = parts
        .iter()
        .map(|(_, ttfb)| *ttfb)
        .min()
        .unwrap_or_else(|| started.elapsed());
    let mut body = room(size);
    for (part, _) in parts {
        body.extend_from_slice(&part);
        buffers.give_back(part);
    }
    Ok((body, ttfb))
}

/// The first read of a local file, which stands for its first byte.
const FIRST_READ: u64 = 64 * 1024;

/// Reads `range` of a local file with large reads straight into `body`: the first
/// `FIRST_READ` bytes (the TTFB), then the rest in one `read_to_end`.
fn read_file(
    mut file: std::fs::File,
    range: std::ops::Range<u64>,
    started: Instant,
    mut body: Vec<u8>,
) -> Result<(Vec<u8>, Duration), String> {
    use std::io::{Read as _, Seek as _};
    let failed = |e: std::io::Error| format!("cannot read the local file: {e}");
    let length = range.end.saturating_sub(range.start);
    file.seek(std::io::SeekFrom::Start(range.start))
        .map_err(failed)?;
    let mut rest = file.take(length);
    (&mut rest)
        .take(FIRST_READ)
        .read_to_end(&mut body)
        .map_err(failed)?;
    let ttfb = started.elapsed();
    rest.read_to_end(&mut body).map_err(failed)?;
    if body.len() as u64 != length {
        return Err(format!(
            "the local file ended after {} of {length} bytes",
            body.len()
        ));
    }
    Ok((body, ttfb))
}

/// A body stream into `body`, and the time to its first chunk.
pub(crate) async fn collect(
    mut stream: futures::stream::BoxStream<'static, object_store::Result<Bytes>>,
    started: Instant,
    mut body: Vec<u8>,
) -> Result<(Vec<u8>, Duration), String> {
    let mut ttfb = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        ttfb.get_or_insert_with(|| started.elapsed());
        body.extend_from_slice(&chunk);
    }
    Ok((body, ttfb.unwrap_or_else(|| started.elapsed())))
}
