//! Fault injection middleware: latency and jitter, a stall window, error, throttling and
//! HTML-page rates, a memory leak, slow bodies and connections cut mid-response — each only
//! for requests under the configured route prefix.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use http_body_util::BodyExt as _;

use crate::config::Faults;
use crate::problems::{Problem, internal_error};

/// Current faults and what they keep.
pub struct FaultState {
    faults: RwLock<Faults>,
    stall_until: Mutex<Option<Instant>>,
    leaked: Mutex<Vec<Vec<u8>>>,
}

impl FaultState {
    pub fn new(faults: Faults) -> FaultState {
        let state = FaultState {
            faults: RwLock::new(Faults::default()),
            stall_until: Mutex::new(None),
            leaked: Mutex::new(Vec::new()),
        };
        state.set(faults);
        state
    }

    /// Replaces the faults; a non-zero `stall_ms` starts a stall window now.
    pub fn set(&self, faults: Faults) {
        let stall =
            (faults.stall_ms > 0).then(|| Instant::now() + Duration::from_millis(faults.stall_ms));
        *self.stall_until.lock().expect("not poisoned") = stall;
        *self.faults.write().expect("not poisoned") = faults;
    }

    pub fn get(&self) -> Faults {
        self.faults.read().expect("not poisoned").clone()
    }

    /// Bytes held by the deliberate leak.
    pub fn leaked_bytes(&self) -> usize {
        self.leaked
            .lock()
            .expect("not poisoned")
            .iter()
            .map(Vec::len)
            .sum()
    }
}

/// A uniform random number in [0, 1).
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// Applies the faults to one request.
pub async fn apply(State(state): State<Arc<FaultState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/__control") {
        return next.run(request).await;
    }
    let stall_until = *state.stall_until.lock().expect("not poisoned");
    if let Some(until) = stall_until {
        tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
    }
    let faults = state.get();
    if faults
        .route
        .as_deref()
        .is_some_and(|prefix| !path.starts_with(prefix))
    {
        return next.run(request).await;
    }
    let delay = faults.latency_ms as f64 + faults.jitter_ms as f64 * random_fraction();
    if delay > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(delay / 1000.0)).await;
    }
    if faults.leak_kib_per_request > 0 {
        // Touched pages, so the leak shows in RSS and USS.
        let kept = vec![0xA5u8; usize::try_from(faults.leak_kib_per_request * 1024).unwrap_or(0)];
        state.leaked.lock().expect("not poisoned").push(kept);
    }
    if faults.error_rate > 0.0 && random_fraction() < faults.error_rate {
        return internal_error();
    }
    if faults.throttle_rate > 0.0 && random_fraction() < faults.throttle_rate {
        return Problem::DetailWithHeader(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit exceeded".to_owned(),
            header::RETRY_AFTER,
            faults.retry_after_secs.max(1).to_string(),
        )
        .into_response();
    }
    if faults.html_rate > 0.0 && random_fraction() < faults.html_rate {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><html><body><h1>Welcome</h1><p>Please sign in to the network.</p></body></html>",
        )
            .into_response();
    }
    let handled_from = Instant::now();
    let response = next.run(request).await;
    if faults.slowdown_percent > 0.0 {
        tokio::time::sleep(
            handled_from
                .elapsed()
                .mul_f64(faults.slowdown_percent / 100.0),
        )
        .await;
    }
    let cut = faults.cut_rate > 0.0 && random_fraction() < faults.cut_rate;
    if faults.slow_body_bytes_per_sec.is_none() && !cut {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(collected) = body.collect().await else {
        return internal_error();
    };
    let bytes = collected.to_bytes();
    let body = reshape(bytes, faults.slow_body_bytes_per_sec, cut);
    Response::from_parts(parts, body)
}

/// Streams `bytes` in 1 KiB chunks at `rate` bytes per second; when `cut`, stops with an
/// error halfway, which makes hyper drop the connection.
fn reshape(bytes: Bytes, rate: Option<u64>, cut: bool) -> Body {
    const CHUNK: usize = 1024;
    let total = bytes.len();
    let limit = if cut { total / 2 } else { total };
    let pause = rate.map(|rate| Duration::from_secs_f64(CHUNK as f64 / rate as f64));
    let stream = futures::stream::unfold(0usize, move |offset| {
        let bytes = bytes.clone();
        async move {
            if offset >= limit {
                if cut && offset < total {
                    return Some((
                        Err(std::io::Error::other("connection cut by fault injection")),
                        total,
                    ));
                }
                return None;
            }
            if let Some(pause) = pause {
                tokio::time::sleep(pause).await;
            }
            let end = (offset + CHUNK).min(limit);
            Some((Ok(bytes.slice(offset..end)), end))
        }
    });
    Body::from_stream(stream)
}
