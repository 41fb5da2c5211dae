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
//!   [`MetricSet`] into [`Verdict`]s; [`DEFAULT_THRESHOLDS`] are the old suite's KPIs.
//! - [`compare`] compares two runs metric by metric with a [`Tolerance`] and a Mann–Whitney
//!   U test where samples allow.
//! - [`render`] turns a report into JSON, JUnit XML, k6 summary, metrics text or Markdown;
//!   [`write_atomic`] puts it on disk without ever leaving a truncated file.
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

mod atomic;
mod compare;
mod db;
mod error_text;
mod errors;
mod gate;
mod histogram;
mod history;
mod identity;
mod leftovers;
mod legacy;
mod load;
mod memory;
mod meta;
mod metrics;
mod render;
mod sampler;
mod significance;
mod stat;
mod storage;
mod suite;
mod table;
mod threshold;
mod verdict;
mod workflow;

pub use atomic::{write_atomic, write_atomic_with};
pub use compare::{
    Change, Comparison, ComparisonMethod, MIN_SAMPLES_FOR_TEST, MetricDelta,
    PERCENT_POINTS_TOLERANCE, SIGNIFICANCE_LEVEL, Tolerance, compare, compare_rounds,
};
pub use db::{DbQueriesReport, DbQueryStats};
pub use error_text::error_chain;
pub use errors::ReportError;
pub use gate::{
    DEFAULT_THRESHOLDS, Gate, MIN_GATED_SECONDS, MIN_TAIL_REQUESTS, RunKind, default_thresholds,
    gates_in, is_gated,
};
pub use histogram::{LatencyHistogram, LatencySummary};
pub use history::{DEFAULT_HISTORY_RUNS, History, MIN_HISTORY_RUNS};
pub use identity::{RunIdentity, host_class, target_name_of_url};
pub use leftovers::{Leftover, LeftoverKind, StorageGrowth, parse_service_size};
pub use legacy::{
    automated_portraits_report, load_test_report, memory_profile_report, performance_report,
    storage_integration_report,
};
pub use load::{
    CheckCounts, EndpointReport, ErrorClass, ErrorCount, ExecutorKind, ExecutorSummary,
    GeneratorHealth, LatencyDistribution, LoadReport, LoadTotals, ScenarioReport, SecondStats,
    Traffic, per_second, percent,
};
pub use memory::{MemoryAnalysis, MemoryCycle, MemoryReport, MemorySnapshot};
pub use meta::{HostInfo, RunMeta, Timestamp, new_run_id, redact_url};
pub use metrics::{
    Better, CATALOG, DB_READS_SCENARIO, MetricDef, MetricSet, MetricUnit, MetricValue, lookup,
};
pub use render::{
    RenderFormat, render, render_html, render_junit, render_k6_summary, render_markdown,
    render_metrics_text, to_json,
};
pub use sampler::{
    LeakAnalysis, LeakMetric, NetworkInterfaceStats, ProcessStats, ProcessSummary, SamplePoint,
    SamplerReport, SamplerTarget, SystemStats, TargetExit,
};
pub use significance::{MannWhitney, mann_whitney_u};
pub use stat::{CounterDelta, Stat, quantile_sorted};
pub use storage::{
    BackendRatio, BackendSummary, IntegrityMismatch, IntegrityResult, StorageOperation,
    StorageReport, StorageResult,
};
pub use suite::{RunOutcome, SCHEMA_VERSION, SuiteReport};
pub use table::{Align, Row, Table};
pub use threshold::{Comparator, Threshold, ThresholdResult, evaluate_all};
pub use verdict::Verdict;
pub use workflow::{CleanupSummary, StepFailure, StepStatus, WorkflowReport, WorkflowStep};
