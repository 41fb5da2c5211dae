//! psutil-grade monitoring of a server process and its host, with bounded memory and a
//! leak verdict.
//!
//! # Brief overview
//!
//! - [`Sampler::start`] resolves a [`ProcessTarget`] (a pid, a process name, or the listener on a
//!   TCP port), takes a priming reading and samples on a background thread every
//!   [`SamplerConfig::interval`]; [`SamplerHandle::stop`] returns a
//!   [`report_model::SamplerReport`]; [`SamplerHandle::live`] streams [`LiveSample`]s.
//! - [`Collector`] takes one reading ([`Snapshot`]); the sampler and benchmarks use it.
//! - [`MemoryProbe`] takes labelled memory snapshots on demand; [`MemoryCycles`] keeps the
//!   snapshots of repeated identical workload cycles and [`analyze_cycles`] judges their
//!   growth as a leak verdict.
//! - [`host_info`] describes the machine.
//!
//! Choices nobody could guess from the code alone:
//!
//! - A CPU percentage needs two readings, so the priming reading is never reported.
//! - The `/proc` files read every tick stay open and are re-read from offset 0.
//! - Statistics are streaming (exact min/max/mean/last, p50/p95 from an HdrHistogram) and the
//!   series is bounded ([`SamplerConfig::max_series_points`]): an hour at 10 ms holds no more
//!   than a minute.
//! - Counters of a parent and its children are summed as per-tick deltas, so a worker that
//!   restarts does not make totals jump or go backwards.
//! - Leaks are judged by a Theil–Sen slope after a warm-up, with a confidence interval.
//!
//! Linux only for now: other systems get [`SamplerError::Unsupported`].
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use perf_sampler::{Sampler, SamplerConfig, ProcessTarget};
//!
//! let mut config = SamplerConfig::new(ProcessTarget::Port(8000));
//! config.include_children = true;
//! config.duration = Some(Duration::from_secs(30));
//! let handle = Sampler::start(config)?;
//! // ... drive load at the server ...
//! let report = handle.stop()?;
//! if let Some(process) = &report.process {
//!     println!("server CPU mean {:.1}% of a core", process.cpu_percent.mean);
//! }
//! # Ok::<(), perf_sampler::SamplerError>(())
//! ```

mod collector;
mod config;
mod errors;
mod gauges;
mod host;
mod leak;
mod memory_cycles;
mod memory_probe;
mod running_stat;
mod sampler;
mod series;

pub use collector::{
    Collector, CollectorOptions, CpuTicks, InterfaceCounters, ProcessSnapshot, Snapshot,
    SystemSnapshot, resolve_target,
};
pub use config::{LeakThresholds, ProcessTarget, SamplerConfig, Workload};
pub use errors::SamplerError;
pub use host::host_info;
pub use memory_cycles::MemoryCycles;
pub use memory_probe::{MemoryProbe, analyze_cycles};
pub use sampler::{LiveSample, Sampler, SamplerHandle};

// The report types the sampler returns, so a caller needs no second dependency.
pub use report_model::{MemoryReport, SamplerReport};
