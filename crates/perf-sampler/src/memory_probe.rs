//! [`MemoryProbe`]: labelled memory snapshots of a process on demand (around each phase of a
//! run), and [`analyze_cycles`]: the leak verdict over repeated identical workload cycles.

use std::time::Instant;

use report_model::{
    memory::MemoryCycle, memory::MemorySnapshot, sampler::LeakAnalysis, sampler::LeakMetric,
    sampler::SamplePoint,
};

use crate::{Collector, CollectorOptions, LeakThresholds, SamplerError};

/// Takes [`MemorySnapshot`]s of one process (summed with its descendants when asked).
pub struct MemoryProbe {
    collector: Collector,
    memory_total_bytes: u64,
    started: Instant,
}

impl MemoryProbe {
    /// Prepares to read `pid`. USS is always collected: it is the figure a leak shows in.
    pub fn new(pid: u32, include_children: bool) -> Result<MemoryProbe, SamplerError> {
        let collector = Collector::new(
            pid,
            CollectorOptions {
                include_children,
                collect_uss: true,
            },
        )?;
        Ok(MemoryProbe {
            collector,
            memory_total_bytes: crate::host_info().memory_total_bytes,
            started: Instant::now(),
        })
    }

    /// One labelled snapshot. Fails when the process is gone.
    pub fn snapshot(&mut self, label: &str) -> Result<MemorySnapshot, SamplerError> {
        let reading = self.collector.sample()?;
        if reading.processes.is_empty() {
            return Err(SamplerError::NoSuchProcess {
                pid: reading.exited.first().copied().unwrap_or_default(),
            });
        }
        let sum = |pick: fn(&crate::ProcessSnapshot) -> u64| -> u64 {
            reading.processes.iter().map(pick).sum()
        };
        let rss_bytes = sum(|p| p.rss_bytes);
        let uss: Option<u64> = reading.processes.iter().map(|p| p.uss_bytes).sum();
        Ok(MemorySnapshot {
            label: label.to_owned(),
            at: chrono::Utc::now(),
            rss_bytes,
            vms_bytes: sum(|p| p.vms_bytes),
            uss_bytes: uss,
            memory_percent: if self.memory_total_bytes > 0 {
                rss_bytes as f64 * 100.0 / self.memory_total_bytes as f64
            } else {
                0.0
            },
            open_files: sum(|p| p.fds),
            threads: sum(|p| p.threads),
        })
    }

    /// Time since the probe was made, microseconds.
    pub fn elapsed_us(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// The leak verdict over workload cycles: `baseline` is the snapshot before the first
/// counted cycle, `cycles` the state after each, `at_us` when each point was taken (the
/// baseline first). The fit is the same Theil–Sen slope as the sampler's, of USS (RSS when
/// USS is missing) against time and against operations, so the growth is judged over the
/// cycles and reported per 1000 operations. `None` with fewer than four cycles.
pub fn analyze_cycles(
    baseline: &MemorySnapshot,
    cycles: &[MemoryCycle],
    at_us: &[u64],
    thresholds: &LeakThresholds,
) -> Option<LeakAnalysis> {
    if at_us.len() != cycles.len() + 1 {
        return None;
    }
    let metric =
        if baseline.uss_bytes.is_some() && cycles.iter().all(|c| c.uss_bytes_after.is_some()) {
            LeakMetric::Uss
        } else {
            LeakMetric::Rss
        };
    let mut work = 0;
    let mut points = vec![SamplePoint {
        t_us: at_us[0],
        n_merged: 1,
        rss_bytes: baseline.rss_bytes,
        uss_bytes: baseline.uss_bytes,
        fds: baseline.open_files,
        threads: baseline.threads,
        work_done: Some(0),
        ..SamplePoint::default()
    }];
    for (cycle, &t_us) in cycles.iter().zip(&at_us[1..]) {
        work += cycle.operations;
        points.push(SamplePoint {
            t_us,
            n_merged: 1,
            rss_bytes: cycle.rss_bytes_after,
            uss_bytes: cycle.uss_bytes_after,
            fds: cycle.open_files_after,
            threads: cycle.threads_after,
            work_done: Some(work),
            ..SamplePoint::default()
        });
    }
    crate::leak::analyze(&points, 0, metric, thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn cycles(per_cycle: impl Fn(u64) -> u64) -> (MemorySnapshot, Vec<MemoryCycle>, Vec<u64>) {
        let mut probe = MemoryProbe::new(std::process::id(), false).expect("own process");
        let baseline = MemorySnapshot {
            rss_bytes: 100 * MIB,
            uss_bytes: Some(80 * MIB),
            ..probe.snapshot("baseline").expect("own process")
        };
        let cycles = (1..=6)
            .map(|index| MemoryCycle {
                index: u32::try_from(index).unwrap(),
                operations: 100,
                rss_bytes_after: 100 * MIB + per_cycle(index),
                uss_bytes_after: Some(80 * MIB + per_cycle(index)),
                open_files_after: 10,
                threads_after: 4,
                duration_us: 1_000_000,
            })
            .collect();
        (baseline, cycles, (0..=6).map(|i| i * 1_000_000).collect())
    }

    #[test]
    fn snapshot_reads_this_process() {
        let mut probe = MemoryProbe::new(std::process::id(), false).unwrap();
        let snapshot = probe.snapshot("now").unwrap();
        assert_eq!(snapshot.label, "now");
        assert!(snapshot.rss_bytes > MIB && snapshot.uss_bytes.is_some_and(|u| u > 0));
        assert!(snapshot.open_files >= 3 && snapshot.threads >= 1);
    }

    #[test]
    fn growth_per_cycle_fails_and_flat_cycles_pass() {
        let levels = LeakThresholds::default();
        let (baseline, growing, at) = cycles(|i| i * 30 * MIB);
        let leak = analyze_cycles(&baseline, &growing, &at, &levels).unwrap();
        assert_eq!(leak.metric, LeakMetric::Uss);
        assert_eq!(leak.verdict, report_model::Verdict::Fail, "{}", leak.reason);
        let per_1000 = leak.bytes_per_1000_ops.unwrap();
        assert!((per_1000 - 300.0 * MIB as f64).abs() < 1.0, "{per_1000}");

        let (baseline, flat, at) = cycles(|i| (i % 2) * 64 * 1024);
        let leak = analyze_cycles(&baseline, &flat, &at, &levels).unwrap();
        assert_eq!(leak.verdict, report_model::Verdict::Pass, "{}", leak.reason);
        assert!(analyze_cycles(&baseline, &flat[..2], &at[..3], &levels).is_none());
    }
}
