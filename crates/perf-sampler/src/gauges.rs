//! The running statistics one sampling run keeps: the target's process gauges and
//! cumulative counters, the host's gauges, and per-process tracks. Each gauge set records
//! one pair of consecutive readings and turns into its report section at the end.

use std::collections::BTreeMap;

use report_model::sampler::{NetworkInterfaceStats, ProcessStats, SystemStats};
use report_model::stat::CounterDelta;

use crate::collector::{ProcessSnapshot, SystemSnapshot};
use crate::running_stat::RunningStat;

/// Per-process bookkeeping for the `processes` list.
pub(crate) struct ProcessTrack {
    pub(crate) parent_pid: u32,
    pub(crate) name: String,
    pub(crate) first_seen_us: u64,
    pub(crate) exited_at_us: Option<u64>,
    pub(crate) cpu_percent: RunningStat,
    pub(crate) rss_bytes: RunningStat,
}

/// Cumulative counters summed over the target's processes, as per-tick deltas so processes
/// that come and go do not make the sum jump.
#[derive(Default, Clone, Copy)]
pub(crate) struct Counters {
    pub(crate) read_bytes: u64,
    pub(crate) write_bytes: u64,
    pub(crate) read_chars: u64,
    pub(crate) write_chars: u64,
    pub(crate) voluntary: u64,
    pub(crate) involuntary: u64,
    pub(crate) minor_faults: u64,
    pub(crate) major_faults: u64,
}

impl Counters {
    pub(crate) fn of(p: &ProcessSnapshot) -> Counters {
        Counters {
            read_bytes: p.read_bytes,
            write_bytes: p.write_bytes,
            read_chars: p.read_chars,
            write_chars: p.write_chars,
            voluntary: p.voluntary_ctx_switches,
            involuntary: p.involuntary_ctx_switches,
            minor_faults: p.minor_faults,
            major_faults: p.major_faults,
        }
    }

    pub(crate) fn add_delta(&mut self, now: &Counters, before: &Counters) {
        self.read_bytes += now.read_bytes.saturating_sub(before.read_bytes);
        self.write_bytes += now.write_bytes.saturating_sub(before.write_bytes);
        self.read_chars += now.read_chars.saturating_sub(before.read_chars);
        self.write_chars += now.write_chars.saturating_sub(before.write_chars);
        self.voluntary += now.voluntary.saturating_sub(before.voluntary);
        self.involuntary += now.involuntary.saturating_sub(before.involuntary);
        self.minor_faults += now.minor_faults.saturating_sub(before.minor_faults);
        self.major_faults += now.major_faults.saturating_sub(before.major_faults);
    }

    pub(crate) fn sum<'a>(processes: impl Iterator<Item = &'a ProcessSnapshot>) -> Counters {
        let mut total = Counters::default();
        for p in processes {
            total.add_delta(&Counters::of(p), &Counters::default());
        }
        total
    }
}

pub(crate) struct ProcessGauges {
    pub(crate) cpu_percent: RunningStat,
    pub(crate) cpu_percent_normalized: RunningStat,
    pub(crate) rss_bytes: RunningStat,
    pub(crate) vms_bytes: RunningStat,
    pub(crate) uss_bytes: RunningStat,
    pub(crate) pss_bytes: RunningStat,
    pub(crate) memory_percent: RunningStat,
    pub(crate) threads: RunningStat,
    pub(crate) fds: RunningStat,
}

pub(crate) struct InterfaceTrack {
    pub(crate) rx_rate: RunningStat,
    pub(crate) tx_rate: RunningStat,
    pub(crate) rx_bytes: u64,
    pub(crate) tx_bytes: u64,
}

pub(crate) struct SystemGauges {
    pub(crate) cpu_percent: RunningStat,
    pub(crate) per_core: Vec<RunningStat>,
    pub(crate) memory_used_percent: RunningStat,
    pub(crate) memory_available_bytes: RunningStat,
    pub(crate) swap_used_bytes: RunningStat,
    pub(crate) load_average_1m: RunningStat,
    pub(crate) disk_read_rate: RunningStat,
    pub(crate) disk_write_rate: RunningStat,
    pub(crate) interfaces: BTreeMap<String, InterfaceTrack>,
    pub(crate) memory_total_bytes: u64,
}

