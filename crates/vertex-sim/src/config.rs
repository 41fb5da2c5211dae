//! [`SimConfig`]: everything the stand-in server can be told at start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::SimError;

/// A rate limit such as `5/minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

impl RateLimit {
    /// Parses the service's format: `N/second|minute|hour|day`.
    pub fn parse(text: &str) -> Result<RateLimit, SimError> {
        let invalid = || SimError::Config {
            message: format!("rate limit `{text}` is not like `5/minute`"),
        };
        let (count, unit) = text.trim().split_once('/').ok_or_else(invalid)?;
        let requests: u32 = count.trim().parse().map_err(|_| invalid())?;
        let seconds = match unit.trim() {
            "second" => 1,
            "minute" => 60,
            "hour" => 3600,
            "day" => 86_400,
            _ => return Err(invalid()),
        };
        Ok(RateLimit {
            requests,
            window: Duration::from_secs(seconds),
        })
    }
}

/// Faults injected into responses, for testing the tool itself. All off by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added latency per response, milliseconds.
    pub latency_ms: u64,
    /// Extra random latency up to this many milliseconds.
    pub jitter_ms: u64,
    /// Slows each response down by this percentage of the time the handler took (`30`:
    /// +30 % latency on the route), the way a real regression scales with the work.
    pub slowdown_percent: f64,
    /// Only requests whose path starts with this get faults (latency, errors, leak, slow and
    /// cut bodies). `None`: every route.
    pub route: Option<String>,
    /// Fraction (0..=1) of requests answered `500 Internal Server Error`.
    pub error_rate: f64,
    /// Fraction (0..=1) of requests answered `429 Too Many Requests` with `Retry-After`.
    pub throttle_rate: f64,
    /// The `Retry-After` of a throttled request, seconds (`0` is sent as `1`).
    pub retry_after_secs: u64,
    /// Fraction (0..=1) of requests answered `200` with an HTML page, as a proxy or a
    /// captive portal in front of the service would.
    pub html_rate: f64,
    /// KiB kept in memory per request (a deliberate leak).
    pub leak_kib_per_request: u64,
    /// Response bodies are sent at most this fast, bytes per second.
    pub slow_body_bytes_per_sec: Option<u64>,
    /// Fraction (0..=1) of responses whose connection is cut halfway through the body.
    pub cut_rate: f64,
    /// Pause every response for this long, starting when the faults are applied
    /// (a stall window), milliseconds.
    pub stall_ms: u64,
}

impl Faults {
    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let fraction = |value: f64, name: &str| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(SimError::Config {
                    message: format!("`{name}` must be between 0 and 1, got `{value}`"),
                })
            }
        };
        fraction(self.error_rate, "error_rate")?;
        fraction(self.cut_rate, "cut_rate")?;
        fraction(self.throttle_rate, "throttle_rate")?;
        fraction(self.html_rate, "html_rate")?;
        if !(0.0..=10_000.0).contains(&self.slowdown_percent) {
            return Err(SimError::Config {
                message: format!(
                    "`slowdown_percent` must be between 0 and 10000, got `{}`",
                    self.slowdown_percent
                ),
            });
        }
        if self.slow_body_bytes_per_sec == Some(0) {
            return Err(SimError::Config {
                message: "`slow_body_bytes_per_sec` must be above zero".to_owned(),
            });
        }
        Ok(())
    }
}

/// Status for a request without an `Authorization` header: 401 (FastAPI ≥ 0.122, the
/// default here) or 403 (older FastAPI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingTokenStatus {
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized,
    /// 403.
    Forbidden,
}

/// The server's configuration.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Holds `app_data.db` and, for local storage, `storage/`.
    pub data_dir: PathBuf,
    /// `file:///dir` (default: `<data_dir>/storage`) or `s3://bucket?endpoint=...`.
    pub storage_url: Option<String>,
    /// Keys for an `s3://` storage URL: (access key, secret). `None`: from
    /// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` or `MINIO_ACCESS_KEY`/`MINIO_SECRET_KEY`.
    pub storage_credentials: Option<(String, String)>,
    /// Base of `permanent_link` and `ar_url`; default `http://<bound address>`.
    pub base_url: Option<String>,
    /// An admin created at start: (username, password).
    pub admin: Option<(String, String)>,
    /// Status for a missing `Authorization` header.
    pub missing_token_status: MissingTokenStatus,
    /// Limit on `/auth/*` per client IP and path (`AUTH_RATE_LIMIT`, default `5/minute`).
    pub auth_rate_limit: RateLimit,
    /// Limit on `/ar/upload` (`UPLOAD_RATE_LIMIT`, default `10/minute`).
    pub upload_rate_limit: RateLimit,
    /// Failed logins before a lockout (`AUTH_MAX_ATTEMPTS`, default 5).
    pub max_login_attempts: u32,
    /// Lockout length (`AUTH_LOCKOUT_MINUTES`, default 15 min).
    pub lockout: Duration,
    /// Idle token expiry (`SESSION_TIMEOUT_MINUTES`, default 30 min; zero never expires).
    pub session_timeout: Duration,
    /// Answer an unusable image with a documented 422 instead of the real service's
    /// `500 Internal Server Error`.
    pub strict_errors: bool,
    /// Extra CPU work per image pixel, like the real marker generator.
    pub marker_cost: bool,
    /// Faults active from the start.
    pub faults: Faults,
    /// Serve `/__control/faults` to change faults at run time.
    pub control: bool,
    /// What happens to the connection after a `500`.
    pub after_server_error: AfterServerError,
}

/// The connection after a `500 Internal Server Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterServerError {
    /// Closed, as uvicorn closes it after an unhandled exception (the default).
    Close,
    /// Kept open for the next request.
    KeepAlive,
}

impl SimConfig {
    /// Defaults that match the real service, listening on `127.0.0.1:0`.
    pub fn new(data_dir: impl Into<PathBuf>) -> SimConfig {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            storage_url: None,
            storage_credentials: None,
            base_url: None,
            admin: None,
            missing_token_status: MissingTokenStatus::Unauthorized,
            auth_rate_limit: RateLimit {
                requests: 5,
                window: Duration::from_mins(1),
            },
            upload_rate_limit: RateLimit {
                requests: 10,
                window: Duration::from_mins(1),
            },
            max_login_attempts: 5,
            lockout: Duration::from_mins(15),
            session_timeout: Duration::from_mins(30),
            strict_errors: false,
            marker_cost: false,
            faults: Faults::default(),
            control: false,
            after_server_error: AfterServerError::Close,
        }
    }
}
