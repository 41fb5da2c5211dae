//! [`Sampler`]: a background thread that reads the target every interval, turns consecutive
//! [`Snapshot`]s into rates, keeps bounded statistics and a bounded series, and streams
//! [`LiveSample`]s for progress displays.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use report_model::{
    CounterDelta, LeakMetric, NetworkInterfaceStats, ProcessStats, ProcessSummary, SCHEMA_VERSION,
    SamplePoint, SamplerReport, SamplerTarget, SystemStats, TargetExit, Timestamp,
};

use crate::collector::{Collector, CollectorOptions, ProcessSnapshot, Snapshot, resolve_target};
use crate::leak;
use crate::running_stat::RunningStat;
use crate::series::BoundedSeries;
use crate::{ProcessTarget, SamplerConfig, SamplerError};

/// Live samples buffered for a slow reader; older ones are dropped, never queued without
/// bound.
const LIVE_BUFFER: usize = 64;

/// One sample for progress displays.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSample {
    /// Time since sampling started.
    pub elapsed: Duration,
    /// Target CPU, 100 = one core; `None` once the target is gone.
    pub cpu_percent: Option<f64>,
    /// Target RSS, bytes.
    pub rss_bytes: u64,
    /// Target USS, bytes, when collected.
    pub uss_bytes: Option<u64>,
    /// Target open fds.
    pub fds: u64,
    /// Target threads.
    pub threads: u64,
    /// Processes summed.
    pub processes: usize,
    /// Host CPU busy, 100 = every core.
    pub system_cpu_percent: f64,
    /// Host disk read rate, bytes per second.
    pub disk_read_bytes_per_sec: f64,
    /// Host disk write rate, bytes per second.
    pub disk_write_bytes_per_sec: f64,
    /// Target storage write rate, bytes per second.
    pub process_write_bytes_per_sec: f64,
}

/// Starts sampling. See [`SamplerHandle`] for stopping.
pub struct Sampler;

impl Sampler {
    /// Resolves the target, takes the first (priming) reading and starts the background
    /// thread. Errors when the target cannot be found or read.
    pub fn start(config: SamplerConfig) -> Result<SamplerHandle, SamplerError> {
        config.validate()?;
        let pid = resolve_target(&config.target)?;
        let options = CollectorOptions {
            include_children: config.include_children,
            collect_uss: config.collect_uss,
        };
        let mut collector = Collector::new(pid, options)?;
        let first = collector.sample()?;
        let (stop_tx, stop_rx) = mpsc::channel();
        let (live_tx, live_rx) = mpsc::sync_channel(LIVE_BUFFER);
        let started_at = Utc::now();
        let bounded = config.duration.is_some();
        let target = SamplerTarget {
            description: describe(&config.target, pid, config.include_children),
            pid: Some(pid),
            include_children: config.include_children,
            uss_enabled: config.collect_uss,
        };
        let join = std::thread::Builder::new()
            .name("perf-sampler".to_owned())
            .spawn(move || {
                let mut run = Run::new(config, target, pid, collector, first, started_at);
                run.drive(&stop_rx, &live_tx);
                run.finish()
            })
            .map_err(|err| SamplerError::Thread {
                message: err.to_string(),
            })?;
        Ok(SamplerHandle {
            bounded,
            stop_tx,
            join,
            live: Some(live_rx),
        })
    }
}

fn describe(target: &ProcessTarget, pid: u32, include_children: bool) -> String {
    let children = if include_children {
        " with children"
    } else {
        ""
    };
    match target {
        ProcessTarget::Pid(_) => format!("pid {pid}{children}"),
        ProcessTarget::Name(name) => format!("process `{name}` (pid {pid}){children}"),
        ProcessTarget::Port(port) => format!("listener on port {port} (pid {pid}){children}"),
    }
}

/// A running sampler.
pub struct SamplerHandle {
    bounded: bool,
    stop_tx: Sender<()>,
    join: JoinHandle<SamplerReport>,
    live: Option<Receiver<LiveSample>>,
}

impl SamplerHandle {
    /// The live sample stream (once; later calls return `None`). Samples a slow reader does
    /// not take are dropped.
    pub fn live(&mut self) -> Option<Receiver<LiveSample>> {
        self.live.take()
    }

