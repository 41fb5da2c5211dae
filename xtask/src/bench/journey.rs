//! `cargo xtask bench-journey`: what a scenario file costs per request over the equivalent
//! template scenario. The same `GET /` against the one-thread hello server, 50 connections,
//! [`SECONDS`] s, the server pinned to core 0 and the client to core 1, [`ROUNDS`]
//! interleaved rounds: `vertex-perf load URL` against `vertex-perf load --scenario-file`
//! with a one-step journey, CPU seconds per 100k requests from `wait4`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::load::{Placement, ServerWatch};
use super::{ROUNDS, measured, median, number_before};

const SECONDS: &str = "8s";
const CONNECTIONS: &str = "50";

/// The journey: one step, the template's request and check.
const JOURNEY: &str = r#"name = "hello"

[[step]]
label = "GET /"
url = "{base}/"
"#;

/// `cargo xtask bench-journey`.
pub fn journey(root: &Path) -> Result<()> {
    let release = crate::build_release(root, &["vertex-perf"])?;
    let vertex_perf = release.join("vertex-perf");
    let scratch: PathBuf = crate::target_dir(root).join("bench/journey-runs");
    std::fs::create_dir_all(&scratch)?;
    let file = scratch.join("hello.toml");
    std::fs::write(&file, JOURNEY)?;
    let (mut server, addr) = super::start_hello_server(root)?;
    let url = format!("http://{addr}");
    let result = (|| -> Result<()> {
        Placement::Pinned.place_server(server.id())?;
        let mut watch = ServerWatch::new(server.id())?;
        let mut template = Vec::new();
        let mut journey = Vec::new();
        for round in 1..=ROUNDS {
            for with_file in [false, true] {
                let mut command = Placement::Pinned.client(&vertex_perf);
                command.arg("load");
                if with_file {
                    command.arg("--scenario-file").arg(&file);
                }
                command
                    .args([&url, "-c", CONNECTIONS, "-d", SECONDS, "--out"])
                    .arg(scratch.join("out"))
                    .env("CI", "1");
                let (usage, busy) = watch.busy_during(|| measured(&mut command))?;
                let requests = number_before(&usage.stdout, " requests in ")?;
                let per_100k = usage.cpu_seconds * 1e5 / requests;
                let rate = number_before(&usage.stdout, " req/s")?;
                eprintln!(
                    "round {round} {}: {rate:.0} req/s, {per_100k:.3} CPU s per 100k, server busy {busy:.0}%",
                    if with_file {
                        "scenario file"
                    } else {
                        "template"
                    }
                );
                if with_file {
                    journey.push((per_100k, rate));
                } else {
                    template.push((per_100k, rate));
                }
            }
        }
        let cpu = |runs: &[(f64, f64)]| median(&mut runs.iter().map(|r| r.0).collect::<Vec<_>>());
        let rate = |runs: &[(f64, f64)]| median(&mut runs.iter().map(|r| r.1).collect::<Vec<_>>());
        let overhead = cpu(&journey) / cpu(&template);
        println!(
            "\nGET / at {CONNECTIONS} connections, {SECONDS}, pinned, medians of {ROUNDS} interleaved rounds:"
        );
        println!("{:<15} {:>10} {:>14}", "scenario", "req/s", "CPU s/100k");
        println!(
            "{:<15} {:>10.0} {:>14.3}",
            "template",
            rate(&template),
            cpu(&template)
        );
        println!(
            "{:<15} {:>10.0} {:>14.3}",
            "scenario file",
            rate(&journey),
            cpu(&journey)
        );
        println!(
            "\nCPU per request, file over template: {overhead:.3}x  {}",
            if overhead <= 1.10 {
                "within 10 %"
            } else {
                "NOT within 10 %"
            }
        );
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}
