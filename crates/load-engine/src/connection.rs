//! Connections: TCP (and TLS via rustls), HTTP/1.1 keep-alive or HTTP/2, one hyper
//! connection per worker lane so no pool lock sits on the hot path.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use report_model::ErrorClass;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

use crate::LoadError;
use crate::request::{Origin, Scheme};

/// TLS settings for `https` targets.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Extra trusted roots (PEM or DER), e.g. a test CA or a self-signed server certificate.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Offer HTTP/2 through ALPN (and fall back to HTTP/1.1).
    pub alpn_http2: bool,
}

impl TlsOptions {
    /// Trusts every certificate in a PEM file (a CA, or a self-signed server certificate).
    pub fn add_pem_file(&mut self, path: &std::path::Path) -> Result<(), LoadError> {
        use rustls::pki_types::pem::PemObject as _;
        let unreadable = |message: String| LoadError::Tls {
            message: format!("`{}`: {message}", path.display()),
        };
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(|err| unreadable(err.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| unreadable(err.to_string()))?;
        if certificates.is_empty() {
            return Err(unreadable("no certificate in the file".to_owned()));
        }
        self.extra_roots.extend(certificates);
        Ok(())
    }
}

/// A failed connection attempt or request, classified.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The class it is counted under.
    pub class: ErrorClass,
    /// What happened.
    pub message: String,
}

impl Failure {
    pub(crate) fn new(class: ErrorClass, message: impl Into<String>) -> Failure {
        Failure {
            class,
            message: message.into(),
        }
    }
}

/// The byte stream under a connection: TCP or TLS over TCP.
pub(crate) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// A response read to its end.
pub(crate) struct Exchange {
    pub status: u16,
    pub headers: http::HeaderMap,
    /// The body, when it was kept.
    pub body: Option<Bytes>,
    pub bytes_received: u64,
    /// From the send to the response head.
    pub ttfb: Duration,
}

/// An open connection ready for requests; hyper drives it in a task of its own, so the
/// connection work spreads over the runtime's threads.
pub(crate) enum Connection {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Connection {
    /// False once the peer closed it (an idle keep-alive connection the server timed out).
    pub(crate) fn is_usable(&self) -> bool {
        match self {
            Connection::Http1(sender) => !sender.is_closed(),
            Connection::Http2(sender) => !sender.is_closed(),
        }
    }

    pub(crate) fn is_http2(&self) -> bool {
        matches!(self, Connection::Http2(_))
    }

    /// Sends `request` and reads the response to its end.
    pub(crate) async fn exchange(
        &mut self,
        request: http::Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Exchange, Failure> {
        match self {
            Connection::Http1(sender) => {
                sender.ready().await.map_err(|e| classify_hyper(&e))?;
                read_response(sender.send_request(request), keep_body).await
            }
            Connection::Http2(sender) => {
                sender.ready().await.map_err(|e| classify_hyper(&e))?;
                read_response(sender.send_request(request), keep_body).await
            }
        }
    }
}

async fn read_response(
    response: impl Future<Output = Result<http::Response<hyper::body::Incoming>, hyper::Error>>,
    keep_body: bool,
) -> Result<Exchange, Failure> {
    let sent_at = Instant::now();
    let response = response.await.map_err(|e| classify_hyper(&e))?;
    let ttfb = sent_at.elapsed();
    let status = response.status().as_u16();
    let (parts, mut body) = response.into_parts();
    // Failed responses keep their body too, for the error message.
    let mut collected = (keep_body || status >= 400).then(BytesMut::new);
    let mut bytes_received = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify_hyper(&e))?;
        if let Some(data) = frame.data_ref() {
            bytes_received += data.len() as u64;
            if let Some(collected) = &mut collected {
                collected.extend_from_slice(data);
            }
        }
    }
    Ok(Exchange {
        status,
        headers: parts.headers,
        body: collected.map(BytesMut::freeze),
        bytes_received,
        ttfb,
    })
}

