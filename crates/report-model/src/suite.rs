//! [`SuiteReport`]: the one top-level document of a run.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{
    Comparison, LeakAnalysis, LoadReport, MemoryReport, ReportError, RunMeta, SamplerReport,
    StorageReport, ThresholdResult, Verdict, WorkflowReport,
};

/// The schema version of every document this crate writes. Bumped on any incompatible
/// change; readers refuse other versions with [`ReportError::SchemaVersion`].
pub const SCHEMA_VERSION: u32 = 3;

/// Everything one run of vertex-perf measured and decided.
///
/// # Format
///
/// Serialised as one JSON object (`suite.json`). `schema_version` comes first and is checked
/// before anything else is read. Sections the run did not include are `null`: a `load` run
/// fills `load`, a `monitor` run fills `sampler`, the suite fills all of them. Units are in
/// the field names (`_us`, `_bytes`, `_percent`); latency histograms are HdrHistogram V2
/// (deflate, base64) strings and merge exactly across runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuiteReport {
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// Tool, host, target and time span.
    pub meta: RunMeta,
    /// Whether the run completed, was interrupted, or could not start.
    pub outcome: RunOutcome,
    /// The worst verdict of the run (see [`SuiteReport::computed_verdict`]).
    pub verdict: Verdict,
    /// Server process and host resources.
    pub sampler: Option<SamplerReport>,
    /// The storage server (local MinIO or the embedded S3 process), when it was watched.
    #[serde(default)]
    pub storage_server: Option<SamplerReport>,
    /// HTTP load scenarios.
    pub load: Option<LoadReport>,
    /// Storage benchmark.
    pub storage: Option<StorageReport>,
    /// End-to-end workflow.
    pub workflow: Option<WorkflowReport>,
    /// The service's queries timed directly against its database (`--sqlite`).
    #[serde(default)]
    pub db_direct: Option<crate::DbQueriesReport>,
    /// Memory snapshots and leak verdict.
    pub memory: Option<MemoryReport>,
    /// Thresholds evaluated against this run.
    pub thresholds: Vec<ThresholdResult>,
    /// Comparison with a baseline, when one was given.
    pub comparison: Option<Comparison>,
    /// What the run was asked to measure and did not (see [`crate::Gate`]); each fails
    /// the run.
    #[serde(default)]
    pub gaps: Vec<String>,
    /// True when the run was stopped early (Ctrl-C, SIGTERM); the same as an
    /// `interrupted` outcome, spelled out for readers that look for a flag.
    #[serde(default)]
    pub interrupted: bool,
    /// What the run created and could not confirm deleted, verified against the server
    /// (or the bucket) after cleanup.
    #[serde(default)]
    pub leftovers: Vec<crate::Leftover>,
    /// How the service's own storage changed over the run (`/admin/storage-info`).
    #[serde(default)]
    pub storage_growth: Option<crate::StorageGrowth>,
    /// A merged run's watched processes, per host its shards ran on (`sampler` and
    /// `storage_server` are the first such host's); empty for a run of one process.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<crate::sampler::HostSamplers>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunOutcome {
    /// Every phase ran to its bound.
    Completed,
    /// Stopped early (Ctrl-C); the report holds what was done.
    Interrupted,
    /// The run could not start or a phase could not be set up.
    SetupFailed {
        /// One line saying what failed and what to do.
        message: String,
    },
    /// The run ended but measured nothing it was asked to measure (every request failed,
    /// every backend was skipped, no sample was taken): never a pass.
    NothingMeasured {
        /// What was missing.
        message: String,
    },
}

impl RunOutcome {
    /// A setup failure whose message is `error`'s chain and hints
    /// ([`error_chain`](crate::error_chain)).
    pub fn setup_failed(error: &(dyn std::error::Error + 'static)) -> RunOutcome {
        RunOutcome::SetupFailed {
            message: crate::error_chain(error),
        }
    }
}

impl SuiteReport {
    /// The JSON Schema (draft 2020-12) of `suite.json`, generated from these types; the
    /// committed copy is `docs/schema/suite.schema.json`.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(SuiteReport)).unwrap_or_default()
    }

