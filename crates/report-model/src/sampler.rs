//! [`SamplerReport`]: what the server process and the host cost during a run.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{CounterDelta, Stat, Verdict};

/// Resource usage of the watched process(es) and the host over a sampling window.
///
/// CPU figures never include the first reading of a process: a CPU percentage needs two
/// readings, and the first one alone is meaningless (the old suite reported it as 0 %).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SamplerReport {
    /// Schema version of this section, [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What was watched.
    pub target: SamplerTarget,
    /// Requested interval between samples, microseconds.
    pub interval_us: u64,
    /// When sampling started, UTC.
    pub started_at: Timestamp,
    /// How long sampling ran, microseconds.
    pub duration_us: u64,
    /// Samples taken.
    pub n_samples: u64,
    /// Ticks that could not be taken on time (the sampler fell behind).
    pub n_missed_ticks: u64,
    /// The target processes summed (a parent and its children), when any was seen.
    pub process: Option<ProcessStats>,
    /// Each process seen, for targets that include descendants.
    pub processes: Vec<ProcessSummary>,
    /// Host-wide figures.
    pub system: SystemStats,
    /// Bounded time series; each point may merge several samples (see `n_merged`).
    pub series: Vec<SamplePoint>,
    /// Leak analysis of the target's memory, fds and threads, when enough samples exist.
    pub leak: Option<LeakAnalysis>,
    /// Set when the target process exited before sampling stopped.
    pub target_exit: Option<TargetExit>,
}

/// What the shards of a merged run that ran on one host saw of the processes they watched.
/// Shards on one host watch the same processes over nearly the same window, and their views
/// do not add up: the longest one is kept (`sampled_by`), never a sum or a mean of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostSamplers {
    /// The host name (`unknown` when the shards did not know it).
    pub host: String,
    /// The shards that ran on this host, counted from 1.
    pub shards: Vec<u32>,
    /// The shard whose view is kept: the one that sampled longest, the lowest on a tie.
    pub sampled_by: Option<u32>,
    /// The service's process, as that shard saw it.
    pub sampler: Option<SamplerReport>,
    /// The storage server's process, as that shard saw it.
    pub storage_server: Option<SamplerReport>,
}

/// Description of the sampled target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SamplerTarget {
    /// How the target was chosen, e.g. `pid 1234 with children`, `port 8000`.
    pub description: String,
    /// The root process id.
    pub pid: Option<u32>,
    /// Whether descendants were included.
    pub include_children: bool,
    /// Whether USS/PSS (from `smaps_rollup`) were collected.
    pub uss_enabled: bool,
}

/// Process-level figures, summed over the target's processes at each sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProcessStats {
    /// CPU use, 100 = one core fully busy.
    pub cpu_percent: Stat,
    /// CPU use normalised to all logical cores, 100 = the whole machine.
    pub cpu_percent_normalized: Stat,
    /// Resident set size, bytes.
    pub rss_bytes: Stat,
    /// Virtual memory size, bytes.
    pub vms_bytes: Stat,
    /// Unique set size, bytes (only when enabled).
    pub uss_bytes: Option<Stat>,
    /// Proportional set size, bytes (only when enabled).
    pub pss_bytes: Option<Stat>,
    /// RSS as a percentage of host memory.
    pub memory_percent: Stat,
    /// Thread count.
    pub threads: Stat,
    /// Open file descriptors.
    pub fds: Stat,
    /// Bytes read from storage.
    pub read_bytes: CounterDelta,
    /// Bytes written to storage.
    pub write_bytes: CounterDelta,
    /// Bytes read through any read syscall (`rchar`).
    pub read_chars: CounterDelta,
    /// Bytes written through any write syscall (`wchar`).
    pub write_chars: CounterDelta,
    /// Voluntary context switches.
    pub voluntary_ctx_switches: CounterDelta,
    /// Involuntary context switches.
    pub involuntary_ctx_switches: CounterDelta,
    /// Minor page faults.
    pub minor_faults: CounterDelta,
    /// Major page faults.
    pub major_faults: CounterDelta,
}

/// One process of the target, when descendants are included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProcessSummary {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub parent_pid: Option<u32>,
    /// Short command name.
    pub name: String,
    /// When it was first seen, microseconds since sampling started.
    pub first_seen_us: u64,
    /// When it was found gone, microseconds since sampling started.
    pub exited_at_us: Option<u64>,
    /// CPU use, 100 = one core.
    pub cpu_percent: Stat,
    /// Resident set size, bytes.
    pub rss_bytes: Stat,
}

