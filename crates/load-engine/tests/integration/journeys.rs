//! Journey files against the fault server's small app: extraction chains, checks failing for
//! their reason, CSV rows, cookies, redirects, once-blocks cleaning up, every executor, and
//! files refused (file, line and key) before anything is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use load_engine::journey::{Journey, JourneyError};
use load_engine::{Bound, Executor, LoadOptions, RunControl, Shard, Stages, run, sweep};
use report_model::{ErrorClass, ScenarioReport};

use crate::fault_server::FaultServer;

/// Writes `files` (name, text) into a new directory; returns it and the first file's path.
fn write_files(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let first = dir.path().join(files[0].0);
    (dir, first)
}

fn journey(server: &FaultServer, path: &Path) -> Journey {
    Journey::from_file(path, Some(&server.url(""))).unwrap()
}

async fn run_journey(journey: &Journey, executor: &Executor) -> ScenarioReport {
    let options = LoadOptions::default();
    journey.setup(&options).await.unwrap();
    run(
        &journey.scenario(),
        executor,
        &options,
        RunControl::default(),
    )
    .await
    .unwrap()
}

fn closed(users: u32, iterations: u64) -> Executor {
    Executor::Closed {
        users,
        bound: Bound::Iterations(iterations),
        think_time: Duration::ZERO,
    }
}

const CHAIN: &str = r#"
name = "items"

[[step]]
label = "POST /items"
method = "POST"
url = "{base}/items"
json = { name = "from user {user}", tags = ["a", "b"], count = 2 }
check = { status = 201, content_type = "json" }
extract = [{ var = "item_id", json = "/id" }]
record = { list = "created", value = "{item_id}" }

[[step]]
label = "GET /items/{id}"
url = "{base}/items/{item_id}"
check = { status = 200, json = { "/name" = "item 1", "/id" = "{item_id}" }, body_min = 5 }
extract = [{ var = "name", regex = '"name":"([^"]+)"' }]

[[teardown]]
label = "DELETE /items/{id}"
method = "DELETE"
for_each = "created"
url = "{base}/items/{item}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extraction_chain_runs_and_the_teardown_deletes_what_it_recorded() {
    let server = FaultServer::start().await;
    // The check wants item 1's name: only the first iteration passes it, and the others
    // fail on that check with the reason.
    let (_dir, path) = write_files(&[("journey.toml", CHAIN)]);
    let journey = journey(&server, &path);
    assert_eq!(journey.name(), "items");
    assert_eq!(journey.step_labels(), ["POST /items", "GET /items/{id}"]);
    let report = run_journey(&journey, &closed(1, 3)).await;
    assert_eq!(report.total_requests, 6, "{:?}", report.errors);
    assert_eq!(report.checks.passes, 1);
    assert_eq!(report.checks.fails, 2);
    let failure = report
        .errors
        .iter()
        .find(|e| e.class == ErrorClass::CheckFailed)
        .expect("a check failure");
    assert_eq!(failure.count, 2);
    assert!(
        failure
            .sample_message
            .contains("/name is \"item 2\", expected \"item 1\""),
        "{failure:?}"
    );
    let labels: Vec<&str> = report.endpoints.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(labels, ["GET /items/{id}", "POST /items"]);
    assert_eq!(server.state.items.lock().unwrap().len(), 3);
    let teardown = journey.teardown(&LoadOptions::default()).await.unwrap();
    assert_eq!(
        (teardown.steps_run, teardown.failed),
        (3, 0),
        "{teardown:?}"
    );
    assert!(server.state.items.lock().unwrap().is_empty());
}

const SESSION: &str = r#"
[[step]]
label = "login"
method = "POST"
url = "{base}/login?user={user_id}"
per_user = true
check = { status = 200, content_type = "json" }

[[step]]
label = "home"
url = "{base}/home"
extract = [{ var = "who", json = "/user" }]

[[step]]
label = "login, redirect not followed"
method = "POST"
url = "{base}/login?user={who}"
follow_redirects = false
check = { status = 303 }
extract = [{ var = "next", header = "location" }]

[[step]]
label = "next"
url = "{base}{next}"
check = { status = 200 }

