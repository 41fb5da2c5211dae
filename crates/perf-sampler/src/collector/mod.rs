//! One reading of the target processes and the host: [`Collector::sample`] returns a
//! [`Snapshot`] of raw counters and gauges. Turning two snapshots into rates is the
//! sampler's job.

#[cfg(target_os = "linux")]
mod linux;

use std::time::Instant;

use crate::SamplerError;

/// Raw figures of one process at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessSnapshot {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub parent_pid: u32,
    /// Command name.
    pub name: String,
    /// User + system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// Virtual memory size, bytes.
    pub vms_bytes: u64,
    /// Unique set size, bytes, when collected.
    pub uss_bytes: Option<u64>,
    /// Proportional set size, bytes, when collected.
    pub pss_bytes: Option<u64>,
    /// Threads.
    pub threads: u64,
    /// Open file descriptors.
    pub fds: u64,
    /// Bytes read from storage.
    pub read_bytes: u64,
    /// Bytes written to storage.
    pub write_bytes: u64,
    /// Bytes read through read syscalls.
    pub read_chars: u64,
    /// Bytes written through write syscalls.
    pub write_chars: u64,
    /// Voluntary context switches.
    pub voluntary_ctx_switches: u64,
    /// Involuntary context switches.
    pub involuntary_ctx_switches: u64,
    /// Minor page faults.
    pub minor_faults: u64,
    /// Major page faults.
    pub major_faults: u64,
}

/// CPU time of the whole machine or one core, in clock ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTicks {
    /// Ticks not idle (idle and iowait excluded).
    pub busy: u64,
    /// All ticks.
    pub total: u64,
}

impl CpuTicks {
    /// Busy percentage between two readings (100 = fully busy).
    pub fn busy_percent_since(self, earlier: CpuTicks) -> f64 {
        let total = self.total.saturating_sub(earlier.total);
        if total == 0 {
            0.0
        } else {
            self.busy.saturating_sub(earlier.busy) as f64 * 100.0 / total as f64
        }
    }
}

/// Cumulative traffic of one network interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Interface name.
    pub name: String,
    /// Bytes received since boot.
    pub rx_bytes: u64,
    /// Bytes sent since boot.
    pub tx_bytes: u64,
}

/// Raw host figures at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SystemSnapshot {
    /// All cores together.
    pub cpu: CpuTicks,
    /// Each logical core.
    pub per_core: Vec<CpuTicks>,
    /// Total memory, bytes.
    pub memory_total_bytes: u64,
    /// Available memory, bytes.
    pub memory_available_bytes: u64,
    /// Total swap, bytes.
    pub swap_total_bytes: u64,
    /// Free swap, bytes.
    pub swap_free_bytes: u64,
    /// One-minute load average.
    pub load_average_1m: f64,
    /// Bytes read from whole disks since boot.
    pub disk_read_bytes: u64,
    /// Bytes written to whole disks since boot.
    pub disk_write_bytes: u64,
    /// Per interface traffic, loopback included (named `lo`).
    pub network: Vec<InterfaceCounters>,
}

/// One reading of everything.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When the reading was taken.
    pub taken_at: Instant,
    /// The target and, when asked, its descendants that were alive. Empty once the target
    /// has exited.
    pub processes: Vec<ProcessSnapshot>,
    /// Pids that were watched and are now gone.
    pub exited: Vec<u32>,
    /// Host figures.
    pub system: SystemSnapshot,
}

/// What a [`Collector`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectorOptions {
    /// Include descendants of the root process.
    pub include_children: bool,
    /// Read `smaps_rollup` for USS/PSS.
    pub collect_uss: bool,
}

/// Reads process and system figures, keeping the `/proc` files it reads every tick open and
/// re-reading them from offset 0.
pub struct Collector {
    #[cfg(target_os = "linux")]
    inner: linux::LinuxCollector,
}

impl Collector {
    /// Prepares to read `root_pid` (and descendants when asked). Fails when the process does
    /// not exist or may not be read.
    pub fn new(root_pid: u32, options: CollectorOptions) -> Result<Collector, SamplerError> {
        #[cfg(target_os = "linux")]
        {
            Ok(Collector {
                inner: linux::LinuxCollector::new(root_pid, options)?,
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (root_pid, options);
            Err(SamplerError::Unsupported {
                os: std::env::consts::OS,
            })
        }
    }

    /// Takes one reading.
    pub fn sample(&mut self) -> Result<Snapshot, SamplerError> {
        #[cfg(target_os = "linux")]
        {
            self.inner.sample()
        }
        #[cfg(not(target_os = "linux"))]
        {
            unreachable!("a Collector cannot be built on this system")
        }
    }

    /// Clock ticks per second, to turn [`ProcessSnapshot::cpu_ticks`] into seconds.
    pub fn ticks_per_second(&self) -> u64 {
        #[cfg(target_os = "linux")]
        {
            self.inner.ticks_per_second()
        }
        #[cfg(not(target_os = "linux"))]
        {
            100
        }
    }
}

/// Finds the pid a [`crate::ProcessTarget`] names.
pub fn resolve_target(target: &crate::ProcessTarget) -> Result<u32, SamplerError> {
    #[cfg(target_os = "linux")]
    {
        linux::resolve_target(target)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = target;
        Err(SamplerError::Unsupported {
            os: std::env::consts::OS,
        })
    }
}
