//! A hyper server on an ephemeral loopback port with knobs for every failure the engine must
//! classify. It counts what it served, and shuts down when dropped.
//!
//! Routes: `/ok`, `/delay?ms=N`, `/status?code=N`, `/reset` (drops the connection without a
//! response), `/html` (200 with an HTML body), `/json`, `/slow-body?chunks=N&ms=M` (a
//! chunked body of N 1 KiB chunks, M ms apart). [`FaultServer::stall`] pauses every response
//! until a moment in the future.
//!
//! A small app for journeys: `POST /login?user=N` sets the cookie `session=N` and redirects
//! (303) to `/home`, which answers `{"user":"N"}` with that cookie and 401 without;
//! `/loop` redirects to itself; `POST /items` creates an item (`201 {"id":N}`), `GET` and
//! `DELETE /items/N` read and delete it (404 when it does not exist).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

#[derive(Default)]
pub struct ServerState {
    pub served: AtomicU64,
    pub http2_requests: AtomicU64,
    /// The items of the journey app that exist.
    pub items: Mutex<std::collections::BTreeSet<u64>>,
    /// The user of each `/login`, in order.
    pub logins: Mutex<Vec<u64>>,
    next_item: AtomicU64,
    stall_until: Mutex<Option<Instant>>,
}

pub struct FaultServer {
    pub addr: SocketAddr,
    pub state: Arc<ServerState>,
    _shutdown: oneshot::Sender<()>,
}

impl FaultServer {
    /// Plain HTTP (HTTP/1.1 and HTTP/2 prior knowledge).
    pub async fn start() -> FaultServer {
        FaultServer::start_with(None).await
    }

    /// HTTPS with `tls` (HTTP/1.1 and HTTP/2 by ALPN).
    pub async fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(ServerState::default());
        let (shutdown, mut stop) = oneshot::channel::<()>();
        let server_state = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    accepted = listener.accept() => match accepted { Ok(pair) => pair, Err(_) => continue },
                    _ = &mut stop => return,
                };
                let state = Arc::clone(&server_state);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&state), request));
                    let builder = Builder::new(TokioExecutor::new());
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = builder
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            }
                        }
                        None => {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                });
            }
        });
        FaultServer {
            addr,
            state,
            _shutdown: shutdown,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn served(&self) -> u64 {
        self.state.served.load(Ordering::SeqCst)
    }

    /// Holds every response until `duration` from now.
    pub fn stall(&self, duration: Duration) {
        *self.state.stall_until.lock().unwrap() = Some(Instant::now() + duration);
    }
}

fn query(request: &Request<Incoming>, key: &str) -> Option<u64> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.parse().ok()).flatten()
    })
}

#[derive(Debug)]
struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("deliberate reset")
    }
}

impl std::error::Error for Reset {}

/// A body sent in 1 KiB chunks with a pause before each (no length: chunked encoding).
struct SlowBody {
    chunks_left: u64,
    pause: Duration,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// The size of each [`SlowBody`] chunk.
pub const SLOW_CHUNK: usize = 1024;

impl Body for SlowBody {
    type Data = Bytes;
    type Error = Reset;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Reset>>> {
        if self.chunks_left == 0 {
            return Poll::Ready(None);
        }
        let pause = self.pause;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.sleep = None;
        self.chunks_left -= 1;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
            &[b'x'; SLOW_CHUNK],
        )))))
    }
}

type ResponseBody = Either<Full<Bytes>, SlowBody>;

/// A JSON answer made at run time.
fn dynamic(status: u16, body: String) -> Response<ResponseBody> {
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(body))));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

