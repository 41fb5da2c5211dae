//! The one error type of this crate: a Vertex AR call that did not give the expected answer.

use std::sync::Arc;

use load_engine::{IterationError, LoadError};
use report_model::ErrorClass;

/// Why a call failed. Every variant names the call (`METHOD /path`).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No HTTP response (refused, reset, timed out).
    #[error("{call}: {message}")]
    Transport {
        /// `METHOD /path`.
        call: String,
        /// How the load engine classified it.
        class: ErrorClass,
        /// What happened.
        message: String,
    },
    /// An HTTP error status; `detail` is the service's `detail` (JSON) or the body text.
    #[error("{call} returned {status}: {detail}")]
    Http {
        /// `METHOD /path`.
        call: String,
        /// The status.
        status: u16,
        /// The response content type.
        content_type: String,
        /// `detail` or the body text.
        detail: String,
        /// The `Retry-After` of a 429 or 503, seconds.
        retry_after_secs: Option<u64>,
    },
    /// A success status whose body was not JSON (an HTML error page from a proxy, say).
    #[error("{call} returned {status} with `{content_type}` where JSON was expected: {preview}")]
    NotJson {
        /// `METHOD /path`.
        call: String,
        /// The status.
        status: u16,
        /// The response content type.
        content_type: String,
        /// The start of the body.
        preview: String,
    },
    /// The service's database could not be read (`--sqlite`).
    #[error("database `{path}`: {message}")]
    Database {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// The call could not be set up (options the load engine refuses).
    #[error("{call}: {source}")]
    Setup {
        /// `METHOD /path`.
        call: String,
        /// Why.
        #[source]
        source: Arc<LoadError>,
    },
    /// JSON of an unexpected shape.
    #[error("{call}: unexpected response: {message}")]
    Shape {
        /// `METHOD /path`.
        call: String,
        /// What did not fit.
        message: String,
    },
}

impl ApiError {
    /// Wraps a load-engine setup error of `call`, for `map_err`.
    pub(crate) fn setup(call: &str) -> impl FnOnce(LoadError) -> ApiError + '_ {
        move |source| ApiError::Setup {
            call: call.to_owned(),
            source: Arc::new(source),
        }
    }

    /// How the failure is counted: the transport's class, the status's class, or a failed
    /// check for an answer that broke the contract.
    pub fn class(&self) -> ErrorClass {
        match self {
            ApiError::Transport { class, .. } => *class,
            ApiError::Http { status, .. } => ErrorClass::from_status(*status),
            ApiError::NotJson { .. } | ApiError::Shape { .. } => ErrorClass::CheckFailed,
            ApiError::Database { .. } | ApiError::Setup { .. } => ErrorClass::Other,
        }
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } | ApiError::NotJson { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// 401 or 403: the service answers a missing token with either, depending on its FastAPI
    /// version.
    pub fn is_auth_failure(&self) -> bool {
        matches!(self.status(), Some(401 | 403))
    }

    /// The service's `detail`, when it sent one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            ApiError::Http { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

impl From<ApiError> for IterationError {
    fn from(error: ApiError) -> IterationError {
        IterationError::caused_by(error.class(), error)
    }
}
