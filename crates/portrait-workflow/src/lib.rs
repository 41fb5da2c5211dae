//! The Vertex AR side of vertex-perf: a typed client for every endpoint of the contract, test
//! data, the end-to-end portrait workflow and the load scenarios of the old suite.
//!
//! # Brief overview
//!
//! - [`VertexClient`] wraps load-engine's instrumented [`load_engine::Client`], so every call
//!   is measured by the same machinery as load; errors are [`ApiError`]s carrying the status,
//!   content type and `detail`.
//! - [`TestData`] makes valid JPEG portraits, video payloads, and names and phones unique per
//!   run.
//! - [`run_workflow`] walks the ten steps (with stricter rules), verifies stored files by
//!   SHA-256, and deletes what it created; it returns a [`report_model::WorkflowReport`].
//! - [`ServiceStore`] is the service seen as an `object_store::ObjectStore` (put is an
//!   order upload, get a `/storage` download), so storage-bench measures "through the
//!   service" without depending on this crate.
//! - [`time_direct_reads`] times the service's list/detail queries on its SQLite file,
//!   read-only.
//! - [`scenarios`] holds the order-creation, read-mix and stress scenarios for load-engine.
//!
//! The client is written against the contract, not against vertex-sim: nothing in it relies
//! on a behaviour the contract does not state.

mod client;
mod data;
mod direct_db;
mod errors;
mod ledger;
pub mod scenarios;
mod service_store;
mod service_target;
mod workflow;

pub use client::{
    ClientRecord, LOGIN_RETRY_AFTER_CAP, Order, Portrait, PortraitDetails, Upload, VertexClient,
    Video, storage_url_path,
};
pub use data::{TestData, jpeg, pseudo_random};
pub use direct_db::time_direct_reads;
pub use errors::ApiError;
pub use ledger::Ledger;
pub use service_store::ServiceStore;
pub use service_target::{ServiceTarget, health_check, log_in};
pub use workflow::{WorkflowConfig, WorkflowOutcome, delete_created, run_workflow};

// The report a walk returns, so a caller needs no second dependency.
pub use report_model::WorkflowReport;
