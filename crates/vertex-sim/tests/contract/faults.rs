//! Each fault knob, tested by its effect.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vertex_sim::Faults;

use crate::support::{TestSim, detail};

async fn set_faults(sim: &TestSim, faults: Value) {
    let response = sim
        .http
        .post(sim.url("/__control/faults"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn timed(sim: &TestSim, path: &str) -> Duration {
    let started = Instant::now();
    sim.public_get(path).await;
    started.elapsed()
}

#[tokio::test]
async fn latency_and_stall() {
    // Faults of seconds: an untouched request on a busy machine takes milliseconds, so
    // "untouched" and "delayed" stay apart however loaded the machine is.
    let sim = TestSim::start_with(|c| {
        c.control = true;
        c.faults = Faults {
            latency_ms: 2_000,
            route: Some("/health".to_owned()),
            ..Faults::default()
        };
    })
    .await;
    assert!(timed(&sim, "/health").await >= Duration::from_secs(2));
    assert!(
        timed(&sim, "/version").await < Duration::from_secs(2),
        "other routes are untouched"
    );

    set_faults(&sim, json!({"stall_ms": 3_000})).await;
    assert!(
        timed(&sim, "/version").await >= Duration::from_secs(2),
        "every route waits out the stall"
    );
    assert!(
        timed(&sim, "/version").await < Duration::from_secs(2),
        "the stall window ended"
    );
}

#[tokio::test]
async fn error_rate_on_one_route() {
    let sim = TestSim::start_with(|c| c.control = true).await;
    let token = sim.admin_token().await;
    set_faults(&sim, json!({"error_rate": 1.0, "route": "/portraits/list"})).await;
    let failed = sim.get(&token, "/portraits/list").await;
    assert_eq!(failed.status(), 500);
    assert_eq!(failed.text().await.unwrap(), "Internal Server Error");
    assert_eq!(sim.get(&token, "/clients/list").await.status(), 200);
    let invalid = sim
        .http
        .post(sim.url("/__control/faults"))
        .json(&json!({"error_rate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
}

#[tokio::test]
async fn leak_keeps_memory_per_request() {
    let sim = TestSim::start_with(|c| {
        c.control = true;
        c.faults.leak_kib_per_request = 64;
    })
    .await;
    for _ in 0..10 {
        sim.public_get("/health").await;
    }
    let (_, state) = detail(sim.public_get("/__control/faults").await).await;
    assert_eq!(state["leaked_bytes"], 10 * 64 * 1024);
}

#[tokio::test]
async fn slow_and_cut_bodies() {
    let sim = TestSim::start_with(|c| {
        c.control = true;
        c.faults = Faults {
            slow_body_bytes_per_sec: Some(20 * 1024),
            route: Some("/metrics".to_owned()),
            ..Faults::default()
        };
    })
    .await;
    for _ in 0..200 {
        sim.public_get("/health").await; // grow /metrics a little
    }
    let started = Instant::now();
    let body = sim.fetch("/metrics").await;
    let expected = Duration::from_secs_f64(body.len() as f64 / (20.0 * 1024.0)) / 2;
    assert!(
        started.elapsed() >= expected,
        "{} bytes in {:?}",
        body.len(),
        started.elapsed()
    );

    set_faults(&sim, json!({"cut_rate": 1.0, "route": "/health"})).await;
    let response = sim.http.get(sim.url("/health")).send().await;
    let body = match response {
        Ok(response) => response.bytes().await,
        Err(error) => Err(error),
    };
    assert!(
        body.is_err(),
        "the connection is cut mid-response: {body:?}"
    );
}
