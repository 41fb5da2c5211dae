//! Load scenarios for load-engine, as the old load test ran them (and an open-model variant):
//! concurrent order creation, the read mix, and the stress loop. Each records per-endpoint
//! figures through the instrumented client.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use load_engine::{
    Bound, BoxFuture, Check, Client, Executor, JsonShape, LoadError, LoadOptions, RunControl,
    Scenario, UserScenario,
};
use report_model::{CleanupSummary, DB_READS_SCENARIO, ScenarioReport};

use crate::client::{Order, VertexClient};
use crate::workflow::delete_created;
use crate::{Ledger, TestData};

/// The five read endpoints of the old `api_endpoints` test.
pub const READ_MIX: [&str; 5] = [
    "/clients/list",
    "/portraits/list",
    "/admin/system-info",
    "/admin/storage-info",
    "/admin/content-stats",
];
/// The three endpoints the old stress loop rotated over.
pub const STRESS_ROTATION: [&str; 3] = ["/clients/list", "/portraits/list", "/admin/system-info"];

/// Where the scenarios send requests, the token they share (log in once), and the ledger
/// every row they create is recorded in.
#[derive(Debug, Clone)]
pub struct Target {
    /// The service.
    pub base_url: String,
    /// A bearer token from one login.
    pub token: String,
    /// What the scenarios created and did not see deleted (shared by clones).
    pub ledger: Ledger,
}

impl Target {
    /// `base_url` with `token` and a new, empty ledger.
    pub fn new(base_url: &str, token: String) -> Target {
        let base_url = base_url.trim_end_matches('/').to_owned();
        Target {
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
        let target = self.clone();
        let (output, _) = once("storage_info", options, move |client| {
            let target = target.clone();
            Box::pin(async move { target.api(client).storage_usage().await.ok() })
        })
        .await
        .ok()?;
        output.flatten()
    }

    /// Checks with the service what the target's scenarios left behind after their
    /// cleanup, deleting what it can unless `keep` (see [`Ledger::settle`]).
    pub async fn settle(
        &self,
        options: &LoadOptions,
        keep: bool,
    ) -> Result<(Vec<report_model::Leftover>, CleanupSummary), LoadError> {
        self.ledger
            .settle(&self.base_url, &self.token, options, keep)
            .await
    }
}

struct OrderCreation {
    target: Target,
    data: Arc<TestData>,
    created: Arc<Mutex<Vec<Order>>>,
}

impl UserScenario for OrderCreation {
    fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut api = self.target.api(client);
            let (phone, name) = (self.data.phone(), self.data.name(0));
            let order = api
                .create_order(
                    &phone,
                    &name,
                    &self.data.portrait(),
                    &self.data.small_video(),
                )
                .await
                .map_err(|e| e.to_string())?;
            self.created.lock().expect("not poisoned").push(order);
            Ok(())
        })
    }
}

struct Rotation {
    target: Target,
    /// Each path with the label it is recorded under (`GET /clients/{id}`: one per endpoint,
    /// not per row) and the check its contract promises.
    paths: Vec<(String, String, Check)>,
    next: AtomicUsize,
}

impl Rotation {
    /// Paths recorded under `GET <path>`.
    fn new(target: &Target, paths: Vec<String>) -> Rotation {
        let labelled = paths
            .into_iter()
            .map(|path| {
                let label = format!("GET {path}");
                (path, label)
            })
            .collect();
        Rotation::labelled(target, labelled)
    }

    /// `(path, label)` pairs.
    fn labelled(target: &Target, paths: Vec<(String, String)>) -> Rotation {
        Rotation {
            target: target.clone(),
            paths: paths
                .into_iter()
                .map(|(path, label)| {
                    let check = contract_check(&path);
                    (path, label, check)
                })
                .collect(),
            next: AtomicUsize::new(0),
        }
    }
}

