//! The ten steps of one walk, in order, each recorded with its duration, details and
//! failure; a step whose precondition failed is recorded as skipped, and the cleanup deletes
//! everything the walk created.

use std::time::Instant;

use load_engine::Client;
use report_model::workflow::{CleanupSummary, StepFailure, StepStatus, WorkflowStep};
use report_model::{SCHEMA_VERSION, WorkflowReport, redact_url};
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use super::{Walked, WorkflowConfig, delete_created};
use crate::client::{Order, Upload, VertexClient, Video};
use crate::{ApiError, TestData};

type StepResult = Result<Map<String, Value>, StepFailure>;

/// What [`Walk::skip`] is told when the walk was cancelled.
const INTERRUPTED: &str = "interrupted";

fn failure(reason: impl Into<String>) -> StepFailure {
    StepFailure {
        reason: reason.into(),
        http_status: None,
        detail: None,
        expected: None,
        found: None,
    }
}

fn api_failure(error: &ApiError) -> StepFailure {
    StepFailure {
        reason: error.to_string(),
        http_status: error.status(),
        detail: error.detail().map(str::to_owned),
        expected: None,
        found: None,
    }
}

fn mismatch(
    reason: &str,
    expected: impl std::fmt::Display,
    found: impl std::fmt::Display,
) -> StepFailure {
    StepFailure {
        reason: reason.to_owned(),
        http_status: None,
        detail: None,
        expected: Some(expected.to_string()),
        found: Some(found.to_string()),
    }
}

fn details(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One walk through the steps.
pub(super) struct Walk<'c> {
    config: &'c WorkflowConfig,
    data: TestData,
    steps: Vec<WorkflowStep>,
    orders: Vec<Order>,
    phones: Vec<String>,
    /// Server path and SHA-256 of every uploaded file.
    uploaded: Vec<(String, String)>,
    second_video: Option<Video>,
}

