//! The end-to-end workflow.

use portrait_workflow::{WorkflowConfig, run_workflow};
use report_model::workflow::StepStatus;
use vertex_sim::{Faults, MissingTokenStatus};

use crate::sim::TestSim;

const STEPS: [&str; 10] = [
    "Authentication",
    "Test Data Creation",
    "Client Search",
    "Client List",
    "Portrait List",
    "Portrait Details",
    "Video Management",
    "Public Portrait Access",
    "System Endpoints",
    "Data Integrity",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrity_holds_for_a_service_installed_under_a_folder_named_storage() {
    let sim = TestSim::start(|config| {
        config.data_dir = config
            .data_dir
            .parent()
            .unwrap()
            .join("storage/apps/vertex-ar");
    })
    .await;
    let outcome = run_workflow(WorkflowConfig::new(&sim.url(), "run-storage"))
        .await
        .unwrap();
    let integrity = outcome.report.steps.last().unwrap();
    assert_eq!(integrity.name, "Data Integrity");
    assert_eq!(
        integrity.status,
        StepStatus::Passed,
        "{:?}",
        integrity.failure
    );
    assert_eq!(integrity.details["files_verified"], 7);
    assert_eq!(sim.rows(), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_steps_pass_and_nothing_is_left_behind() {
    let sim = TestSim::start(|_| {}).await;
    let outcome = run_workflow(WorkflowConfig::new(&sim.url(), "run-1"))
        .await
        .unwrap();
    let report = &outcome.report;
    let names: Vec<&str> = report.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, STEPS);
    for step in &report.steps {
        assert_eq!(
            step.status,
            StepStatus::Passed,
            "{}: {:?}",
            step.name,
            step.failure
        );
    }
    assert_eq!(
        report.steps[9].details["files_verified"], 7,
        "3 images, 3 videos and the added video"
    );
    assert!(
        report.cleanup.leftovers.is_empty(),
        "{:?}",
        report.cleanup.leftovers
    );
    assert_eq!(
        (
            report.cleanup.deleted_portraits,
            report.cleanup.deleted_clients
        ),
        (3, 3)
    );
    assert_eq!(sim.rows(), (0, 0, 0), "no client, portrait or video left");
    let labels: Vec<&str> = outcome
        .http
        .endpoints
        .iter()
        .map(|e| e.label.as_str())
        .collect();
    assert!(
        labels.contains(&"POST /orders/create") && labels.contains(&"GET /storage/..."),
        "{labels:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_endpoint_fails_exactly_its_step() {
    let sim = TestSim::start(|c| {
        c.faults = Faults {
            error_rate: 1.0,
            route: Some("/portraits/list".to_owned()),
            ..Faults::default()
        }
    })
    .await;
    let report = run_workflow(WorkflowConfig::new(&sim.url(), "run-2"))
        .await
        .unwrap()
        .report;
    for step in &report.steps {
        if step.name == "Portrait List" {
            assert_eq!(step.status, StepStatus::Failed);
            let failure = step.failure.as_ref().unwrap();
            assert_eq!(failure.http_status, Some(500));
            assert!(
                failure.reason.contains("GET /portraits/list returned 500"),
                "{}",
                failure.reason
            );
        } else {
            assert_eq!(
                step.status,
                StepStatus::Passed,
                "{}: {:?}",
                step.name,
                step.failure
            );
        }
    }
    assert_eq!(sim.rows(), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_when_a_missing_token_is_403_and_reports_wrong_credentials() {
    let sim = TestSim::start(|c| c.missing_token_status = MissingTokenStatus::Forbidden).await;
    let report = run_workflow(WorkflowConfig::new(&sim.url(), "run-3"))
        .await
        .unwrap()
        .report;
    assert!(
        report.passed(),
        "{:?}",
        report
            .steps
            .iter()
            .filter(|s| s.status != StepStatus::Passed)
            .collect::<Vec<_>>()
    );

    let mut wrong = WorkflowConfig::new(&sim.url(), "run-4");
    wrong.password = "not-the-password".to_owned();
    let report = run_workflow(wrong).await.unwrap().report;
    assert_eq!(report.steps[0].status, StepStatus::Failed);
    assert_eq!(
        report.steps[0].failure.as_ref().unwrap().http_status,
        Some(401)
    );
    assert!(
        report.steps[1..]
            .iter()
            .all(|s| s.status == StepStatus::Skipped)
    );
    assert!(
        !serde_json::to_string(&report)
            .unwrap()
            .contains("not-the-password"),
        "no secret in the report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_service_fails_the_first_step_with_the_reason() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = run_workflow(WorkflowConfig::new(
        &format!("http://127.0.0.1:{port}"),
        "run-5",
    ))
    .await
    .unwrap()
    .report;
    let failure = report.steps[0].failure.as_ref().unwrap();
    assert!(failure.reason.contains("connect"), "{}", failure.reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_at_once_do_not_interfere() {
    let sim = TestSim::start(|_| {}).await;
    let (a, b) = tokio::join!(
        run_workflow(WorkflowConfig::new(&sim.url(), "run-a")),
        run_workflow(WorkflowConfig::new(&sim.url(), "run-b"))
    );
    for report in [a.unwrap().report, b.unwrap().report] {
        assert!(
            report.passed(),
            "{:?}",
            report
                .steps
                .iter()
                .filter(|s| s.status != StepStatus::Passed)
                .collect::<Vec<_>>()
        );
        assert!(report.cleanup.leftovers.is_empty());
    }
    assert_eq!(sim.rows(), (0, 0, 0));
}
