//! [`MemoryCycles`]: the leak protocol's bookkeeping. A caller runs the same workload again
//! and again; after each run it hands the probe here, which takes the labelled snapshot
//! (the first run is the warm-up and becomes the baseline) and, at the end, judges the
//! growth over the counted cycles with [`analyze_cycles`].

use std::time::Duration;

use report_model::{MemoryReport, SCHEMA_VERSION, memory::MemoryCycle, memory::MemorySnapshot};

use crate::{LeakThresholds, MemoryProbe, SamplerError, analyze_cycles};

/// The cycles recorded so far.
#[derive(Debug, Default)]
pub struct MemoryCycles {
    baseline: Option<MemorySnapshot>,
    cycles: Vec<MemoryCycle>,
    at_us: Vec<u64>,
    snapshots: Vec<MemorySnapshot>,
}

impl MemoryCycles {
    /// No cycle yet: the next one is the warm-up.
    pub fn new() -> MemoryCycles {
        MemoryCycles::default()
    }

    /// The label of the next cycle's snapshot: `memory_warmup`, then `memory_cycle_1`, ...
    pub fn next_label(&self) -> String {
        if self.baseline.is_none() {
            "memory_warmup".to_owned()
        } else {
            format!("memory_cycle_{}", self.cycles.len() + 1)
        }
    }

    /// Counted cycles so far (the warm-up is not one).
    pub fn counted(&self) -> usize {
        self.cycles.len()
    }

    /// Ends a cycle that did `operations` in `duration`: snapshots the process now.
    pub fn record(
        &mut self,
        probe: &mut MemoryProbe,
        operations: u64,
        duration: Duration,
    ) -> Result<&MemorySnapshot, SamplerError> {
        let snapshot = probe.snapshot(&self.next_label())?;
        self.at_us.push(probe.elapsed_us());
        if self.baseline.is_none() {
            self.baseline = Some(snapshot.clone());
        } else {
            self.cycles.push(MemoryCycle {
                index: u32::try_from(self.cycles.len() + 1).unwrap_or(u32::MAX),
                operations,
                rss_bytes_after: snapshot.rss_bytes,
                uss_bytes_after: snapshot.uss_bytes,
                open_files_after: snapshot.open_files,
                threads_after: snapshot.threads,
                duration_us: u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
            });
        }
        self.snapshots.push(snapshot);
        Ok(self.snapshots.last().expect("just pushed"))
    }

    /// The memory report of the cycles: every snapshot taken, the counted cycles and their
    /// leak verdict (none without a warm-up and enough cycles). The traffic is the caller's
    /// to add.
    pub fn finish(self, thresholds: &LeakThresholds) -> MemoryReport {
        let leak = self
            .baseline
            .as_ref()
            .and_then(|baseline| analyze_cycles(baseline, &self.cycles, &self.at_us, thresholds));
        MemoryReport {
            schema_version: SCHEMA_VERSION,
            snapshots: self.snapshots,
            cycles: self.cycles,
            leak,
            traffic: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cycle_is_the_warmup_and_the_rest_are_counted() {
        let mut probe = MemoryProbe::new(std::process::id(), false).expect("own process");
        let mut cycles = MemoryCycles::new();
        assert_eq!(cycles.next_label(), "memory_warmup");
        for _ in 0..5 {
            cycles
                .record(&mut probe, 10, Duration::from_millis(5))
                .expect("own process");
        }
        assert_eq!(cycles.counted(), 4);
        assert_eq!(cycles.next_label(), "memory_cycle_5");
        let report = cycles.finish(&LeakThresholds::default());
        let labels: Vec<&str> = report.snapshots.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "memory_warmup",
                "memory_cycle_1",
                "memory_cycle_2",
                "memory_cycle_3",
                "memory_cycle_4"
            ]
        );
        assert_eq!(
            report.cycles.iter().map(|c| c.index).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(
            report
                .cycles
                .iter()
                .all(|c| c.operations == 10 && c.duration_us == 5000)
        );
        assert!(
            report.leak.is_some(),
            "four counted cycles are enough for a verdict"
        );
    }
}
