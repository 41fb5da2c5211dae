//! The phases of the suite, in order. Each adds its section to the report as it finishes,
//! so an interrupted or failed run still reports what was done.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use load_engine::{Bound, Executor, LoadOptions, RunControl, Scenario};
use perf_sampler::{MemoryCycles, MemoryProbe};
use portrait_workflow::scenarios::{self, OrderCreation};
use portrait_workflow::{
    ServiceStore, ServiceTarget as Target, TestData, WorkflowConfig, run_workflow,
};
use report_model::{
    LoadReport, MemoryReport, MemorySnapshot, SCHEMA_VERSION, ScenarioReport, StorageOperation,
    SuiteReport,
};
use storage_bench::{Backend, EmbeddedS3, Plan};

use super::config::SuiteConfig;
use super::duration;
use crate::commands::storage::{open_all, run_with_progress};
use crate::output::Output;
use crate::progress::follow_load;

/// How the phases ended.
pub enum PhaseOutcome {
    /// All ran.
    Done,
    /// Ctrl-C: the phases after it did not run.
    Interrupted,
    /// The run could not go on (target down, login refused, bad scenario setup).
    SetupFailed(String),
}

/// Why a phase stopped the run.
enum Stop {
    Interrupted,
    Setup(String),
}

impl From<load_engine::LoadError> for Stop {
    fn from(error: load_engine::LoadError) -> Stop {
        Stop::Setup(error.to_string())
    }
}

/// Everything the phases share.
pub struct Suite<'a> {
    pub config: &'a SuiteConfig,
    pub base_url: &'a str,
    pub password: String,
    pub run_id: String,
    pub probe: Option<MemoryProbe>,
    pub scratch: &'a Path,
    pub sqlite: Option<&'a Path>,
    pub s3: Option<&'a str>,
    pub output: &'a Output,
    pub report: &'a mut SuiteReport,
    pub snapshots: Vec<MemorySnapshot>,
    /// The logged-in target, once the login succeeded: its ledger holds every row the
    /// phases created.
    pub target: Option<Target>,
    /// The service's storage right after the login, `(files, bytes)`.
    pub storage_before: Option<(u64, u64)>,
}