/// What the target's processes added up to in one reading.
pub(crate) struct ProcessReading {
    /// CPU, % of one core, over the pids present in both readings.
    pub(crate) cpu_percent: f64,
    pub(crate) rss_bytes: u64,
    pub(crate) vms_bytes: u64,
    pub(crate) uss_bytes: Option<u64>,
    pub(crate) pss_bytes: Option<u64>,
    pub(crate) fds: u64,
    pub(crate) threads: u64,
}

impl ProcessGauges {
    pub(crate) fn new() -> ProcessGauges {
        let percent = || RunningStat::new(100.0);
        let bytes = || RunningStat::new(1.0);
        ProcessGauges {
            cpu_percent: percent(),
            cpu_percent_normalized: percent(),
            rss_bytes: bytes(),
            vms_bytes: bytes(),
            uss_bytes: bytes(),
            pss_bytes: bytes(),
            memory_percent: percent(),
            threads: bytes(),
            fds: bytes(),
        }
    }

    /// Records one reading of a live target on a host of `logical_cores` and
    /// `memory_total_bytes`.
    pub(crate) fn record(
        &mut self,
        reading: &ProcessReading,
        logical_cores: f64,
        memory_total_bytes: u64,
    ) {
        self.cpu_percent.record(reading.cpu_percent);
        self.cpu_percent_normalized
            .record(reading.cpu_percent / logical_cores);
        self.rss_bytes.record(reading.rss_bytes as f64);
        self.vms_bytes.record(reading.vms_bytes as f64);
        if let (Some(uss), Some(pss)) = (reading.uss_bytes, reading.pss_bytes) {
            self.uss_bytes.record(uss as f64);
            self.pss_bytes.record(pss as f64);
        }
        let total_memory = memory_total_bytes.max(1) as f64;
        self.memory_percent
            .record(reading.rss_bytes as f64 * 100.0 / total_memory);
        self.threads.record(reading.threads as f64);
        self.fds.record(reading.fds as f64);
    }

    /// The report section, with the counters from `first` plus `delta` over `elapsed_secs`;
    /// `None` when no reading was recorded.
    pub(crate) fn to_stats(
        &self,
        collect_uss: bool,
        first: Counters,
        delta: Counters,
        elapsed_secs: f64,
    ) -> Option<ProcessStats> {
        let counter =
            |first: u64, delta: u64| CounterDelta::new(first, first + delta, elapsed_secs);
        let (f, d) = (first, delta);
        (!self.cpu_percent.is_empty()).then(|| ProcessStats {
            cpu_percent: self.cpu_percent.to_stat(),
            cpu_percent_normalized: self.cpu_percent_normalized.to_stat(),
            rss_bytes: self.rss_bytes.to_stat(),
            vms_bytes: self.vms_bytes.to_stat(),
            uss_bytes: collect_uss.then(|| self.uss_bytes.to_stat()),
            pss_bytes: collect_uss.then(|| self.pss_bytes.to_stat()),
            memory_percent: self.memory_percent.to_stat(),
            threads: self.threads.to_stat(),
            fds: self.fds.to_stat(),
            read_bytes: counter(f.read_bytes, d.read_bytes),
            write_bytes: counter(f.write_bytes, d.write_bytes),
            read_chars: counter(f.read_chars, d.read_chars),
            write_chars: counter(f.write_chars, d.write_chars),
            voluntary_ctx_switches: counter(f.voluntary, d.voluntary),
            involuntary_ctx_switches: counter(f.involuntary, d.involuntary),
            minor_faults: counter(f.minor_faults, d.minor_faults),
            major_faults: counter(f.major_faults, d.major_faults),
        })
    }
}

/// What the host did between two readings.
pub(crate) struct HostReading {
    pub(crate) cpu_percent: f64,
    pub(crate) memory_used_percent: f64,
    pub(crate) disk_read_bytes_per_sec: f64,
    pub(crate) disk_write_bytes_per_sec: f64,
}

