//! The end-to-end workflow: the old suite's ten steps with stricter rules, an integrity step
//! that downloads what was stored and compares SHA-256, and a cleanup of everything created.
//! It runs as one iteration of a load-engine user scenario, so every call is recorded by the
//! same machinery as load.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use load_engine::{
    Bound, BoxFuture, Client, Executor, IterationError, LoadError, LoadOptions, RunControl,
    Scenario, UserScenario,
};
use report_model::{
    SCHEMA_VERSION, ScenarioReport, WorkflowReport, leftovers::Leftover, leftovers::StorageGrowth,
    redact_url, workflow::CleanupSummary,
};
use tokio_util::sync::CancellationToken;

use crate::client::{Order, VertexClient};
use crate::{Ledger, TestData};

mod steps;

use steps::Walk;

/// What the workflow needs to know.
#[derive(Debug, Clone)]
pub struct WorkflowConfig {
    /// The service, e.g. `http://127.0.0.1:8000`.
    pub base_url: String,
    /// Login name (default `admin`, like the old suite).
    pub username: String,
    /// Password (default `admin`); never written to a report.
    pub password: String,
    /// Register the user first (a fresh service has no admin).
    pub register_admin: bool,
    /// Leave created data in place.
    pub keep_data: bool,
    /// Tags the test data so concurrent runs never collide.
    pub run_id: String,
    /// HTTP options (timeouts, TLS).
    pub options: LoadOptions,
    /// Every row the walk creates is recorded here (share one ledger across a suite).
    pub ledger: Ledger,
    /// Cancel to stop after the step in progress: the remaining steps are skipped as
    /// interrupted, and the cleanup still runs.
    pub cancel: CancellationToken,
}

impl WorkflowConfig {
    /// `admin`/`admin` against `base_url`.
    pub fn new(base_url: &str, run_id: &str) -> WorkflowConfig {
        WorkflowConfig {
            base_url: base_url.to_owned(),
            username: "admin".to_owned(),
            password: "admin".to_owned(),
            register_admin: false,
            keep_data: false,
            run_id: run_id.to_owned(),
            options: LoadOptions::default(),
            ledger: Ledger::new(base_url),
            cancel: CancellationToken::new(),
        }
    }
}

/// The workflow's steps and the HTTP figures of every call it made.
#[derive(Debug, Clone)]
pub struct WorkflowOutcome {
    /// Steps, cleanup.
    pub report: WorkflowReport,
    /// Per-endpoint latency and status figures of the run.
    pub http: ScenarioReport,
    /// What the service still holds of what the walk created, checked after the cleanup
    /// (with `keep_data`: everything, marked as kept).
    pub leftovers: Vec<Leftover>,
    /// True when [`WorkflowConfig::cancel`] stopped the walk early.
    pub interrupted: bool,
    /// The service's storage before the walk and after its cleanup (`/admin/storage-info`).
    pub storage_growth: Option<StorageGrowth>,
}

/// Runs the workflow once. Fails only when the HTTP machinery cannot be set up; failed
/// steps are data in the report.
pub async fn run_workflow(config: WorkflowConfig) -> Result<WorkflowOutcome, LoadError> {
    let output = Arc::new(Mutex::new(None));
    let scenario = Scenario::user(
        "workflow",
        WorkflowScenario {
            config: config.clone(),
            output: Arc::clone(&output),
        },
    );
    let executor = Executor::Closed {
        users: 1,
        bound: Bound::Iterations(1),
        think_time: Duration::ZERO,
    };
    let http =
        load_engine::run(&scenario, &executor, &config.options, RunControl::default()).await?;
    let walked = output.lock().expect("not poisoned").take();
    let Walked {
        mut report,
        token,
        storage_before,
    } = walked.unwrap_or_else(|| Walked {
        report: WorkflowReport {
            schema_version: SCHEMA_VERSION,
            base_url: redact_url(&config.base_url),
            steps: vec![],
            cleanup: CleanupSummary::default(),
        },
        token: None,
        storage_before: None,
    });
    let mut storage_growth = None;
    let leftovers = match token {
        Some(token) => {
            let target = crate::ServiceTarget {
                base_url: config.base_url.clone(),
                token,
                ledger: config.ledger.clone(),
            };
            let (leftovers, settled) = target.settle(&config.options, config.keep_data).await?;
            report.cleanup.add(settled);
            if let Some(before) = storage_before {
                storage_growth = target
                    .storage_usage(&config.options)
                    .await
                    .map(|after| StorageGrowth::between(before, after));
            }
            leftovers
        }
        // Never logged in: nothing was created, or nothing can be asked.
        None => config.ledger.remaining(config.keep_data),
    };
    Ok(WorkflowOutcome {
        report,
        http,
        leftovers,
        interrupted: config.cancel.is_cancelled(),
        storage_growth,
    })
}

