//! `/metrics`: Prometheus text like prometheus-fastapi-instrumentator's,
//! `http_requests_total{handler,method,status}` with the status grouped (`2xx`) and the handler
//! the route template, plus request duration sums.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// (handler, method, status class).
type Labels = (String, String, String);

#[derive(Default)]
pub struct Metrics {
    /// Labels → (count, seconds).
    requests: Mutex<BTreeMap<Labels, (u64, f64)>>,
}

impl Metrics {
    pub fn render(&self) -> String {
        let requests = self.requests.lock().expect("not poisoned");
        let mut out = String::new();
        out.push_str("# HELP http_requests_total Total number of requests by method, status and handler.\n# TYPE http_requests_total counter\n");
        for ((handler, method, status), (count, _)) in requests.iter() {
            let _ = writeln!(
                out,
                "http_requests_total{{handler=\"{handler}\",method=\"{method}\",status=\"{status}\"}} {count}.0"
            );
        }
        out.push_str("# HELP http_request_duration_seconds Latency with only few buckets by handler.\n# TYPE http_request_duration_seconds summary\n");
        let mut by_handler: BTreeMap<(&str, &str), (u64, f64)> = BTreeMap::new();
        for ((handler, method, _), (count, seconds)) in requests.iter() {
            let entry = by_handler.entry((handler, method)).or_default();
            entry.0 += count;
            entry.1 += seconds;
        }
        for ((handler, method), (count, seconds)) in by_handler {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{handler=\"{handler}\",method=\"{method}\"}} {count}.0"
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{handler=\"{handler}\",method=\"{method}\"}} {seconds}"
            );
        }
        out
    }
}

/// Counts every request under its route template.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let handler = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "none".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = format!("{}xx", response.status().as_u16() / 100);
    let mut requests = metrics.requests.lock().expect("not poisoned");
    let entry = requests.entry((handler, method, status)).or_default();
    entry.0 += 1;
    entry.1 += started.elapsed().as_secs_f64();
    response
}