impl SystemGauges {
    /// Gauges for the host of the first reading.
    pub(crate) fn new(first: &SystemSnapshot) -> SystemGauges {
        let percent = || RunningStat::new(100.0);
        let bytes = || RunningStat::new(1.0);
        SystemGauges {
            cpu_percent: percent(),
            per_core: first.per_core.iter().map(|_| percent()).collect(),
            memory_used_percent: percent(),
            memory_available_bytes: bytes(),
            swap_used_bytes: bytes(),
            load_average_1m: percent(),
            disk_read_rate: bytes(),
            disk_write_rate: bytes(),
            interfaces: BTreeMap::new(),
            memory_total_bytes: first.memory_total_bytes,
        }
    }

    /// Records the host between `before` and `now`, `elapsed_secs` apart.
    pub(crate) fn record(
        &mut self,
        now: &SystemSnapshot,
        before: &SystemSnapshot,
        elapsed_secs: f64,
    ) -> HostReading {
        let cpu_percent = now.cpu.busy_percent_since(before.cpu);
        self.cpu_percent.record(cpu_percent);
        for ((stat, core), then) in self
            .per_core
            .iter_mut()
            .zip(&now.per_core)
            .zip(&before.per_core)
        {
            stat.record(core.busy_percent_since(*then));
        }
        let memory_used_percent = if now.memory_total_bytes == 0 {
            0.0
        } else {
            now.memory_total_bytes
                .saturating_sub(now.memory_available_bytes) as f64
                * 100.0
                / now.memory_total_bytes as f64
        };
        self.memory_used_percent.record(memory_used_percent);
        self.memory_available_bytes
            .record(now.memory_available_bytes as f64);
        self.swap_used_bytes
            .record(now.swap_total_bytes.saturating_sub(now.swap_free_bytes) as f64);
        self.load_average_1m.record(now.load_average_1m);
        let rate = |now: u64, then: u64| now.saturating_sub(then) as f64 / elapsed_secs;
        let disk_read = rate(now.disk_read_bytes, before.disk_read_bytes);
        let disk_write = rate(now.disk_write_bytes, before.disk_write_bytes);
        self.disk_read_rate.record(disk_read);
        self.disk_write_rate.record(disk_write);
        for interface in &now.network {
            let Some(then) = before.network.iter().find(|i| i.name == interface.name) else {
                continue;
            };
            let track = self
                .interfaces
                .entry(interface.name.clone())
                .or_insert_with(|| InterfaceTrack {
                    rx_rate: RunningStat::new(1.0),
                    tx_rate: RunningStat::new(1.0),
                    rx_bytes: 0,
                    tx_bytes: 0,
                });
            track
                .rx_rate
                .record(rate(interface.rx_bytes, then.rx_bytes));
            track
                .tx_rate
                .record(rate(interface.tx_bytes, then.tx_bytes));
            track.rx_bytes += interface.rx_bytes.saturating_sub(then.rx_bytes);
            track.tx_bytes += interface.tx_bytes.saturating_sub(then.tx_bytes);
        }
        HostReading {
            cpu_percent,
            memory_used_percent,
            disk_read_bytes_per_sec: disk_read,
            disk_write_bytes_per_sec: disk_write,
        }
    }

    /// The report section.
    pub(crate) fn to_stats(&self) -> SystemStats {
        SystemStats {
            cpu_percent: self.cpu_percent.to_stat(),
            per_core_cpu_percent: self.per_core.iter().map(RunningStat::to_stat).collect(),
            memory_total_bytes: self.memory_total_bytes,
            memory_used_percent: self.memory_used_percent.to_stat(),
            memory_available_bytes: self.memory_available_bytes.to_stat(),
            swap_used_bytes: self.swap_used_bytes.to_stat(),
            load_average_1m: self.load_average_1m.to_stat(),
            disk_read_bytes_per_sec: self.disk_read_rate.to_stat(),
            disk_write_bytes_per_sec: self.disk_write_rate.to_stat(),
            network: self
                .interfaces
                .iter()
                .map(|(name, track)| NetworkInterfaceStats {
                    name: name.clone(),
                    loopback: name == "lo",
                    rx_bytes_per_sec: track.rx_rate.to_stat(),
                    tx_bytes_per_sec: track.tx_rate.to_stat(),
                    rx_bytes: track.rx_bytes,
                    tx_bytes: track.tx_bytes,
                })
                .collect(),
        }
    }
}
