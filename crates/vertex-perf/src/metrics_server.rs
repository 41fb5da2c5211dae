//! `--metrics-listen`: the run's live metrics ([`report_model::metrics::live`]) served at
//! `/metrics` for Prometheus to scrape while `load` or `suite` runs, and for a linger after
//! it so the last scrape sees the final figures. HTTP/1.1 by hyper; nothing but `GET
//! /metrics` is answered with data.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context as _, Result};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use report_model::load::ScenarioReport;
use report_model::metrics::live::{LiveMetrics, ScenarioFigures};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::cli::MetricsArgs;
use crate::output::Output;

/// OpenMetrics 1.0, which Prometheus asks for first and `prometheus-client` writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A running metrics endpoint.
pub struct MetricsServer {
    address: SocketAddr,
    state: Arc<Mutex<LiveMetrics>>,
    stop: CancellationToken,
    linger: Duration,
}

impl MetricsServer {
    /// Listens when `--metrics-listen` is given (on `runtime`, which must outlive the run).
    pub fn start(
        args: &MetricsArgs,
        runtime: &Runtime,
        output: &Output,
    ) -> Result<Option<MetricsServer>> {
        let Some(address) = args.metrics_listen else {
            return Ok(None);
        };
        let listener = runtime
            .block_on(TcpListener::bind(address))
            .with_context(|| format!("--metrics-listen {address}: cannot listen there"))?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(LiveMetrics::new()));
        let stop = CancellationToken::new();
        runtime.spawn(serve(listener, state.clone(), stop.clone()));
        output.note(&format!("live metrics on http://{address}/metrics"));
        Ok(Some(MetricsServer {
            address,
            state,
            stop,
            linger: args.metrics_linger,
        }))
    }

    /// Changes what the next scrape shows.
    pub fn update(&self, change: impl FnOnce(&mut LiveMetrics)) {
        change(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Shows `scenarios`' exact final figures in place of their live ones (and drops a
    /// live entry named `live_name` that no scenario reports under, as a sweep's levels do).
    pub fn finish(&self, live_name: Option<&str>, scenarios: &[ScenarioReport]) {
        self.update(|live| {
            if let Some(name) = live_name
                && !scenarios.iter().any(|s| s.name == name)
            {
                live.remove_scenario(name);
            }
            for scenario in scenarios {
                live.set_scenario(&scenario.name, ScenarioFigures::of_report(scenario));
            }
        });
    }

    /// Keeps serving the final figures for the linger (Ctrl-C ends it early), then stops; a
    /// run the user interrupted stops at once.
    pub fn linger(self, runtime: &Runtime, output: &Output, interrupted: bool) {
        if !self.linger.is_zero() && !interrupted {
            output.note(&format!(
                "serving the final metrics on http://{}/metrics for {}",
                self.address,
                humantime::format_duration(self.linger)
            ));
            let interrupted = CancellationToken::new();
            runtime.block_on(crate::interrupt::cancelling_on_signal(
                interrupted.clone(),
                async {
                    tokio::select! {
                        () = tokio::time::sleep(self.linger) => {}
                        () = interrupted.cancelled() => {}
                    }
                },
            ));
        }
        self.stop.cancel();
    }
}

async fn serve(listener: TcpListener, state: Arc<Mutex<LiveMetrics>>, stop: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop.cancelled() => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of fds or similar: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let state = state.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let response = respond(&request, &state);
                async move { Ok::<_, std::convert::Infallible>(response) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                () = stop.cancelled() => {}
            }
        });
    }
}

fn respond(request: &Request<Incoming>, state: &Mutex<LiveMetrics>) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => {
            let text = state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .encode();
            (StatusCode::OK, CONTENT_TYPE, text)
        }
        (_, "/metrics") => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "only GET\n".to_owned(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "the metrics are at /metrics\n".to_owned(),
        ),
    };
    Response::builder()
        .status(status)
        .header(hyper::header::CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .expect("a response from constant parts")
}
