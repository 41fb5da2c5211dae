//! Connections: TCP (and TLS via rustls), HTTP/1.1 keep-alive ([`crate::http1`]) or HTTP/2
//! (hyper), one connection per worker lane so no pool lock sits on the hot path.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo};
use report_model::ErrorClass;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

use crate::LoadError;
use crate::exchange::{Exchange, Failure, KeepHeaders, classify_io};
use crate::http1::{Http1Connection, Stream, WireRequest};
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
        let unreadable = |err: rustls::pki_types::pem::Error| LoadError::Tls {
            message: format!("`{}`: {err}", path.display()),
            source: Some(Box::new(err)),
        };
        let certificates = CertificateDer::pem_file_iter(path)
            .map_err(unreadable)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(unreadable)?;
        if certificates.is_empty() {
            return Err(LoadError::Tls {
                message: format!("`{}`: no certificate in the file", path.display()),
                source: None,
            });
        }
        self.extra_roots.extend(certificates);
        Ok(())
    }
}

/// The byte stream under a connection: TCP or TLS over TCP.
pub(crate) trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// A request in both forms a connection may need.
pub(crate) struct Outgoing<'a> {
    /// The HTTP/1.1 wire form.
    pub wire: &'a WireRequest,
    pub method: &'a Method,
    /// `scheme://authority/path?query`, for HTTP/2.
    pub absolute_form: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
}

/// An open connection ready for requests.
pub(crate) enum Connection {
    /// Driven in the caller's task.
    Http1(Http1Connection),
    /// hyper drives it in a task of its own (streams multiplex over it).
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Connection {
    /// False once it cannot carry another request (e.g. the peer closed an idle keep-alive
    /// connection).
    pub(crate) fn is_usable(&mut self, now: Instant) -> bool {
        match self {
            Connection::Http1(connection) => connection.is_usable(now),
            Connection::Http2(sender) => !sender.is_closed(),
        }
    }

    /// Sends `request` and reads the response to its end. The body is kept when `keep_body`
    /// is set or the status is 400 or above (for the error message).
    pub(crate) async fn exchange(
        &mut self,
        request: &Outgoing<'_>,
        keep_headers: KeepHeaders<'_>,
        keep_body: bool,
    ) -> Result<Exchange, Failure> {
        match self {
            Connection::Http1(connection) => {
                connection
                    .exchange(request.wire, keep_headers, keep_body)
                    .await
            }
            Connection::Http2(sender) => {
                sender.ready().await.map_err(|e| classify_hyper(&e))?;
                let mut http2_request = Request::new(Full::new(request.body.clone()));
                *http2_request.method_mut() = request.method.clone();
                *http2_request.uri_mut() = request.absolute_form.clone();
                *http2_request.headers_mut() = request.headers.clone();
                let sent_at = Instant::now();
                let response = sender
                    .send_request(http2_request)
                    .await
                    .map_err(|e| classify_hyper(&e))?;
                read_http2_body(response, sent_at, Instant::now(), keep_body).await
            }
        }
    }
}

async fn read_http2_body(
    response: http::Response<hyper::body::Incoming>,
    sent_at: Instant,
    head_at: Instant,
    keep_body: bool,
) -> Result<Exchange, Failure> {
    let status = response.status().as_u16();
    let (parts, mut body) = response.into_parts();
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
        sent_at,
        head_at,
        finished_at: Instant::now(),
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
                source: Some(Box::new(err)),
            })?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| LoadError::Tls {
                message: err.to_string(),
                source: Some(Box::new(err)),
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
            Scheme::Http if self.http2_prior_knowledge => self.http2(tcp, origin).await,
            Scheme::Http => Ok(Connection::Http1(Http1Connection::new(Stream::Tcp(tcp)))),
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
                if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
                    self.http2(tls, origin).await
                } else {
                    Ok(Connection::Http1(Http1Connection::new(Stream::Tls(
                        Box::new(tls),
                    ))))
                }
            }
        }
    }

    async fn http2<S>(&self, stream: S, origin: &Origin) -> Result<Connection, Failure>
    where
        S: Io + 'static,
    {
        let (sender, connection) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .map_err(|error| {
                Failure::new(
                    ErrorClass::Other,
                    format!("http/2 handshake with {origin}: {error}"),
                )
            })?;
        tokio::spawn(connection);
        Ok(Connection::Http2(sender))
    }
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
