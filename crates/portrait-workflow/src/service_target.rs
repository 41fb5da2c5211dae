//! [`ServiceTarget`]: one logged-in service, as every scenario and protocol of this crate
//! sees it: where to send, the token of one login, and the ledger of what was created.

use load_engine::{Client, LoadError, LoadOptions};
use report_model::{leftovers::Leftover, workflow::CleanupSummary};

use crate::client::VertexClient;
use crate::{ApiError, Ledger};

/// Where the scenarios send requests, the token they share (log in once), and the ledger
/// every row they create is recorded in.
#[derive(Debug, Clone)]
pub struct ServiceTarget {
    /// The service.
    pub base_url: String,
    /// A bearer token from one login.
    pub token: String,
    /// What the scenarios created and did not see deleted (shared by clones).
    pub ledger: Ledger,
}

impl ServiceTarget {
    /// `base_url` with `token` and a new, empty ledger.
    pub fn new(base_url: &str, token: String) -> ServiceTarget {
        let base_url = base_url.trim_end_matches('/').to_owned();
        ServiceTarget {
            ledger: Ledger::new(&base_url),
            base_url,
            token,
        }
    }

    /// A client of this target: its token, its ledger.
    pub fn api<'c>(&self, client: &'c mut Client) -> VertexClient<'c> {
        VertexClient::new(client, &self.base_url)
            .with_token(Some(self.token.clone()))
            .with_ledger(self.ledger.clone())
    }

    /// The service's storage as `(files, bytes)` (`/admin/storage-info`); `None` when it
    /// cannot say (an older service, an error).
    pub async fn storage_usage(&self, options: &LoadOptions) -> Option<(u64, u64)> {
        let mut client = Client::standalone(options).ok()?;
        self.api(&mut client).storage_usage().await.ok()
    }

    /// Checks with the service what the target's scenarios left behind after their
    /// cleanup, deleting what it can unless `keep` (see [`Ledger::settle`]).
    pub async fn settle(
        &self,
        options: &LoadOptions,
        keep: bool,
    ) -> Result<(Vec<Leftover>, CleanupSummary), LoadError> {
        self.ledger
            .settle(&self.base_url, &self.token, options, keep)
            .await
    }
}

/// `GET /health`, judged as a pre-check: status 200 with `"status": "healthy"`. Returns the
/// service's answer (its `version` says what was measured).
pub async fn health_check(
    base_url: &str,
    options: &LoadOptions,
) -> Result<serde_json::Value, ApiError> {
    let mut client = Client::standalone(options).map_err(ApiError::setup("GET /health"))?;
    let health = VertexClient::new(&mut client, base_url).health().await?;
    if health.get("status").and_then(serde_json::Value::as_str) == Some("healthy") {
        Ok(health)
    } else {
        Err(ApiError::Shape {
            call: "GET /health".to_owned(),
            message: format!("expected \"status\": \"healthy\", got {health}"),
        })
    }
}

/// Logs in once as `username` (registering first when `register` is set; an existing
/// user is fine) and returns the target every scenario shares.
pub async fn log_in(
    base_url: &str,
    username: &str,
    password: &str,
    register: bool,
    options: &LoadOptions,
) -> Result<ServiceTarget, ApiError> {
    let mut client = Client::standalone(options).map_err(ApiError::setup("POST /auth/login"))?;
    let mut api = VertexClient::new(&mut client, base_url);
    if register
        && let Err(error) = api.register(username, password).await
        && error.status() != Some(409)
    {
        return Err(error);
    }
    let token = api.login(username, password).await?;
    Ok(ServiceTarget::new(base_url, token))
}
