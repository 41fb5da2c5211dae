//! Authentication as the service does it: opaque in-memory bearer tokens with a sliding idle
//! expiry, per IP-and-path rate limits, and a per-username login lockout.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use base64::Engine as _;

use crate::config::RateLimit;
use crate::problems::Problem;

struct Session {
    username: String,
    last_seen: Instant,
}

struct Lockout {
    failures: u32,
    locked_until: Option<(Instant, chrono::NaiveDateTime)>,
}

/// Tokens, limiter windows and lockouts.
#[derive(Default)]
pub struct AuthState {
    sessions: Mutex<HashMap<String, Session>>,
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
    lockouts: Mutex<HashMap<String, Lockout>>,
}

/// Unsalted SHA-256 hex, as `users.hashed_password` stores it.
pub fn hash_password(password: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(password.as_bytes()))
}

impl AuthState {
    /// A new token: 32 random bytes, URL-safe base64 without padding (43 characters).
    pub fn issue(&self, username: &str) -> String {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        self.sessions.lock().expect("not poisoned").insert(
            token.clone(),
            Session {
                username: username.to_owned(),
                last_seen: Instant::now(),
            },
        );
        token
    }

    pub fn revoke(&self, token: &str) {
        self.sessions.lock().expect("not poisoned").remove(token);
    }

    /// The username of a live token, refreshing its idle timer.
    pub fn verify(&self, token: &str, timeout: Duration) -> Option<String> {
        let mut sessions = self.sessions.lock().expect("not poisoned");
        let session = sessions.get_mut(token)?;
        if !timeout.is_zero() && session.last_seen.elapsed() > timeout {
            sessions.remove(token);
            return None;
        }
        session.last_seen = Instant::now();
        Some(session.username.clone())
    }

    /// Sliding-window log per `<ip>:<path>`; `Err` with the window length when exceeded.
    pub fn check_rate(&self, key: String, limit: RateLimit) -> Result<(), Problem> {
        let mut windows = self.windows.lock().expect("not poisoned");
        let log = windows.entry(key).or_default();
        let now = Instant::now();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= limit.window)
        {
            log.pop_front();
        }
        if log.len() >= limit.requests as usize {
            return Err(Problem::DetailWithHeader(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded".to_owned(),
                header::RETRY_AFTER,
                limit.window.as_secs().to_string(),
            ));
        }
        log.push_back(now);
        Ok(())
    }

    /// `Err(423)` while `username` is locked.
    pub fn check_lockout(&self, username: &str) -> Result<(), Problem> {
        let mut lockouts = self.lockouts.lock().expect("not poisoned");
        if let Some(lockout) = lockouts.get_mut(username)
            && let Some((until, until_utc)) = lockout.locked_until
        {
            if Instant::now() < until {
                let message = format!(
                    "Account locked until {}",
                    until_utc.format("%Y-%m-%dT%H:%M:%S%.6f")
                );
                return Err(Problem::Detail(StatusCode::LOCKED, message));
            }
            lockouts.remove(username);
        }
        Ok(())
    }

    /// Counts a failed login; the failure that reaches `max_attempts` locks the account and
    /// answers 423 itself.
    pub fn record_failure(&self, username: &str, max_attempts: u32, lockout: Duration) -> Problem {
        let mut lockouts = self.lockouts.lock().expect("not poisoned");
        let entry = lockouts.entry(username.to_owned()).or_insert(Lockout {
            failures: 0,
            locked_until: None,
        });
        entry.failures += 1;
        if entry.failures >= max_attempts {
            let until_utc = chrono::Utc::now().naive_utc()
                + chrono::Duration::from_std(lockout).unwrap_or_default();
            entry.locked_until = Some((Instant::now() + lockout, until_utc));
            return Problem::detail(
                StatusCode::LOCKED,
                "Account locked due to multiple failed attempts",
            );
        }
        Problem::detail(StatusCode::UNAUTHORIZED, "Invalid credentials")
    }

    pub fn record_success(&self, username: &str) {
        self.lockouts.lock().expect("not poisoned").remove(username);
    }
}

/// The client IP of a request (rate-limit key part).
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}
