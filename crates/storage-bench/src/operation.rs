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
    pub to_verify: Option<(String, String, Bytes)>,
    pub result: Result<Option<IntegrityMismatch>, String>,
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
pub(crate) fn verify(mut outcome: OpOutcome) -> OpOutcome {
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

/// The whole body and the time to its first chunk. Objects of `parallel_from` bytes or more
/// are fetched as parallel ranged GETs of `part` bytes, as fast S3 clients do; the TTFB is
/// then the first chunk of any range.
pub(crate) async fn get_object(
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
        return match result.payload {
            // A local file: read whole, not as object_store's stream of 8 KiB chunks (one
            // blocking-pool hop each), so a local GET costs what a plain read of it does.
            GetResultPayload::File(file, _) => {
                let range = result.range;
                tokio::task::spawn_blocking(move || read_file(file, range, started))
                    .await
                    .map_err(|e| e.to_string())?
            }
            GetResultPayload::Stream(stream) => collect(stream, started, size).await,
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

/// The first read of a local file, which stands for its first byte.
const FIRST_READ: u64 = 64 * 1024;

/// Reads `range` of a local file with large reads straight into the body's buffer: the
/// first `FIRST_READ` bytes (the TTFB), then the rest in one `read_to_end`.
fn read_file(
    mut file: std::fs::File,
    range: std::ops::Range<u64>,
    started: Instant,
) -> Result<(Bytes, Duration), String> {
    use std::io::{Read as _, Seek as _};
    let failed = |e: std::io::Error| format!("cannot read the local file: {e}");
    let length = range.end.saturating_sub(range.start);
    file.seek(std::io::SeekFrom::Start(range.start))
        .map_err(failed)?;
    let mut body = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
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
    Ok((Bytes::from(body), ttfb))
}

pub(crate) async fn collect(
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
