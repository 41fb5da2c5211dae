//! A Vertex AR-compatible stand-in server: the endpoints, fields, status codes, `detail`
//! strings and multipart rules of the real service's contract, over SQLite and an object
//! store, plus fault injection for testing the tool that measures it.
//!
//! # Brief overview
//!
//! - [`Sim::start`] with a [`SimConfig`] returns a [`SimHandle`] (`addr()`, `base_url()`,
//!   `shutdown()`); the server listens on a loopback port (port 0 by default).
//! - [`Faults`] inject latency, a stall window, 500s, a memory leak, slow bodies and cut
//!   connections, at start or through `/__control/faults` when [`SimConfig::control`] is set.
//!
//! Architecture invariant: this crate depends on no crate of vertex-perf. It is the system
//! under test, not part of the tool.
//!
//! Where the real service is odd, the stand-in is odd the same way (uploads with unusable
//! images answer `500 Internal Server Error` after writing files; client deletes leave
//! portraits behind), so that tests against it do not lie about the real one.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> Result<(), vertex_sim::SimError> {
//! let mut config = vertex_sim::SimConfig::new("/tmp/vertex-sim-data");
//! config.admin = Some(("admin".into(), "admin".into()));
//! let sim = vertex_sim::Sim::start(config).await?;
//! println!("serving on {}", sim.base_url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
mod config;
mod db;
mod errors;
mod faults;
mod media;
mod metrics;
mod problems;
mod routes;
mod server;
mod state;
mod uploads;

pub use config::{AfterServerError, Faults, MissingTokenStatus, RateLimit, SimConfig};
pub use errors::SimError;
pub use server::{Sim, SimHandle};

/// The version the service reports (`vertex-ar/VERSION`).
pub const VERSION: &str = "1.2.0";
