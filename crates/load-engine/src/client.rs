//! [`Client`]: the instrumented HTTP client every worker (and user scenario code) sends
//! through. Each request is timed (response time from the intended start, service time and
//! TTFB from the actual send), classified, and recorded into the worker's local batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::Full;
use report_model::ErrorClass;

use crate::check::{Check, preview};
use crate::connection::{Connection, Connector, Exchange, Failure};
use crate::recorder::{Batcher, Event, Outcome, RequestEvent};
use crate::request::{Origin, RequestTemplate, Target};

/// A response as user code sees it.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Response {
    /// The `Content-Type` header, or an empty string.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A request that got no HTTP response (refused, reset, timed out, TLS failure, ...).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RequestFailure {
    /// How it was counted.
    pub class: ErrorClass,
    /// What happened.
    pub message: String,
}

/// Shared by every worker of one run.
pub(crate) struct ClientShared {
    pub connector: Connector,
    pub request_timeout: Duration,
    pub started: Instant,
    pub in_flight: AtomicU64,
    pub max_in_flight: AtomicU64,
}

/// The instrumented client of one worker.
pub struct Client {
    shared: Arc<ClientShared>,
    connections: Vec<(Origin, Connection)>,
    batcher: Batcher,
}

/// What one request is and how it is judged and recorded.
struct Call<'a> {
    origin: &'a Origin,
    label: &'a Arc<str>,
    /// When it should have started (response time counts from here).
    intended: Instant,
    bytes_sent: u64,
    check: &'a Check,
    keep_body: bool,
    /// Template requests are their own check; user requests are not (the iteration is).
    is_check: bool,
}

impl Client {
    pub(crate) fn new(shared: Arc<ClientShared>, batcher: Batcher) -> Client {
        Client {
            shared,
            connections: Vec::new(),
            batcher,
        }
    }

    /// Sends `request` (absolute URI) and records it under `label`; any 2xx is a success.
    /// Every HTTP response is returned, whatever its status; only requests without one are
    /// errors.
    pub async fn send(
        &mut self,
        label: &str,
        request: Request<Bytes>,
    ) -> Result<Response, RequestFailure> {
        self.send_checked(label, request, &Check::success()).await
    }

    /// Like [`Client::send`] with a custom [`Check`] deciding success.
    pub async fn send_checked(
        &mut self,
        label: &str,
        request: Request<Bytes>,
        check: &Check,
    ) -> Result<Response, RequestFailure> {
        let uri = request.uri().to_string();
        let target = Target::parse(&uri).map_err(|err| RequestFailure {
            class: ErrorClass::Other,
            message: err.to_string(),
        })?;
        let (origin_form, absolute_form) = target.uris().map_err(|err| RequestFailure {
            class: ErrorClass::Other,
            message: err.to_string(),
        })?;
        let (mut parts, body) = request.into_parts();
        if !parts.headers.contains_key(http::header::HOST)
            && let Ok(host) = target.origin.authority().parse()
        {
            parts.headers.insert(http::header::HOST, host);
        }
        let bytes_sent = wire_size(&parts.headers, &body, &target.path_and_query);
        let label: Arc<str> = Arc::from(label);
        let now = Instant::now();
        let outcome = self
            .execute(
                Call {
                    origin: &target.origin,
                    label: &label,
                    intended: now,
                    bytes_sent,
                    check,
                    keep_body: true,
                    is_check: false,
                },
                |http2| {
                    let mut request = Request::new(Full::new(body.clone()));
                    *request.method_mut() = parts.method.clone();
                    *request.uri_mut() = if http2 {
                        absolute_form.clone()
                    } else {
                        origin_form.clone()
                    };
                    *request.headers_mut() = parts.headers.clone();
                    request
                },
            )
            .await;
        outcome.map(|sent| Response {
            status: sent.status,
            headers: sent.headers,
            body: sent.body.unwrap_or_default(),
        })
    }

    /// Sends one request of a template scenario, intended to start at `intended`.
    pub(crate) async fn send_template(
        &mut self,
        template: &RequestTemplate,
        check: &Check,
        intended: Instant,
    ) -> bool {
        let bytes_sent = template.wire_size();
        let result = self
            .execute(
                Call {
                    origin: &template.target.origin,
                    label: &template.label,
                    intended,
                    bytes_sent,
                    check,
                    keep_body: check.needs_body(),
                    is_check: true,
                },
                |http2| {
                    let mut request = Request::new(Full::new(template.body.clone()));
                    *request.method_mut() = template.method.clone();
                    *request.uri_mut() = if http2 {
                        template.absolute_form.clone()
                    } else {
                        template.origin_form.clone()
                    };
                    *request.headers_mut() = template.headers.clone();
                    request
                },
            )
            .await;
        result.is_ok_and(|sent| check.accepts_status(sent.status))
    }

