//! Project automation, run as `cargo xtask <task>`.
//!
//! - `perf`: the main job: release build, vertex-sim and the embedded S3 started as their
//!   own processes (unless `--target` is given), `vertex-perf suite`, everything stopped
//!   again; exits with the suite's code (0 pass, 1 fail, 2 setup error, 130 interrupted).
//! - `ci`: formatting check, clippy with warnings denied, the whole test suite. If it passes
//!   locally, CI passes.
//! - `bench-sampler`: CPU cost of one perf-sampler sample against psutil collecting the same
//!   figures, interleaved rounds, medians and the ratio (installs psutil into a venv under
//!   `target/bench/`).
//! - `bench-load`: `vertex-perf load` against `wrk` and `oha` on one loopback server,
//!   interleaved rounds: requests/s, CPU per 100k requests, peak RSS.
//! - `bench-storage`: `vertex-perf storage` against the Python `minio` client on the embedded
//!   S3 server, and on a local directory against `dd` (put) and a plain read (get),
//!   interleaved rounds.
//! - `bench-merge`: one generator's ceiling as a 1M-request shard, and the cost (wall, CPU,
//!   peak RSS) of `vertex-perf merge` on 16 such shards.
//! - `bench-open`: the open model's achieved rate and start lag from 10 % to 90 % of the
//!   hello server's closed-model capacity, interleaved rounds.
//! - `bench-journey`: CPU per request of a one-step scenario file over the same request as
//!   a template scenario, pinned, interleaved rounds.
//!
//! xtask needs only cargo and rustc and runs cargo through `$CARGO`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, Result, bail};

mod bench;
mod bench_gate;
mod perf;

/// Exit codes of `cargo xtask perf`, the suite's own (`vertex_perf::PerfExitCode`): xtask
/// passes the suite's code through and uses these for what happens around it.
pub mod exit_code {
    /// The job could not run: a build, a service or an argument failed.
    pub const SETUP_ERROR: u8 = 2;
    /// Stopped by a signal (the shell's 128 + SIGINT).
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("perf") {
        return match perf::perf(&project_root(), &args[1..]) {
            Ok(code) => ExitCode::from(code),
            Err(error) => {
                eprintln!("xtask: error: {error:#}");
                ExitCode::from(exit_code::SETUP_ERROR)
            }
        };
    }
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench-sampler") => bench::sampler(&project_root()),
        Some("bench-load") => bench::load(&project_root()),
        Some("bench-storage") => bench::storage(&project_root()),
        Some("bench-merge") => bench::merge(&project_root()),
        Some("bench-open") => bench::open_model(&project_root()),
        Some("bench-journey") => bench::journey(&project_root()),
        Some("bench-gate") => bench_gate::gate(&project_root()),
        Some("help" | "--help" | "-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => {
            print_help();
            Err(anyhow::anyhow!("unknown task `{other}`"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    eprintln!(
        "usage: cargo xtask <task>\n\ntasks:\n  perf [--quick|--full] [--sim-faults JSON] [suite flags]\n        the main job: start vertex-sim + S3, run the suite, write reports/runs/<id>/,\n        compare with and record in reports/history/<target>/<profile>/\n  ci    fmt check, clippy -D warnings, cargo test --workspace --no-fail-fast\n  bench-sampler | bench-load | bench-storage\n        benchmarks against psutil, wrk/oha, minio/dd\n  bench-merge\n        one 1M-request shard and the cost of merging 16 such shards\n  bench-open\n        open-model accuracy from 10 % to 90 % of the closed capacity\n  bench-journey\n        CPU per request of a scenario file over the equivalent template scenario\n  bench-gate\n        false-alarm and detection rates of the regression gate (history and A/B)"
    );
}

fn ci() -> Result<()> {
    let root = project_root();
    cargo(&root, &["fmt", "--all", "--", "--check"])?;
    cargo(
        &root,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    cargo(&root, &["test", "--workspace", "--no-fail-fast"])?;
    Ok(())
}

pub(crate) fn cargo(root: &Path, args: &[&str]) -> Result<()> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("xtask: cargo {}", args.join(" "));
    let mut command = Command::new(&cargo);
    // `cargo run` gave this process xtask's package variables; build scripts that watch
    // them (ring's watches CARGO_MANIFEST_DIR) would otherwise rebuild on every switch
    // between `cargo xtask ...` and a plain `cargo build`.
    for (name, _) in env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || matches!(
                &*name,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            command.env_remove(&*name);
        }
    }
    let status = command
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("`cargo {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Where cargo builds: `CARGO_TARGET_DIR`, or `target/` in the project.
pub(crate) fn target_dir(root: &Path) -> PathBuf {
    env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Builds the binaries of `packages` in release; returns the release folder.
pub(crate) fn build_release(root: &Path, packages: &[&str]) -> Result<PathBuf> {
    let mut args = vec!["build", "--release"];
    for package in packages {
        args.extend(["-p", package]);
    }
    cargo(root, &args)?;
    Ok(target_dir(root).join("release"))
}

/// Builds `package`'s example `example` in release; returns the executable.
pub(crate) fn build_release_example(root: &Path, package: &str, example: &str) -> Result<PathBuf> {
    cargo(
        root,
        &["build", "--release", "-p", package, "--example", example],
    )?;
    Ok(target_dir(root).join("release/examples").join(example))
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_owned()
}

#[cfg(test)]
mod tidy {
    //! Repository checks that `cargo test` enforces, so no CI step can drift.

    use super::*;

    #[test]
    fn formatting() {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["fmt", "--all", "--", "--check"])
            .current_dir(project_root())
            .output()
            .expect("cargo fmt runs");
        assert!(
            output.status.success(),
            "code is not formatted; run `cargo fmt --all`\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }

    #[test]
    fn every_crate_uses_the_workspace_license_and_lints() {
        let root = project_root();
        let mut manifests = vec![root.join("xtask/Cargo.toml")];
        for entry in std::fs::read_dir(root.join("crates")).unwrap() {
            manifests.push(entry.unwrap().path().join("Cargo.toml"));
        }
        let license = std::fs::read_to_string(root.join("LICENSE")).unwrap();
        assert!(license.starts_with("MIT License"));
        for manifest in manifests {
            let text = std::fs::read_to_string(&manifest).unwrap();
            assert!(
                text.contains("license.workspace = true"),
                "{}",
                manifest.display()
            );
            assert!(
                text.contains("[lints]\nworkspace = true"),
                "{}",
                manifest.display()
            );
        }
    }
}
