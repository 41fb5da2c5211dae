//! What the phases share while the suite runs, and the steps every phase uses: begin (stop
//! when cancelled, take the labelled snapshot), drive a load scenario with progress events,
//! delete what a scenario created, and — after the phases, however they ended — settle what
//! the run left behind.

use std::path::Path;
use std::time::Duration;

use load_engine::{Bound, Executor, LoadOptions, Scenario};
use perf_sampler::MemoryProbe;
use portrait_workflow::ServiceTarget;
use portrait_workflow::scenarios::OrderCreation;
use report_model::shard::Shard;
use report_model::{
    LoadReport, MemoryReport, MetricUnit, SCHEMA_VERSION, ScenarioReport, SuiteReport,
    memory::MemorySnapshot,
};
use tokio_util::sync::CancellationToken;

use crate::{Phase, SuiteConfig, SuiteError, SuiteEvent};

/// Why a phase stopped the run.
pub(crate) enum Stop {
    /// Cancelled: the phases after it do not run.
    Interrupted,
    /// The run cannot go on.
    Setup(Box<SuiteError>),
}

impl Stop {
    pub(crate) fn setup(error: SuiteError) -> Stop {
        Stop::Setup(Box::new(error))
    }
}

impl From<load_engine::LoadError> for Stop {
    fn from(error: load_engine::LoadError) -> Stop {
        Stop::setup(SuiteError::Load(error))
    }
}

/// Everything the phases share.
pub(crate) struct Context<'a> {
    pub config: &'a SuiteConfig,
    pub base_url: String,
    pub password: &'a str,
    pub run_id: String,
    pub probe: Option<MemoryProbe>,
    pub scratch: &'a Path,
    pub sqlite: Option<&'a Path>,
    pub s3: Option<&'a str>,
    pub cancel: CancellationToken,
    pub events: &'a (dyn Fn(SuiteEvent) + Send + Sync),
    pub report: &'a mut SuiteReport,
    pub snapshots: Vec<MemorySnapshot>,
    /// The logged-in target, once the login succeeded: its ledger holds every row the
    /// phases created.
    pub target: Option<ServiceTarget>,
    /// The service's storage right after the login, `(files, bytes)`.
    pub storage_before: Option<(u64, u64)>,
    /// This process's part of a split run ([`Shard::WHOLE`] unless split).
    pub shard: Shard,
}