impl Suite<'_> {
    /// Runs every phase in order.
    pub async fn run_all(&mut self) -> PhaseOutcome {
        let outcome = match self.phases().await {
            Ok(()) => PhaseOutcome::Done,
            Err(Stop::Interrupted) => PhaseOutcome::Interrupted,
            Err(Stop::Setup(message)) => PhaseOutcome::SetupFailed(message),
        };
        self.settle().await;
        // Every labelled snapshot taken, also when the run stopped before the cycles.
        if !self.snapshots.is_empty() {
            self.report
                .memory
                .get_or_insert_with(|| MemoryReport {
                    schema_version: SCHEMA_VERSION,
                    snapshots: Vec::new(),
                    cycles: Vec::new(),
                    leak: None,
                    traffic: Vec::new(),
                })
                .snapshots = std::mem::take(&mut self.snapshots);
        }
        outcome
    }

    async fn phases(&mut self) -> Result<(), Stop> {
        let options = self.options();
        self.snapshot("suite_start");
        self.note("health pre-check");
        match portrait_workflow::health_check(self.base_url, &options).await {
            Ok(health) => {
                // The service's own version string is part of what the run measured.
                if let (Some(identity), Some(version)) = (
                    self.report.meta.identity.as_mut(),
                    health.get("version").and_then(serde_json::Value::as_str),
                ) {
                    identity.service_version = Some(version.to_owned());
                }
            }
            Err(error) => {
                return Err(Stop::Setup(format!(
                    "the target is not healthy: {error}\n(hint: is the service running at {}?)",
                    report_model::redact_url(self.base_url)
                )));
            }
        }
        let target = portrait_workflow::log_in(
            self.base_url,
            &self.config.target.user,
            &self.password,
            self.config.target.register_admin,
            &options,
        )
        .await
        .map_err(|error| {
            Stop::Setup(format!(
                "cannot log in as `{}`: {error}",
                self.config.target.user
            ))
        })?;
        self.storage_before = target.storage_usage(&options).await;
        self.target = Some(target.clone());
        self.report.load = Some(LoadReport {
            schema_version: SCHEMA_VERSION,
            scenarios: Vec::new(),
        });

        self.begin("comprehensive")?;
        self.comprehensive(&target).await?;
        self.begin("workflow")?;
        self.workflow(&target).await?;
        self.begin("load")?;
        self.load(&target).await?;
        self.begin("storage")?;
        self.storage(&target).await?;
        self.begin("memory")?;
        self.memory(&target).await
    }

    /// After the phases, however they ended: asks the service what the run left behind
    /// (deleting what the phases' cleanups missed) and how its storage grew.
    async fn settle(&mut self) {
        let Some(target) = self.target.clone() else {
            return;
        };
        let options = self.options();
        match target.settle(&options, false).await {
            Ok((leftovers, _)) => self.report.leftovers.extend(leftovers),
            Err(error) => self
                .output
                .note(&format!("cannot check what the run left behind: {error}")),
        }
        if let Some(before) = self.storage_before
            && let Some(after) = target.storage_usage(&options).await
        {
            self.report.storage_growth = Some(report_model::StorageGrowth::between(before, after));
        }
    }

    /// Starts a phase: stops on Ctrl-C, and takes the labelled snapshot before it (which is
    /// also the snapshot after the phase before).
    fn begin(&mut self, name: &str) -> Result<(), Stop> {
        Self::check_interrupt()?;
        self.note(name);
        self.snapshot(&format!("before_{name}"));
        Ok(())
    }

    fn check_interrupt() -> Result<(), Stop> {
        if crate::interrupt::is_set() {
            Err(Stop::Interrupted)
        } else {
            Ok(())
        }
    }

    fn note(&self, text: &str) {
        self.output.note(&format!("phase: {text}"));
    }

    fn snapshot(&mut self, label: &str) {
        if let Some(probe) = &mut self.probe {
            match probe.snapshot(label) {
                Ok(snapshot) => self.snapshots.push(snapshot),
                Err(error) => {
                    self.output
                        .note(&format!("memory snapshot `{label}` failed: {error}"));
                    self.probe = None;
                }
            }
        }
    }

    fn options(&self) -> LoadOptions {
        LoadOptions {
            request_timeout: Duration::from_secs(self.config.phases.request_timeout_s),
            ..LoadOptions::default()
        }
    }

    fn push_scenario(&mut self, scenario: ScenarioReport) {
        self.report
            .load
            .get_or_insert_with(|| LoadReport {
                schema_version: SCHEMA_VERSION,
                scenarios: Vec::new(),
            })
            .scenarios
            .push(scenario);
    }

    /// Runs a load-engine scenario with a progress line, stopping on Ctrl-C.
    async fn drive(
        &self,
        scenario: &Scenario,
        executor: &Executor,
    ) -> Result<ScenarioReport, Stop> {
        let options = self.options();
        let (result, _) = follow_load(Some(&scenario.name), |control| {
            load_engine::run(scenario, executor, &options, control)
        })
        .await;
        let report = result?;
        self.output.note(&format!(
            "  {}: {} requests, {:.1}/s, p95 {}, {:.1}% ok",
            report.name,
            report.total_requests,
            report.requests_per_second,
            duration(report.response_time.summary.p95_us),
            report.success_rate_percent
        ));
        Ok(report)
    }

    async fn cleanup(&self, orders: &OrderCreation) -> Result<(), Stop> {
        let cleanup = orders.cleanup(&self.options()).await?;
        if !cleanup.leftovers.is_empty() {
            self.output.note(&format!(
                "could not delete: {}",
                cleanup.leftovers.join("; ")
            ));
        }
        Ok(())
    }

    /// One large order, concurrent uploads, DB-backed reads; the orders are deleted
    /// however the phase ended (interrupted included).
    async fn comprehensive(&mut self, target: &Target) -> Result<(), Stop> {
        let data = Arc::new(TestData::new(&format!("{}-comprehensive", self.run_id)));
        let uploads = OrderCreation::new(target, Arc::clone(&data));
        let result = self.comprehensive_work(target, &data, &uploads).await;
        self.cleanup(&uploads).await?;
        result
    }

    async fn comprehensive_work(
        &mut self,
        target: &Target,
        data: &Arc<TestData>,
        uploads: &OrderCreation,
    ) -> Result<(), Stop> {
        let phases = &self.config.phases;
        let image_bytes = usize::try_from(phases.large_upload_image_mib * 1024 * 1024).unwrap_or(0);
        let video_bytes = usize::try_from(phases.large_upload_video_mib * 1024 * 1024).unwrap_or(0);
        {
            let (data, target, created) = (Arc::clone(data), target.clone(), uploads.clone());
            let image = data.portrait_of_size(image_bytes);
            let video = TestData::sized_video(video_bytes, 7);
            let (result, http) =
                load_engine::run_once("large_upload", &self.options(), move |client| {
                    let (data, target, image, video, created) = (
                        Arc::clone(&data),
                        target.clone(),
                        image.clone(),
                        video.clone(),
                        created.clone(),
                    );
                    Box::pin(async move {
                        let mut api = target.api(client);
                        let order = api
                            .create_order(&data.phone(), &data.name(0), &image, &video)
                            .await?;
                        created.adopt(order);
                        Ok::<(), portrait_workflow::ApiError>(())
                    })
                })
                .await?;
            if let Some(Err(error)) = result {
                self.output.note(&format!("  large upload failed: {error}"));
            }
            self.output.note(&format!(
                "  large_upload: {} in {}",
                report_model::MetricUnit::Bytes.format(http.bytes_sent as f64),
                duration(http.duration_us)
            ));
            self.push_scenario(http);
        }
        Self::check_interrupt()?;

        let executor = closed(phases.concurrent_upload_workers, phases.concurrent_uploads);
        let report = self
            .drive(&uploads.scenario("concurrent_uploads"), &executor)
            .await?;
        self.push_scenario(report);
        Self::check_interrupt()?;

        let orders = uploads.created();
        let reads = scenarios::db_reads(target, &orders);
        let report = self
            .drive(&reads, &closed(phases.db_read_workers, phases.db_reads))
            .await?;
        self.push_scenario(report);
        if let Some(path) = self.sqlite {
            let (path, runs) = (path.to_owned(), phases.db_reads);
            let timed = tokio::task::spawn_blocking(move || {
                portrait_workflow::time_direct_reads(&path, &orders, runs)
            })
            .await;
            match timed {
                Ok(Ok(report)) => {
                    let merged = report.merged().summary();
                    self.output.note(&format!(
                        "  db_direct: {} queries, p95 {} (read-only on {})",
                        merged.count,
                        duration(merged.p95_us),
                        report.database
                    ));
                    self.report.db_direct = Some(report);
                }
                Ok(Err(error)) => self
                    .output
                    .note(&format!("  direct queries skipped: {error}")),
                Err(error) => self
                    .output
                    .note(&format!("  direct queries failed: {error}")),
            }
        }
        Ok(())
    }

    async fn workflow(&mut self, target: &Target) -> Result<(), Stop> {
        let mut config = WorkflowConfig::new(self.base_url, &self.run_id);
        config.username.clone_from(&self.config.target.user);
        config.password.clone_from(&self.password);
        config.options = self.options();
        config.ledger = target.ledger.clone();
        let cancel = config.cancel.clone();
        let outcome = crate::interrupt::cancelling_on_signal(cancel, run_workflow(config)).await?;
        let failed = outcome.report.failed_steps();
        self.output.note(&format!(
            "  workflow: {} steps, {failed} failed",
            outcome.report.steps.len()
        ));
        self.push_scenario(outcome.http);
        self.report.workflow = Some(outcome.report);
        if outcome.interrupted {
            return Err(Stop::Interrupted);
        }
        Ok(())
    }

    async fn load(&mut self, target: &Target) -> Result<(), Stop> {
        let phases = &self.config.phases;
        let data = Arc::new(TestData::new(&format!("{}-load", self.run_id)));
        let orders = OrderCreation::new(target, data);
        let report = self
            .drive(
                &orders.scenario("concurrent_orders"),
                &closed(phases.order_workers, phases.orders),
            )
            .await;
        self.cleanup(&orders).await?;
        self.push_scenario(report?);
        Self::check_interrupt()?;

        let read_mix = scenarios::read_mix(target);
        let report = self
            .drive(
                &read_mix,
                &closed(phases.read_mix_workers, phases.read_mix_requests),
            )
            .await?;
        self.push_scenario(report);
        Self::check_interrupt()?;

        let stress = scenarios::stress(target);
        let executor = Executor::Closed {
            users: phases.stress_workers,
            bound: Bound::Duration(Duration::from_secs(phases.stress_seconds)),
            think_time: Duration::from_millis(phases.stress_think_ms),
        };
        let report = self.drive(&stress, &executor).await?;
        self.push_scenario(report);
        Ok(())
    }

    /// Local disk vs S3 vs through the service.
    async fn storage(&mut self, target: &Target) -> Result<(), Stop> {
        let phases = &self.config.phases;
        let mut plan = Plan::new(&format!("vertex-perf/{}", self.run_id));
        plan.sizes = storage_bench::parse_sizes(&phases.storage_sizes)
            .map_err(|e| Stop::Setup(e.to_string()))?;
        plan.objects = phases.storage_objects;
        plan.concurrency = phases.storage_concurrency;
        plan.operations = vec![
            StorageOperation::Put,
            StorageOperation::Get,
            StorageOperation::Head,
            StorageOperation::Delete,
        ];
        let embedded = if self.s3.is_some() {
            None
        } else {
            match EmbeddedS3::start(&self.scratch.join("embedded-s3")).await {
                Ok(server) => Some(server),
                Err(error) => {
                    self.output
                        .note(&format!("  embedded S3 did not start: {error}"));
                    None
                }
            }
        };
        let mut urls = vec![
            format!("file://{}", self.scratch.join("local").display()),
            self.s3.unwrap_or("s3+embedded://").to_owned(),
        ];
        urls.extend(phases.storage_backends.iter().cloned());
        let mut backends = open_all(&urls, self.output, async |url| {
            Backend::open(url, embedded.as_ref(), None, false).await
        })
        .await;
        let service_url = format!("vertex+{}", self.base_url);
        let store = ServiceStore::new(target.clone(), self.options(), &self.run_id);
        backends.push(
            Backend::service(&service_url, Arc::new(store)).map_err(|e| (service_url.clone(), e)),
        );
        let storage = crate::interrupt::cancelling_on_signal(
            plan.cancel.clone(),
            run_with_progress(&plan, backends),
        )
        .await
        .map_err(|e| Stop::Setup(e.to_string()))?;
        let interrupted = storage.interrupted;
        for ratio in &storage.ratios {
            self.output.note(&format!(
                "  {}/{} {} {}: {:.2}x",
                ratio.numerator,
                ratio.denominator,
                ratio.operation,
                report_model::MetricUnit::Bytes.format(ratio.object_size_bytes as f64),
                ratio.ratio
            ));
        }
        self.report.storage = Some(storage);
        if interrupted {
            return Err(Stop::Interrupted);
        }
        Ok(())
    }

    /// Labelled snapshots were taken around each phase; now a warm-up cycle and K counted
    /// cycles of the same workload, a snapshot after each, and the leak verdict.
    async fn memory(&mut self, target: &Target) -> Result<(), Stop> {
        if self.probe.is_none() {
            self.output
                .note("  skipped: no server process to take snapshots of (use --server-pid or --server-port)");
            return Ok(());
        }
        let phases = &self.config.phases;
        let data = Arc::new(TestData::new(&format!("{}-memory", self.run_id)));
        let mut cycles = MemoryCycles::new();
        let mut traffic = Vec::new();
        let ran = self
            .memory_cycles(target, &data, &mut cycles, &mut traffic)
            .await;
        let cycles_run = cycles.counted();
        let mut memory = cycles.finish(&phases.leak_thresholds(perf_sampler::Workload::Steady));
        // The phases' snapshots come first; `run_all` puts every one in the report, also
        // the cycles' of a run stopped midway.
        self.snapshots.append(&mut memory.snapshots);
        ran?;
        if cycles_run < phases.memory_cycles as usize {
            // The server process went away before the last cycle: no verdict from part
            // of the cycles.
            return Ok(());
        }
        if let Some(leak) = &memory.leak {
            self.output
                .note(&format!("  memory: {} — {}", leak.verdict, leak.reason));
        }
        memory.traffic = traffic;
        self.report.memory = Some(memory);
        Ok(())
    }

    /// The warm-up and the counted cycles, each recorded in `cycles` as it ends.
    async fn memory_cycles(
        &mut self,
        target: &Target,
        data: &Arc<TestData>,
        cycles: &mut MemoryCycles,
        traffic: &mut Vec<report_model::Traffic>,
    ) -> Result<(), Stop> {
        while cycles.counted() < self.config.phases.memory_cycles as usize {
            Self::check_interrupt()?;
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
                .map_err(|e| Stop::Setup(format!("memory snapshot failed: {e}")))?;
        }
        Ok(())
    }

    /// One cycle: the read mix and a few orders created and deleted. Returns both runs.
    async fn memory_cycle(
        &self,
        target: &Target,
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

fn closed(users: u32, iterations: u64) -> Executor {
    Executor::Closed {
        users,
        bound: Bound::Iterations(iterations),
        think_time: Duration::ZERO,
    }
}
