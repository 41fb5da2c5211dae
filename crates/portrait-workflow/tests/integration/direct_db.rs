//! `time_direct_reads` on vertex-sim's SQLite file.

use load_engine::LoadOptions;
use portrait_workflow::scenarios;

use crate::sim::TestSim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_reads_time_the_service_queries_without_writing() {
    let sim = TestSim::start(|_| {}).await;
    let options = LoadOptions::default();
    let target = sim.logged_in().await;
    let created = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let orders = scenarios::orders(
        &target,
        std::sync::Arc::new(portrait_workflow::TestData::new("direct")),
        std::sync::Arc::clone(&created),
    );
    let executor = load_engine::Executor::Closed {
        users: 1,
        bound: load_engine::Bound::Iterations(3),
        think_time: std::time::Duration::ZERO,
    };
    load_engine::run(
        &orders,
        &executor,
        &options,
        load_engine::RunControl::default(),
    )
    .await
    .unwrap();
    let orders = created.lock().unwrap().clone();
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
