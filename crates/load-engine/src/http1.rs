//! HTTP/1.1 on one connection, driven in the worker's own task: the request goes out in one
//! write, the response head is parsed with `httparse` and the body is framed by
//! `Content-Length`, chunked encoding or the end of the connection.
//!
//! Why not hyper's client here: hyper drives each HTTP/1.1 connection in a task of its own
//! and hands every request and response over a channel between the two tasks. At 100k
//! requests per second that hand-over, not the parsing, was the largest user-space cost of a
//! load run (see `docs/benchmarks.md`). One task owning the socket, a request pre-serialised
//! once per template and a reused read buffer leave little besides the two system calls
//! every request needs. hyper still serves HTTP/2.
//!
//! One file although it is long: the writer, the head parser and the three body framings
//! share one connection state machine (what was sent, how much of the body is owed, whether
//! the connection can be reused), and reading them side by side is how a framing bug is found.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf as _, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use report_model::ErrorClass;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;

use crate::exchange::{Exchange, Failure, KeepHeaders, classify_io};

/// Bodies up to this size are sent in the same write as the head.
const INLINE_BODY: usize = 16 * 1024;
/// A response head larger than this is refused.
const MAX_HEAD: usize = 64 * 1024;
/// Response headers parsed at most.
const MAX_HEADERS: usize = 100;
/// Bytes asked of the socket at least per read.
const READ_CHUNK: usize = 16 * 1024;
/// Bytes asked of the socket at most per read, for large bodies.
const LARGE_READ: usize = 256 * 1024;
/// A connection idle for longer is checked for a close by the peer before it is reused.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// A request in HTTP/1.1 wire form: `prefix` (request line, headers and, when small, the
/// body) then `rest` (a large body), each written as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct WireRequest {
    pub prefix: Bytes,
    pub rest: Bytes,
    /// A `HEAD` request: its response has no body whatever its headers say.
    pub head_method: bool,
}

impl WireRequest {
    /// Serialises a request. `Content-Length` is added unless the headers carry one; every
    /// other header is sent as given (the caller adds `Host`).
    pub(crate) fn new(method: &Method, target: &str, headers: &HeaderMap, body: &Bytes) -> Self {
        let mut prefix = Vec::with_capacity(
            64 + target.len()
                + headers
                    .iter()
                    .map(|(name, value)| name.as_str().len() + value.len() + 4)
                    .sum::<usize>(),
        );
        prefix.extend_from_slice(method.as_str().as_bytes());
        prefix.push(b' ');
        prefix.extend_from_slice(target.as_bytes());
        prefix.extend_from_slice(b" HTTP/1.1\r\n");
        for (name, value) in headers {
            prefix.extend_from_slice(name.as_str().as_bytes());
            prefix.extend_from_slice(b": ");
            prefix.extend_from_slice(value.as_bytes());
            prefix.extend_from_slice(b"\r\n");
        }
        let body_expected =
            !body.is_empty() || matches!(*method, Method::POST | Method::PUT | Method::PATCH);
        if body_expected && !headers.contains_key(http::header::CONTENT_LENGTH) {
            prefix.extend_from_slice(b"content-length: ");
            prefix.extend_from_slice(body.len().to_string().as_bytes());
            prefix.extend_from_slice(b"\r\n");
        }
        prefix.extend_from_slice(b"\r\n");
        let rest = if body.len() <= INLINE_BODY {
            prefix.extend_from_slice(body);
            Bytes::new()
        } else {
            body.clone()
        };
        WireRequest {
            prefix: Bytes::from(prefix),
            rest,
            head_method: *method == Method::HEAD,
        }
    }

    /// Bytes on the wire.
    pub(crate) fn len(&self) -> u64 {
        (self.prefix.len() + self.rest.len()) as u64
    }
}

/// The byte stream under a connection.
pub(crate) enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_read(cx, buf),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_write(cx, buf),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_flush(cx),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_shutdown(cx),
            Stream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// What the response head says.
