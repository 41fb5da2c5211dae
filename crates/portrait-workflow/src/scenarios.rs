//! Load scenarios for load-engine, as the old load test ran them (and an open-model variant):
//! concurrent order creation, the read mix, and the stress loop. Each records per-endpoint
//! figures through the instrumented client.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use load_engine::{
    Bound, BoxFuture, Client, Executor, LoadError, LoadOptions, RunControl, Scenario, UserScenario,
};
use report_model::CleanupSummary;

use crate::TestData;
use crate::client::{Order, VertexClient};
use crate::workflow::delete_created;

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

/// Where the scenarios send requests and the token they share (log in once).
#[derive(Debug, Clone)]
pub struct Target {
    /// The service.
    pub base_url: String,
    /// A bearer token from one login.
    pub token: String,
}

struct OrderCreation {
    target: Target,
    data: Arc<TestData>,
    created: Arc<Mutex<Vec<Order>>>,
}

impl UserScenario for OrderCreation {
    fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut api = VertexClient::new(client, &self.target.base_url)
                .with_token(Some(self.target.token.clone()));
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
    paths: &'static [&'static str],
    next: AtomicUsize,
}

impl UserScenario for Rotation {
    fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let path = self.paths[self.next.fetch_add(1, Ordering::Relaxed) % self.paths.len()];
            let request = http::Request::get(format!("{}{path}", self.target.base_url))
                .header(
                    http::header::AUTHORIZATION,
                    format!("Bearer {}", self.target.token),
                )
                .body(bytes::Bytes::new())
                .map_err(|e| e.to_string())?;
            let response = client
                .send(&format!("GET {path}"), request)
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
pub fn orders(target: &Target, data: Arc<TestData>, created: Arc<Mutex<Vec<Order>>>) -> Scenario {
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
        Rotation {
            target: target.clone(),
            paths: &READ_MIX,
            next: AtomicUsize::new(0),
        },
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
        Rotation {
            target: target.clone(),
            paths: &STRESS_ROTATION,
            next: AtomicUsize::new(0),
        },
    )
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

/// Logs in once and returns the token (register first when `register` is set).
pub async fn login(
    base_url: &str,
    username: &str,
    password: &str,
    register: bool,
    options: &LoadOptions,
) -> Result<Result<String, crate::ApiError>, LoadError> {
    struct Login {
        base_url: String,
        username: String,
        password: String,
        register: bool,
        output: Mutex<Option<Result<String, crate::ApiError>>>,
    }
    impl UserScenario for Login {
        fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
            Box::pin(async move {
                let mut api = VertexClient::new(client, &self.base_url);
                if self.register
                    && let Err(error) = api.register(&self.username, &self.password).await
                    && error.status() != Some(409)
                {
                    *self.output.lock().expect("not poisoned") = Some(Err(error));
                    return Err("register failed".to_owned());
                }
                let result = api.login(&self.username, &self.password).await;
                let ok = result.is_ok();
                *self.output.lock().expect("not poisoned") = Some(result);
                if ok {
                    Ok(())
                } else {
                    Err("login failed".to_owned())
                }
            })
        }
    }
    let login = Arc::new(Login {
        base_url: base_url.to_owned(),
        username: username.to_owned(),
        password: password.to_owned(),
        register,
        output: Mutex::new(None),
    });
    let scenario = Scenario {
        name: "login".to_owned(),
        kind: load_engine::ScenarioKind::User(login.clone()),
    };
    let once = Executor::Closed {
        users: 1,
        bound: Bound::Iterations(1),
        think_time: Duration::ZERO,
    };
    load_engine::run(&scenario, &once, options, RunControl::default()).await?;
    let result = login.output.lock().expect("not poisoned").take();
    Ok(result.unwrap_or_else(|| {
        Err(crate::ApiError::Shape {
            call: "POST /auth/login".to_owned(),
            message: "no answer".to_owned(),
        })
    }))
}

/// Deletes what an orders scenario created.
pub async fn cleanup_orders(
    target: &Target,
    orders: &[Order],
    options: &LoadOptions,
) -> Result<CleanupSummary, LoadError> {
    struct Cleanup {
        target: Target,
        orders: Vec<Order>,
        output: Mutex<CleanupSummary>,
    }
    impl UserScenario for Cleanup {
        fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
            Box::pin(async move {
                let mut api = VertexClient::new(client, &self.target.base_url)
                    .with_token(Some(self.target.token.clone()));
                let summary =
                    delete_created(&mut api, &self.orders, &TestData::new("cleanup")).await;
                *self.output.lock().expect("not poisoned") = summary;
                Ok(())
            })
        }
    }
    let cleanup = Arc::new(Cleanup {
        target: target.clone(),
        orders: orders.to_vec(),
        output: Mutex::new(CleanupSummary::default()),
    });
    let scenario = Scenario {
        name: "cleanup".to_owned(),
        kind: load_engine::ScenarioKind::User(cleanup.clone()),
    };
    let once = Executor::Closed {
        users: 1,
        bound: Bound::Iterations(1),
        think_time: Duration::ZERO,
    };
    load_engine::run(&scenario, &once, options, RunControl::default()).await?;
    Ok(std::mem::take(
        &mut *cleanup.output.lock().expect("not poisoned"),
    ))
}
