//! [`MemoryReport`]: labelled snapshots of the server around each phase and the leak verdict
//! over repeated identical workload cycles.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

use crate::LeakAnalysis;

/// Memory snapshots and the leak verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemoryReport {
    /// Schema version of this section, [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Labelled snapshots in the order taken.
    pub snapshots: Vec<MemorySnapshot>,
    /// The repeated workload cycles.
    pub cycles: Vec<MemoryCycle>,
    /// Trend analysis over the cycles.
    pub leak: Option<LeakAnalysis>,
    /// The cycles' requests over time, for the time charts.
    #[serde(default)]
    pub traffic: Vec<crate::Traffic>,
}

impl MemoryReport {
    /// The old suite's `analysis` block, derived from the snapshots.
    pub fn analysis(&self) -> MemoryAnalysis {
        let rss: Vec<u64> = self.snapshots.iter().map(|s| s.rss_bytes).collect();
        let (Some(&initial), Some(&last)) = (rss.first(), rss.last()) else {
            return MemoryAnalysis::default();
        };
        MemoryAnalysis {
            initial_bytes: initial,
            final_bytes: last,
            peak_bytes: rss.iter().copied().max().unwrap_or(0),
            increase_bytes: last.cast_signed() - initial.cast_signed(),
            average_bytes: rss.iter().sum::<u64>() as f64 / rss.len() as f64,
        }
    }
}

/// One labelled snapshot of the server process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemorySnapshot {
    /// Label, e.g. `before_load`.
    pub label: String,
    /// When, UTC.
    pub at: Timestamp,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// Virtual memory size, bytes.
    pub vms_bytes: u64,
    /// Unique set size, bytes, when collected.
    pub uss_bytes: Option<u64>,
    /// RSS as a percentage of host memory.
    pub memory_percent: f64,
    /// Open file descriptors.
    pub open_files: u64,
    /// Threads.
    pub threads: u64,
}

/// One workload cycle of the leak check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemoryCycle {
    /// 1-based cycle number.
    pub index: u32,
    /// Operations performed in the cycle.
    pub operations: u64,
    /// RSS after the cycle, bytes.
    pub rss_bytes_after: u64,
    /// USS after the cycle, bytes, when collected.
    pub uss_bytes_after: Option<u64>,
    /// Open file descriptors after the cycle.
    #[serde(default)]
    pub open_files_after: u64,
    /// Threads after the cycle.
    #[serde(default)]
    pub threads_after: u64,
    /// Wall time of the cycle, microseconds.
    #[serde(default)]
    pub duration_us: u64,
}

/// First/last/peak/average of the snapshots (the old suite's `analysis`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MemoryAnalysis {
    /// RSS of the first snapshot.
    pub initial_bytes: u64,
    /// RSS of the last snapshot.
    pub final_bytes: u64,
    /// Highest RSS.
    pub peak_bytes: u64,
    /// Last minus first (negative when memory was released).
    pub increase_bytes: i64,
    /// Mean RSS.
    pub average_bytes: f64,
}
