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

/// Sends `GET path` on a raw connection and reads until the server closes it or 5 s pass;
/// returns what arrived and whether the server closed the connection.
async fn raw_get(sim: &TestSim, path: &str) -> (String, bool) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let address = sim.url("").trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address.trim_end_matches('/'))
        .await
        .unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: sim\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await {
            Ok(Ok(0)) => break true,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Ok(Err(_)) => break true,
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&received).into_owned(), closed)
}

#[tokio::test]
async fn a_500_closes_the_connection_as_uvicorn_does_unless_told_otherwise() {
    let sim = TestSim::start_with(|c| {
        c.faults.error_rate = 1.0;
        c.faults.route = Some("/version".to_owned());
    })
    .await;
    let (response, closed) = raw_get(&sim, "/version").await;
    assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    assert!(response.to_ascii_lowercase().contains("connection: close"));
    assert!(closed, "the server closed the connection after the 500");
    let (response, closed) = raw_get(&sim, "/health").await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(!closed, "a 200 keeps the connection open");

    let old_way = TestSim::start_with(|c| {
        c.faults.error_rate = 1.0;
        c.after_server_error = vertex_sim::AfterServerError::KeepAlive;
    })
    .await;
    let (response, closed) = raw_get(&old_way, "/version").await;
    assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    assert!(!closed, "the knob keeps the connection open");
}

#[tokio::test]
async fn throttling_answers_429_with_retry_after_and_html_answers_200_html() {
    let sim = TestSim::start_with(|c| {
        c.control = true;
        c.faults = Faults {
            throttle_rate: 1.0,
            retry_after_secs: 7,
            route: Some("/version".to_owned()),
            ..Faults::default()
        };
    })
    .await;
    let throttled = sim.public_get("/version").await;
    assert_eq!(throttled.status(), 429);
    assert_eq!(throttled.headers()["retry-after"], "7");
    assert_eq!(sim.public_get("/health").await.status(), 200);

    set_faults(&sim, json!({"html_rate": 1.0, "route": "/version"})).await;
    let page = sim.public_get("/version").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}
