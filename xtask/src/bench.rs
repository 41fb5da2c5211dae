//! Bench scripts that compare our tools with their peers in one interleaved run, because this
//! machine is shared and noisy: figures from separate runs are not comparable.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

const ROUNDS: usize = 3;

/// `cargo xtask bench-sampler`.
pub fn sampler(root: &Path) -> Result<()> {
    crate::cargo(
        root,
        &[
            "build",
            "--release",
            "-p",
            "perf-sampler",
            "--example",
            "sample_cost",
        ],
    )?;
    let rust_bin = root.join("target/release/examples/sample_cost");
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

/// A venv under `target/bench/NAME` with `packages` installed; returns its python.
pub fn python_venv_with(root: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let venv = root.join("target/bench").join(name);
    let python = venv.join("bin/python");
    if !python.exists() {
        std::fs::create_dir_all(root.join("target/bench"))?;
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("python3 is required")?;
        if !status.success() {
            bail!("`python3 -m venv {}` failed", venv.display());
        }
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(packages)
        .status()
        .context("cannot run pip")?;
    if !status.success() {
        bail!("pip install {} failed", packages.join(" "));
    }
    Ok(python)
}

fn run_line(command: &mut Command) -> Result<String> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed ({})", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The number after `"name":` in a one-line JSON object.
fn field(line: &str, name: &str) -> Result<f64> {
    let key = format!("\"{name}\":");
    let start = line
        .find(&key)
        .with_context(|| format!("`{name}` missing in `{line}`"))?
        + key.len();
    let text: String = line[start..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-')
        .collect();
    text.parse()
        .with_context(|| format!("`{name}` is not a number in `{line}`"))
}

fn string_field(line: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\":");
    let rest = line[line.find(&key)? + key.len()..]
        .trim_start()
        .strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    }
}