struct Head {
    status: u16,
    framing: Framing,
    /// The connection cannot carry another request.
    closes: bool,
    headers: HeaderMap,
    /// Bytes of the head in the read buffer.
    length: usize,
}

/// One HTTP/1.1 connection.
pub(crate) struct Http1Connection {
    stream: Stream,
    /// Received, not yet consumed.
    buffer: BytesMut,
    /// The connection cannot carry another request (the peer closes it, or a response was
    /// cut short).
    spent: bool,
    idle_since: Instant,
    /// Reads from the socket so far (wrapping): tells whether a body needed any.
    reads: u32,
}

impl Http1Connection {
    pub(crate) fn new(stream: Stream) -> Http1Connection {
        Http1Connection {
            stream,
            buffer: BytesMut::with_capacity(READ_CHUNK),
            spent: false,
            idle_since: Instant::now(),
            reads: 0,
        }
    }

    /// False once the connection cannot carry another request: the last response closed it,
    /// or, after a pause, the peer has closed it (an idle keep-alive connection the server
    /// timed out) or sent something unasked.
    pub(crate) fn is_usable(&mut self, now: Instant) -> bool {
        if self.spent {
            return false;
        }
        if now.saturating_duration_since(self.idle_since) < IDLE_CHECK {
            return true;
        }
        // A read that must not wait: pending means open and silent.
        let mut probe = [0u8; 64];
        let mut probe = ReadBuf::new(&mut probe);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match Pin::new(&mut self.stream).poll_read(&mut cx, &mut probe) {
            Poll::Pending => true,
            Poll::Ready(_) => {
                self.spent = true;
                false
            }
        }
    }

    /// Sends `request` and reads the response to its end. `keep_headers` keeps the response
    /// headers; the body is kept when `keep_body` is set or the status is 400 or above (for
    /// the error message). On an error the connection is left spent.
    pub(crate) async fn exchange(
        &mut self,
        request: &WireRequest,
        keep_headers: KeepHeaders<'_>,
        keep_body: bool,
    ) -> Result<Exchange, Failure> {
        self.spent = true;
        self.buffer.clear();
        let request_complete = self.write(request).await?;
        let sent_at = Instant::now();
        let head = self.read_head(keep_headers).await?;
        let head_at = Instant::now();
        let reads_at_head = self.reads;
        self.buffer.advance(head.length);
        let framing = if request.head_method || matches!(head.status, 204 | 304) {
            Framing::Length(0)
        } else {
            head.framing
        };
        let keep_body = keep_body || head.status >= 400;
        let (body, bytes_received) = match framing {
            Framing::Length(length) => self.read_length(length, keep_body).await?,
            Framing::Chunked => self.read_chunked(keep_body).await?,
            Framing::UntilClose => self.read_to_close(keep_body).await?,
        };
        self.spent = !request_complete
            || head.closes
            || framing == Framing::UntilClose
            || !self.buffer.is_empty();
        // Most responses arrive in one read: then the body ended when the head did.
        let finished_at = if self.reads == reads_at_head {
            head_at
        } else {
            Instant::now()
        };
        self.idle_since = finished_at;
        Ok(Exchange {
            status: head.status,
            headers: head.headers,
            body,
            bytes_received,
            sent_at,
            head_at,
            finished_at,
        })
    }

    /// Sends `request`. False when the response began before all of it was written: a
    /// server may answer early (401, 413) and close without reading the whole body, and that
    /// answer, not the broken pipe, is the result.
    async fn write(&mut self, request: &WireRequest) -> Result<bool, Failure> {
        let complete = self.write_watching(&request.prefix).await?
            && (request.rest.is_empty() || self.write_watching(&request.rest).await?);
        if complete && matches!(self.stream, Stream::Tls(_)) {
            self.stream
                .flush()
                .await
                .map_err(|error| classify_io(&error, "sending the request"))?;
        }
        Ok(complete)
    }

