//! `time_direct_reads` on vertex-sim's SQLite file.

use load_engine::LoadOptions;
use portrait_workflow::scenarios::OrderCreation;

use crate::sim::TestSim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_reads_time_the_service_queries_without_writing() {
    let sim = TestSim::start(|_| {}).await;
    let options = LoadOptions::default();
    let target = sim.logged_in().await;
    let creation = OrderCreation::new(
        &target,
        std::sync::Arc::new(portrait_workflow::TestData::new("direct")),
    );
    let executor = load_engine::Executor::Closed {
        users: 1,
        bound: load_engine::Bound::Iterations(3),
        think_time: std::time::Duration::ZERO,
    };
    load_engine::run(
        &creation.scenario("concurrent_orders"),
        &executor,
        &options,
        load_engine::RunControl::default(),
    )
    .await
    .unwrap();
    let orders = creation.created();
    let database = sim.dir.path().join("data/app_data.db");
    let before = std::fs::read(&database).unwrap();
    let report = portrait_workflow::time_direct_reads(&database, &orders, 20).unwrap();
    assert_eq!(report.queries.len(), 5);
    let list = &report.queries[0];
    assert_eq!((list.label.as_str(), list.rows), ("GET /clients/list", 3));
    assert_eq!(report.queries[3].rows, 1, "a portrait by id");
    assert_eq!(report.queries[4].rows, 1, "its video");
    assert!(report.queries.iter().all(|q| q.latency.summary.count == 20));
    assert_eq!(std::fs::read(&database).unwrap(), before, "read-only");

    let error = portrait_workflow::time_direct_reads(&sim.dir.path().join("nope.db"), &orders, 1)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("nope.db") && error.contains("read-only"),
        "{error}"
    );
}
