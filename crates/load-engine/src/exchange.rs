//! What one exchange on a connection gives back: a response read to its end
//! ([`Exchange`]) or a classified [`Failure`]. The bottom of the request path: the
//! connection and the HTTP/1.1 driver both produce these, and neither depends on the other
//! for them.

use std::io;
use std::time::Instant;

use bytes::Bytes;
use http::HeaderMap;
use report_model::ErrorClass;

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

/// A response read to its end.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub status: u16,
    /// The headers, when they were asked for.
    pub headers: HeaderMap,
    /// The body, when it was kept.
    pub body: Option<Bytes>,
    /// Body bytes.
    pub bytes_received: u64,
    /// When the request was written to its end (HTTP/1.1), or handed to hyper (HTTP/2,
    /// which writes it in its own task).
    pub sent_at: Instant,
    /// When the response head was complete.
    pub head_at: Instant,
    /// When the body was complete.
    pub finished_at: Instant,
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

/// Which response headers an exchange keeps: HTTP/1.1 parses only these into the map
/// (HTTP/2 answers come with all of them).
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeepHeaders<'a> {
    None,
    All,
    Only(&'a [http::HeaderName]),
}

impl KeepHeaders<'_> {
    /// Whether a header called `name` (as received, any case) is kept.
    pub(crate) fn keeps(self, name: &str) -> bool {
        match self {
            KeepHeaders::None => false,
            KeepHeaders::All => true,
            KeepHeaders::Only(names) => names
                .iter()
                .any(|kept| kept.as_str().eq_ignore_ascii_case(name)),
        }
    }
}