    /// Writes `bytes`, reading into the buffer whenever the socket will not take more (or
    /// fails). False when response bytes arrived before everything was written.
    async fn write_watching(&mut self, bytes: &[u8]) -> Result<bool, Failure> {
        let mut written = 0;
        std::future::poll_fn(|cx| {
            while written < bytes.len() {
                match Pin::new(&mut self.stream).poll_write(cx, &bytes[written..]) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero)));
                    }
                    Poll::Ready(Ok(n)) => written += n,
                    // The peer may have answered before it closed.
                    Poll::Ready(Err(error)) => {
                        return Poll::Ready(if self.poll_early_response(cx) {
                            Ok(false)
                        } else {
                            Err(error)
                        });
                    }
                    Poll::Pending if self.poll_early_response(cx) => return Poll::Ready(Ok(false)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            Poll::Ready(Ok(true))
        })
        .await
        .map_err(|error| classify_io(&error, "sending the request"))
    }

    /// Reads what has arrived, without waiting; true when that is at least one byte.
    fn poll_early_response(&mut self, cx: &mut Context<'_>) -> bool {
        if self.buffer.capacity() - self.buffer.len() < READ_CHUNK / 4 {
            self.buffer.reserve(READ_CHUNK);
        }
        let read = tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.buffer);
        matches!(read, Poll::Ready(Ok(n)) if n > 0)
    }

    /// Reads at least one more byte into the buffer.
    async fn fill(&mut self, context: &str) -> Result<(), Failure> {
        self.fill_expecting(READ_CHUNK, context).await
    }

    /// Like [`Self::fill`], with room for up to `expected` bytes (capped at
    /// [`LARGE_READ`]): a large body is read in large reads.
    async fn fill_expecting(&mut self, expected: usize, context: &str) -> Result<(), Failure> {
        let room = expected.clamp(READ_CHUNK, LARGE_READ);
        if self.buffer.capacity() - self.buffer.len() < room / 4 {
            self.buffer.reserve(room);
        }
        self.reads = self.reads.wrapping_add(1);
        match self.stream.read_buf(&mut self.buffer).await {
            Ok(0) => Err(Failure::new(
                ErrorClass::ConnectionReset,
                format!("the server closed the connection {context}"),
            )),
            Ok(_) => Ok(()),
            Err(error) => Err(classify_io(&error, context)),
        }
    }

    /// Reads up to the end of a final (non-1xx) response head.
    async fn read_head(&mut self, keep_headers: KeepHeaders<'_>) -> Result<Head, Failure> {
        loop {
            if !self.buffer.is_empty() {
                match parse_head(&self.buffer, keep_headers)? {
                    Parsed::Final(head) => return Ok(head),
                    Parsed::Interim(length) => {
                        self.buffer.advance(length);
                        continue;
                    }
                    Parsed::Partial if self.buffer.len() > MAX_HEAD => {
                        return Err(Failure::new(
                            ErrorClass::Other,
                            format!("the response head is larger than {} KiB", MAX_HEAD / 1024),
                        ));
                    }
                    Parsed::Partial => {}
                }
            }
            let context = if self.buffer.is_empty() {
                "before responding"
            } else {
                "in the middle of the response head"
            };
            self.fill(context).await?;
        }
    }

    async fn read_length(
        &mut self,
        length: u64,
        keep: bool,
    ) -> Result<(Option<Bytes>, u64), Failure> {
        let mut kept = keep.then(BytesMut::new);
        let mut remaining = length;
        loop {
            let available = usize::try_from(remaining)
                .unwrap_or(usize::MAX)
                .min(self.buffer.len());
            if available > 0 {
                let part = self.buffer.split_to(available);
                if let Some(kept) = &mut kept {
                    if kept.is_empty() {
                        *kept = part;
                    } else {
                        kept.extend_from_slice(&part);
                    }
                }
                remaining -= available as u64;
            }
            if remaining == 0 {
                return Ok((kept.map(BytesMut::freeze), length));
            }
            let expected = usize::try_from(remaining).unwrap_or(usize::MAX);
            self.fill_expecting(expected, "in the middle of the response body")
                .await?;
        }
    }

    async fn read_chunked(&mut self, keep: bool) -> Result<(Option<Bytes>, u64), Failure> {
        let mut kept = keep.then(BytesMut::new);
        let mut received = 0u64;
        loop {
            let size = loop {
                match httparse::parse_chunk_size(&self.buffer) {
                    Ok(httparse::Status::Complete((used, size))) => {
                        self.buffer.advance(used);
                        break size;
                    }
                    Ok(httparse::Status::Partial) if self.buffer.len() > MAX_HEAD => {
                        return Err(bad_framing("a chunk size line is too long"));
                    }
                    Ok(httparse::Status::Partial) => {
                        self.fill("in the middle of a chunk size").await?;
                    }
                    Err(_) => return Err(bad_framing("invalid chunk size")),
                }
            };
            if size == 0 {
                self.skip_trailers().await?;
                return Ok((kept.map(BytesMut::freeze), received));
            }
            let (part, _) = self.read_length(size, keep).await?;
            received += size;
            if let (Some(kept), Some(part)) = (&mut kept, part) {
                kept.extend_from_slice(&part);
            }
            while self.buffer.len() < 2 {
                self.fill("in the middle of a chunk").await?;
            }
            if &self.buffer[..2] != b"\r\n" {
                return Err(bad_framing("a chunk does not end in CRLF"));
            }
            self.buffer.advance(2);
        }
    }

    /// Skips trailer fields up to the empty line that ends a chunked body.
    async fn skip_trailers(&mut self) -> Result<(), Failure> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|pair| pair == b"\r\n") {
                self.buffer.advance(end + 2);
                if end == 0 {
                    return Ok(());
                }
                continue;
            }
            if self.buffer.len() > MAX_HEAD {
                return Err(bad_framing("the trailers are too large"));
            }
            self.fill("in the middle of the trailers").await?;
        }
    }

    async fn read_to_close(&mut self, keep: bool) -> Result<(Option<Bytes>, u64), Failure> {
        let mut kept = keep.then(BytesMut::new);
        let mut received = 0u64;
        loop {
            self.reads = self.reads.wrapping_add(1);
            received += self.buffer.len() as u64;
            if let Some(kept) = &mut kept {
                kept.extend_from_slice(&self.buffer);
            }
            self.buffer.clear();
            self.buffer.reserve(READ_CHUNK);
            match self.stream.read_buf(&mut self.buffer).await {
                Ok(0) => return Ok((kept.map(BytesMut::freeze), received)),
                Ok(_) => {}
                Err(error) => return Err(classify_io(&error, "reading the response body")),
            }
        }
    }
}