impl Context<'_> {
    /// The health check, the login, then `phases` in order; then, however they ended, the
    /// settling and every labelled snapshot into the report.
    pub async fn run_all(&mut self, phases: &[Phase]) -> Result<(), Stop> {
        let outcome = self.phases(phases).await;
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

    async fn phases(&mut self, phases: &[Phase]) -> Result<(), Stop> {
        let target = self.log_in().await?;
        for &phase in phases {
            if phase.runs_once() && !self.shard.is_first() {
                self.note(format!("{phase}: runs on shard 1 only"));
                continue;
            }
            self.begin(phase)?;
            match phase {
                Phase::Comprehensive => self.comprehensive(&target).await?,
                Phase::Workflow => self.workflow(&target).await?,
                Phase::Load => self.load(&target).await?,
                Phase::Storage => self.storage(&target).await?,
                Phase::Memory => self.memory(&target).await?,
            }
        }
        Ok(())
    }

    /// The health pre-check (its version goes into the run identity) and the login.
    async fn log_in(&mut self) -> Result<ServiceTarget, Stop> {
        let options = self.options();
        self.snapshot("suite_start");
        self.note("health pre-check".to_owned());
        let health = portrait_workflow::health_check(&self.base_url, &options)
            .await
            .map_err(|source| {
                Stop::setup(SuiteError::Unhealthy {
                    url: report_model::redact_url(&self.base_url),
                    source,
                })
            })?;
        // The service's own version string is part of what the run measured.
        if let (Some(identity), Some(version)) = (
            self.report.meta.identity.as_mut(),
            health.get("version").and_then(serde_json::Value::as_str),
        ) {
            identity.service_version = Some(version.to_owned());
        }
        let user = &self.config.target.user;
        let target = portrait_workflow::log_in(
            &self.base_url,
            user,
            self.password,
            self.config.target.register_admin,
            &options,
        )
        .await
        .map_err(|source| {
            Stop::setup(SuiteError::Login {
                user: user.clone(),
                source,
            })
        })?;
        self.storage_before = target.storage_usage(&options).await;
        self.target = Some(target.clone());
        self.report.load = Some(LoadReport {
            schema_version: SCHEMA_VERSION,
            scenarios: Vec::new(),
        });
        Ok(target)
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
            Err(error) => self.note(format!(
                "cannot check what the run left behind: {}",
                report_model::error_chain(&error)
            )),
        }
        if let Some(before) = self.storage_before
            && let Some(after) = target.storage_usage(&options).await
        {
            self.report.storage_growth = Some(report_model::leftovers::StorageGrowth::between(
                before, after,
            ));
        }
    }

    /// Starts a phase: stops when cancelled, and takes the labelled snapshot before it
    /// (which is also the snapshot after the phase before).
    fn begin(&mut self, phase: Phase) -> Result<(), Stop> {
        self.check_cancelled()?;
        (self.events)(SuiteEvent::PhaseStarted(phase));
        self.snapshot(&format!("before_{phase}"));
        Ok(())
    }

    pub fn check_cancelled(&self) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            Err(Stop::Interrupted)
        } else {
            Ok(())
        }
    }

    pub fn note(&self, text: String) {
        (self.events)(SuiteEvent::Note(text));
    }

    pub fn snapshot(&mut self, label: &str) {
        if let Some(probe) = &mut self.probe {
            match probe.snapshot(label) {
                Ok(snapshot) => self.snapshots.push(snapshot),
                Err(error) => {
                    self.note(format!("memory snapshot `{label}` failed: {error}"));
                    self.probe = None;
                }
            }
        }
    }

    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            request_timeout: Duration::from_secs(self.config.phases.request_timeout_s),
            ..LoadOptions::default()
        }
    }

    pub fn push_scenario(&mut self, scenario: ScenarioReport) {
        self.report
            .load
            .get_or_insert_with(|| LoadReport {
                schema_version: SCHEMA_VERSION,
                scenarios: Vec::new(),
            })
            .scenarios
            .push(scenario);
    }

    /// Runs this shard's part of a load-engine scenario, sending its progress as events;
    /// cancelling the suite stops it gracefully.
    pub async fn drive(
        &self,
        scenario: &Scenario,
        executor: &Executor,
    ) -> Result<ScenarioReport, Stop> {
        let options = LoadOptions {
            shard: self.shard,
            ..self.options()
        };
        let result = load_engine::observe_run(
            self.cancel.child_token(),
            |control| load_engine::run(scenario, executor, &options, control),
            |progress| {
                (self.events)(SuiteEvent::LoadProgress {
                    scenario: scenario.name.clone(),
                    progress,
                });
            },
        )
        .await;
        (self.events)(SuiteEvent::ProgressEnded);
        let report = result?;
        self.note(format!(
            "  {}: {} requests, {:.1}/s, p95 {}, {:.1}% ok",
            report.name,
            report.total_requests,
            report.requests_per_second,
            duration(report.response_time.summary.p95_us),
            report.success_rate_percent
        ));
        Ok(report)
    }

    /// Deletes the orders `orders` created; what could not be deleted is noted (and found
    /// again by the final settling).
    pub async fn cleanup(&self, orders: &OrderCreation) -> Result<(), Stop> {
        let cleanup = orders.cleanup(&self.options()).await?;
        if !cleanup.leftovers.is_empty() {
            self.note(format!(
                "could not delete: {}",
                cleanup.leftovers.join("; ")
            ));
        }
        Ok(())
    }
}

/// `users` closed-model users sharing `iterations`.
pub(crate) fn closed(users: u32, iterations: u64) -> Executor {
    Executor::Closed {
        users,
        bound: Bound::Iterations(iterations),
        think_time: Duration::ZERO,
    }
}

/// `12.3ms` and friends, for notes.
pub(crate) fn duration(us: u64) -> String {
    MetricUnit::Duration.format(us as f64)
}