[data]
file = "users.csv"
mode = "unique"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_redirects_per_user_steps_and_unique_rows() {
    let server = FaultServer::start().await;
    let (_dir, path) = write_files(&[("session.toml", SESSION), ("users.csv", "user_id\n7\n8\n")]);
    let journey = journey(&server, &path);
    journey.check_users(2).unwrap();
    let Err(error) = journey.check_users(3) else {
        panic!("3 users on 2 unique rows")
    };
    assert!(error.to_string().contains("3 users, 2 rows"), "{error}");
    let report = run_journey(&journey, &closed(2, 6)).await;
    // `home` answers 401 without the session cookie, and the first login passes only once
    // its 303 is followed: every check passing says the cookies and the redirects worked.
    assert_eq!(report.checks.passes, 6, "{:?}", report.errors);
    assert_eq!(report.failed_requests, 0);
    let logins = server.state.logins.lock().unwrap().clone();
    let users: std::collections::BTreeSet<u64> = logins.iter().copied().collect();
    // A user takes its own row (unique) and logs in with it once (per_user), then once per
    // iteration with what `home` said it is.
    assert!(
        users.contains(&7) && users.is_subset(&[7, 8].into()),
        "{logins:?}"
    );
    assert_eq!(logins.len(), 6 + users.len(), "{logins:?}");
    // Per user that ran: one login and its redirect; per iteration: home, the unfollowed
    // login and where it pointed.
    assert_eq!(report.total_requests, 2 * users.len() as u64 + 6 * 3);
}

const EXPECT: &str = r#"
[[step]]
method = "POST"
url = "{base}/items"
extract = [{ var = "item_id", json = "/id" }]
check = { status = 201 }

