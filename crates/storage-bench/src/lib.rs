//! Object storage benchmarks in the style of MinIO's warp, for the question Vertex AR users
//! ask: how does local disk compare with S3/MinIO for 1–20 MiB objects?
//!
//! # Brief overview
//!
//! - [`Backend::open`] opens and probes a backend from a URL (`file:///dir`, `memory://`,
//!   `s3://bucket?endpoint=...`, `s3+embedded://`).
//! - A plan's `mixed` operation runs a weighted random mix of get/head/put/delete
//!   ([`MixWeights`], warp's 45/30/15/10 by default).
//! - [`EmbeddedS3`] serves an S3-compatible API on a loopback port, so the comparison runs
//!   on a fresh machine.
//! - [`run`] executes a [`Plan`] and returns a [`report_model::StorageReport`]: MiB/s,
//!   operations/s, latency and TTFB percentiles per backend × operation × size, SHA-256
//!   verification of every object read back, ratios between backends, and what was skipped.
//!
//! Everything is written under the plan's run prefix and deleted at the end.

mod backend;
mod body_buffers;
mod embedded;
mod embedded_fs;
mod errors;
mod mix_weights;
mod mixed;
mod operation;
mod plan;
mod runner;
mod tidy;

pub use backend::{Backend, BackendSpec, S3Credentials, minio_url_from_env, open_all};
pub use embedded::EmbeddedS3;
pub use errors::{BoxError, StorageError};
pub use mix_weights::MixWeights;
pub use plan::{Plan, StorageProgress, parse_sizes, payload};
pub use runner::{cleanup, run};

// The report types a run takes and returns, so a caller needs no second dependency.
pub use report_model::{StorageOperation, StorageReport};
