//! `vertex-perf load --scenario-file` with the committed example journey against vertex-sim,
//! and a bad journey refused before any traffic.

use std::path::PathBuf;

use crate::sim::RunningSim;
use crate::util::{assert_setup_error, json_file, vertex_perf_with_env};

const PASSWORD: &str = "journey-secret-9c1d";

fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/journeys")
        .join(name);
    path.to_str().unwrap().to_owned()
}

#[test]
fn the_order_lifecycle_example_runs_and_cleans_up_after_itself() {
    let sim = RunningSim::start_with(|config| {
        config.admin = Some(("admin".to_owned(), PASSWORD.to_owned()));
    });
    let before = sim.rows();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = vertex_perf_with_env(
        &[
            "load",
            "--scenario-file",
            &example("order-lifecycle.toml"),
            &sim.url(),
            "-c",
            "2",
            "-n",
            "6",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("VERTEX_PASSWORD", PASSWORD)],
    );
    run.assert_exit(0);
    let suite = json_file(&out.join("suite.json"));
    let scenario = &suite["load"]["scenarios"][0];
    assert_eq!(scenario["name"], "order_lifecycle");
    assert_eq!(scenario["total_requests"], 18, "{scenario:#}");
    assert_eq!(scenario["failed_requests"], 0, "{:#}", scenario["errors"]);
    assert_eq!(scenario["checks"]["passes"], 6);
    let mut labels: Vec<&str> = scenario["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["label"].as_str().unwrap())
        .collect();
    labels.sort_unstable();
    assert_eq!(
        labels,
        [
            "DELETE /portraits/{id}",
            "GET /portraits/{id}/details",
            "POST /orders/create"
        ]
    );
    // Each iteration deleted its portrait; the teardown deleted the clients. Videos stay:
    // the API cannot delete a portrait's last active video.
    let left: Vec<_> = sim
        .rows()
        .difference(&before)
        .filter(|(kind, _)| kind != "video")
        .cloned()
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // The password came from the environment and went nowhere else.
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        assert!(
            !text.contains(PASSWORD),
            "{} holds the password",
            path.display()
        );
    }
    assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));
}

#[test]
fn a_bad_journey_is_refused_with_its_line_before_any_request() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("journey.toml");
    std::fs::write(
        &file,
        "[[step]]\nurl = \"{base}/orders\"\nextract = [{ var = \"id\", json = \"/id\" }]\n\n[[step]]\nurl = \"{base}/orders/{order_id}\"\n",
    )
    .unwrap();
    let run = vertex_perf_with_env(
        &[
            "load",
            "--scenario-file",
            file.to_str().unwrap(),
            &url,
            "-n",
            "5",
        ],
        &[],
    );
    assert_setup_error(
        &run,
        &format!(
            "{}:5:1: step[2].url: unknown variable `order_id`",
            file.display()
        ),
    );
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a connection reached the target"
    );
}

/// The endpoint labels a run's `suite.json` recorded, `{id}`s and all.
fn endpoint_labels(suite: &serde_json::Value) -> std::collections::BTreeSet<String> {
    suite["load"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["endpoints"].as_array().unwrap())
        .map(|e| e["label"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_portrait_workflow_journey_behaves_like_the_built_in_workflow() {
    let sim = RunningSim::start_with(|config| {
        config.admin = Some(("admin".to_owned(), PASSWORD.to_owned()));
    });
    let before = sim.rows();
    let dir = tempfile::tempdir().unwrap();
    let built_in = dir.path().join("built-in");
    let run = vertex_perf_with_env(
        &[
            "workflow",
            "--url",
            &sim.url(),
            "--password-env",
            "VERTEX_PASSWORD",
            "--out",
            built_in.to_str().unwrap(),
        ],
        &[("VERTEX_PASSWORD", PASSWORD)],
    );
    run.assert_exit(0);
    assert_eq!(
        sim.rows(),
        before,
        "the built-in workflow cleans up everything"
    );

    let journey = dir.path().join("journey");
    let run = vertex_perf_with_env(
        &[
            "load",
            "--scenario-file",
            &example("portrait-workflow.toml"),
            &sim.url(),
            "-n",
            "2",
            "--out",
            journey.to_str().unwrap(),
        ],
        &[("VERTEX_PASSWORD", PASSWORD)],
    );
    run.assert_exit(0);
    let suite = json_file(&journey.join("suite.json"));
    let scenario = &suite["load"]["scenarios"][0];
    assert_eq!(scenario["checks"]["passes"], 2, "{:#}", scenario["errors"]);
    assert_eq!(scenario["failed_requests"], 0, "{:#}", scenario["errors"]);
    // The same cleanup: every client, portrait and video the journey made is gone.
    assert_eq!(sim.rows(), before, "the journey cleans up everything");
    // The same calls: the endpoints the built-in workflow called, but the login (the
    // journey's is its setup, sent by a client of its own).
    let ours = endpoint_labels(&suite);
    let theirs = endpoint_labels(&json_file(&built_in.join("suite.json")));
    let theirs: std::collections::BTreeSet<String> = theirs
        .into_iter()
        .filter(|label| label != "POST /auth/login")
        .collect();
    assert_eq!(ours, theirs);
}