    pub(crate) async fn record(&mut self, event: Event) {
        self.batcher.push(event).await;
    }

    pub(crate) async fn flush(&mut self) {
        self.batcher.flush().await;
    }

    /// Connects if needed, sends, reads the body, classifies and records.
    async fn execute(
        &mut self,
        call: Call<'_>,
        build: impl FnOnce(bool) -> Request<Full<Bytes>>,
    ) -> Result<Exchange, RequestFailure> {
        let Call {
            origin,
            label,
            intended,
            bytes_sent,
            check,
            keep_body,
            is_check,
        } = call;
        let in_flight = self.shared.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.shared
            .max_in_flight
            .fetch_max(in_flight, Ordering::Relaxed);
        let sent_at = Instant::now();
        let timeout = self.shared.request_timeout;
        let attempt = tokio::time::timeout(timeout, self.roundtrip(origin, keep_body, build)).await;
        let done_at = Instant::now();
        self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);

        let result = match attempt {
            Ok(result) => result,
            Err(_) => Err(Failure::new(
                ErrorClass::RequestTimeout,
                format!("no complete response within {timeout:?}"),
            )),
        };
        if result.is_err() {
            // The connection is in an unknown state: start afresh next time.
            self.connections.retain(|(o, _)| o != origin);
        }
        let outcome = match &result {
            Ok(sent) if !check.accepts_status(sent.status) => {
                let class = ErrorClass::from_status(sent.status);
                let message = self.batcher.wants_message(class).then(|| {
                    let body = sent.body.as_deref().map(preview).unwrap_or_default();
                    format!("HTTP {} from {label}: {body}", sent.status).into_boxed_str()
                });
                Outcome::Failure {
                    status: Some(sent.status),
                    class,
                    message,
                }
            }
            Ok(sent) => match sent.body.as_deref().map(|body| check.check_body(body)) {
                Some(Err(reason)) => {
                    let message = self
                        .batcher
                        .wants_message(ErrorClass::CheckFailed)
                        .then(|| format!("{label}: {reason}").into_boxed_str());
                    Outcome::Failure {
                        status: Some(sent.status),
                        class: ErrorClass::CheckFailed,
                        message,
                    }
                }
                _ => Outcome::Success {
                    status: sent.status,
                },
            },
            Err(failure) => {
                let message = self
                    .batcher
                    .wants_message(failure.class)
                    .then(|| failure.message.clone().into_boxed_str());
                Outcome::Failure {
                    status: None,
                    class: failure.class,
                    message,
                }
            }
        };
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let (ttfb_us, bytes_received) = match &result {
            Ok(sent) => (Some(micros(sent.ttfb)), sent.bytes_received),
            Err(_) => (None, 0),
        };
        self.batcher
            .push(Event::Request(RequestEvent {
                label: Arc::clone(label),
                end_offset_us: micros(done_at.saturating_duration_since(self.shared.started)),
                response_us: micros(done_at.saturating_duration_since(intended)),
                service_us: micros(done_at - sent_at),
                ttfb_us,
                bytes_sent,
                bytes_received,
                outcome,
                is_check,
            }))
            .await;
        result.map_err(|failure| RequestFailure {
            class: failure.class,
            message: failure.message,
        })
    }

    async fn roundtrip(
        &mut self,
        origin: &Origin,
        keep_body: bool,
        build: impl FnOnce(bool) -> Request<Full<Bytes>>,
    ) -> Result<Exchange, Failure> {
        let usable = self
            .connections
            .iter_mut()
            .position(|(o, c)| o == origin && c.is_usable());
        let index = if let Some(index) = usable {
            index
        } else {
            self.connections.retain(|(o, _)| o != origin);
            let connection = self.shared.connector.connect(origin).await?;
            self.connections.push((origin.clone(), connection));
            self.connections.len() - 1
        };
        let connection = &mut self.connections[index].1;
        let request = build(connection.is_http2());
        connection.exchange(request, keep_body).await
    }
}

fn wire_size(headers: &HeaderMap, body: &Bytes, path: &str) -> u64 {
    let header_bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    (path.len() + 20 + header_bytes + body.len()) as u64
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("connections", &self.connections.len())
            .finish_non_exhaustive()
    }
}
