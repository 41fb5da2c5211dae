//! Drives a constant arrival rate at one URL for a few seconds and prints the latency
//! percentiles, as another tool embedding the engine would.
//!
//! ```text
//! cargo run -p load-engine --example open_rate -- http://127.0.0.1:8000/health 100 5
//! ```
//! Arguments: URL (default `http://127.0.0.1:8000/health`), rate per second (100), seconds
//! (5). Only loopback URLs are accepted.

use std::time::Duration;

use load_engine::{Bound, Executor, LoadOptions, RequestTemplate, RunControl, Scenario};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8000/health".to_owned());
    let rate_per_sec: f64 = args.next().map_or(Ok(100.0), |r| r.parse())?;
    let seconds: u64 = args.next().map_or(Ok(5), |s| s.parse())?;
    let host = url.split("://").nth(1).unwrap_or_default();
    if !(host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")) {
        return Err("this example only sends to loopback".into());
    }
    let scenario = Scenario::template("example", RequestTemplate::get(&url)?);
    let executor = Executor::Open {
        rate_per_sec,
        bound: Bound::Duration(Duration::from_secs(seconds)),
        max_in_flight: 50,
    };
    let report = load_engine::run(
        &scenario,
        &executor,
        &LoadOptions::default(),
        RunControl::default(),
    )
    .await?;
    let latency = &report.response_time.summary;
    println!(
        "{} requests ({} ok) at {:.1}/s: p50 {} µs, p99 {} µs",
        report.total_requests,
        report.successful_requests,
        report.requests_per_second,
        latency.p50_us,
        latency.p99_us
    );
    for error in &report.errors {
        println!(
            "  {} × {}: {}",
            error.count, error.class, error.sample_message
        );
    }
    Ok(())
}
