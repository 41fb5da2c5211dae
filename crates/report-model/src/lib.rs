//! Report types, thresholds, baseline comparison and renderers for vertex-perf.
//!
//! This crate is data only: it knows every serialised format of the project and does no
//! network or async I/O (it does write files, atomically). Every other crate of the tool
//! produces its results as these types.
//!
//! # Brief overview
//!
//! - [`SuiteReport`] is the top-level document (`suite.json`) with optional sections:
//!   [`SamplerReport`], [`LoadReport`], [`StorageReport`], [`WorkflowReport`],
//!   [`MemoryReport`], all carrying [`SCHEMA_VERSION`].
//! - [`LatencyHistogram`] is a lossless, mergeable latency distribution (HdrHistogram V2).
//! - [`Threshold`] parses expressions like `http.p95 < 500ms acceptable 2s` and judges a
//!   [`MetricSet`] into [`Verdict`]s; [`gate::DEFAULT_THRESHOLDS`] are the old suite's KPIs.
//! - [`compare()`] compares two runs metric by metric with a [`compare::Tolerance`] and a Mann–Whitney
//!   U test where samples allow.
//! - [`render()`] turns a report into JSON, JUnit XML, k6 summary, metrics text, Markdown or
//!   HTML; [`write_atomic`] puts it on disk without ever leaving a truncated file.
//!
//! The root holds the names most callers need; the rest is grouped by section in the public
//! modules: [`load`], [`storage`], [`sampler`], [`memory`], [`workflow`], [`db`],
//! [`leftovers`] (one per report section), [`mod@compare`], [`gate`], [`threshold`],
//! [`history`] (judging), [`metrics`], [`histogram`], [`stat`] (figures), [`mod@render`],
//! [`legacy`] (the old suite's files), [`table`], [`meta`], [`identity`] and [`atomic`].
//!
//! # Example
//!
//! ```
//! use report_model::{LatencyHistogram, MetricSet, Threshold, Verdict};
//!
//! let mut histogram = LatencyHistogram::new();
//! for latency_us in [120_000, 180_000, 650_000] {
//!     histogram.record_us(latency_us);
//! }
//! let mut metrics = MetricSet::new();
//! metrics.insert("http.p95", histogram.summary().p95_us as f64);
//!
//! let threshold: Threshold = "http.p95 < 500ms acceptable 2s".parse()?;
//! assert_eq!(threshold.evaluate(&metrics).verdict, Some(Verdict::Warn));
//! # Ok::<(), report_model::ReportError>(())
//! ```

pub mod atomic;
pub mod compare;
pub mod db;
mod error_text;
mod errors;
pub mod gate;
pub mod histogram;
pub mod history;
pub mod identity;
pub mod leftovers;
pub mod legacy;
pub mod load;
pub mod memory;
pub mod merge;
pub mod meta;
pub mod metrics;
pub mod render;
pub mod sampler;
pub mod shard;
mod significance;
pub mod stat;
pub mod storage;
mod suite;
pub mod table;
pub mod threshold;
mod verdict;
pub mod workflow;

pub use atomic::write_atomic;
pub(crate) use compare::MetricDelta;
pub use compare::{Comparison, compare};
pub(crate) use db::DbQueriesReport;
pub use error_text::error_chain;
pub use errors::ReportError;
pub(crate) use gate::is_gated;
pub use gate::{Gate, RunKind};
pub use histogram::LatencyHistogram;
pub(crate) use histogram::LatencySummary;
pub use history::History;
pub use identity::{RunIdentity, is_local_url, target_name_of_url};
pub(crate) use leftovers::{Leftover, StorageGrowth};
pub(crate) use load::{
    EndpointReport, ErrorCount, LatencyDistribution, SecondStats, Traffic, percent,
};
pub use load::{ErrorClass, LoadReport, ScenarioReport};
pub use memory::MemoryReport;
pub(crate) use meta::{HostInfo, Timestamp};
pub use meta::{RunMeta, redact_url};
pub(crate) use metrics::DB_READS_SCENARIO;
pub use metrics::{MetricSet, MetricUnit};
pub(crate) use render::to_json;
pub use render::{RenderFormat, render};
pub(crate) use sampler::LeakAnalysis;
pub use sampler::SamplerReport;
pub(crate) use stat::{CounterDelta, Stat};
pub use storage::{StorageOperation, StorageReport};
pub use suite::{RunOutcome, SCHEMA_VERSION, SuiteReport};
pub(crate) use table::{Align, Table};
pub use threshold::Threshold;
pub(crate) use threshold::{ThresholdResult, evaluate_all};
pub use verdict::Verdict;
pub use workflow::WorkflowReport;
pub(crate) use workflow::{StepFailure, StepStatus};
