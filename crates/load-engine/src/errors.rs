//! The one error type of this crate. Failures of single requests are not errors: they are
//! counted by class in the report ([`report_model::ErrorClass`]).

/// Why a load run could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The target URL is unusable.
    #[error("invalid url `{url}`: {message}")]
    InvalidUrl {
        /// The URL, credentials removed.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// A header, body or other part of the request template is unusable.
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
        /// The refusing library's error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// The executor or options are unusable (no bound, zero users, bad stages, ...).
    #[error("invalid load configuration: {message}")]
    InvalidConfig {
        /// What is wrong.
        message: String,
    },
    /// TLS could not be configured (unreadable CA file, bad certificate).
    #[error("tls setup failed: {message}")]
    Tls {
        /// What is wrong.
        message: String,
        /// The cause (an unreadable file, rustls refusing a certificate).
        #[source]
        source: Option<BoxError>,
    },
}

/// A cause of any type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl LoadError {
    /// What is wrong, without the kind of error in front: for a message that names the
    /// value itself (`--rate: …`, `stage 2: …`, `phases.orders: …`).
    pub fn reason(&self) -> String {
        match self {
            LoadError::InvalidConfig { message } => message.clone(),
            other => other.to_string(),
        }
    }
}