    /// An empty report for a run described by `meta`.
    pub fn new(meta: RunMeta) -> SuiteReport {
        SuiteReport {
            schema_version: SCHEMA_VERSION,
            meta,
            outcome: RunOutcome::Completed,
            verdict: Verdict::Pass,
            sampler: None,
            storage_server: None,
            load: None,
            storage: None,
            workflow: None,
            db_direct: None,
            memory: None,
            thresholds: Vec::new(),
            comparison: None,
            gaps: Vec::new(),
            interrupted: false,
            leftovers: Vec::new(),
            storage_growth: None,
            hosts: Vec::new(),
        }
    }

    /// The worst of: every evaluated threshold, the workflow (a failed step fails), both leak
    /// analyses that could judge, storage integrity (a mismatch fails), the baseline
    /// comparison (a regression of a gated metric fails), the gaps (each fails) and the
    /// outcome (a setup failure or a run that measured nothing fails).
    pub fn computed_verdict(&self) -> Verdict {
        let mut verdicts: Vec<Verdict> = self.thresholds.iter().filter_map(|t| t.verdict).collect();
        if self.workflow.as_ref().is_some_and(|w| !w.passed()) {
            verdicts.push(Verdict::Fail);
        }
        verdicts.extend(self.leak_checks().filter_map(|(_, leak)| leak.judged()));
        let integrity_broken = self
            .storage
            .as_ref()
            .is_some_and(|s| s.results.iter().any(|r| !r.integrity.mismatches.is_empty()));
        let regressed = self
            .comparison
            .as_ref()
            .is_some_and(Comparison::has_regression);
        let setup_failed = matches!(
            self.outcome,
            RunOutcome::SetupFailed { .. } | RunOutcome::NothingMeasured { .. }
        );
        if integrity_broken || regressed || setup_failed || !self.gaps.is_empty() {
            verdicts.push(Verdict::Fail);
        }
        // Something left behind is worth a look, not a failed build; data kept on purpose
        // (`--keep-data`) is neither.
        if self.leftovers.iter().any(|l| !l.is_kept()) {
            verdicts.push(Verdict::Warn);
        }
        Verdict::worst(verdicts)
    }

    /// The leak analyses of the run, named: `server` (the sampler over the whole run) and
    /// `memory cycles` (the memory scenario).
    pub fn leak_checks(&self) -> impl Iterator<Item = (&'static str, &LeakAnalysis)> {
        [
            (
                "server",
                self.sampler.as_ref().and_then(|s| s.leak.as_ref()),
            ),
            (
                "memory cycles",
                self.memory.as_ref().and_then(|m| m.leak.as_ref()),
            ),
        ]
        .into_iter()
        .filter_map(|(name, leak)| leak.map(|leak| (name, leak)))
    }

    /// Parses a suite report, checking `schema_version` first. `origin` names the input in
    /// errors.
    pub fn from_json_slice(bytes: &[u8], origin: &Path) -> Result<SuiteReport, ReportError> {
        let decode_error = |err: &serde_json::Error| ReportError::Decode {
            path: origin.to_owned(),
            expected: "suite report",
            message: describe_json_error(err),
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|err| decode_error(&err))?;
        let Some(object) = value.as_object() else {
            return Err(ReportError::Decode {
                path: origin.to_owned(),
                expected: "suite report",
                message: "the top level is not a JSON object".to_owned(),
            });
        };
        match object.get("schema_version") {
            Some(version) if version.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {}
            found => {
                return Err(ReportError::SchemaVersion {
                    path: origin.to_owned(),
                    found: found.map_or_else(|| "missing".to_owned(), ToString::to_string),
                    supported: SCHEMA_VERSION,
                });
            }
        }
        serde_json::from_slice(bytes).map_err(|err| decode_error(&err))
    }

    /// Reads and parses a suite report file.
    pub fn read(path: &Path) -> Result<SuiteReport, ReportError> {
        let bytes = std::fs::read(path).map_err(|source| ReportError::Read {
            path: path.to_owned(),
            source,
        })?;
        SuiteReport::from_json_slice(&bytes, path)
    }
}

fn describe_json_error(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let place = format!("line {} column {}", err.line(), err.column());
    match err.classify() {
        Category::Eof => format!("the file ends early at {place} (truncated?)"),
        Category::Syntax => format!("not JSON: {err}"),
        Category::Data => format!("unexpected shape: {err}"),
        Category::Io => format!("read error at {place}: {err}"),
    }
}