/// The shape of `path`'s 200 answer in the contract: an array for the list endpoints and
/// `/admin/content-stats`, an object otherwise (details, system and storage info).
pub fn contract_shape(path: &str) -> JsonShape {
    if path.ends_with("/list") || path == "/admin/content-stats" {
        JsonShape::Array
    } else {
        JsonShape::Object
    }
}

/// What makes a GET of `path` a success: 200, a JSON content type and a body of the
/// contract's shape (an HTML page or an error object served with 200 fails the request).
pub fn contract_check(path: &str) -> Check {
    Check::statuses(&[200])
        .content_type("json")
        .json_shape(contract_shape(path))
}

impl UserScenario for Rotation {
    fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let (path, label, check) =
                &self.paths[self.next.fetch_add(1, Ordering::Relaxed) % self.paths.len()];
            let request = http::Request::get(format!("{}{path}", self.target.base_url))
                .header(
                    http::header::AUTHORIZATION,
                    format!("Bearer {}", self.target.token),
                )
                .body(bytes::Bytes::new())
                .map_err(|e| e.to_string())?;
            let response = client
                .send_checked(label, request, check)
                .await
                .map_err(|e| e.to_string())?;
            if response.status == 200 {
                Ok(())
            } else {
                Err(format!("{path}: status {}", response.status))
            }
        })
    }
}

/// Concurrent order creation; the orders created are collected for cleanup.
/// Every order is recorded in the target's ledger, which watches `data`'s phones.
pub fn orders(target: &Target, data: Arc<TestData>, created: Arc<Mutex<Vec<Order>>>) -> Scenario {
    target.ledger.watch(&data);
    Scenario::user(
        "concurrent_orders",
        OrderCreation {
            target: target.clone(),
            data,
            created,
        },
    )
}

/// The old `concurrent_orders` executor: 20 orders, 5 workers.
pub fn orders_executor() -> Executor {
    Executor::Closed {
        users: 5,
        bound: Bound::Iterations(20),
        think_time: Duration::ZERO,
    }
}

/// GETs round-robin over [`READ_MIX`].
pub fn read_mix(target: &Target) -> Scenario {
    Scenario::user(
        "api_endpoints",
        Rotation::new(target, READ_MIX.map(str::to_owned).to_vec()),
    )
}

/// The old `api_endpoints` executor: 100 GETs, 10 workers.
pub fn read_mix_executor() -> Executor {
    Executor::Closed {
        users: 10,
        bound: Bound::Iterations(100),
        think_time: Duration::ZERO,
    }
}

/// GETs rotating over [`STRESS_ROTATION`].
pub fn stress(target: &Target) -> Scenario {
    Scenario::user(
        "stress_load",
        Rotation::new(target, STRESS_ROTATION.map(str::to_owned).to_vec()),
    )
}

/// The DB-backed reads of the comprehensive test, named [`DB_READS_SCENARIO`]: the list
/// endpoints plus the detail endpoints of `orders` (client and portrait by id), round-robin.
pub fn db_reads(target: &Target, orders: &[Order]) -> Scenario {
    let listed = |path: &str| (path.to_owned(), format!("GET {path}"));
    let mut paths = vec![listed("/clients/list"), listed("/portraits/list")];
    for order in orders {
        paths.push((
            format!("/clients/{}", order.client.id),
            "GET /clients/{id}".to_owned(),
        ));
        paths.push((
            format!("/portraits/{}/details", order.portrait.id),
            "GET /portraits/{id}/details".to_owned(),
        ));
    }
    Scenario::user(DB_READS_SCENARIO, Rotation::labelled(target, paths))
}

/// The old stress loop: 5 workers with 10 ms think time for `duration` (30 s in the old
/// runner), or, with `rate_per_sec`, the open-model variant at that arrival rate.
pub fn stress_executor(duration: Duration, rate_per_sec: Option<f64>) -> Executor {
    match rate_per_sec {
        Some(rate_per_sec) => Executor::Open {
            rate_per_sec,
            bound: Bound::Duration(duration),
            max_in_flight: 50,
        },
        None => Executor::Closed {
            users: 5,
            bound: Bound::Duration(duration),
            think_time: Duration::from_millis(10),
        },
    }
}

