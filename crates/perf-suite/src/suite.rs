//! [`Suite`]: what to run against which service, and [`Suite::run`], which runs it and
//! returns the filled report.

use std::path::PathBuf;
use std::time::Duration;

use perf_sampler::ProcessTarget;
use report_model::shard::Shard;
use report_model::{Gate, RunKind, RunMeta, RunOutcome, SuiteReport};
use tokio_util::sync::CancellationToken;

use crate::context::{Context, Stop};
use crate::samplers::Samplers;
use crate::{ConfigProblem, Phase, SuiteConfig, SuiteError, SuiteEvent};

/// The suite against one service: its configuration, the password, the processes to
/// watch and the optional parts. Build it, then [`run`](Suite::run) it.
#[derive(Debug, Clone)]
pub struct Suite {
    config: SuiteConfig,
    password: String,
    server: Option<ProcessTarget>,
    storage_server: Option<ProcessTarget>,
    sqlite: Option<PathBuf>,
    s3: Option<String>,
    phases: Vec<Phase>,
    shard: Shard,
}

impl Suite {
    /// Every phase against `config.target`, logging in with `password`, watching no process
    /// (see [`watch_server`](Suite::watch_server) and [`local_server`](crate::local_server)).
    pub fn new(config: SuiteConfig, password: impl Into<String>) -> Suite {
        Suite {
            config,
            password: password.into(),
            server: None,
            storage_server: None,
            sqlite: None,
            s3: None,
            phases: Phase::ALL.to_vec(),
            shard: Shard::WHOLE,
        }
    }

    /// Samples this process (the service) for the whole run and takes its memory snapshots;
    /// without it there are no server figures and no memory phase.
    #[must_use]
    pub fn watch_server(mut self, target: ProcessTarget) -> Suite {
        self.server = Some(target);
        self
    }

    /// Samples this process too, as the storage server (MinIO, an S3 endpoint).
    #[must_use]
    pub fn watch_storage_server(mut self, target: ProcessTarget) -> Suite {
        self.storage_server = Some(target);
        self
    }

    /// Also times the DB-backed reads directly on the service's SQLite file (read-only).
    #[must_use]
    pub fn direct_sqlite(mut self, path: PathBuf) -> Suite {
        self.sqlite = Some(path);
        self
    }

    /// Compares with this S3 URL instead of the embedded S3 server.
    #[must_use]
    pub fn s3(mut self, url: String) -> Suite {
        self.s3 = Some(url);
        self
    }

    /// Runs only these phases (still in the suite's order); the health check, the login and
    /// the final check of what the run left behind always run.
    #[must_use]
    pub fn only(mut self, phases: &[Phase]) -> Suite {
        self.phases = Phase::ALL
            .into_iter()
            .filter(|phase| phases.contains(phase))
            .collect();
        self
    }

    /// Runs this shard of a split suite: the load scenarios' users, requests and arrivals
    /// and the storage objects are split exactly (see [`Shard`]); what runs once — the
    /// workflow, the memory cycles, the large upload and the direct database reads — runs on
    /// shard 1 only. Every shard logs in (registering when asked: an existing user is fine)
    /// and works on data named after its own run, which it cleans up itself.
    #[must_use]
    pub fn shard(mut self, shard: Shard) -> Suite {
        self.shard = shard;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SuiteConfig {
        &self.config
    }

    /// The gate that judges this suite's report: its thresholds, and whether server figures
    /// are expected (a watched server that gave none is never a pass).
    pub fn gate(&self) -> Result<Gate, ConfigProblem> {
        Ok(Gate::new(RunKind::Suite)
            .with_thresholds(&self.config.parsed_thresholds()?)
            .expecting_sampler(self.server.is_some()))
    }

    /// Runs the phases in order and returns the report they filled, with its outcome:
    /// completed, interrupted (`cancel` was cancelled: what is in flight finishes, what was
    /// created is deleted) or a setup failure. Whatever happens, what the run created is
    /// cleaned up and what the service still holds is listed in `leftovers`. The report is
    /// not yet judged: see [`gate`](Suite::gate).
    pub async fn run(
        &self,
        meta: RunMeta,
        cancel: CancellationToken,
        events: &(dyn Fn(SuiteEvent) + Send + Sync),
    ) -> SuiteReport {
        let mut report = SuiteReport::new(meta);
        let note = |text: String| events(SuiteEvent::Note(text));
        let samplers = Samplers::start(
            self.server.as_ref(),
            self.storage_server.as_ref(),
            &self.config.phases,
            &note,
        );
        let outcome = match tempfile::Builder::new()
            .prefix("vertex-perf-suite-")
            .tempdir()
        {
            Ok(scratch) => {
                let mut context = Context {
                    config: &self.config,
                    base_url: self.config.target.url.trim_end_matches('/').to_owned(),
                    password: &self.password,
                    run_id: report.meta.run_id.clone(),
                    probe: samplers.server_probe(&note),
                    scratch: scratch.path(),
                    sqlite: self.sqlite.as_deref(),
                    s3: self.s3.as_deref(),
                    cancel,
                    events,
                    report: &mut report,
                    snapshots: Vec::new(),
                    target: None,
                    storage_before: None,
                    shard: self.shard,
                };
                let phases = context.run_all(&self.phases);
                tokio::pin!(phases);
                // The watched processes' readings go out once a second whatever the
                // phase (a live metrics scrape shows them between progress reports too).
                let mut ticker = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tokio::select! {
                        outcome = &mut phases => break outcome,
                        _ = ticker.tick() => samplers.publish(events),
                    }
                }
            }
            Err(error) => Err(Stop::setup(SuiteError::Scratch(error))),
        };
        samplers.stop_into(&mut report, &note);
        report.meta.finish();
        report.outcome = match outcome {
            Ok(()) => RunOutcome::Completed,
            Err(Stop::Interrupted) => RunOutcome::Interrupted,
            Err(Stop::Setup(error)) => {
                let outcome = RunOutcome::setup_failed(&*error);
                if let RunOutcome::SetupFailed { message } = &outcome {
                    note(format!("error: {message}"));
                }
                outcome
            }
        };
        report
    }
}