[[step]]
label = "GET /items/{id}"
url = "{base}/items/{item_id}"
check = { json = { "/id" = "{item_id}0" } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_expectations_with_variables_are_checked_per_response() {
    let server = FaultServer::start().await;
    let (_dir, path) = write_files(&[("expect.toml", EXPECT)]);
    let report = run_journey(&journey(&server, &path), &closed(1, 2)).await;
    // The second step's expectation never holds: its request fails as a check, with why.
    assert_eq!(report.total_requests, 4);
    assert_eq!(report.checks.fails, 2, "{:?}", report.checks);
    assert_eq!(report.failed_requests, 2);
    let failures: Vec<&str> = report
        .errors
        .iter()
        .map(|e| e.sample_message.as_str())
        .collect();
    assert!(
        failures
            .iter()
            .any(|m| m.contains("GET /items/{id}: /id is 1, expected \"10\"")),
        "{failures:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_read_only_by_an_expectation_has_its_value() {
    let server = FaultServer::start().await;
    let (_dir, path) = write_files(&[(
        "iteration.toml",
        "[[step]]\nurl = \"{base}/json\"\ncheck = { json = { \"/status\" = \"healthy{iteration}\" } }\n",
    )]);
    let report = run_journey(&journey(&server, &path), &closed(1, 1)).await;
    // It fails on the comparison, not for want of `{iteration}`.
    assert_eq!(report.checks.fails, 1);
    let message = &report.errors[0].sample_message;
    assert!(
        message.contains("/status is \"healthy\", expected \"healthy0\""),
        "{message}"
    );
}

const LOOP: &str = r#"
[http]
max_redirects = 3

[[step]]
url = "{base}/loop"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_loop_stops_at_the_limit() {
    let server = FaultServer::start().await;
    let (_dir, path) = write_files(&[("loop.toml", LOOP)]);
    let report = run_journey(&journey(&server, &path), &closed(1, 1)).await;
    assert_eq!(report.total_requests, 4, "the request and 3 redirects");
    assert_eq!(report.checks.fails, 1);
    assert_eq!(server.served(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_executor_runs_a_journey() {
    let server = FaultServer::start().await;
    let (_dir, path) = write_files(&[("journey.toml", CHAIN)]);
    let journey = journey(&server, &path);
    let one_second = Bound::Duration(Duration::from_secs(1));
    let executors = [
        closed(2, 10),
        Executor::Open {
            rate_per_sec: 20.0,
            bound: one_second,
            max_in_flight: 5,
        },
        Executor::Ramping {
            stages: "1s:20/s".parse::<Stages>().unwrap(),
            max_in_flight: 5,
            think_time: Duration::ZERO,
        },
        Executor::Ramping {
            stages: "1s:2".parse::<Stages>().unwrap(),
            max_in_flight: 5,
            think_time: Duration::from_millis(50),
        },
    ];
    for executor in &executors {
        let report = run_journey(&journey, executor).await;
        assert!(
            report.total_requests >= 2 && report.total_requests % 2 == 0,
            "{}: {} requests",
            executor.describe(),
            report.total_requests
        );
        assert_eq!(
            report.failed_requests,
            report.checks.fails,
            "{}: only the name check fails",
            executor.describe()
        );
    }
    let reports = sweep(
        &journey.scenario(),
        &[1, 2],
        Bound::Iterations(4),
        Duration::ZERO,
        &LoadOptions::default(),
        RunControl::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        reports.iter().map(|r| r.total_requests).collect::<Vec<_>>(),
        [8, 8]
    );
    let mut total = 0;
    for index in 1..=2 {
        let options = LoadOptions {
            shard: Shard::new(index, 2).unwrap(),
            ..LoadOptions::default()
        };
        let report = run(
            &journey.scenario(),
            &closed(2, 7),
            &options,
            RunControl::default(),
        )
        .await
        .unwrap();
        total += report.checks.passes + report.checks.fails;
    }
    assert_eq!(total, 7, "two shards split the iterations exactly");
    let teardown = journey.teardown(&LoadOptions::default()).await.unwrap();
    assert_eq!(teardown.failed, 0, "{teardown:?}");
    assert!(server.state.items.lock().unwrap().is_empty());
}

/// The error of compiling `text` as `journey.toml` (with `users.csv` beside it).
fn refused(text: &str) -> String {
    let (_dir, path) = write_files(&[("journey.toml", text), ("users.csv", "name\nann\n")]);
    match Journey::from_file(&path, Some("http://127.0.0.1:9")) {
        Ok(_) => panic!("accepted: {text}"),
        Err(error) => {
            assert!(matches!(error, JourneyError::File { .. }), "{error:?}");
            error
                .to_string()
                .replace(&path.display().to_string(), "journey.toml")
        }
    }
}

#[test]
fn bad_files_name_the_line_and_the_key() {
    let unknown = refused(
        "[[step]]\nurl = \"{base}/a\"\nextract = [{ var = \"id\", json = \"/id\" }]\n\n[[step]]\nurl = \"{base}/items/{idd}\"\n",
    );
    assert!(
        unknown.starts_with("journey.toml:5:1: step[2].url: unknown variable `idd`"),
        "{unknown}"
    );
    assert!(
        unknown.contains("known here: base, id, iteration, user"),
        "{unknown}"
    );

    let later = refused(
        "[[step]]\nurl = \"{base}/{token}\"\n\n[[step]]\nurl = \"{base}\"\nextract = [{ var = \"token\", json = \"/t\" }]\n",
    );
    assert!(
        later.contains("step[1].url: unknown variable `token`"),
        "{later}"
    );

    let column =
        refused("[data]\nfile = \"users.csv\"\n\n[[step]]\nurl = \"{base}/{name}/{email}\"\n");
    assert!(column.contains("unknown variable `email`"), "{column}");

    let pointer =
        refused("[[step]]\nurl = \"{base}\"\nextract = [{ var = \"id\", json = \"id\" }]\n");
    assert!(
        pointer.contains("step[1].extract[1]: `id` is not a JSON Pointer"),
        "{pointer}"
    );

    let typo = refused("[[step]]\nurl = \"{base}\"\nchek = { status = 200 }\n");
    assert!(
        typo.starts_with("journey.toml:3:1: unknown field `chek`"),
        "{typo}"
    );

    let syntax = refused("[[step]\nurl = 1\n");
    assert!(syntax.starts_with("journey.toml:1:"), "{syntax}");

    let secret = refused(
        "[secrets]\npassword = \"VERTEX_PERF_SURELY_UNSET_7F3A\"\n\n[[step]]\nurl = \"{base}\"\n",
    );
    assert!(
        secret.contains(
            "secrets.password: the environment variable `VERTEX_PERF_SURELY_UNSET_7F3A` is not set"
        ),
        "{secret}"
    );

    let teardown = refused(
        "[[step]]\nurl = \"{base}\"\n\n[[teardown]]\nurl = \"{base}/{item}\"\nfor_each = \"made\"\n",
    );
    assert!(
        teardown.contains("teardown[1].for_each: no step records the list `made`"),
        "{teardown}"
    );

    let bodies = refused("[[step]]\nurl = \"{base}\"\nbody = \"x\"\njson = { a = 1 }\n");
    assert!(bodies.contains("a step has one body"), "{bodies}");

    let think = refused("[[step]]\nurl = \"{base}\"\nthink = \"2s..1s\"\n");
    assert!(
        think.contains("step[1].think: `2s..1s`: the range runs backwards"),
        "{think}"
    );

    let expectation =
        refused("[[step]]\nurl = \"{base}\"\ncheck = { json = { \"/id\" = \"{nope}\" } }\n");
    assert!(
        expectation.contains("step[1].check.json.\"/id\": unknown variable `nope`"),
        "{expectation}"
    );

    let empty = refused("name = \"nothing\"\n");
    assert!(empty.contains("at least one [[step]]"), "{empty}");
}

#[test]
fn the_committed_scenario_file_schema_is_the_generated_one() {
    let schema = Journey::json_schema();
    let properties = schema["properties"].as_object().unwrap();
    for key in [
        "name", "base", "vars", "secrets", "data", "http", "setup", "step", "teardown",
    ] {
        assert!(
            properties.contains_key(key),
            "{key} missing from the schema"
        );
    }
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown keys are errors"
    );
    let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/scenario-file.schema.json");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_FIXTURES=1)", path.display()));
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_FIXTURES=1 cargo test -p load-engine`",
        path.display()
    );
}