    /// True when the thread stopped by itself (its duration elapsed).
    pub fn is_finished(&self) -> bool {
        self.join.is_finished()
    }

    /// Waits for a sampler with a [`SamplerConfig::duration`] to stop by itself and returns
    /// its report. Without a duration this would never return, so it is an error.
    pub fn wait(self) -> Result<SamplerReport, SamplerError> {
        if !self.bounded {
            return Err(SamplerError::Config {
                message: "wait() needs a duration; use stop() for an unbounded sampler".to_owned(),
            });
        }
        self.join.join().map_err(|_| SamplerError::Thread {
            message: "the sampling thread panicked".to_owned(),
        })
    }

    /// Stops sampling and returns the report of everything sampled so far.
    pub fn stop(self) -> Result<SamplerReport, SamplerError> {
        let _ = self.stop_tx.send(());
        self.join.join().map_err(|_| SamplerError::Thread {
            message: "the sampling thread panicked".to_owned(),
        })
    }
}

/// Per-process bookkeeping for the `processes` list.
struct ProcessTrack {
    parent_pid: u32,
    name: String,
    first_seen_us: u64,
    exited_at_us: Option<u64>,
    cpu_percent: RunningStat,
    rss_bytes: RunningStat,
}

/// Cumulative counters summed over the target's processes, as per-tick deltas so processes
/// that come and go do not make the sum jump.
#[derive(Default, Clone, Copy)]
struct Counters {
    read_bytes: u64,
    write_bytes: u64,
    read_chars: u64,
    write_chars: u64,
    voluntary: u64,
    involuntary: u64,
    minor_faults: u64,
    major_faults: u64,
}

impl Counters {
    fn of(p: &ProcessSnapshot) -> Counters {
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

    fn add_delta(&mut self, now: &Counters, before: &Counters) {
        self.read_bytes += now.read_bytes.saturating_sub(before.read_bytes);
        self.write_bytes += now.write_bytes.saturating_sub(before.write_bytes);
        self.read_chars += now.read_chars.saturating_sub(before.read_chars);
        self.write_chars += now.write_chars.saturating_sub(before.write_chars);
        self.voluntary += now.voluntary.saturating_sub(before.voluntary);
        self.involuntary += now.involuntary.saturating_sub(before.involuntary);
        self.minor_faults += now.minor_faults.saturating_sub(before.minor_faults);
        self.major_faults += now.major_faults.saturating_sub(before.major_faults);
    }

    fn sum<'a>(processes: impl Iterator<Item = &'a ProcessSnapshot>) -> Counters {
        let mut total = Counters::default();
        for p in processes {
            total.add_delta(&Counters::of(p), &Counters::default());
        }
        total
    }
}

struct ProcessGauges {
    cpu_percent: RunningStat,
    cpu_percent_normalized: RunningStat,
    rss_bytes: RunningStat,
    vms_bytes: RunningStat,
    uss_bytes: RunningStat,
    pss_bytes: RunningStat,
    memory_percent: RunningStat,
    threads: RunningStat,
    fds: RunningStat,
}

struct InterfaceTrack {
    rx_rate: RunningStat,
    tx_rate: RunningStat,
    rx_bytes: u64,
    tx_bytes: u64,
}

struct SystemGauges {
    cpu_percent: RunningStat,
    per_core: Vec<RunningStat>,
    memory_used_percent: RunningStat,
    memory_available_bytes: RunningStat,
    swap_used_bytes: RunningStat,
    load_average_1m: RunningStat,
    disk_read_rate: RunningStat,
    disk_write_rate: RunningStat,
    interfaces: BTreeMap<String, InterfaceTrack>,
    memory_total_bytes: u64,
}

/// The state of one sampling run, owned by the background thread.
struct Run {
    config: SamplerConfig,
    target: SamplerTarget,
    root_pid: u32,
    collector: Collector,
    ticks_per_second: f64,
    logical_cores: f64,
    started: Instant,
    started_at: Timestamp,
    previous: Snapshot,
    last_taken: Instant,
    n_samples: u64,
    n_missed_ticks: u64,
    process: ProcessGauges,
    counters_first: Counters,
    counters_delta: Counters,
    system: SystemGauges,
    tracks: BTreeMap<u32, ProcessTrack>,
    series: BoundedSeries,
    target_exit: Option<TargetExit>,
}