/// What one walk hands back.
struct Walked {
    report: WorkflowReport,
    token: Option<String>,
    storage_before: Option<(u64, u64)>,
}

struct WorkflowScenario {
    config: WorkflowConfig,
    /// The walk's report, the token it logged in with, and the storage before it.
    output: Arc<Mutex<Option<Walked>>>,
}

impl UserScenario for WorkflowScenario {
    fn iteration<'a>(
        &'a self,
        client: &'a mut Client,
    ) -> BoxFuture<'a, Result<(), IterationError>> {
        Box::pin(async move {
            let walked = Walk::new(&self.config).run(client).await;
            let passed = walked.report.passed();
            *self.output.lock().expect("not poisoned") = Some(walked);
            if passed {
                Ok(())
            } else {
                Err(IterationError::check("a workflow step failed"))
            }
        })
    }
}

/// Deletes every video, portrait and client of `orders`. The last active video of a
/// portrait cannot be deleted alone (400 in the contract), so a throwaway video is added
/// first. What cannot be deleted is listed, with the reason. (Files stay on the server's
/// disk: the service has no call that deletes them.)
pub async fn delete_created(
    api: &mut VertexClient<'_>,
    orders: &[Order],
    data: &TestData,
) -> CleanupSummary {
    let mut summary = CleanupSummary::default();
    for order in orders {
        // A client whose portrait stays is kept too, so the portrait can still be found
        // by its client (and a later cleanup can finish the job).
        if !delete_portrait_and_videos(api, &order.portrait.id, data, &mut summary).await {
            summary.leftovers.push(format!(
                "client {}: kept while its portrait is there",
                order.client.id
            ));
            continue;
        }
        match api.delete_client(&order.client.id).await {
            Ok(()) => summary.deleted_clients += 1,
            Err(error) => summary
                .leftovers
                .push(format!("client {}: {error}", order.client.id)),
        }
    }
    summary
}

/// Deletes a portrait's videos (adding a throwaway one when the last is active), then
/// the portrait, counting into `summary`. True when the portrait is gone.
pub(crate) async fn delete_portrait_and_videos(
    api: &mut VertexClient<'_>,
    portrait_id: &str,
    data: &TestData,
    summary: &mut CleanupSummary,
) -> bool {
    // Each round lists the videos again, so an answer lost on the way (a throwaway
    // video that was added after all, a deletion that happened) is seen as it is.
    let mut cleared = false;
    for _ in 0..10 {
        let videos = match api.list_videos(portrait_id).await {
            Ok(videos) => videos,
            Err(error) => {
                summary
                    .leftovers
                    .push(format!("videos of portrait {portrait_id}: {error}"));
                continue;
            }
        };
        let Some(target) = videos
            .iter()
            .find(|v| v.is_active)
            .or(videos.first())
            .cloned()
        else {
            cleared = true;
            break;
        };
        if videos.len() == 1 && target.is_active {
            if let Err(error) = api.add_video(portrait_id, &data.small_video()).await {
                summary
                    .leftovers
                    .push(format!("video {}: {error}", target.id));
            }
            continue;
        }
        match api.delete_video(&target.id).await {
            Ok(()) => summary.deleted_videos += 1,
            // Deleted already (an earlier answer was lost).
            Err(error) if error.status() == Some(404) => {}
            Err(error) => summary
                .leftovers
                .push(format!("video {}: {error}", target.id)),
        }
    }
    if !cleared {
        // Deleting the portrait now could orphan an active video that no call can delete
        // any more: it stays for a later attempt.
        return false;
    }
    match api.delete_portrait(portrait_id).await {
        Ok(()) => {
            summary.deleted_portraits += 1;
            true
        }
        Err(error) if error.status() == Some(404) => true,
        Err(error) => {
            summary
                .leftovers
                .push(format!("portrait {portrait_id}: {error}"));
            false
        }
    }
}
