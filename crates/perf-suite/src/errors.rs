//! The suite's one error type: a configuration that cannot be used, or a run that could not
//! be set up. Each keeps the library error that caused it as its `#[source]`.

use std::path::PathBuf;

/// Why the suite cannot be configured or cannot go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SuiteError {
    /// The configuration file cannot be read.
    #[error("cannot read config `{}`", path.display())]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The configuration file has a wrong key, type or value.
    #[error("invalid config `{}`", path.display())]
    InvalidConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: ConfigProblem,
    },
    /// The scratch directory (local backend, embedded S3) cannot be created.
    #[error("cannot create a temporary directory")]
    Scratch(#[source] std::io::Error),
    /// The target did not answer its health check.
    #[error("the target is not healthy\n(hint: is the service running at {url}?)")]
    Unhealthy {
        /// The base URL, credentials removed.
        url: String,
        /// The failed call.
        #[source]
        source: portrait_workflow::ApiError,
    },
    /// The login was refused or failed.
    #[error("cannot log in as `{user}`")]
    Login {
        /// The login name.
        user: String,
        /// The failed call.
        #[source]
        source: portrait_workflow::ApiError,
    },
    /// A load scenario could not be set up.
    #[error("a load scenario could not run")]
    Load(#[source] load_engine::LoadError),
    /// A journey file of `[[suite.scenario_files]]` could not run (its setup failed).
    #[error("a scenario file could not run")]
    Journey(#[source] load_engine::journey::JourneyError),
    /// The storage phase could not run.
    #[error("the storage phase could not run")]
    Storage(#[source] storage_bench::StorageError),
    /// The memory probe failed during the memory cycles.
    #[error("memory snapshot failed")]
    MemorySnapshot(#[source] perf_sampler::SamplerError),
}

impl From<load_engine::LoadError> for SuiteError {
    fn from(error: load_engine::LoadError) -> SuiteError {
        SuiteError::Load(error)
    }
}

/// What is wrong with a configuration's text or values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// Not TOML, an unknown key or a wrong type (the message names the key).
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// A threshold expression does not parse.
    #[error("invalid threshold `{expression}`")]
    Threshold {
        /// The expression as written.
        expression: String,
        /// Why it does not parse.
        #[source]
        source: report_model::ReportError,
    },
    /// A phase size is outside what the runs accept.
    #[error("phases.{key} {reason}")]
    OutOfRange {
        /// The key under `[profiles.*]`.
        key: &'static str,
        /// The accepted range, with a hint where one helps.
        reason: String,
    },
    /// `storage_sizes` does not parse.
    #[error("phases.storage_sizes")]
    StorageSizes(#[source] storage_bench::StorageError),
    /// A journey file of `[[suite.scenario_files]]` is wrong, or its setup failed.
    #[error(transparent)]
    Journey(#[from] load_engine::journey::JourneyError),
    /// The configuration does not serialise (a bug).
    #[error("internal: the configuration does not serialise: {0}")]
    Internal(String),
}