async fn handle(
    state: Arc<ServerState>,
    request: Request<Incoming>,
) -> Result<Response<ResponseBody>, Reset> {
    let stall = *state.stall_until.lock().unwrap();
    if let Some(until) = stall {
        tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
    }
    if request.version() == hyper::Version::HTTP_2 {
        state.http2_requests.fetch_add(1, Ordering::SeqCst);
    }
    let response = |status: u16, content_type: &str, body: &'static str| {
        let mut response =
            Response::new(Either::Left(Full::new(Bytes::from_static(body.as_bytes()))));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        response
            .headers_mut()
            .insert("content-type", content_type.parse().unwrap());
        response
    };
    let result = match request.uri().path() {
        "/ok" => Ok(response(200, "text/plain", "ok")),
        "/json" => Ok(response(
            200,
            "application/json",
            "{\"status\":\"healthy\"}",
        )),
        "/html" => Ok(response(
            200,
            "text/html",
            "<html><body>Bad Gateway</body></html>",
        )),
        "/delay" => {
            tokio::time::sleep(Duration::from_millis(query(&request, "ms").unwrap_or(100))).await;
            Ok(response(200, "text/plain", "late"))
        }
        "/status" => {
            let code = query(&request, "code").unwrap_or(500) as u16;
            Ok(response(
                code,
                "application/json",
                "{\"detail\":\"injected\"}",
            ))
        }
        "/login" => {
            let user = query(&request, "user").unwrap_or(0);
            state.logins.lock().unwrap().push(user);
            let mut answer = response(303, "text/plain", "");
            let headers = answer.headers_mut();
            headers.insert("location", "/home".parse().unwrap());
            headers.insert(
                "set-cookie",
                format!("session={user}; Path=/; HttpOnly").parse().unwrap(),
            );
            Ok(answer)
        }
        "/home" => {
            let session = request
                .headers()
                .get("cookie")
                .and_then(|c| c.to_str().ok())
                .and_then(|c| c.split("; ").find_map(|pair| pair.strip_prefix("session=")))
                .map(str::to_owned);
            Ok(match session {
                Some(user) => dynamic(200, format!("{{\"user\":\"{user}\"}}")),
                None => response(401, "application/json", "{\"detail\":\"no session\"}"),
            })
        }
        "/loop" => {
            let mut answer = response(302, "text/plain", "");
            answer
                .headers_mut()
                .insert("location", "/loop".parse().unwrap());
            Ok(answer)
        }
        "/items" if request.method() == hyper::Method::POST => {
            let id = state.next_item.fetch_add(1, Ordering::SeqCst) + 1;
            state.items.lock().unwrap().insert(id);
            Ok(dynamic(
                201,
                format!("{{\"id\":{id},\"name\":\"item {id}\"}}"),
            ))
        }
        path if path.starts_with("/items/") => {
            let id: Option<u64> = path["/items/".len()..].parse().ok();
            let exists = id.is_some_and(|id| state.items.lock().unwrap().contains(&id));
            Ok(match (request.method().clone(), id) {
                (_, Some(id)) if !exists => {
                    dynamic(404, format!("{{\"detail\":\"no item {id}\"}}"))
                }
                (hyper::Method::DELETE, Some(id)) => {
                    state.items.lock().unwrap().remove(&id);
                    dynamic(200, format!("{{\"deleted\":{id}}}"))
                }
                (_, Some(id)) => dynamic(200, format!("{{\"id\":{id},\"name\":\"item {id}\"}}")),
                (_, None) => response(400, "application/json", "{\"detail\":\"bad id\"}"),
            })
        }
        "/reset" => Err(Reset),
        "/slow-body" => Ok(Response::new(Either::Right(SlowBody {
            chunks_left: query(&request, "chunks").unwrap_or(5),
            pause: Duration::from_millis(query(&request, "ms").unwrap_or(20)),
            sleep: None,
        }))),
        _ => Ok(response(
            404,
            "application/json",
            "{\"detail\":\"Not Found\"}",
        )),
    };
    state.served.fetch_add(1, Ordering::SeqCst);
    result
}

/// A self-signed certificate for `localhost` and a matching TLS acceptor offering h2 and
/// http/1.1.
pub fn self_signed_tls() -> (
    tokio_rustls::TlsAcceptor,
    rustls::pki_types::CertificateDer<'static>,
) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), cert)
}
