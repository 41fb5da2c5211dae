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

/// vertex-sim with the `admin` account whose password the journeys read from
/// VERTEX_PASSWORD.
fn sim_with_admin() -> RunningSim {
    RunningSim::start_with(|config| {
        config.admin = Some(("admin".to_owned(), PASSWORD.to_owned()));
    })
}

/// The clients and portraits a run added to `before` (videos stay: the API cannot delete a
/// portrait's last active video).
fn left_behind(
    sim: &RunningSim,
    before: &std::collections::BTreeSet<(String, String)>,
) -> Vec<(String, String)> {
    sim.rows()
        .difference(before)
        .filter(|(kind, _)| kind != "video")
        .cloned()
        .collect()
}

#[test]
fn the_order_lifecycle_example_runs_and_cleans_up_after_itself() {
    let sim = sim_with_admin();
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
    let left = left_behind(&sim, &before);
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
    let sim = sim_with_admin();
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

#[test]
fn every_executor_runs_the_example_journey_against_the_service() {
    let sim = sim_with_admin();
    let before = sim.rows();
    let dir = tempfile::tempdir().unwrap();
    let runs: [&[&str]; 5] = [
        &["-c", "2", "-n", "4"],
        &["--rate", "20/s", "-d", "1s", "--max-in-flight", "4"],
        &["--stages", "1s:10/s", "--max-in-flight", "4"],
        &["--sweep", "1,2", "-n", "2"],
        &["-c", "2", "-n", "5", "--shard", "2/2"],
    ];
    for (index, executor) in runs.iter().enumerate() {
        let out = dir.path().join(format!("run-{index}"));
        let url = sim.url();
        let mut args = vec![
            "load",
            "--scenario-file",
            "",
            &url,
            "--out",
            out.to_str().unwrap(),
        ];
        let file = example("order-lifecycle.toml");
        args[2] = &file;
        args.extend_from_slice(executor);
        let run = vertex_perf_with_env(&args, &[("VERTEX_PASSWORD", PASSWORD)]);
        run.assert_exit(0);
        let suite = json_file(&out.join("suite.json"));
        for scenario in suite["load"]["scenarios"].as_array().unwrap() {
            let requests = scenario["total_requests"].as_u64().unwrap();
            assert!(
                requests > 0 && requests % 3 == 0,
                "{executor:?}: {requests}"
            );
            assert_eq!(
                scenario["failed_requests"], 0,
                "{executor:?}: {:#}",
                scenario["errors"]
            );
        }
        let left = left_behind(&sim, &before);
        assert!(left.is_empty(), "{executor:?} left {left:?}");
    }
}

#[test]
fn csv_rows_and_a_check_failing_for_its_reason_against_the_service() {
    let sim = sim_with_admin();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(example("portrait.jpg"), dir.path().join("portrait.jpg")).unwrap();
    std::fs::write(
        dir.path().join("people.csv"),
        "phone,name\n+7911-000-01,Ann\n+7911-000-02,Bob\n",
    )
    .unwrap();
    let journey = dir.path().join("people.toml");
    std::fs::write(
        &journey,
        r#"
[secrets]
password = "VERTEX_PASSWORD"

[data]
file = "people.csv"
mode = "unique"

[[setup]]
method = "POST"
url = "{base}/auth/login"
json = { username = "admin", password = "{password}" }
extract = [{ var = "token", json = "/access_token" }]

[[step]]
label = "POST /orders/create"
method = "POST"
url = "{base}/orders/create"
headers = { Authorization = "Bearer {token}" }
multipart = [
    { name = "phone", value = "{phone}" },
    { name = "name", value = "{name}" },
    { name = "image", file = "portrait.jpg", content_type = "image/jpeg" },
    { name = "video", bytes = 30, filename = "v.mp4", content_type = "video/mp4" },
]
extract = [
    { var = "portrait_id", json = "/portrait/id" },
    { var = "client_id", json = "/client/id" },
]
record = { list = "clients", value = "{client_id}" }

[[step]]
label = "DELETE /portraits/{id}"
method = "DELETE"
url = "{base}/portraits/{portrait_id}"
headers = { Authorization = "Bearer {token}" }

[[step]]
label = "GET /clients/{id}"
url = "{base}/clients/{client_id}"
headers = { Authorization = "Bearer {token}" }
check = { json = { "/phone" = "{phone}", "/name" = "Bob" } }

[[teardown]]
method = "DELETE"
for_each = "clients"
url = "{base}/clients/{item}"
headers = { Authorization = "Bearer {token}" }
"#,
    )
    .unwrap();
    let out = dir.path().join("run");
    let file = journey.to_str().unwrap().to_owned();
    let url = sim.url();
    let three_users = vertex_perf_with_env(
        &["load", "--scenario-file", &file, &url, "-c", "3", "-n", "3"],
        &[("VERTEX_PASSWORD", PASSWORD)],
    );
    assert_setup_error(
        &three_users,
        "`unique` gives each user its own row: 3 users, 2 rows",
    );
    let run = vertex_perf_with_env(
        &[
            "load",
            "--scenario-file",
            &file,
            &url,
            "-c",
            "2",
            "-n",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("VERTEX_PASSWORD", PASSWORD)],
    );
    // Ann's client is not Bob: one check fails, for that reason, and fails the run.
    run.assert_exit(1);
    let suite = json_file(&out.join("suite.json"));
    let scenario = &suite["load"]["scenarios"][0];
    assert_eq!(scenario["checks"]["passes"], 1, "{scenario:#}");
    assert_eq!(scenario["checks"]["fails"], 1);
    let errors = scenario["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["class"], "check_failed");
    let message = errors[0]["sample_message"].as_str().unwrap();
    assert!(
        message.contains(r#"GET /clients/{id}: /name is "Ann", expected "Bob""#),
        "{message}"
    );
    // Each user took its own row, and the teardown deleted both clients.
    assert!(
        sim.rows().iter().all(|(kind, _)| kind == "video"),
        "{:?}",
        sim.rows()
    );
}
