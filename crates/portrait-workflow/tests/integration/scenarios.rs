//! The three load scenarios, bounded, with per-endpoint figures.

use std::sync::Arc;
use std::time::Duration;

use load_engine::{LoadOptions, RunControl};
use portrait_workflow::TestData;
use portrait_workflow::scenarios::{self, OrderCreation};

use crate::sim::TestSim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_read_mix_and_stress_run_bounded() {
    let sim = TestSim::start(|_| {}).await;
    let options = LoadOptions::default();
    let target = sim.logged_in().await;

    let creation = OrderCreation::new(&target, Arc::new(TestData::new("load")));
    let report = load_engine::run(
        &creation.scenario("concurrent_orders"),
        &scenarios::orders_executor(),
        &options,
        RunControl::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.total_requests, 20);
    assert_eq!(report.successful_requests, 20, "{:?}", report.errors);
    assert_eq!(report.endpoints[0].label, "POST /orders/create");
    assert!(report.generator.max_in_flight <= 5);
    assert_eq!(creation.created().len(), 20);
    let cleanup = creation.cleanup(&options).await.unwrap();
    assert!(cleanup.leftovers.is_empty(), "{:?}", cleanup.leftovers);
    assert!(
        creation.created().is_empty(),
        "the scenario forgets what it deleted"
    );
    assert_eq!(sim.rows(), (0, 0, 0));

    let report = load_engine::run(
        &scenarios::read_mix(&target),
        &scenarios::read_mix_executor(),
        &options,
        RunControl::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.total_requests, 100);
    assert_eq!(report.endpoints.len(), 5);
    assert!(
        report
            .endpoints
            .iter()
            .all(|e| e.requests == 20 && e.failures == 0),
        "{:?}",
        report
            .endpoints
            .iter()
            .map(|e| (&e.label, e.requests))
            .collect::<Vec<_>>()
    );

    let stress = load_engine::run(
        &scenarios::stress(&target),
        &scenarios::stress_executor(Duration::from_secs(1), None),
        &options,
        RunControl::default(),
    )
    .await
    .unwrap();
    assert!(
        stress.total_requests > 20 && stress.duration_us < 3_000_000,
        "{} in {} µs",
        stress.total_requests,
        stress.duration_us
    );
    assert_eq!(stress.endpoints.len(), 3);
    let open = load_engine::run(
        &scenarios::stress(&target),
        &scenarios::stress_executor(Duration::from_secs(1), Some(50.0)),
        &options,
        RunControl::default(),
    )
    .await
    .unwrap();
    assert!(
        (45..=55).contains(&open.total_requests),
        "{}",
        open.total_requests
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_login_waits_out_retry_after_once() {
    use std::time::Duration;
    use vertex_sim::RateLimit;
    // One login a second: the second login in a row gets 429 with `Retry-After: 1`,
    // waits it out and succeeds.
    let sim = TestSim::start(|config| {
        config.auth_rate_limit = RateLimit {
            requests: 1,
            window: Duration::from_secs(1),
        };
    })
    .await;
    let options = load_engine::LoadOptions::default();
    for _ in 0..2 {
        let target = portrait_workflow::log_in(&sim.url(), "admin", "admin", false, &options).await;
        assert!(target.is_ok(), "{target:?}");
    }
    // A Retry-After beyond the cap is not waited for: a clear error at once.
    let sim = TestSim::start(|config| {
        config.auth_rate_limit = RateLimit {
            requests: 1,
            window: Duration::from_hours(1),
        };
    })
    .await;
    let first = portrait_workflow::log_in(&sim.url(), "admin", "admin", false, &options).await;
    assert!(first.is_ok());
    let second = portrait_workflow::log_in(&sim.url(), "admin", "admin", false, &options)
        .await
        .unwrap_err();
    assert_eq!(second.status(), Some(429), "{second}");
}