impl<'c> Walk<'c> {
    pub(super) fn new(config: &'c WorkflowConfig) -> Walk<'c> {
        let data = TestData::new(&config.run_id);
        config.ledger.watch(&data);
        Walk {
            config,
            data,
            steps: Vec::new(),
            orders: Vec::new(),
            phones: Vec::new(),
            uploaded: Vec::new(),
            second_video: None,
        }
    }

    fn record(&mut self, name: &str, started: Instant, result: StepResult) -> bool {
        let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let passed = result.is_ok();
        let (status, details, failure) = match result {
            Ok(details) => (StepStatus::Passed, details, None),
            Err(failure) => (StepStatus::Failed, Map::new(), Some(failure)),
        };
        self.steps.push(WorkflowStep {
            name: name.to_owned(),
            status,
            duration_us,
            details,
            failure,
        });
        passed
    }

    /// Skips `name` because the step `because` failed (or the walk was interrupted).
    fn skip(&mut self, name: &str, because: &str) {
        let reason = if because == INTERRUPTED {
            "skipped: interrupted".to_owned()
        } else {
            format!("skipped: {because} failed")
        };
        self.steps.push(WorkflowStep {
            name: name.to_owned(),
            status: StepStatus::Skipped,
            duration_us: 0,
            details: Map::new(),
            failure: Some(failure(reason)),
        });
    }

    /// Walks the steps; returns the report, the token it logged in with and the storage
    /// before it.
    pub(super) async fn run(mut self, client: &mut Client) -> Walked {
        const AFTER_DATA: [&str; 8] = [
            "Client Search",
            "Client List",
            "Portrait List",
            "Portrait Details",
            "Video Management",
            "Public Portrait Access",
            "System Endpoints",
            "Data Integrity",
        ];
        let mut api = VertexClient::new(client, &self.config.base_url)
            .with_ledger(self.config.ledger.clone());

        let started = Instant::now();
        let result = self.authenticate(&mut api).await;
        let after_login = || std::iter::once("Test Data Creation").chain(AFTER_DATA);
        if !self.record("Authentication", started, result) {
            for name in after_login() {
                self.skip(name, "Authentication");
            }
            return self.finish(CleanupSummary::default(), None, None);
        }
        let token = api.token().map(str::to_owned);
        let storage_before = api.storage_usage().await.ok();
        if self.config.cancel.is_cancelled() {
            for name in after_login() {
                self.skip(name, INTERRUPTED);
            }
            return self.finish(CleanupSummary::default(), token, storage_before);
        }

        let started = Instant::now();
        let result = self.create_data(&mut api).await;
        let created = self.record("Test Data Creation", started, result);
        if self.orders.is_empty() {
            for name in AFTER_DATA {
                self.skip(name, "Test Data Creation");
            }
        } else {
            let _ = created;
            for name in AFTER_DATA {
                if self.config.cancel.is_cancelled() {
                    self.skip(name, INTERRUPTED);
                    continue;
                }
                let started = Instant::now();
                let result = match name {
                    "Client Search" => self.client_search(&mut api).await,
                    "Client List" => self.client_list(&mut api).await,
                    "Portrait List" => self.portrait_list(&mut api).await,
                    "Portrait Details" => self.portrait_details(&mut api).await,
                    "Video Management" => self.video_management(&mut api).await,
                    "Public Portrait Access" => self.public_access(&mut api).await,
                    "System Endpoints" => self.system_endpoints(&mut api).await,
                    _ => self.data_integrity(&mut api).await,
                };
                self.record(name, started, result);
            }
        }
        let cleanup = if self.config.keep_data {
            CleanupSummary::default()
        } else {
            self.cleanup(&mut api).await
        };
        self.finish(cleanup, token, storage_before)
    }

    fn finish(
        self,
        cleanup: CleanupSummary,
        token: Option<String>,
        storage_before: Option<(u64, u64)>,
    ) -> Walked {
        Walked {
            report: WorkflowReport {
                schema_version: SCHEMA_VERSION,
                base_url: redact_url(&self.config.base_url),
                steps: self.steps,
                cleanup,
            },
            token,
            storage_before,
        }
    }

    async fn authenticate(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        if self.config.register_admin {
            match api
                .register(&self.config.username, &self.config.password)
                .await
            {
                Ok(()) => {}
                Err(error) if error.status() == Some(409) => {}
                Err(error) => return Err(api_failure(&error)),
            }
        }
        let token = api
            .login(&self.config.username, &self.config.password)
            .await
            .map_err(|e| api_failure(&e))?;
        Ok(details(json!({"token_length": token.len()})))
    }

    fn remember(&mut self, path: &str, upload: &Upload) {
        self.uploaded.push((
            path.to_owned(),
            hex::encode(sha2::Sha256::digest(&upload.bytes)),
        ));
    }

    /// 3 orders and a second video for the first: all four calls must succeed.
    async fn create_data(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let mut errors = Vec::new();
        for index in 0..3 {
            let (phone, name) = (self.data.phone(), self.data.name(index));
            let (image, video) = (self.data.portrait(), self.data.small_video());
            match api.create_order(&phone, &name, &image, &video).await {
                Ok(order) => {
                    self.remember(&order.portrait.image_path, &image);
                    self.remember(&order.video.video_path, &video);
                    self.phones.push(phone);
                    self.orders.push(order);
                }
                Err(error) => errors.push(error),
            }
        }
        if let Some(first) = self.orders.first().map(|o| o.portrait.id.clone()) {
            let video = self.data.small_video();
            match api.add_video(&first, &video).await {
                Ok(added) if !added.is_active => {
                    self.remember(&added.video_path, &video);
                    self.second_video = Some(added);
                }
                Ok(_) => {
                    return Err(mismatch(
                        "/videos/add returned an active video",
                        "is_active false",
                        "true",
                    ));
                }
                Err(error) => errors.push(error),
            }
        }
        if let Some(error) = errors.first() {
            let mut failure = api_failure(error);
            failure.expected = Some("3 orders and 1 added video".to_owned());
            failure.found = Some(format!(
                "{} orders, {} errors",
                self.orders.len(),
                errors.len()
            ));
            return Err(failure);
        }
        Ok(details(
            json!({"clients_created": 3, "orders_created": self.orders.len(), "videos_added": 1}),
        ))
    }

    async fn client_search(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let phone = &self.phones[0];
        let found = api
            .search_clients(phone)
            .await
            .map_err(|e| api_failure(&e))?;
        if !found.iter().any(|c| &c.phone == phone) {
            return Err(mismatch(
                "the searched client is missing",
                phone,
                format!("{} results", found.len()),
            ));
        }
        Ok(details(
            json!({"search_phone": phone, "results_count": found.len()}),
        ))
    }

    async fn client_list(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let clients = api.list_clients().await.map_err(|e| api_failure(&e))?;
        let missing: Vec<&String> = self
            .phones
            .iter()
            .filter(|p| !clients.iter().any(|c| &&c.phone == p))
            .collect();
        if clients.len() < 3 || !missing.is_empty() {
            return Err(mismatch(
                "created clients are missing from the list",
                "all 3 created phones",
                format!("{} clients, missing {missing:?}", clients.len()),
            ));
        }
        Ok(details(json!({"clients_count": clients.len()})))
    }

    async fn portrait_list(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let portraits = api
            .list_portraits(None)
            .await
            .map_err(|e| api_failure(&e))?;
        let missing = self
            .orders
            .iter()
            .filter(|o| !portraits.iter().any(|p| p.id == o.portrait.id))
            .count();
        if missing > 0 {
            return Err(mismatch(
                "created portraits are missing from the list",
                self.orders.len(),
                self.orders.len() - missing,
            ));
        }
        Ok(details(json!({"portraits_count": portraits.len()})))
    }

    async fn portrait_details(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let first = &self.orders[0];
        let found = api
            .portrait_details(&first.portrait.id)
            .await
            .map_err(|e| api_failure(&e))?;
        if found.client.id != first.client.id || found.videos.len() != 2 {
            return Err(mismatch(
                "details do not match the order",
                "its client and 2 videos",
                format!("client {}, {} videos", found.client.id, found.videos.len()),
            ));
        }
        Ok(details(json!({"videos_count": found.videos.len()})))
    }

    /// Activate the inactive video, then re-read: exactly one active, the one activated.
    async fn video_management(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let portrait_id = self.orders[0].portrait.id.clone();
        let videos = api
            .list_videos(&portrait_id)
            .await
            .map_err(|e| api_failure(&e))?;
        let inactive = videos
            .iter()
            .find(|v| !v.is_active)
            .ok_or_else(|| mismatch("no inactive video to activate", ">= 1 inactive", 0))?;
        if videos.len() < 2 {
            return Err(mismatch("too few videos", 2, videos.len()));
        }
        let activated = api
            .activate_video(&inactive.id)
            .await
            .map_err(|e| api_failure(&e))?;
        let after = api
            .list_videos(&portrait_id)
            .await
            .map_err(|e| api_failure(&e))?;
        let active: Vec<&Video> = after.iter().filter(|v| v.is_active).collect();
        if active.len() != 1 || active[0].id != activated.id {
            return Err(mismatch(
                "activation did not leave exactly the activated video active",
                &activated.id,
                format!("{} active", active.len()),
            ));
        }
        Ok(details(
            json!({"total_videos": after.len(), "activated_video_id": activated.id}),
        ))
    }

    async fn public_access(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let (status, content_type) = api
            .public_portrait(&self.orders[0].portrait.id)
            .await
            .map_err(|e| api_failure(&e))?;
        if status != 200 || !content_type.contains("html") {
            return Err(mismatch(
                "the public page is not HTML",
                "200 text/html",
                format!("{status} {content_type}"),
            ));
        }
        Ok(details(
            json!({"status": status, "content_type": content_type}),
        ))
    }

    async fn system_endpoints(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        api.system_info().await.map_err(|e| api_failure(&e))?;
        api.storage_info().await.map_err(|e| api_failure(&e))?;
        api.content_stats().await.map_err(|e| api_failure(&e))?;
        Ok(details(
            json!({"system-info": 200, "storage-info": 200, "content-stats": 200}),
        ))
    }

    /// Every created phone is a client, every created portrait reads back, and every stored
    /// file has the SHA-256 of what was uploaded.
    async fn data_integrity(&mut self, api: &mut VertexClient<'_>) -> StepResult {
        let clients = api.list_clients().await.map_err(|e| api_failure(&e))?;
        let missing_phones = self
            .phones
            .iter()
            .filter(|p| !clients.iter().any(|c| &&c.phone == p))
            .count();
        for order in &self.orders {
            api.portrait_details(&order.portrait.id)
                .await
                .map_err(|e| api_failure(&e))?;
        }
        let mut mismatched = Vec::new();
        for (path, expected) in &self.uploaded {
            let body = api.download(path).await.map_err(|e| api_failure(&e))?;
            let actual = hex::encode(sha2::Sha256::digest(&body));
            if &actual != expected {
                mismatched.push(format!("{path}: sent {expected}, got {actual}"));
            }
        }
        if missing_phones > 0 || !mismatched.is_empty() {
            return Err(mismatch(
                "stored data differs from what was sent",
                "all phones and identical files",
                format!("{missing_phones} phones missing; {}", mismatched.join("; ")),
            ));
        }
        Ok(details(
            json!({"expected": self.phones.len(), "found": self.phones.len(), "missing": 0, "files_verified": self.uploaded.len()}),
        ))
    }

    async fn cleanup(&mut self, api: &mut VertexClient<'_>) -> CleanupSummary {
        delete_created(api, &self.orders, &self.data).await
    }
}
