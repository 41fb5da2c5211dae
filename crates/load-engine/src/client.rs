//! [`Client`]: the instrumented HTTP client every worker (and user scenario code) sends
//! through. Each request is timed (response time from the intended start, service time and
//! TTFB from the actual send), classified, and recorded into the worker's local batch.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Request};
use report_model::ErrorClass;
use tokio::time::Sleep;

use crate::check::{Check, Rejection, preview};
use crate::connection::{Connection, Connector, Outgoing};
use crate::exchange::{Exchange, Failure, KeepHeaders};

/// What a content-type check reads of a response.
static CONTENT_TYPE_ONLY: &[HeaderName] = &[http::header::CONTENT_TYPE];
use crate::http1::WireRequest;
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

impl From<Exchange> for Response {
    fn from(sent: Exchange) -> Response {
        Response {
            status: sent.status,
            headers: sent.headers,
            body: sent.body.unwrap_or_default(),
        }
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
    /// Requests recorded so far, and how many of them failed: live progress reads these.
    pub completed: AtomicU64,
    pub failed: AtomicU64,
    /// Answers by status, 100 to 599 (index `status - 100`), for live progress.
    pub statuses: Box<[AtomicU64]>,
}

impl ClientShared {
    /// Nothing sent yet; `started` is the run's start.
    pub(crate) fn new(
        connector: Connector,
        request_timeout: Duration,
        started: Instant,
    ) -> ClientShared {
        ClientShared {
            connector,
            request_timeout,
            started,
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            // One slot per HTTP status 100–599.
            statuses: (100..600).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The answers so far by status.
    pub(crate) fn status_counts(&self) -> BTreeMap<u16, u64> {
        self.statuses
            .iter()
            .zip(100u16..)
            .filter_map(|(count, status)| {
                let count = count.load(Ordering::Relaxed);
                (count > 0).then_some((status, count))
            })
            .collect()
    }
}

/// The instrumented client of one worker.
pub struct Client {
    shared: Arc<ClientShared>,
    connections: Vec<(Origin, Connection)>,
    batcher: Batcher,
    watchdog: Watchdog,
    /// What user code keeps for this virtual user between iterations.
    user_state: Option<Box<dyn std::any::Any + Send>>,
}

/// What one request is and how it is judged and recorded.
struct Call<'a> {
    origin: &'a Origin,
    label: &'a Arc<str>,
    /// When it should have started (response time counts from here); `None`: at the send.
    intended: Option<Instant>,
    check: &'a Check,
    keep_body: bool,
    /// The response headers kept: all for user code, those a check or a journey step reads.
    keep_headers: KeepHeaders<'a>,
    /// Template requests are their own check; user requests are not (the iteration is).
    is_check: bool,
}

impl Client {
    /// A client of its own, outside any run: for setup and teardown calls (a login, a
    /// cleanup) or a tool's one-off requests. It sends exactly like a worker's client;
    /// nothing aggregates what it records. Fails on options a run would refuse.
    pub fn standalone(options: &crate::LoadOptions) -> Result<Client, crate::LoadError> {
        let connector = options.connector()?;
        let shared = ClientShared::new(connector, options.request_timeout, Instant::now());
        Ok(Client::new(Arc::new(shared), Batcher::discarding()))
    }

    pub(crate) fn new(shared: Arc<ClientShared>, batcher: Batcher) -> Client {
        Client {
            shared,
            connections: Vec::new(),
            batcher,
            watchdog: Watchdog::default(),
            user_state: None,
        }
    }

    /// Takes the state user code keeps in this client between iterations (one virtual
    /// user's: its cookies, its login), if the client holds a `T`; put it back with
    /// [`Client::keep_user_state`] (the box is reused from one iteration to the next).
    pub fn take_user_state<T: Send + 'static>(&mut self) -> Option<Box<T>> {
        let state = self.user_state.take()?;
        match state.downcast::<T>() {
            Ok(state) => Some(state),
            Err(other) => {
                self.user_state = Some(other);
                None
            }
        }
    }

    /// Keeps `state` in this client for the same virtual user's next iteration.
    pub fn keep_user_state<T: Send + 'static>(&mut self, state: Box<T>) {
        self.user_state = Some(state);
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
        self.send_judged(label, request, check)
            .await
            .map(|(response, _)| response)
    }