impl Run {
    fn new(
        config: SamplerConfig,
        target: SamplerTarget,
        root_pid: u32,
        collector: Collector,
        first: Snapshot,
        started_at: Timestamp,
    ) -> Run {
        let percent = || RunningStat::new(100.0);
        let bytes = || RunningStat::new(1.0);
        let ticks_per_second = collector.ticks_per_second() as f64;
        let logical_cores = first.system.per_core.len().max(1) as f64;
        let series = BoundedSeries::new(config.max_series_points);
        Run {
            target,
            root_pid,
            collector,
            ticks_per_second,
            logical_cores,
            started: first.taken_at,
            started_at,
            last_taken: first.taken_at,
            n_samples: 0,
            n_missed_ticks: 0,
            process: ProcessGauges {
                cpu_percent: percent(),
                cpu_percent_normalized: percent(),
                rss_bytes: bytes(),
                vms_bytes: bytes(),
                uss_bytes: bytes(),
                pss_bytes: bytes(),
                memory_percent: percent(),
                threads: bytes(),
                fds: bytes(),
            },
            counters_first: Counters::sum(first.processes.iter()),
            counters_delta: Counters::default(),
            system: SystemGauges {
                cpu_percent: percent(),
                per_core: first.system.per_core.iter().map(|_| percent()).collect(),
                memory_used_percent: percent(),
                memory_available_bytes: bytes(),
                swap_used_bytes: bytes(),
                load_average_1m: percent(),
                disk_read_rate: bytes(),
                disk_write_rate: bytes(),
                interfaces: BTreeMap::new(),
                memory_total_bytes: first.system.memory_total_bytes,
            },
            tracks: BTreeMap::new(),
            series,
            target_exit: None,
            previous: first,
            config,
        }
    }

    fn elapsed_us(&self, at: Instant) -> u64 {
        u64::try_from(at.duration_since(self.started).as_micros()).unwrap_or(u64::MAX)
    }

    /// Ticks until stopped, or until the configured duration has elapsed.
    fn drive(&mut self, stop_rx: &Receiver<()>, live_tx: &SyncSender<LiveSample>) {
        let interval = self.config.interval;
        let deadline = self.config.duration.map(|d| self.started + d);
        let mut next_tick = self.started + interval;
        loop {
            let now = Instant::now();
            let wake = deadline.map_or(next_tick, |d| next_tick.min(d));
            match stop_rx.recv_timeout(wake.saturating_duration_since(now)) {
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) && now < next_tick {
                return;
            }
            // Ticks we are more than a whole interval late for are counted, not bunched up.
            let late = now.saturating_duration_since(next_tick);
            if late >= interval {
                let missed = (late.as_nanos() / interval.as_nanos()) as u32;
                self.n_missed_ticks += u64::from(missed);
                next_tick += interval * missed;
            }
            next_tick += interval;
            match self.collector.sample() {
                Ok(snapshot) => {
                    let live = self.observe(snapshot);
                    if let Err(TrySendError::Full(_)) = live_tx.try_send(live) {
                        // A slow reader loses samples rather than growing a queue.
                    }
                }
                Err(_) => self.n_missed_ticks += 1,
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return;
            }
        }
    }

