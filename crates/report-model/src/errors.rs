//! The one error type of this crate.
//!
//! Messages follow the project convention: lower case, the offending value in
//! backticks, one level per `Display`, the cause in `source()`.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while reading, checking, evaluating or writing a report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A report file could not be written (read-only directory, disk full, ...).
    /// The previous file at `path`, if any, is left untouched.
    #[error("cannot write report `{path}`")]
    Write {
        /// The file that was to be written.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A report file could not be read.
    #[error("cannot read report `{path}`")]
    Read {
        /// The file that was to be read.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The file is not JSON, is truncated, or does not have the shape of the expected document.
    #[error("`{path}` is not a valid {expected}: {message}")]
    Decode {
        /// The file (or `<memory>` for in-memory input).
        path: PathBuf,
        /// What kind of document was expected, e.g. `suite report`.
        expected: &'static str,
        /// Where and why decoding failed.
        message: String,
    },
    /// The document was written by an incompatible version of the schema.
    #[error(
        "`{path}` has schema_version `{found}`, this build reads `{supported}`\n(hint: re-run the suite with this version, or use the matching vertex-perf release)"
    )]
    SchemaVersion {
        /// The file.
        path: PathBuf,
        /// The version found in the file (`missing` when absent).
        found: String,
        /// The version this build understands.
        supported: u32,
    },
    /// A shard that does not exist (`--shard 5/4`) or a CI environment that names none.
    #[error("{message}")]
    Shard {
        /// What is wrong, with a hint.
        message: String,
    },
    /// Shard reports that are not the parts of one run.
    #[error("cannot merge these reports: {message}")]
    Merge {
        /// Which report differs and how.
        message: String,
    },
    /// A latency histogram could not be encoded or decoded.
    #[error("invalid latency histogram: {message}")]
    Histogram {
        /// What went wrong.
        message: String,
    },
    /// A threshold expression could not be parsed.
    #[error("invalid threshold `{expression}` at column {column}: {message}")]
    Threshold {
        /// The whole expression as given.
        expression: String,
        /// 1-based column (in characters) where the problem starts.
        column: usize,
        /// What was expected there.
        message: String,
    },
    /// A tolerance such as `10%` could not be parsed.
    #[error("invalid tolerance `{input}`: {message}")]
    Tolerance {
        /// The input as given.
        input: String,
        /// Why it was rejected.
        message: String,
    },
    /// A renderer failed (an internal serialisation problem, never user input).
    #[error("cannot render {format}: {message}")]
    Render {
        /// The output format.
        format: &'static str,
        /// The underlying message.
        message: String,
    },
}
