//! An embeddable HTTP load generator: closed, open (constant arrival rate), ramping and
//! sweep executors over tokio (HTTP/1.1 driven in each worker's task with httparse, HTTP/2
//! through hyper 1.x, TLS through rustls), with exact, bounded-memory statistics.
//!
//! # Brief overview
//!
//! - A [`Scenario`] says what one iteration does: send a [`RequestTemplate`] judged by a
//!   [`Check`], or run [`UserScenario`] code with an instrumented [`Client`].
//! - An [`Executor`] says when iterations start; every run is bounded ([`Bound`]) and has a
//!   hard deadline.
//! - [`run`] returns a [`report_model::ScenarioReport`]; [`sweep`] one per concurrency
//!   level; [`run_once`] runs one call of user code, measured. [`RunControl`] carries the
//!   progress channel and the cancellation token.
//! - [`Client::standalone`] is the same instrumented client outside any run.
//!
//! Choices nobody could guess from the code alone:
//!
//! - In the open model latency counts from each iteration's *intended* start, so a stalled
//!   server shows as high response times instead of fewer requests (no coordinated
//!   omission); the service time from the actual send is kept beside it.
//! - Each worker owns its connection, drives its HTTP/1.1 exchanges in its own task (no
//!   dispatch task or channel per request: see `http1.rs` for why not hyper's client there)
//!   and records into a local batch; one aggregator task folds batches into HdrHistograms.
//!   No lock is shared on the hot path and memory does not grow with the request count.
//! - A failed request is data (an [`report_model::ErrorClass`] with a count and one sample
//!   message), never an error of the run.
//!
//! # Example
//!
//! ```no_run
//! use std::time::Duration;
//! use load_engine::{Bound, Executor, LoadOptions, RequestTemplate, RunControl, Scenario};
//!
//! # async fn demo() -> Result<(), load_engine::LoadError> {
//! let scenario = Scenario::template("health", RequestTemplate::get("http://127.0.0.1:8000/health")?);
//! let executor = Executor::Open { rate_per_sec: 200.0, bound: Bound::Duration(Duration::from_secs(10)), max_in_flight: 50 };
//! let report = load_engine::run(&scenario, &executor, &LoadOptions::default(), RunControl::default()).await?;
//! println!("p99 {} µs over {} requests", report.response_time.summary.p99_us, report.total_requests);
//! # Ok(()) }
//! ```

mod check;
mod client;
mod connection;
mod errors;
mod exchange;
mod execution;
mod executor;
mod http1;
pub mod journey;
pub mod limits;
mod once;
mod recorder;
mod request;
mod run;
mod scenario;

pub use check::{BodyCheck, Check, JsonShape};
pub use client::{Client, RequestFailure, Response};
pub use connection::TlsOptions;
pub use errors::{BoxError, LoadError};
pub use executor::{Bound, Executor, Stage, Stages};
pub use once::run_once;
pub use recorder::Progress;
pub use report_model::shard::Shard;
pub use request::{MultipartForm, RequestTemplate};
pub use run::{LoadOptions, RunControl, observe_run, run, sweep};
pub use scenario::{BoxFuture, IterationError, Scenario, ScenarioKind, UserScenario};

// The report types a run returns, so a caller needs no second dependency.
pub use report_model::{ErrorClass, ScenarioReport};