    fn observe(&mut self, current: Snapshot) -> LiveSample {
        let elapsed_secs = current
            .taken_at
            .duration_since(self.previous.taken_at)
            .as_secs_f64()
            .max(1e-9);
        let t_us = self.elapsed_us(current.taken_at);
        self.n_samples += 1;
        self.last_taken = current.taken_at;

        for pid in &current.exited {
            if let Some(track) = self.tracks.get_mut(pid) {
                track.exited_at_us.get_or_insert(t_us);
            }
            if *pid == self.root_pid && self.target_exit.is_none() {
                self.target_exit = Some(TargetExit {
                    pid: *pid,
                    at_us: t_us,
                });
            }
        }

        // Process figures: only pids present in both readings have a CPU rate.
        let previous: BTreeMap<u32, &ProcessSnapshot> =
            self.previous.processes.iter().map(|p| (p.pid, p)).collect();
        let mut cpu_total = 0.0;
        let mut write_bytes_delta = 0;
        for process in &current.processes {
            let cpu = previous.get(&process.pid).map(|before| {
                let ticks = process.cpu_ticks.saturating_sub(before.cpu_ticks) as f64;
                let before_counters = Counters::of(before);
                write_bytes_delta += process.write_bytes.saturating_sub(before.write_bytes);
                self.counters_delta
                    .add_delta(&Counters::of(process), &before_counters);
                ticks / self.ticks_per_second / elapsed_secs * 100.0
            });
            cpu_total += cpu.unwrap_or(0.0);
            if self.config.include_children {
                let track = self
                    .tracks
                    .entry(process.pid)
                    .or_insert_with(|| ProcessTrack {
                        parent_pid: process.parent_pid,
                        name: process.name.clone(),
                        first_seen_us: t_us,
                        exited_at_us: None,
                        cpu_percent: RunningStat::new(100.0),
                        rss_bytes: RunningStat::new(1.0),
                    });
                if let Some(cpu) = cpu {
                    track.cpu_percent.record(cpu);
                }
                track.rss_bytes.record(process.rss_bytes as f64);
            }
        }
        let alive = !current.processes.is_empty();
        let sum = |f: fn(&ProcessSnapshot) -> u64| current.processes.iter().map(f).sum::<u64>();
        let rss = sum(|p| p.rss_bytes);
        let uss = self
            .config
            .collect_uss
            .then(|| sum(|p| p.uss_bytes.unwrap_or(0)));
        let (fds, threads) = (sum(|p| p.fds), sum(|p| p.threads));
        if alive {
            let g = &mut self.process;
            g.cpu_percent.record(cpu_total);
            g.cpu_percent_normalized
                .record(cpu_total / self.logical_cores);
            g.rss_bytes.record(rss as f64);
            g.vms_bytes.record(sum(|p| p.vms_bytes) as f64);
            if let Some(uss) = uss {
                g.uss_bytes.record(uss as f64);
                g.pss_bytes.record(sum(|p| p.pss_bytes.unwrap_or(0)) as f64);
            }
            let total_memory = current.system.memory_total_bytes.max(1) as f64;
            g.memory_percent.record(rss as f64 * 100.0 / total_memory);
            g.threads.record(threads as f64);
            g.fds.record(fds as f64);
        }

        // Host figures.
        let system = &current.system;
        let before = &self.previous.system;
        let s = &mut self.system;
        let system_cpu = system.cpu.busy_percent_since(before.cpu);
        s.cpu_percent.record(system_cpu);
        for ((stat, now), then) in s
            .per_core
            .iter_mut()
            .zip(&system.per_core)
            .zip(&before.per_core)
        {
            stat.record(now.busy_percent_since(*then));
        }
        let memory_used_percent = if system.memory_total_bytes == 0 {
            0.0
        } else {
            system
                .memory_total_bytes
                .saturating_sub(system.memory_available_bytes) as f64
                * 100.0
                / system.memory_total_bytes as f64
        };
        s.memory_used_percent.record(memory_used_percent);
        s.memory_available_bytes
            .record(system.memory_available_bytes as f64);
        s.swap_used_bytes.record(
            system
                .swap_total_bytes
                .saturating_sub(system.swap_free_bytes) as f64,
        );
        s.load_average_1m.record(system.load_average_1m);
        let rate = |now: u64, then: u64| now.saturating_sub(then) as f64 / elapsed_secs;
        let disk_read = rate(system.disk_read_bytes, before.disk_read_bytes);
        let disk_write = rate(system.disk_write_bytes, before.disk_write_bytes);
        s.disk_read_rate.record(disk_read);
        s.disk_write_rate.record(disk_write);
        for interface in &system.network {
            let Some(then) = before.network.iter().find(|i| i.name == interface.name) else {
                continue;
            };
            let track = s
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

        if alive {
            self.series.push(SamplePoint {
                t_us,
                n_merged: 1,
                cpu_percent: cpu_total,
                rss_bytes: rss,
                uss_bytes: uss,
                fds,
                threads,
                system_cpu_percent: system_cpu,
                system_memory_used_percent: memory_used_percent,
                work_done: self
                    .config
                    .work_counter
                    .as_ref()
                    .map(|w| w.load(Ordering::Relaxed)),
            });
        }
        let live = LiveSample {
            elapsed: current.taken_at.duration_since(self.started),
            cpu_percent: alive.then_some(cpu_total),
            rss_bytes: rss,
            uss_bytes: uss,
            fds,
            threads,
            processes: current.processes.len(),
            system_cpu_percent: system_cpu,
            disk_read_bytes_per_sec: disk_read,
            disk_write_bytes_per_sec: disk_write,
            process_write_bytes_per_sec: write_bytes_delta as f64 / elapsed_secs,
        };
        self.previous = current;
        live
    }

    fn finish(self) -> SamplerReport {
        let duration_us = self.elapsed_us(self.last_taken);
        let elapsed_secs = duration_us as f64 / 1e6;
        let g = &self.process;
        let counter =
            |first: u64, delta: u64| CounterDelta::new(first, first + delta, elapsed_secs);
        let (f, d) = (self.counters_first, self.counters_delta);
        let process = (!g.cpu_percent.is_empty()).then(|| ProcessStats {
            cpu_percent: g.cpu_percent.to_stat(),
            cpu_percent_normalized: g.cpu_percent_normalized.to_stat(),
            rss_bytes: g.rss_bytes.to_stat(),
            vms_bytes: g.vms_bytes.to_stat(),
            uss_bytes: self.config.collect_uss.then(|| g.uss_bytes.to_stat()),
            pss_bytes: self.config.collect_uss.then(|| g.pss_bytes.to_stat()),
            memory_percent: g.memory_percent.to_stat(),
            threads: g.threads.to_stat(),
            fds: g.fds.to_stat(),
            read_bytes: counter(f.read_bytes, d.read_bytes),
            write_bytes: counter(f.write_bytes, d.write_bytes),
            read_chars: counter(f.read_chars, d.read_chars),
            write_chars: counter(f.write_chars, d.write_chars),
            voluntary_ctx_switches: counter(f.voluntary, d.voluntary),
            involuntary_ctx_switches: counter(f.involuntary, d.involuntary),
            minor_faults: counter(f.minor_faults, d.minor_faults),
            major_faults: counter(f.major_faults, d.major_faults),
        });
        let s = &self.system;
        let system = SystemStats {
            cpu_percent: s.cpu_percent.to_stat(),
            per_core_cpu_percent: s.per_core.iter().map(RunningStat::to_stat).collect(),
            memory_total_bytes: s.memory_total_bytes,
            memory_used_percent: s.memory_used_percent.to_stat(),
            memory_available_bytes: s.memory_available_bytes.to_stat(),
            swap_used_bytes: s.swap_used_bytes.to_stat(),
            load_average_1m: s.load_average_1m.to_stat(),
            disk_read_bytes_per_sec: s.disk_read_rate.to_stat(),
            disk_write_bytes_per_sec: s.disk_write_rate.to_stat(),
            network: s
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
        };
        let processes = self
            .tracks
            .iter()
            .map(|(pid, track)| ProcessSummary {
                pid: *pid,
                parent_pid: Some(track.parent_pid),
                name: track.name.clone(),
                first_seen_us: track.first_seen_us,
                exited_at_us: track.exited_at_us,
                cpu_percent: track.cpu_percent.to_stat(),
                rss_bytes: track.rss_bytes.to_stat(),
            })
            .collect();
        let series = self.series.into_points();
        let interval_us = u64::try_from(self.config.interval.as_micros()).unwrap_or(u64::MAX);
        let warmup_us = self
            .config
            .leak
            .warmup
            .map_or((duration_us / 10).max(2 * interval_us), |warmup| {
                u64::try_from(warmup.as_micros()).unwrap_or(u64::MAX)
            });
        let metric = if self.config.collect_uss {
            LeakMetric::Uss
        } else {
            LeakMetric::Rss
        };
        let leak = leak::analyze(&series, warmup_us, metric, &self.config.leak);
        SamplerReport {
            schema_version: SCHEMA_VERSION,
            target: self.target,
            interval_us: u64::try_from(self.config.interval.as_micros()).unwrap_or(u64::MAX),
            started_at: self.started_at,
            duration_us,
            n_samples: self.n_samples,
            n_missed_ticks: self.n_missed_ticks,
            process,
            processes,
            system,
            series,
            leak,
            target_exit: self.target_exit,
        }
    }
}
