//! The `vertex-sim` binary: ready line and file, SIGTERM, bad configuration.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

/// Kills the server if the test fails before it stops it.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn starts_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vertex-sim"))
        .args(["--listen", "127.0.0.1:0", "--admin", "admin", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--ready-file")
        .arg(&ready)
        .env("VERTEX_SIM_ADMIN_PASSWORD", "secret-pw")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut child = KillOnDrop(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base_url = line
        .trim()
        .strip_prefix("vertex-sim listening on ")
        .expect("ready line")
        .to_owned();
    assert_eq!(std::fs::read_to_string(&ready).unwrap(), base_url);
    let health = crate::support::http_client()
        .get(format!("{base_url}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let login = crate::support::http_client()
        .post(format!("{base_url}/auth/login"))
        .json(&serde_json::json!({"username": "admin", "password": "secret-pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the admin from --admin exists");
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.0.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    assert!(child.0.wait().unwrap().success(), "clean exit on SIGTERM");
}

#[test]
fn bad_configuration_is_one_line_and_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_vertex-sim"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("VERTEX_SIM_ADMIN_PASSWORD")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&["--storage", "ftp://nowhere"]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("vertex-sim: error: cannot use storage `ftp://nowhere`"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--admin", "admin"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("VERTEX_SIM_ADMIN_PASSWORD"), "{stderr}");
    let (code, _) = run(&["--faults", "{\"error_rate\": 3}"]);
    assert_eq!(code, Some(2));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let (code, stderr) = run(&["--listen", &address]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot listen on"), "{stderr}");
}
