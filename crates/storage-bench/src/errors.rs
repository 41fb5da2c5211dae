//! The one error type of this crate. A backend that fails during a run is not an error of
//! the run: it is reported as skipped, with the reason.

/// Why a backend or the embedded server could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A backend URL or plan value is unusable.
    #[error("invalid storage configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// A backend answered with an error (unreachable, wrong keys, missing bucket, read-only).
    #[error("backend `{backend}`: {message}")]
    Backend {
        /// Backend URL, credentials removed.
        backend: String,
        /// What happened, with a hint.
        message: String,
        /// The error that caused it, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// The embedded S3 server could not start.
    #[error("embedded S3 server: {message}")]
    Embedded {
        /// What failed.
        message: String,
        /// The error that caused it, when there is one.
        #[source]
        source: Option<BoxError>,
    },
}

/// A cause of any error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
