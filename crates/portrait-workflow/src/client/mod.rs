//! [`VertexClient`]: one method per endpoint of the Vertex AR contract, typed requests and
//! responses, on load-engine's instrumented [`Client`] so every call is measured.
//!
//! Written against the contract, not against vertex-sim: it sends a filename and a content
//! type on every file part, percent-encodes query values (a raw `+` would become a space),
//! treats 401 and 403 alike as auth failures, and never logs in more than once per token.

use bytes::Bytes;
use http::{Method, Request};
use load_engine::{Check, Client, MultipartForm, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use report_model::leftovers::LeftoverKind;

use crate::{ApiError, Ledger};

mod contract;
mod endpoints;

pub use contract::{
    ClientRecord, Order, Portrait, PortraitDetails, Upload, Video, storage_url_path,
};

/// What a JSON call of the contract must answer to count as a successful request, built
/// once for every call.
static JSON_CALL: std::sync::LazyLock<Check> = std::sync::LazyLock::new(Check::json);

/// The longest `Retry-After` a login waits out (once): the service's own window is a
/// minute (`AUTH_RATE_LIMIT` 5/minute).
pub const LOGIN_RETRY_AFTER_CAP: std::time::Duration = std::time::Duration::from_mins(1);

/// A Vertex AR client over an instrumented load-engine client.
pub struct VertexClient<'a> {
    client: &'a mut Client,
    base_url: String,
    token: Option<String>,
    ledger: Option<Ledger>,
    /// Extra attempts of a GET or DELETE that got no answer (cut, reset, timed out), a 5xx
    /// or a 429.
    retries: u32,
}

impl<'a> VertexClient<'a> {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8000`), without a token.
    pub fn new(client: &'a mut Client, base_url: &str) -> VertexClient<'a> {
        VertexClient {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: None,
            ledger: None,
            retries: 0,
        }
    }

    /// Sends a GET or DELETE that got no answer, a 5xx or a 429 up to `retries` more times
    /// (cleanup and verification, where an answer matters more than a measurement).
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> VertexClient<'a> {
        self.retries = retries;
        self
    }

    /// Records every row this client creates or deletes in `ledger`.
    #[must_use]
    pub fn with_ledger(mut self, ledger: Ledger) -> VertexClient<'a> {
        self.ledger = Some(ledger);
        self
    }

    /// `DELETE path` of the row `id`, its outcome told to the ledger.
    async fn delete(
        &mut self,
        kind: LeftoverKind,
        id: &str,
        path: &str,
        label: &str,
    ) -> Result<(), ApiError> {
        let result = self
            .call(Method::DELETE, path, label, Body::Empty, true)
            .await
            .map(|_| ());
        if let Some(ledger) = &self.ledger {
            ledger.deletion(kind, id, &result);
        }
        result
    }

    /// Uses an existing token (log in once, share the token).
    #[must_use]
    pub fn with_token(mut self, token: Option<String>) -> VertexClient<'a> {
        self.token = token;
        self
    }

    /// The current token.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    async fn call(
        &mut self,
        method: Method,
        path: &str,
        label: &str,
        body: Body,
        authenticated: bool,
    ) -> Result<Response, ApiError> {
        self.call_checked(method, path, label, body, authenticated, &Check::success())
            .await
    }

    /// Sends one call; `check` decides whether the load engine records it as a success
    /// (a JSON endpoint answering HTML with 200 is a failed request, not an ok one).
    async fn call_checked(
        &mut self,
        method: Method,
        path: &str,
        label: &str,
        body: Body,
        authenticated: bool,
        check: &Check,
    ) -> Result<Response, ApiError> {
        let call = format!("{method} {path}");
        // Only reads and deletions are idempotent enough to send again.
        let attempts = if method == Method::GET || method == Method::DELETE {
            1 + self.retries
        } else {
            1
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_url));
        if authenticated && let Some(token) = &self.token {
            builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Body::Empty => Bytes::new(),
            Body::Json(value) => {
                builder = builder.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
            }
            Body::Multipart(form) => {
                let (bytes, content_type) = form.encode();
                builder = builder.header(http::header::CONTENT_TYPE, content_type);
                bytes
            }
        };
        let request = builder.body(body).map_err(|err| ApiError::Shape {
            call: call.clone(),
            message: err.to_string(),
        })?;
        // Earlier attempts send a copy and are retried on a lost answer, a 5xx or a 429
        // (as passing as a lost answer); the last one sends the request itself.
        let mut answered = None;
        for _ in 1..attempts {
            match self
                .client
                .send_checked(label, request.clone(), check)
                .await
            {
                Ok(response) if response.status >= 500 || response.status == 429 => {}
                Ok(response) => {
                    answered = Some(response);
                    break;
                }
                Err(_) => {}
            }
        }
        let response = match answered {
            Some(response) => response,
            None => self
                .client
                .send_checked(label, request, check)
                .await
                .map_err(|failure| ApiError::Transport {
                    call: call.clone(),
                    class: failure.class,
                    message: failure.message,
                })?,
        };
        if response.status >= 400 {
            let content_type = response.content_type().to_owned();
            let detail = serde_json::from_slice::<Value>(&response.body)
                .ok()
                .and_then(|v| {
                    v.get("detail")
                        .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned))
                })
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&response.body)
                        .chars()
                        .take(300)
                        .collect()
                });
            let retry_after_secs = response
                .headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            return Err(ApiError::Http {
                call,
                status: response.status,
                content_type,
                detail,
                retry_after_secs,
            });
        }
        Ok(response)
    }

    async fn json<T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        label: &str,
        body: Body,
        authenticated: bool,
    ) -> Result<T, ApiError> {
        let call = format!("{method} {path}");
        let response = self
            .call_checked(method, path, label, body, authenticated, &JSON_CALL)
            .await?;
        if !response.content_type().contains("json") {
            return Err(ApiError::NotJson {
                call,
                status: response.status,
                content_type: response.content_type().to_owned(),
                preview: String::from_utf8_lossy(&response.body[..response.body.len().min(120)])
                    .into_owned(),
            });
        }
        serde_json::from_slice(&response.body).map_err(|err| ApiError::Shape {
            call,
            message: err.to_string(),
        })
    }
}

enum Body {
    Empty,
    Json(Value),
    Multipart(MultipartForm),
}

/// What is escaped in path segments and query values: all but RFC 3986 unreserved
/// characters, so `+` always travels as `%2B`.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment, percent-encoded.
fn segment(value: &str) -> String {
    utf8_percent_encode(value, ESCAPED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_is_encoded() {
        assert_eq!(utf8_percent_encode("+7999", ESCAPED).to_string(), "%2B7999");
        assert_eq!(segment("3f2a-b_c"), "3f2a-b_c");
    }
}