/// Opens connections to origins.
pub(crate) struct Connector {
    tls: tokio_rustls::TlsConnector,
    http2_prior_knowledge: bool,
    connect_timeout: Duration,
}

impl Connector {
    pub(crate) fn new(
        tls: &TlsOptions,
        http2_prior_knowledge: bool,
        connect_timeout: Duration,
    ) -> Result<Connector, LoadError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for root in &tls.extra_roots {
            roots.add(root.clone()).map_err(|err| LoadError::Tls {
                message: format!("bad extra root certificate: {err}"),
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| LoadError::Tls {
                message: err.to_string(),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = if tls.alpn_http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        Ok(Connector {
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
            http2_prior_knowledge,
            connect_timeout,
        })
    }

    pub(crate) async fn connect(&self, origin: &Origin) -> Result<Connection, Failure> {
        let tcp = match tokio::time::timeout(
            self.connect_timeout,
            TcpStream::connect((origin.host.as_str(), origin.port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(error)) => return Err(classify_io(&error, &format!("connect to {origin}"))),
            Err(_) => {
                return Err(Failure::new(
                    ErrorClass::ConnectTimeout,
                    format!(
                        "connect to {origin}: no answer within {:?}",
                        self.connect_timeout
                    ),
                ));
            }
        };
        let _ = tcp.set_nodelay(true);
        match origin.scheme {
            Scheme::Http => {
                self.handshake(tcp, self.http2_prior_knowledge, origin)
                    .await
            }
            Scheme::Https => {
                let connector = &self.tls;
                let name = ServerName::try_from(origin.host.clone()).map_err(|_| {
                    Failure::new(
                        ErrorClass::Tls,
                        format!("`{}` is not a valid TLS server name", origin.host),
                    )
                })?;
                let handshake =
                    tokio::time::timeout(self.connect_timeout, connector.connect(name, tcp));
                let tls = match handshake.await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(error)) => {
                        return Err(Failure::new(
                            ErrorClass::Tls,
                            format!("tls handshake with {origin}: {error}"),
                        ));
                    }
                    Err(_) => {
                        return Err(Failure::new(
                            ErrorClass::ConnectTimeout,
                            format!("tls handshake with {origin} timed out"),
                        ));
                    }
                };
                let negotiated_h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                self.handshake(tls, negotiated_h2, origin).await
            }
        }
    }

    async fn handshake<S>(
        &self,
        stream: S,
        http2: bool,
        origin: &Origin,
    ) -> Result<Connection, Failure>
    where
        S: Io + 'static,
    {
        let io = TokioIo::new(stream);
        let failed = |error: hyper::Error| {
            Failure::new(
                ErrorClass::Other,
                format!("http handshake with {origin}: {error}"),
            )
        };
        if http2 {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(failed)?;
            tokio::spawn(connection);
            Ok(Connection::Http2(sender))
        } else {
            let (sender, connection) = http1::handshake(io).await.map_err(failed)?;
            tokio::spawn(connection);
            Ok(Connection::Http1(sender))
        }
    }
}

/// Classifies an I/O error.
pub(crate) fn classify_io(error: &io::Error, context: &str) -> Failure {
    let class = match error.kind() {
        io::ErrorKind::ConnectionRefused => ErrorClass::ConnectRefused,
        io::ErrorKind::TimedOut => ErrorClass::ConnectTimeout,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof => ErrorClass::ConnectionReset,
        _ => ErrorClass::Other,
    };
    Failure::new(class, format!("{context}: {error}"))
}

/// Classifies a hyper error from sending a request or reading its body.
pub(crate) fn classify_hyper(error: &hyper::Error) -> Failure {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(io_error) = current.downcast_ref::<io::Error>() {
            return classify_io(io_error, "request");
        }
        source = current.source();
    }
    let class = if error.is_incomplete_message() || error.is_canceled() || error.is_closed() {
        ErrorClass::ConnectionReset
    } else {
        ErrorClass::Other
    };
    Failure::new(class, format!("request: {error}"))
}
