//! Memory: labelled snapshots were taken around each phase; now a warm-up cycle and K
//! counted cycles of the same workload (the read mix and a few orders created and
//! deleted), a snapshot after each, and the leak verdict over the counted ones.

use std::sync::Arc;
use std::time::Instant;

use load_engine::RunControl;
use perf_sampler::MemoryCycles;
use portrait_workflow::scenarios::{self, OrderCreation};
use portrait_workflow::{ServiceTarget, TestData};
use report_model::{ScenarioReport, load::Traffic};

use crate::SuiteError;
use crate::context::{Context, Stop, closed};

impl Context<'_> {
    /// The phase; skipped without a server process to take snapshots of.
    pub(crate) async fn memory(&mut self, target: &ServiceTarget) -> Result<(), Stop> {
        if self.probe.is_none() {
            self.note("  skipped: no server process to take snapshots of (use --server-pid or --server-port)".to_owned());
            return Ok(());
        }
        let data = Arc::new(TestData::new(&format!("{}-memory", self.run_id)));
        let mut cycles = MemoryCycles::new();
        let mut traffic = Vec::new();
        let ran = self
            .memory_cycles(target, &data, &mut cycles, &mut traffic)
            .await;
        let cycles_run = cycles.counted();
        let leak_thresholds = self
            .config
            .phases
            .leak_thresholds(perf_sampler::Workload::Steady);
        let mut memory = cycles.finish(&leak_thresholds);
        // The phases' snapshots come first; `run_all` puts every one in the report, also
        // the cycles' of a run stopped midway.
        self.snapshots.append(&mut memory.snapshots);
        ran?;
        if cycles_run < self.config.phases.memory_cycles as usize {
            // The server process went away before the last cycle: no verdict from part
            // of the cycles.
            return Ok(());
        }
        if let Some(leak) = &memory.leak {
            self.note(format!("  memory: {} — {}", leak.verdict, leak.reason));
        }
        memory.traffic = traffic;
        self.report.memory = Some(memory);
        Ok(())
    }

    /// The warm-up and the counted cycles, each recorded in `cycles` as it ends.
    async fn memory_cycles(
        &mut self,
        target: &ServiceTarget,
        data: &Arc<TestData>,
        cycles: &mut MemoryCycles,
        traffic: &mut Vec<Traffic>,
    ) -> Result<(), Stop> {
        while cycles.counted() < self.config.phases.memory_cycles as usize {
            self.check_cancelled()?;
            let started = Instant::now();
            let runs = self.memory_cycle(target, data).await?;
            let operations = runs.iter().map(|r| r.total_requests).sum();
            let label = cycles.next_label();
            traffic.extend(runs.iter().map(|run| {
                let mut traffic = run.traffic();
                traffic.name = format!("{label} {}", run.name);
                traffic
            }));
            let Some(probe) = &mut self.probe else {
                return Ok(());
            };
            cycles
                .record(probe, operations, started.elapsed())
                .map_err(|e| Stop::setup(SuiteError::MemorySnapshot(e)))?;
        }
        Ok(())
    }

    /// One cycle, run to its bound (a cancel is seen between cycles): the read mix and a
    /// few orders created and deleted. Returns both runs.
    async fn memory_cycle(
        &self,
        target: &ServiceTarget,
        data: &Arc<TestData>,
    ) -> Result<[ScenarioReport; 2], Stop> {
        let phases = &self.config.phases;
        let options = self.options();
        let reads = load_engine::run(
            &scenarios::read_mix(target),
            &closed(2, phases.memory_requests_per_cycle),
            &options,
            RunControl::default(),
        )
        .await?;
        let creation = OrderCreation::new(target, Arc::clone(data));
        let orders = load_engine::run(
            &creation.scenario("concurrent_orders"),
            &closed(1, phases.memory_orders_per_cycle),
            &options,
            RunControl::default(),
        )
        .await?;
        self.cleanup(&creation).await?;
        Ok([reads, orders])
    }
}
