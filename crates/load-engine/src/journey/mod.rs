//! Journey files: multi-step user journeys written in TOML and run by every executor without
//! recompiling. A [`Journey`] is read and checked whole before any request is sent (an
//! unknown variable, a bad pointer or a missing CSV column is an error naming the file, line
//! and key); its steps then run as a [`UserScenario`], its `[[setup]]` once before the run and
//! its `[[teardown]]` once after. `docs/scenario-files.md` documents every key.

mod cookies;
mod file;
mod plan;
mod runner;
mod template;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use crate::{BoxFuture, Client, IterationError, LoadError, LoadOptions, Scenario, UserScenario};

use plan::DataMode;
use runner::RunShared;

/// Why a journey file cannot run, or its setup or teardown failed.
#[derive(Debug, thiserror::Error)]
pub enum JourneyError {
    /// The file is wrong: where (`file:line:column`), which key, and what.
    #[error("{location}: {}{message}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
    File {
        /// `path:line:column`.
        location: String,
        /// The key, e.g. `step[2].url` (empty for a TOML syntax error).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A `[[setup]]` step failed: the run does not start.
    #[error("setup step `{step}` failed")]
    Setup {
        /// Its label.
        step: String,
        /// What happened.
        #[source]
        source: IterationError,
    },
    /// The options cannot make a client.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// A journey read from a file, ready to run.
pub struct Journey {
    shared: Arc<RunShared>,
}

/// What the teardown did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TeardownReport {
    /// Teardown requests sent (each item of a `for_each` counts).
    pub steps_run: u64,
    /// The ones that failed, with the first few messages.
    pub failed: u64,
    /// Up to five failure messages.
    pub messages: Vec<String>,
    /// Values not recorded because a list reached its limit.
    pub not_recorded: u64,
}

impl TeardownReport {
    /// What went wrong, in one line (`None`: nothing did).
    pub fn problems(&self) -> Option<String> {
        if self.failed == 0 && self.not_recorded == 0 {
            return None;
        }
        let mut line = format!(
            "teardown: {} of {} requests failed",
            self.failed, self.steps_run
        );
        if !self.messages.is_empty() {
            let _ = write!(line, " ({})", self.messages.join("; "));
        }
        if self.not_recorded > 0 {
            let _ = write!(
                line,
                "; {} values were not recorded (list limit), so not cleaned up",
                self.not_recorded
            );
        }
        Some(line)
    }
}

impl Journey {
    /// Reads and checks the journey at `path`. `base` (the target's URL) overrides the
    /// file's `base`; one of them must be given.
    pub fn from_file(path: &Path, base: Option<&str>) -> Result<Journey, JourneyError> {
        let source = std::fs::read_to_string(path).map_err(|source| JourneyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Journey::from_source(&source, path, base)
    }

    /// Like [`Journey::from_file`] with the text given; `path` names it in errors and its
    /// directory holds the files it names.
    pub fn from_source(
        source: &str,
        path: &Path,
        base: Option<&str>,
    ) -> Result<Journey, JourneyError> {
        let plan = file::compile(source, path)?;
        let Some(base) = base
            .map(|b| Arc::<str>::from(b.trim_end_matches('/')))
            .or_else(|| plan.base_value.clone())
        else {
            return Err(JourneyError::File {
                location: format!("{}:1:1", path.display()),
                key: "base".to_owned(),
                message: "no base URL: set `base` in the file or give the target's URL".to_owned(),
            });
        };
        Ok(Journey {
            shared: Arc::new(RunShared::new(plan, base)),
        })
    }

    /// The JSON Schema (draft 2020-12) of a journey file read as JSON (taplo and editors
    /// validate TOML with it); the committed copy is `docs/schema/scenario-file.schema.json`.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(file::JourneyFile)).unwrap_or_default()
    }

    /// The journey's name (`name`, or the file's stem).
    pub fn name(&self) -> &str {
        &self.shared.plan.name
    }

    /// The base URL its templates start from (`{base}`).
    pub fn base(&self) -> &str {
        self.shared.base()
    }

    /// The labels of its `[[step]]`s, in order: the endpoints its reports show.
    pub fn step_labels(&self) -> Vec<String> {
        self.shared
            .plan
            .steps
            .iter()
            .map(|step| step.label.to_string())
            .collect()
    }

    /// Refuses a run of more users than a `unique` data file has rows.
    pub fn check_users(&self, users: u64) -> Result<(), JourneyError> {
        match &self.shared.plan.data {
            Some(data) if data.mode == DataMode::Unique && users > data.rows.len() as u64 => {
                Err(JourneyError::File {
                    location: "data".to_owned(),
                    key: "data.mode".to_owned(),
                    message: format!(
                        "`unique` gives each user its own row: {users} users, {} rows",
                        data.rows.len()
                    ),
                })
            }
            _ => Ok(()),
        }
    }

    /// Runs the `[[setup]]` steps once (a client of their own); what they extract is every
    /// user's. Call before the run.
    pub async fn setup(&self, options: &LoadOptions) -> Result<(), JourneyError> {
        self.shared.setup(options).await
    }

    /// The scenario running the `[[step]]`s once per iteration.
    pub fn scenario(&self) -> Scenario {
        Scenario::user(
            &self.shared.plan.name,
            JourneyScenario {
                shared: Arc::clone(&self.shared),
            },
        )
    }

    /// Runs the `[[teardown]]` steps once, each `for_each` step over its recorded list. A
    /// failed teardown request does not stop the others.
    pub async fn teardown(&self, options: &LoadOptions) -> Result<TeardownReport, JourneyError> {
        self.shared.teardown(options).await
    }
}

struct JourneyScenario {
    shared: Arc<RunShared>,
}

impl UserScenario for JourneyScenario {
    fn iteration<'a>(
        &'a self,
        client: &'a mut Client,
    ) -> BoxFuture<'a, Result<(), IterationError>> {
        Box::pin(self.shared.iteration(client))
    }
}