fn bad_framing(message: &str) -> Failure {
    Failure::new(ErrorClass::Other, format!("malformed response: {message}"))
}

enum Parsed {
    Final(Head),
    /// A 1xx response of this many bytes, to be skipped.
    Interim(usize),
    Partial,
}

fn parse_head(buffer: &[u8], keep_headers: KeepHeaders<'_>) -> Result<Parsed, Failure> {
    // Uninitialised slots: no 3 KiB of empty headers written for every response.
    let mut fields =
        [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buffer,
        &mut fields,
    );
    let length = match parsed {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(error) => {
            let start = String::from_utf8_lossy(&buffer[..buffer.len().min(60)]).into_owned();
            return Err(bad_framing(&format!(
                "{error} (the response starts with {start:?})"
            )));
        }
    };
    let status = response.code.unwrap_or_default();
    if (100..200).contains(&status) {
        if status == 101 {
            return Err(bad_framing("the server switched protocols"));
        }
        return Ok(Parsed::Interim(length));
    }
    let mut closes = response.version == Some(0);
    let mut content_length: Option<u64> = None;
    let mut chunked = false;
    let mut headers = HeaderMap::new();
    for field in response.headers.iter() {
        let name = field.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(field.value)
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| bad_framing("invalid Content-Length"))?;
            if content_length.is_some_and(|earlier| earlier != value) {
                return Err(bad_framing("conflicting Content-Length headers"));
            }
            content_length = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = field
                .value
                .rsplit(|&byte| byte == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for token in field.value.split(|&byte| byte == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    closes = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    closes = false;
                }
            }
        }
        if keep_headers.keeps(name)
            && let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(field.value),
            )
        {
            headers.append(name, value);
        }
    }
    let framing = match (chunked, content_length) {
        (true, _) => Framing::Chunked,
        (false, Some(length)) => Framing::Length(length),
        (false, None) => Framing::UntilClose,
    };
    Ok(Parsed::Final(Head {
        status,
        framing,
        closes,
        headers,
        length,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncBufReadExt as _;
    use tokio::net::TcpListener;

    /// A server that answers each request on one connection with the next canned response
    /// (raw bytes, written in the given pieces), then closes.
    async fn canned(responses: Vec<Vec<&'static [u8]>>) -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut read = tokio::io::BufReader::new(read);
            for pieces in responses {
                // Read one request head (and its body, if it says how long).
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if read.read_line(&mut line).await.unwrap() == 0 {
                        return;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                read.read_exact(&mut body).await.unwrap();
                for piece in pieces {
                    write.write_all(piece).await.unwrap();
                    write.flush().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        addr
    }

    async fn connect(addr: std::net::SocketAddr) -> Http1Connection {
        Http1Connection::new(Stream::Tcp(TcpStream::connect(addr).await.unwrap()))
    }

    fn get() -> WireRequest {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, HeaderValue::from_static("x"));
        WireRequest::new(&Method::GET, "/", &headers, &Bytes::new())
    }

    #[test]
    fn serialises_requests_with_a_content_length() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, HeaderValue::from_static("127.0.0.1:1"));
        let request = WireRequest::new(&Method::POST, "/a?b=1", &headers, &Bytes::from("hi"));
        assert_eq!(
            &request.prefix[..],
            b"POST /a?b=1 HTTP/1.1\r\nhost: 127.0.0.1:1\r\ncontent-length: 2\r\n\r\nhi"
        );
        assert_eq!(request.len(), request.prefix.len() as u64);
        let empty_post = WireRequest::new(&Method::POST, "/", &HeaderMap::new(), &Bytes::new());
        assert!(
            std::str::from_utf8(&empty_post.prefix)
                .unwrap()
                .contains("content-length: 0")
        );
        let get = WireRequest::new(&Method::GET, "/", &HeaderMap::new(), &Bytes::new());
        assert_eq!(&get.prefix[..], b"GET / HTTP/1.1\r\n\r\n");
        let large = Bytes::from(vec![7u8; INLINE_BODY + 1]);
        let request = WireRequest::new(&Method::PUT, "/", &HeaderMap::new(), &large);
        assert_eq!(request.rest, large);
        assert_eq!(request.len(), (request.prefix.len() + large.len()) as u64);
    }

    #[tokio::test]
    async fn reads_length_chunked_interim_and_split_responses_on_one_connection() {
        let addr = canned(vec![
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"],
            vec![
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
                b"4;ext=1\r\nde",
                b"fg\r\n0\r\nTrailer: x\r\n\r\n",
            ],
            vec![b"HTTP/1.1 200 OK\r\nCont", b"ent-Length: 2\r\n\r\nok"],
            vec![b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nSet-Cookie: a=1\r\nX-B: 2\r\n\r\n"],
        ])
        .await;
        let mut connection = connect(addr).await;
        let first = connection
            .exchange(&get(), KeepHeaders::All, true)
            .await
            .unwrap();
        assert_eq!(first.status, 200);
        assert_eq!(first.body.as_deref(), Some(&b"hello"[..]));
        assert_eq!(first.headers["x-a"], "1");
        assert_eq!(first.bytes_received, 5);
        assert!(connection.is_usable(Instant::now()));
        let second = connection
            .exchange(&get(), KeepHeaders::None, true)
            .await
            .unwrap();
        assert_eq!(second.status, 201);
        assert_eq!(second.body.as_deref(), Some(&b"abcdefg"[..]));
        assert!(second.headers.is_empty(), "headers were not asked for");
        assert_eq!(second.bytes_received, 7);
        let third = connection
            .exchange(&get(), KeepHeaders::None, false)
            .await
            .unwrap();
        assert_eq!(
            (third.status, third.body, third.bytes_received),
            (200, None, 2)
        );
        let only = [http::header::SET_COOKIE];
        let fourth = connection
            .exchange(&get(), KeepHeaders::Only(&only), true)
            .await
            .unwrap();
        assert_eq!(fourth.status, 204);
        assert_eq!(fourth.headers.len(), 1, "{:?}", fourth.headers);
        assert_eq!(fourth.headers["set-cookie"], "a=1");
        assert!(connection.is_usable(Instant::now()));
    }

    #[tokio::test]
    async fn a_body_until_close_and_connection_close_spend_the_connection() {
        let addr = canned(vec![vec![b"HTTP/1.0 200 OK\r\n\r\nto the end"]]).await;
        let mut connection = connect(addr).await;
        let response = connection
            .exchange(&get(), KeepHeaders::None, true)
            .await
            .unwrap();
        assert_eq!(response.body.as_deref(), Some(&b"to the end"[..]));
        assert!(!connection.is_usable(Instant::now()));

        let addr = canned(vec![vec![
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        ]])
        .await;
        let mut connection = connect(addr).await;
        connection
            .exchange(&get(), KeepHeaders::None, false)
            .await
            .unwrap();
        assert!(!connection.is_usable(Instant::now()));
    }

    #[tokio::test]
    async fn failures_are_classified() {
        let cases: [(&'static [u8], ErrorClass, &str); 4] = [
            (b"", ErrorClass::ConnectionReset, "before responding"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                ErrorClass::ConnectionReset,
                "in the middle of the response body",
            ),
            (
                b"SSH-2.0-OpenSSH\r\n\r\n",
                ErrorClass::Other,
                "malformed response",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                ErrorClass::Other,
                "invalid chunk size",
            ),
        ];
        for (response, class, message) in cases {
            let pieces = if response.is_empty() {
                vec![]
            } else {
                vec![response]
            };
            let mut connection = connect(canned(vec![pieces]).await).await;
            let failure = connection
                .exchange(&get(), KeepHeaders::None, false)
                .await
                .unwrap_err();
            assert_eq!(failure.class, class, "{}", failure.message);
            assert!(failure.message.contains(message), "{}", failure.message);
            assert!(!connection.is_usable(Instant::now()), "{message}");
        }
    }

    #[tokio::test]
    async fn an_early_answer_to_a_large_upload_is_the_result_not_the_broken_pipe() {
        // Answers 401 as soon as the head is in, then closes without reading the body (the
        // kernel resets the connection because of the unread bytes).
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut chunk = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut chunk).await.unwrap();
                seen.extend_from_slice(&chunk[..n]);
            }
            stream
                .write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 16\r\n\r\n{\"detail\":\"no\"}\n",
                )
                .await
                .unwrap();
        });
        let body = Bytes::from(vec![b'x'; 16 * 1024 * 1024]);
        let request = WireRequest::new(&Method::POST, "/upload", &HeaderMap::new(), &body);
        let mut connection = connect(addr).await;
        let response = connection
            .exchange(&request, KeepHeaders::None, false)
            .await
            .unwrap();
        assert_eq!(response.status, 401);
        assert_eq!(
            response.body.as_deref(),
            Some(&b"{\"detail\":\"no\"}\n"[..])
        );
        assert!(
            !connection.is_usable(Instant::now()),
            "the body was cut short"
        );
    }

    #[tokio::test]
    async fn an_idle_connection_the_server_closed_is_not_reused() {
        let addr = canned(vec![vec![b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]]).await;
        let mut connection = connect(addr).await;
        connection
            .exchange(&get(), KeepHeaders::None, false)
            .await
            .unwrap();
        // The server closes after its one response; wait past the idle check.
        tokio::time::sleep(IDLE_CHECK + Duration::from_millis(50)).await;
        assert!(!connection.is_usable(Instant::now()));
    }
}
