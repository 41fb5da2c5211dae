//! The one error type of this crate: why the server could not start.

/// A setup failure of the stand-in server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The configuration is unusable.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on `{addr}`")]
    Bind {
        /// The address.
        addr: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The data directory or database could not be prepared.
    #[error("cannot prepare the data directory `{path}`: {message}")]
    DataDir {
        /// The directory.
        path: String,
        /// What failed.
        message: String,
    },
    /// The object store could not be configured.
    #[error("cannot use storage `{url}`: {message}")]
    Storage {
        /// The storage URL, credentials removed.
        url: String,
        /// What failed.
        message: String,
    },
}
