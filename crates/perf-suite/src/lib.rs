//! The Vertex AR performance suite as a library: every phase against one service, in order,
//! with the server sampled for the whole run, filling one [`SuiteReport`].
//!
//! - [`SuiteConfig`] is `vertex-perf.toml`: the target, the thresholds and each phase's size
//!   per [`Profile`]; built-in values cover everything and a file overrides any subset.
//! - [`Suite`] is what to run: the configuration, the password, the processes to watch,
//!   which [`Phase`]s. [`Suite::run`] runs them and returns the report, marked completed,
//!   interrupted (its [`CancellationToken`] was cancelled) or a setup failure; what the run
//!   created is deleted however it ended.
//! - Progress arrives as [`SuiteEvent`]s through a callback; the library never prints.
//! - [`Suite::gate`] judges the report (thresholds, and never a pass without server figures
//!   when a server was watched); comparing with a baseline and writing the files are the
//!   caller's, through report-model.
//!
//! The phases: health pre-check and login; comprehensive (one large order upload,
//! concurrent uploads, DB-backed reads); the workflow; load (orders, read mix, stress);
//! storage (local disk vs S3 vs through the service); memory (snapshots around every
//! phase, then identical workload cycles and their leak verdict).
//!
//! ```no_run
//! use perf_suite::{CancellationToken, Profile, RunMeta, Suite, SuiteConfig, local_server};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SuiteConfig::load(None, Profile::Quick)?;
//! let mut suite = Suite::new(config, "admin");
//! if let Some(server) = local_server("http://127.0.0.1:8000") {
//!     suite = suite.watch_server(server);
//! }
//! let mut report = suite
//!     .run(meta(), CancellationToken::new(), &|event| eprintln!("{event:?}"))
//!     .await;
//! report.judge(&suite.gate()?, None);
//! println!("{}", report.verdict);
//! # Ok(())
//! # }
//! # fn meta() -> RunMeta {
//! #     RunMeta::start("1.0", perf_sampler::host_info(), Some("http://127.0.0.1:8000"))
//! # }
//! ```
//!

mod config;
mod context;
mod errors;
mod events;
mod phases;
mod samplers;
mod suite;

pub use config::{PhaseSizes, Profile, SuiteConfig, TargetConfig};
pub use errors::{ConfigProblem, SuiteError};
pub use events::{Phase, SuiteEvent};
pub use samplers::local_server;
pub use suite::Suite;

// The types the API takes and returns, so a caller needs no second dependency.
pub use perf_sampler::ProcessTarget;
pub use report_model::{RunMeta, SuiteReport};
pub use tokio_util::sync::CancellationToken;
