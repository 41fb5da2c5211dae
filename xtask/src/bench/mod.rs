//! Bench scripts that compare our tools with their peers in one interleaved run, because this
//! machine is shared and noisy: figures from separate runs are not comparable. One module
//! per benchmark; this one holds what they share (rounds, medians, measured child
//! processes, reading numbers out of a peer's output).

mod journey;
mod load;
mod merge;
mod open_model;
mod sampler;
mod storage;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

pub use journey::journey;
pub use load::load;
pub use merge::merge;
pub use open_model::open_model;
pub use sampler::sampler;
pub use storage::storage;

/// Interleaved rounds per comparison.
const ROUNDS: usize = 3;

/// A venv under `target/bench/NAME` with `packages` installed; returns its python.
pub fn python_venv_with(root: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let venv = crate::target_dir(root).join("bench").join(name);
    let python = venv.join("bin/python");
    if !python.exists() {
        std::fs::create_dir_all(crate::target_dir(root).join("bench"))?;
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

/// Builds and starts load-engine's one-thread hello server; returns it and the address it
/// reported.
fn start_hello_server(root: &Path) -> Result<(std::process::Child, String)> {
    use std::io::BufRead as _;
    let hello_server = crate::build_release_example(root, "load-engine", "hello_server")?;
    let mut server = Command::new(hello_server)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the hello server")?;
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().expect("piped")).read_line(&mut line)?;
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .context("the server did not report its address")?
        .to_owned();
    Ok((server, addr))
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

/// What one measured child process used.
struct Usage {
    stdout: String,
    cpu_seconds: f64,
    max_rss_kib: u64,
}

/// Runs `command` to completion and returns its output with its own CPU time and peak RSS
/// (from `wait4`, so only that child is counted).
#[allow(unsafe_code)] // wait4 is the only way to get one child's rusage
fn measured(command: &mut Command) -> Result<Usage> {
    use std::io::Read as _;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {command:?}"))?;
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut stdout)?;
    let pid = libc::pid_t::try_from(child.id()).context("pid out of range")?;
    let mut status = 0;
    // SAFETY: plain FFI call on a child we spawned and have not reaped; both out-pointers
    // refer to live, writable locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    if reaped != pid {
        bail!("wait4 failed for {command:?}");
    }
    if !libc::WIFEXITED(status) {
        bail!("{command:?} did not exit normally");
    }
    let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Ok(Usage {
        stdout,
        cpu_seconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}

fn which(program: &str) -> Result<PathBuf> {
    let output = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()?;
    let path = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if path.is_empty() {
        bail!("`{program}` not found");
    }
    Ok(PathBuf::from(path))
}

/// The number right before `marker` in `text`.
fn number_before(text: &str, marker: &str) -> Result<f64> {
    let end = text
        .find(marker)
        .with_context(|| format!("`{marker}` not in output: {text}"))?;
    let start = text[..end]
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    text[start..end]
        .parse()
        .with_context(|| format!("no number before `{marker}`"))
}

/// The number right after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Result<f64> {
    let start = text
        .find(marker)
        .with_context(|| format!("`{marker}` not in output: {text}"))?
        + marker.len();
    let number: String = text[start..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    number
        .parse()
        .with_context(|| format!("no number after `{marker}`"))
}