/// Host-wide figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SystemStats {
    /// Total CPU busy, 100 = every core busy.
    pub cpu_percent: Stat,
    /// Busy percentage per logical core.
    pub per_core_cpu_percent: Vec<Stat>,
    /// Total memory, bytes.
    pub memory_total_bytes: u64,
    /// Used memory as a percentage of total.
    pub memory_used_percent: Stat,
    /// Available memory, bytes.
    pub memory_available_bytes: Stat,
    /// Swap in use, bytes.
    pub swap_used_bytes: Stat,
    /// One-minute load average.
    pub load_average_1m: Stat,
    /// Disk read rate, bytes per second.
    pub disk_read_bytes_per_sec: Stat,
    /// Disk write rate, bytes per second.
    pub disk_write_bytes_per_sec: Stat,
    /// Network rates per interface; loopback is flagged, never summed with the others.
    pub network: Vec<NetworkInterfaceStats>,
}

/// Network traffic of one interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NetworkInterfaceStats {
    /// Interface name.
    pub name: String,
    /// True for the loopback interface.
    pub loopback: bool,
    /// Receive rate, bytes per second.
    pub rx_bytes_per_sec: Stat,
    /// Transmit rate, bytes per second.
    pub tx_bytes_per_sec: Stat,
    /// Bytes received during the window.
    pub rx_bytes: u64,
    /// Bytes sent during the window.
    pub tx_bytes: u64,
}

/// One point of the bounded series. Once the series is full, neighbouring points merge:
/// gauges keep their mean (CPU) or maximum (memory, fds, threads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SamplePoint {
    /// Microseconds since sampling started (start of the bucket).
    pub t_us: u64,
    /// Samples merged into this point.
    pub n_merged: u32,
    /// Target CPU, 100 = one core (mean over the bucket).
    pub cpu_percent: f64,
    /// Target RSS, bytes (max over the bucket).
    pub rss_bytes: u64,
    /// Target USS, bytes (max over the bucket), when enabled.
    pub uss_bytes: Option<u64>,
    /// Target open fds (max).
    pub fds: u64,
    /// Target threads (max).
    pub threads: u64,
    /// Host CPU busy, 100 = every core (mean).
    pub system_cpu_percent: f64,
    /// Host memory used, percent (mean).
    pub system_memory_used_percent: f64,
    /// Work done so far as reported by the caller (e.g. requests completed), when supplied.
    pub work_done: Option<u64>,
}

/// Which memory figure a leak analysis used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeakMetric {
    /// Unique set size (preferred: not inflated by shared libraries).
    Uss,
    /// Resident set size (when USS is not collected).
    Rss,
}

/// Trend analysis of memory, fds and threads after a warm-up window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LeakAnalysis {
    /// The memory figure analysed.
    pub metric: LeakMetric,
    /// Warm-up dropped from the start, microseconds.
    pub warmup_us: u64,
    /// Points the fit used.
    pub n_points: u64,
    /// Fitted growth over the analysed window, bytes (slope × window).
    pub growth_bytes: f64,
    /// Fitted slope, bytes per second.
    pub slope_bytes_per_sec: f64,
    /// Lower bound of the slope's 95 % confidence interval, bytes per second.
    pub slope_ci_low_bytes_per_sec: f64,
    /// Upper bound of the slope's 95 % confidence interval, bytes per second.
    pub slope_ci_high_bytes_per_sec: f64,
    /// Growth per 1000 operations of work, bytes, when work counters were supplied.
    pub bytes_per_1000_ops: Option<f64>,
    /// Coefficient of determination of the fit.
    pub r_squared: f64,
    /// Slope of the open fd count, per minute.
    pub fds_per_min: f64,
    /// Slope of the thread count, per minute.
    pub threads_per_min: f64,
    /// Fitted growth projected over an hour (or the window, when longer), bytes.
    #[serde(default)]
    pub projected_growth_bytes: f64,
    /// Pass, Warn or Fail; ignored when [`LeakAnalysis::inconclusive`] is set.
    pub verdict: Verdict,
    /// Why the check could not judge (the workload was not steady), when it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<String>,
    /// Why, in one sentence with the numbers.
    pub reason: String,
}

impl LeakAnalysis {
    /// The verdict, or `None` when the check is inconclusive (it then judges nothing).
    pub fn judged(&self) -> Option<Verdict> {
        self.inconclusive.is_none().then_some(self.verdict)
    }

    /// `pass`, `warn`, `fail` or `inconclusive`.
    pub fn verdict_label(&self) -> &'static str {
        self.judged().map_or("inconclusive", Verdict::as_str)
    }
}

/// The target process went away during sampling.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetExit {
    /// The process that exited.
    pub pid: u32,
    /// When it was found gone, microseconds since sampling started.
    pub at_us: u64,
}