    /// [`Client::send_checked`], also returning how `check` judged the answer (as recorded).
    pub(crate) async fn send_judged(
        &mut self,
        label: &str,
        request: Request<Bytes>,
        check: &Check,
    ) -> Result<(Response, Result<(), Rejection>), RequestFailure> {
        let uri = request.uri().to_string();
        let target = Target::parse(&uri).map_err(|err| RequestFailure {
            class: ErrorClass::Other,
            message: err.to_string(),
        })?;
        let absolute_form = target.absolute_uri().map_err(|err| RequestFailure {
            class: ErrorClass::Other,
            message: err.to_string(),
        })?;
        let (mut parts, body) = request.into_parts();
        if !parts.headers.contains_key(http::header::HOST)
            && let Ok(host) = target.origin.authority().parse()
        {
            parts.headers.insert(http::header::HOST, host);
        }
        let wire = WireRequest::new(&parts.method, &target.path_and_query, &parts.headers, &body);
        let label: Arc<str> = Arc::from(label);
        let outcome = self
            .execute(
                Call {
                    origin: &target.origin,
                    label: &label,
                    intended: None,
                    check,
                    keep_body: true,
                    keep_headers: KeepHeaders::All,
                    is_check: false,
                },
                &Outgoing {
                    wire: &wire,
                    method: &parts.method,
                    absolute_form: &absolute_form,
                    headers: &parts.headers,
                    body: &body,
                },
            )
            .await;
        outcome.map(|(sent, judged)| (Response::from(sent), judged))
    }

    /// Sends one request of a template scenario, intended to start at `intended` (`None`:
    /// now).
    pub(crate) async fn send_template(
        &mut self,
        template: &RequestTemplate,
        check: &Check,
        intended: Option<Instant>,
    ) {
        // Recorded, with its check, inside `execute`; nothing more to do with the result.
        let headers = if check.needs_headers() {
            KeepHeaders::Only(CONTENT_TYPE_ONLY)
        } else {
            KeepHeaders::None
        };
        let keep = (headers, check.needs_body());
        let _ = self
            .exchange_template(template, check, intended, keep, true)
            .await;
    }

    /// Sends a prepared request (a template) for user code and returns its answer with the
    /// headers in `keep_headers`, and its body when `keep_body`, with how `check` judged it;
    /// recorded under the template's label.
    pub(crate) async fn send_prepared(
        &mut self,
        template: &RequestTemplate,
        check: &Check,
        keep_headers: &[HeaderName],
        keep_body: bool,
    ) -> Result<(Response, Result<(), Rejection>), RequestFailure> {
        let keep = (KeepHeaders::Only(keep_headers), keep_body);
        self.exchange_template(template, check, None, keep, false)
            .await
            .map(|(sent, judged)| (Response::from(sent), judged))
    }