/// Runs `call` once through a fresh instrumented client (a one-user, one-iteration run) and
/// returns its output with the HTTP figures of the run. The output is `None` only when the
/// iteration never ran.
pub async fn once<T, F>(
    name: &str,
    options: &LoadOptions,
    call: F,
) -> Result<(Option<T>, ScenarioReport), LoadError>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut Client) -> BoxFuture<'c, T> + Send + Sync + 'static,
{
    struct Once<T, F> {
        call: F,
        output: Mutex<Option<T>>,
    }
    impl<T, F> UserScenario for Once<T, F>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut Client) -> BoxFuture<'c, T> + Send + Sync + 'static,
    {
        fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
            Box::pin(async move {
                let value = (self.call)(client).await;
                *self.output.lock().expect("not poisoned") = Some(value);
                Ok(())
            })
        }
    }
    let once = Arc::new(Once {
        call,
        output: Mutex::new(None),
    });
    let scenario = Scenario {
        name: name.to_owned(),
        kind: load_engine::ScenarioKind::User(once.clone()),
    };
    let executor = Executor::Closed {
        users: 1,
        bound: Bound::Iterations(1),
        think_time: Duration::ZERO,
    };
    let http = load_engine::run(&scenario, &executor, options, RunControl::default()).await?;
    let output = once.output.lock().expect("not poisoned").take();
    Ok((output, http))
}

fn no_answer(call: &str) -> crate::ApiError {
    crate::ApiError::Shape {
        call: call.to_owned(),
        message: "no answer (the call did not run)".to_owned(),
    }
}

/// `GET /health`, judged as the suite's pre-check: status 200 with `"status": "healthy"`.
pub async fn health_check(
    base_url: &str,
    options: &LoadOptions,
) -> Result<Result<serde_json::Value, crate::ApiError>, LoadError> {
    let base_url = base_url.to_owned();
    let (output, _) = once("health", options, move |client| {
        let base_url = base_url.clone();
        Box::pin(async move {
            let mut api = VertexClient::new(client, &base_url);
            let health = api.health().await?;
            if health.get("status").and_then(serde_json::Value::as_str) == Some("healthy") {
                Ok(health)
            } else {
                Err(crate::ApiError::Shape {
                    call: "GET /health".to_owned(),
                    message: format!("expected \"status\": \"healthy\", got {health}"),
                })
            }
        })
    })
    .await?;
    Ok(output.unwrap_or_else(|| Err(no_answer("GET /health"))))
}

/// Logs in once and returns the token (register first when `register` is set).
pub async fn login(
    base_url: &str,
    username: &str,
    password: &str,
    register: bool,
    options: &LoadOptions,
) -> Result<Result<String, crate::ApiError>, LoadError> {
    let (base_url, username, password) = (
        base_url.to_owned(),
        username.to_owned(),
        password.to_owned(),
    );
    let (output, _) = once("login", options, move |client| {
        let (base_url, username, password) = (base_url.clone(), username.clone(), password.clone());
        Box::pin(async move {
            let mut api = VertexClient::new(client, &base_url);
            if register
                && let Err(error) = api.register(&username, &password).await
                && error.status() != Some(409)
            {
                return Err(error);
            }
            api.login(&username, &password).await
        })
    })
    .await?;
    Ok(output.unwrap_or_else(|| Err(no_answer("POST /auth/login"))))
}

/// Deletes what an orders scenario created.
pub async fn cleanup_orders(
    target: &Target,
    orders: &[Order],
    options: &LoadOptions,
) -> Result<CleanupSummary, LoadError> {
    let (target, orders) = (target.clone(), orders.to_vec());
    let (output, _) = once("cleanup", options, move |client| {
        let (target, orders) = (target.clone(), orders.clone());
        Box::pin(async move {
            let mut api = target.api(client);
            delete_created(&mut api, &orders, &TestData::new("cleanup")).await
        })
    })
    .await?;
    Ok(output.unwrap_or_default())
}
