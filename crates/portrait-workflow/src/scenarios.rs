//! Load scenarios for load-engine, as the old load test ran them (and an open-model variant):
//! concurrent order creation, the read mix, the DB-backed reads and the stress loop. Each
//! records per-endpoint figures through the instrumented client.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use load_engine::{
    Bound, BoxFuture, Check, Client, Executor, IterationError, JsonShape, LoadError, LoadOptions,
    Scenario, UserScenario,
};
use report_model::{metrics::DB_READS_SCENARIO, workflow::CleanupSummary};

use crate::client::Order;
use crate::workflow::delete_created;
use crate::{ServiceTarget, TestData};

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

/// Concurrent order creation (the old `concurrent_orders`). The scenario owns the list of
/// orders it created and deletes them in [`OrderCreation::cleanup`]; every order is also
/// recorded in the target's ledger, which watches the data's phones.
#[derive(Clone)]
pub struct OrderCreation {
    state: Arc<OrderState>,
}

struct OrderState {
    target: ServiceTarget,
    data: Arc<TestData>,
    created: Mutex<Vec<Order>>,
}

impl OrderCreation {
    /// Orders of `data`'s names and phones at `target`.
    pub fn new(target: &ServiceTarget, data: Arc<TestData>) -> OrderCreation {
        target.ledger.watch(&data);
        OrderCreation {
            state: Arc::new(OrderState {
                target: target.clone(),
                data,
                created: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The scenario, named `name` in reports (`concurrent_orders` in the old suite).
    pub fn scenario(&self, name: &str) -> Scenario {
        Scenario::user(name, self.clone())
    }

    /// Adds an order created outside the scenario (a one-off upload of the same data), so
    /// the cleanup deletes it too.
    pub fn adopt(&self, order: Order) {
        if let Ok(mut created) = self.state.created.lock() {
            created.push(order);
        }
    }

    /// The orders created so far and not yet cleaned up.
    pub fn created(&self) -> Vec<Order> {
        self.state
            .created
            .lock()
            .map(|created| created.clone())
            .unwrap_or_default()
    }

    /// Deletes every order created so far (videos, then portraits, then clients); what
    /// could not be deleted is in the summary's leftovers.
    pub async fn cleanup(&self, options: &LoadOptions) -> Result<CleanupSummary, LoadError> {
        let orders = match self.state.created.lock() {
            Ok(mut created) => std::mem::take(&mut *created),
            Err(_) => Vec::new(),
        };
        if orders.is_empty() {
            return Ok(CleanupSummary::default());
        }
        let mut client = Client::standalone(options)?;
        let mut api = self.state.target.api(&mut client);
        Ok(delete_created(&mut api, &orders, &TestData::new("cleanup")).await)
    }
}

impl UserScenario for OrderCreation {
    fn iteration<'a>(
        &'a self,
        client: &'a mut Client,
    ) -> BoxFuture<'a, Result<(), IterationError>> {
        Box::pin(async move {
            let state = &self.state;
            let mut api = state.target.api(client);
            let (phone, name) = (state.data.phone(), state.data.name(0));
            let order = api
                .create_order(
                    &phone,
                    &name,
                    &state.data.portrait(),
                    &state.data.small_video(),
                )
                .await?;
            self.adopt(order);
            Ok(())
        })
    }
}

struct Rotation {
    target: ServiceTarget,
    /// Each path with the label it is recorded under (`GET /clients/{id}`: one per endpoint,
    /// not per row) and the check its contract promises.
    paths: Vec<(String, String, Check)>,
    next: AtomicUsize,
}

impl Rotation {
    /// Paths recorded under `GET <path>`.
    fn new(target: &ServiceTarget, paths: Vec<String>) -> Rotation {
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
    fn labelled(target: &ServiceTarget, paths: Vec<(String, String)>) -> Rotation {
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
    fn iteration<'a>(
        &'a self,
        client: &'a mut Client,
    ) -> BoxFuture<'a, Result<(), IterationError>> {
        Box::pin(async move {
            let (path, label, check) =
                &self.paths[self.next.fetch_add(1, Ordering::Relaxed) % self.paths.len()];
            let request = http::Request::get(format!("{}{path}", self.target.base_url))
                .header(
                    http::header::AUTHORIZATION,
                    format!("Bearer {}", self.target.token),
                )
                .body(bytes::Bytes::new())
                .map_err(|e| IterationError::caused_by(report_model::ErrorClass::Other, e))?;
            let response = client.send_checked(label, request, check).await?;
            if response.status == 200 {
                Ok(())
            } else {
                Err(IterationError::new(
                    report_model::ErrorClass::from_status(response.status),
                    format!("{path}: status {}", response.status),
                ))
            }
        })
    }
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
pub fn read_mix(target: &ServiceTarget) -> Scenario {
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
pub fn stress(target: &ServiceTarget) -> Scenario {
    Scenario::user(
        "stress_load",
        Rotation::new(target, STRESS_ROTATION.map(str::to_owned).to_vec()),
    )
}

/// The DB-backed reads of the comprehensive test, named [`DB_READS_SCENARIO`]: the list
/// endpoints plus the detail endpoints of `orders` (client and portrait by id), round-robin.
pub fn db_reads(target: &ServiceTarget, orders: &[Order]) -> Scenario {
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