    async fn exchange_template(
        &mut self,
        template: &RequestTemplate,
        check: &Check,
        intended: Option<Instant>,
        (keep_headers, keep_body): (KeepHeaders<'_>, bool),
        is_check: bool,
    ) -> Result<(Exchange, Result<(), Rejection>), RequestFailure> {
        self.execute(
            Call {
                origin: &template.target.origin,
                label: &template.label,
                intended,
                check,
                keep_body,
                keep_headers,
                is_check,
            },
            &Outgoing {
                wire: &template.wire,
                method: &template.method,
                absolute_form: &template.absolute_form,
                headers: &template.headers,
                body: &template.body,
            },
        )
        .await
    }

    pub(crate) async fn record(&mut self, event: Event) {
        self.batcher.push(event, Instant::now()).await;
    }

    pub(crate) async fn flush(&mut self) {
        self.batcher.flush().await;
    }

    /// Waits until `until` or a cancel, handing the batch on when it comes due meanwhile:
    /// a worker that waits never sits on events the live progress should count. Returns
    /// false when cancelled.
    pub(crate) async fn wait_until(
        &mut self,
        until: Instant,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> bool {
        loop {
            let due = self.batcher.flush_due().filter(|due| *due < until);
            let wake = due.unwrap_or(until);
            tokio::select! {
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {}
                () = cancel.cancelled() => return false,
            }
            if due.is_none() {
                return true;
            }
            self.batcher.flush().await;
        }
    }

    /// Connects if needed, sends, reads the body, classifies and records; returns the
    /// answer with `check`'s verdict on it.
    async fn execute(
        &mut self,
        call: Call<'_>,
        request: &Outgoing<'_>,
    ) -> Result<(Exchange, Result<(), Rejection>), RequestFailure> {
        let Call {
            origin,
            label,
            intended,
            check,
            keep_body,
            keep_headers,
            is_check,
        } = call;
        let in_flight = self.shared.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.shared
            .max_in_flight
            .fetch_max(in_flight, Ordering::Relaxed);
        let sent_at = Instant::now();
        let timeout = self.shared.request_timeout;
        let attempt = self
            .watchdog
            .within(
                sent_at + timeout,
                roundtrip(
                    &mut self.connections,
                    &self.shared.connector,
                    sent_at,
                    origin,
                    request,
                    keep_headers,
                    keep_body,
                ),
            )
            .await;
        self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        let result = attempt.unwrap_or_else(|| {
            Err(Failure::new(
                ErrorClass::RequestTimeout,
                format!("no complete response within {timeout:?}"),
            ))
        });
        let done_at = match &result {
            Ok(sent) => sent.finished_at,
            Err(_) => Instant::now(),
        };
        if result.is_err() {
            // The connection is in an unknown state: start afresh next time.
            self.connections.retain(|(o, _)| o != origin);
        }
        let result = result.map(|sent| {
            let judged = check.verdict(
                sent.status,
                sent.headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                sent.body.as_deref(),
            );
            (sent, judged)
        });
        let outcome = match &result {
            Ok((sent, judged)) => match judged {
                Err(Rejection::Status) => {
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
                Err(Rejection::Content(reason)) => {
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
                Ok(()) => Outcome::Success {
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
            Ok((sent, _)) => (
                // Waiting, as k6's `http_req_waiting`: from the end of sending (an upload's
                // body included) to the first byte of the answer.
                Some(micros(sent.head_at.saturating_duration_since(sent.sent_at))),
                sent.bytes_received,
            ),
            Err(_) => (None, 0),
        };
        self.shared.completed.fetch_add(1, Ordering::Relaxed);
        let status = match &outcome {
            Outcome::Success { status }
            | Outcome::Failure {
                status: Some(status),
                ..
            } => Some(*status),
            Outcome::Failure { status: None, .. } => None,
        };
        if let Some(slot) =
            status.and_then(|s| self.shared.statuses.get(usize::from(s).wrapping_sub(100)))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        if matches!(outcome, Outcome::Failure { .. }) {
            self.shared.failed.fetch_add(1, Ordering::Relaxed);
        }
        self.batcher
            .push(
                Event::Request(RequestEvent {
                    label: Arc::clone(label),
                    end_offset_us: micros(done_at.saturating_duration_since(self.shared.started)),
                    response_us: micros(
                        done_at.saturating_duration_since(intended.unwrap_or(sent_at)),
                    ),
                    service_us: micros(done_at - sent_at),
                    ttfb_us,
                    bytes_sent: request.wire.len(),
                    bytes_received,
                    outcome,
                    is_check,
                }),
                done_at,
            )
            .await;
        result.map_err(|failure| RequestFailure {
            class: failure.class,
            message: failure.message,
        })
    }
}

/// Sends over this client's connection to `origin`, connecting first when there is none
/// (or it can no longer be used).
async fn roundtrip(
    connections: &mut Vec<(Origin, Connection)>,
    connector: &Connector,
    now: Instant,
    origin: &Origin,
    request: &Outgoing<'_>,
    keep_headers: KeepHeaders<'_>,
    keep_body: bool,
) -> Result<Exchange, Failure> {
    let usable = connections
        .iter_mut()
        .position(|(o, c)| o == origin && c.is_usable(now));
    let index = if let Some(index) = usable {
        index
    } else {
        connections.retain(|(o, _)| o != origin);
        // Boxed: the TLS handshake's future is large and runs once per connection; unboxed
        // it would be carried by every request's future.
        let connection = Box::pin(connector.connect(origin)).await?;
        connections.push((origin.clone(), connection));
        connections.len() - 1
    };
    connections[index]
        .1
        .exchange(request, keep_headers, keep_body)
        .await
}

/// The per-request timeout without a timer operation per request: one [`Sleep`] per client,
/// moved only when it fires before the current request's deadline. A client sends one
/// request at a time and its deadlines never move backwards, so the timer fires about once
/// per timeout period instead of being armed and disarmed for every request.
#[derive(Default)]
struct Watchdog {
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Watchdog {
    /// `future`'s output, or `None` when `deadline` passed first.
    async fn within<F: Future>(&mut self, deadline: Instant, future: F) -> Option<F::Output> {
        let deadline = tokio::time::Instant::from_std(deadline);
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.deadline() > deadline {
            sleep.as_mut().reset(deadline);
        }
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = future.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            loop {
                match sleep.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) if sleep.deadline() >= deadline => return Poll::Ready(None),
                    // An earlier request's deadline: move on to this one's.
                    Poll::Ready(()) => sleep.as_mut().reset(deadline),
                }
            }
        })
        .await
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("connections", &self.connections.len())
            .finish_non_exhaustive()
    }
}
