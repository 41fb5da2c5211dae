//! `cargo xtask bench-sampler`: perf-sampler against psutil, per sample, in one interleaved run.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result};

use super::{ROUNDS, field, median, python_venv_with, run_line, string_field};

/// `cargo xtask bench-sampler`.
pub fn sampler(root: &Path) -> Result<()> {
    let rust_bin = crate::build_release_example(root, "perf-sampler", "sample_cost")?;
    let python = python_venv_with(root, "psutil-venv", &["psutil"])?;
    let script = root.join("benches/scripts/psutil_sample_cost.py");

    let mut target = Command::new("sleep")
        .arg("600")
        .spawn()
        .context("cannot start the `sleep` target")?;
    let pid = target.id().to_string();
    let result = (|| -> Result<()> {
        for uss in [false, true] {
            let flag: &[&str] = if uss { &["--uss"] } else { &[] };
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            let mut psutil_version = String::new();
            for round in 1..=ROUNDS {
                let rust_line =
                    run_line(Command::new(&rust_bin).arg(&pid).arg("20000").args(flag))?;
                let python_line = run_line(
                    Command::new(&python)
                        .arg(&script)
                        .arg(&pid)
                        .arg("2000")
                        .args(flag),
                )?;
                let (rust_ms, python_ms) = (
                    field(&rust_line, "cpu_ms_per_sample")?,
                    field(&python_line, "cpu_ms_per_sample")?,
                );
                psutil_version = string_field(&python_line, "tool").unwrap_or_default();
                eprintln!(
                    "round {round}{}: perf-sampler {rust_ms:.4} ms, {psutil_version} {python_ms:.4} ms",
                    if uss { " (uss)" } else { "" }
                );
                ours.push(rust_ms);
                theirs.push(python_ms);
            }
            let (ours, theirs) = (median(&mut ours), median(&mut theirs));
            println!(
                "sample of one process + host{}: perf-sampler {ours:.4} ms CPU, {psutil_version} {theirs:.4} ms CPU, psutil/perf-sampler = {:.1}x (median of {ROUNDS} interleaved rounds)",
                if uss { " with USS/PSS" } else { "" },
                theirs / ours
            );
        }
        Ok(())
    })();
    let _ = target.kill();
    let _ = target.wait();
    result
}
