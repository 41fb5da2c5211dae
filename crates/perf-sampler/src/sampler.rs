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
    SCHEMA_VERSION, SamplerReport, meta::Timestamp, sampler::LeakMetric, sampler::ProcessSummary,
    sampler::SamplePoint, sampler::SamplerTarget, sampler::TargetExit,
};

use crate::collector::{Collector, CollectorOptions, ProcessSnapshot, Snapshot, resolve_target};
use crate::gauges::{Counters, ProcessGauges, ProcessReading, ProcessTrack, SystemGauges};
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
    /// CPU time the target's processes used since they started, user and system, seconds.
    pub cpu_seconds_total: f64,
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

impl LiveSample {
    /// This reading for a Prometheus scrape, as the process `role` (`server`).
    pub fn figures(&self, role: &str) -> report_model::metrics::live::ProcessFigures {
        report_model::metrics::live::ProcessFigures {
            role: role.to_owned(),
            cpu_seconds_total: self.cpu_seconds_total,
            resident_bytes: self.rss_bytes,
            unique_bytes: self.uss_bytes,
            open_fds: self.fds,
            threads: self.threads,
        }
    }
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
            process: ProcessGauges::new(),
            counters_first: Counters::sum(first.processes.iter()),
            counters_delta: Counters::default(),
            system: SystemGauges::new(&first.system),
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

    /// Turns the reading `current` and the one before it into rates and records them: the
    /// target's processes, the host, the series point; returns the live sample.
    fn observe(&mut self, current: Snapshot) -> LiveSample {
        let elapsed_secs = current
            .taken_at
            .duration_since(self.previous.taken_at)
            .as_secs_f64()
            .max(1e-9);
        let t_us = self.elapsed_us(current.taken_at);
        self.n_samples += 1;
        self.last_taken = current.taken_at;
        self.note_exits(&current.exited, t_us);
        let (reading, write_bytes_delta) = self.observe_processes(&current, elapsed_secs, t_us);
        let alive = !current.processes.is_empty();
        if alive {
            self.process.record(
                &reading,
                self.logical_cores,
                current.system.memory_total_bytes,
            );
        }
        let host = self
            .system
            .record(&current.system, &self.previous.system, elapsed_secs);
        if alive {
            self.series.push(SamplePoint {
                t_us,
                n_merged: 1,
                cpu_percent: reading.cpu_percent,
                rss_bytes: reading.rss_bytes,
                uss_bytes: reading.uss_bytes,
                fds: reading.fds,
                threads: reading.threads,
                system_cpu_percent: host.cpu_percent,
                system_memory_used_percent: host.memory_used_percent,
                work_done: self
                    .config
                    .work_counter
                    .as_ref()
                    .map(|w| w.load(Ordering::Relaxed)),
            });
        }
        let live = LiveSample {
            elapsed: current.taken_at.duration_since(self.started),
            cpu_percent: alive.then_some(reading.cpu_percent),
            cpu_seconds_total: current
                .processes
                .iter()
                .map(|p| p.cpu_ticks as f64)
                .sum::<f64>()
                / self.ticks_per_second,
            rss_bytes: reading.rss_bytes,
            uss_bytes: reading.uss_bytes,
            fds: reading.fds,
            threads: reading.threads,
            processes: current.processes.len(),
            system_cpu_percent: host.cpu_percent,
            disk_read_bytes_per_sec: host.disk_read_bytes_per_sec,
            disk_write_bytes_per_sec: host.disk_write_bytes_per_sec,
            process_write_bytes_per_sec: write_bytes_delta as f64 / elapsed_secs,
        };
        self.previous = current;
        live
    }

    /// Marks the tracks of `exited` pids, and the target's exit when the root is among them.
    fn note_exits(&mut self, exited: &[u32], t_us: u64) {
        for pid in exited {
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
    }

    /// The target's processes in `current` against the previous reading: their sum, and
    /// the bytes they wrote since (only pids present in both readings have a CPU rate and
    /// counter deltas). Updates the counters and, with children, each process's track.
    fn observe_processes(
        &mut self,
        current: &Snapshot,
        elapsed_secs: f64,
        t_us: u64,
    ) -> (ProcessReading, u64) {
        let previous: BTreeMap<u32, &ProcessSnapshot> =
            self.previous.processes.iter().map(|p| (p.pid, p)).collect();
        let mut cpu_total = 0.0;
        let mut write_bytes_delta = 0;
        for process in &current.processes {
            let cpu = previous.get(&process.pid).map(|before| {
                let ticks = process.cpu_ticks.saturating_sub(before.cpu_ticks) as f64;
                write_bytes_delta += process.write_bytes.saturating_sub(before.write_bytes);
                self.counters_delta
                    .add_delta(&Counters::of(process), &Counters::of(before));
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
        let sum = |f: fn(&ProcessSnapshot) -> u64| current.processes.iter().map(f).sum::<u64>();
        let collect_uss = self.config.collect_uss;
        let reading = ProcessReading {
            cpu_percent: cpu_total,
            rss_bytes: sum(|p| p.rss_bytes),
            vms_bytes: sum(|p| p.vms_bytes),
            uss_bytes: collect_uss.then(|| sum(|p| p.uss_bytes.unwrap_or(0))),
            pss_bytes: collect_uss.then(|| sum(|p| p.pss_bytes.unwrap_or(0))),
            fds: sum(|p| p.fds),
            threads: sum(|p| p.threads),
        };
        (reading, write_bytes_delta)
    }

    fn finish(self) -> SamplerReport {
        let duration_us = self.elapsed_us(self.last_taken);
        let elapsed_secs = duration_us as f64 / 1e6;
        let process = self.process.to_stats(
            self.config.collect_uss,
            self.counters_first,
            self.counters_delta,
            elapsed_secs,
        );
        let system = self.system.to_stats();
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
