//! [`WorkflowReport`]: the end-to-end portrait workflow, step by step.

use serde::{Deserialize, Serialize};

/// The steps of one workflow run and what its cleanup left behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkflowReport {
    /// Schema version of this section, [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The service, credentials removed.
    pub base_url: String,
    /// Steps in the order they ran.
    pub steps: Vec<WorkflowStep>,
    /// What cleanup deleted and what it could not.
    pub cleanup: CleanupSummary,
}

impl WorkflowReport {
    /// True when every step passed.
    pub fn passed(&self) -> bool {
        self.steps
            .iter()
            .all(|step| step.status == StepStatus::Passed)
    }

    /// Why the workflow could not use the service at all: its first step (`Authentication`:
    /// health and login) failed, so the target is down or refused the credentials.
    pub fn setup_failure(&self) -> Option<String> {
        let first = self.steps.first()?;
        (first.name == "Authentication" && first.status == StepStatus::Failed).then(|| {
            let reason = first
                .failure
                .as_ref()
                .map_or("no reason recorded", |f| f.reason.as_str());
            format!("the workflow could not log in: {reason}")
        })
    }

    /// Steps that passed.
    pub fn passed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| step.status == StepStatus::Passed)
            .count()
    }

    /// Steps that failed.
    pub fn failed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| step.status == StepStatus::Failed)
            .count()
    }
}

/// One step of the workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkflowStep {
    /// Step name, e.g. `Client Search`.
    pub name: String,
    /// Outcome.
    pub status: StepStatus,
    /// Wall time, microseconds.
    pub duration_us: u64,
    /// Step-specific figures (counts, ids), as the old suite's `details`.
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Why it failed or was skipped.
    pub failure: Option<StepFailure>,
}

/// Step outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Every rule of the step held.
    Passed,
    /// A rule did not hold, or a call failed.
    Failed,
    /// Not run because a step it depends on failed.
    Skipped,
}

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StepFailure {
    /// One sentence.
    pub reason: String,
    /// HTTP status of the failing call, when there was one.
    pub http_status: Option<u16>,
    /// The service's `detail` (JSON) or body text.
    pub detail: Option<String>,
    /// What the rule expected.
    pub expected: Option<String>,
    /// What was found instead.
    pub found: Option<String>,
}

/// Cleanup results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CleanupSummary {
    /// Videos deleted.
    pub deleted_videos: u64,
    /// Portraits deleted.
    pub deleted_portraits: u64,
    /// Clients deleted.
    pub deleted_clients: u64,
    /// What could not be deleted, with the reason.
    pub leftovers: Vec<String>,
}

impl CleanupSummary {
    /// Adds the counts and failures of a later cleanup pass.
    pub fn add(&mut self, later: CleanupSummary) {
        self.deleted_videos += later.deleted_videos;
        self.deleted_portraits += later.deleted_portraits;
        self.deleted_clients += later.deleted_clients;
        self.leftovers.extend(later.leftovers);
    }
}
