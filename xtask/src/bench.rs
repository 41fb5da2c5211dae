//! Bench scripts that compare our tools with their peers in one interleaved run, because this
//! machine is shared and noisy: figures from separate runs are not comparable.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

const ROUNDS: usize = 3;

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

/// One tool's figures for one round, or the medians of its rounds.
#[derive(Clone, Copy)]
struct LoadFigures {
    requests_per_sec: f64,
    cpu_per_100k: f64,
    max_rss_mib: f64,
    /// The server's CPU use during the run, % of one core: near 100 it was the ceiling.
    server_busy_percent: f64,
}

/// The load generators `bench-load` compares, in the order of its tables.
#[derive(Clone, Copy)]
enum LoadTool {
    VertexPerf,
    Wrk,
    Oha,
}

impl LoadTool {
    const ALL: [LoadTool; 3] = [LoadTool::VertexPerf, LoadTool::Wrk, LoadTool::Oha];

    fn name(self) -> &'static str {
        match self {
            LoadTool::VertexPerf => "vertex-perf",
            LoadTool::Wrk => "wrk",
            LoadTool::Oha => "oha",
        }
    }
}

/// The load target's CPU use, read with perf-sampler.
struct ServerWatch {
    collector: perf_sampler::Collector,
}

impl ServerWatch {
    fn new(pid: u32) -> Result<ServerWatch> {
        let collector = perf_sampler::Collector::new(
            pid,
            perf_sampler::CollectorOptions {
                include_children: false,
                collect_uss: false,
            },
        )
        .context("cannot watch the load target")?;
        Ok(ServerWatch { collector })
    }

    fn cpu_seconds(&mut self) -> Result<f64> {
        let snapshot = self
            .collector
            .sample()
            .context("cannot read the load target")?;
        let ticks = snapshot
            .processes
            .first()
            .context("the load target is gone")?
            .cpu_ticks;
        Ok(ticks as f64 / self.collector.ticks_per_second() as f64)
    }

    /// Runs `work` and returns its result with the server's CPU use meanwhile, % of a core.
    fn busy_during<T>(&mut self, work: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
        let before = self.cpu_seconds()?;
        let started = std::time::Instant::now();
        let result = work()?;
        let busy = (self.cpu_seconds()? - before) / started.elapsed().as_secs_f64() * 100.0;
        Ok((result, busy))
    }
}

/// Where the load bench runs the server and the clients.
#[derive(Clone, Copy, PartialEq)]
enum Placement {
    /// Server on core 0, each client on core 1 (`taskset`): the client is the bottleneck, so
    /// the figures measure the load generators.
    Pinned,
    /// Everything on both cores: the one-thread server is the ceiling.
    Shared,
}

impl Placement {
    fn name(self) -> &'static str {
        match self {
            Placement::Pinned => "pinned",
            Placement::Shared => "shared",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Placement::Pinned => "server pinned to core 0, client to core 1",
            Placement::Shared => "server and client sharing both cores",
        }
    }

    /// `program` on this placement's client cores.
    fn client(self, program: &Path) -> Command {
        match self {
            Placement::Pinned => {
                let mut command = Command::new("taskset");
                command.args(["-c", "1"]).arg(program);
                command
            }
            Placement::Shared => Command::new(program),
        }
    }

    /// Moves the running server onto this placement's server cores.
    fn place_server(self, pid: u32) -> Result<()> {
        let cores = match self {
            Placement::Pinned => "0",
            Placement::Shared => "0-1",
        };
        let status = Command::new("taskset")
            .args(["-a", "-p", "-c", cores, &pid.to_string()])
            .stdout(Stdio::null())
            .status()
            .context("taskset (util-linux) is needed")?;
        if !status.success() {
            bail!("taskset could not move the server to cores {cores}");
        }
        Ok(())
    }
}

/// `cargo xtask bench-load`.
pub fn load(root: &Path) -> Result<()> {
    let release = crate::build_release(root, &["vertex-perf"])?;
    let hello_server = crate::build_release_example(root, "load-engine", "hello_server")?;
    let tools = LoadTools {
        vertex_perf: release.join("vertex-perf"),
        wrk: ensure_wrk()?,
        oha: ensure_oha(root)?,
        scratch: crate::target_dir(root).join("bench/load-runs"),
    };
    let mut server = Command::new(hello_server)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the hello server")?;
    let addr = {
        use std::io::BufRead as _;
        let mut line = String::new();
        std::io::BufReader::new(server.stdout.take().expect("piped")).read_line(&mut line)?;
        line.trim()
            .strip_prefix("listening on ")
            .context("the server did not report its address")?
            .to_owned()
    };
    let url = format!("http://{addr}/");
    let result = (|| -> Result<()> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let mut placements = vec![Placement::Shared];
        if cores >= 2 {
            placements.insert(0, Placement::Pinned);
        } else {
            eprintln!("xtask: one core only; the pinned comparison is skipped");
        }
        let mut watch = ServerWatch::new(server.id())?;
        let mut results = Vec::new();
        for placement in placements {
            placement.place_server(server.id())?;
            let medians = tools.compare(placement, &url, &mut watch)?;
            print_load_table(placement, &medians);
            results.push((placement, medians));
        }
        let (small, large) = tools.rss_growth(&url)?;
        println!(
            "\nvertex-perf peak RSS: {small:.1} MiB after 100 000 requests, {large:.1} MiB after 1 000 000 ({:+.1}%)",
            (large / small - 1.0) * 100.0
        );
        let memory_met = large <= 32.0 && large <= small * 1.10;
        for (placement, medians) in &results {
            let [(_, ours), (_, wrk), (_, oha)] = [medians[0], medians[1], medians[2]];
            let bars = [
                (
                    "throughput >= 0.85x wrk",
                    ours.requests_per_sec / wrk.requests_per_sec,
                    ours.requests_per_sec >= 0.85 * wrk.requests_per_sec,
                ),
                (
                    "throughput >= 1.25x oha",
                    ours.requests_per_sec / oha.requests_per_sec,
                    ours.requests_per_sec >= 1.25 * oha.requests_per_sec,
                ),
                (
                    "CPU per 100k <= 1.25x wrk",
                    ours.cpu_per_100k / wrk.cpu_per_100k,
                    ours.cpu_per_100k <= 1.25 * wrk.cpu_per_100k,
                ),
            ];
            println!("\nbars, {}:", placement.describe());
            for (bar, ratio, met) in bars {
                println!(
                    "  {bar:<30} {ratio:>6.2}x  {}",
                    if met { "met" } else { "NOT met" }
                );
            }
            println!(
                "  {:<30} {large:>5.1} MiB  {}",
                "peak RSS <= 32 MiB, +10% max",
                if memory_met { "met" } else { "NOT met" }
            );
            let server_ceiling = medians.iter().any(|(_, m)| m.server_busy_percent >= 90.0);
            if server_ceiling {
                println!(
                    "  (the server was >= 90% busy: throughput there is capped by the target, CPU per request is the client's own cost)"
                );
            }
        }
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&tools.scratch);
    result
}

fn print_load_table(placement: Placement, medians: &[(LoadTool, LoadFigures)]) {
    let (ours, wrk, oha) = (medians[0].1, medians[1].1, medians[2].1);
    println!(
        "\n{LOAD_CONNECTIONS} connections, {LOAD_SECONDS} s, {ROUNDS} interleaved rounds, one-thread hyper server, {}; medians:",
        placement.describe()
    );
    println!(
        "{:<12} {:>10} {:>9} {:>14} {:>9} {:>13} {:>12}",
        "tool", "req/s", "vs wrk", "CPU s/100k", "vs wrk", "peak RSS MiB", "server busy"
    );
    for (tool, m) in medians {
        println!(
            "{:<12} {:>10.0} {:>8.2}x {:>14.3} {:>8.2}x {:>13.1} {:>11.0}%",
            tool.name(),
            m.requests_per_sec,
            m.requests_per_sec / wrk.requests_per_sec,
            m.cpu_per_100k,
            m.cpu_per_100k / wrk.cpu_per_100k,
            m.max_rss_mib,
            m.server_busy_percent
        );
    }
    println!(
        "vertex-perf / oha: throughput {:.2}x, CPU per request {:.2}x",
        ours.requests_per_sec / oha.requests_per_sec,
        ours.cpu_per_100k / oha.cpu_per_100k
    );
}

const LOAD_CONNECTIONS: &str = "50";
const LOAD_SECONDS: u64 = 8;

/// The three load generators of `bench-load`.
struct LoadTools {
    vertex_perf: PathBuf,
    wrk: PathBuf,
    oha: PathBuf,
    scratch: PathBuf,
}

impl LoadTools {
    /// [`ROUNDS`] interleaved rounds of the three tools; medians in the order vertex-perf,
    /// wrk, oha.
    fn compare(
        &self,
        placement: Placement,
        url: &str,
        server: &mut ServerWatch,
    ) -> Result<Vec<(LoadTool, LoadFigures)>> {
        let mut figures: Vec<(LoadTool, Vec<LoadFigures>)> =
            LoadTool::ALL.map(|tool| (tool, Vec::new())).into();
        for round in 1..=ROUNDS {
            for (tool, rounds) in &mut figures {
                let figures = self.run_once(*tool, placement, url, server)?;
                eprintln!(
                    "{} round {round} {}: {:.0} req/s, {:.3} CPU s per 100k, peak RSS {:.1} MiB, server busy {:.0}%",
                    placement.name(),
                    tool.name(),
                    figures.requests_per_sec,
                    figures.cpu_per_100k,
                    figures.max_rss_mib,
                    figures.server_busy_percent,
                );
                rounds.push(figures);
            }
        }
        Ok(figures
            .iter()
            .map(|(tool, rounds)| {
                let of = |field: fn(&LoadFigures) -> f64| {
                    median(&mut rounds.iter().map(field).collect::<Vec<_>>())
                };
                let medians = LoadFigures {
                    requests_per_sec: of(|f| f.requests_per_sec),
                    cpu_per_100k: of(|f| f.cpu_per_100k),
                    max_rss_mib: of(|f| f.max_rss_mib),
                    server_busy_percent: of(|f| f.server_busy_percent),
                };
                (*tool, medians)
            })
            .collect())
    }

    /// One run of `tool` for [`LOAD_SECONDS`] at [`LOAD_CONNECTIONS`].
    fn run_once(
        &self,
        tool: LoadTool,
        placement: Placement,
        url: &str,
        server: &mut ServerWatch,
    ) -> Result<LoadFigures> {
        let duration = format!("{LOAD_SECONDS}s");
        let mut command = match tool {
            LoadTool::VertexPerf => {
                let mut command = placement.client(&self.vertex_perf);
                command
                    .args([
                        "load",
                        "--url",
                        url,
                        "-c",
                        LOAD_CONNECTIONS,
                        "-d",
                        &duration,
                    ])
                    .arg("--out")
                    .arg(&self.scratch)
                    .env("CI", "1");
                command
            }
            LoadTool::Wrk => {
                let mut command = placement.client(&self.wrk);
                // One thread per core it may use.
                let threads = match placement {
                    Placement::Pinned => "-t1",
                    Placement::Shared => "-t2",
                };
                command.args([threads, "-c", LOAD_CONNECTIONS, "-d", &duration, url]);
                command
            }
            LoadTool::Oha => {
                let mut command = placement.client(&self.oha);
                command.args([
                    "-z",
                    &duration,
                    "-c",
                    LOAD_CONNECTIONS,
                    "--no-tui",
                    "--output-format",
                    "json",
                    url,
                ]);
                command
            }
        };
        let (usage, server_busy_percent) = server.busy_during(|| measured(&mut command))?;
        let (requests, requests_per_sec) = match tool {
            LoadTool::VertexPerf => (
                number_before(&usage.stdout, " requests in ")?,
                number_before(&usage.stdout, " req/s")?,
            ),
            LoadTool::Wrk => (
                number_before(&usage.stdout, " requests in ")?,
                number_after(&usage.stdout, "Requests/sec:")?,
            ),
            LoadTool::Oha => {
                let json: serde_json::Value =
                    serde_json::from_str(&usage.stdout).context("oha's JSON output")?;
                let rps = json["summary"]["requestsPerSec"]
                    .as_f64()
                    .context("oha requestsPerSec")?;
                let total_secs = json["summary"]["total"].as_f64().context("oha total")?;
                (rps * total_secs, rps)
            }
        };
        Ok(LoadFigures {
            requests_per_sec,
            cpu_per_100k: usage.cpu_seconds * 1e5 / requests,
            max_rss_mib: usage.max_rss_kib as f64 / 1024.0,
            server_busy_percent,
        })
    }

    /// vertex-perf's peak RSS after 100 000 and after 1 000 000 requests, MiB.
    fn rss_growth(&self, url: &str) -> Result<(f64, f64)> {
        let rss_at = |count: &str| -> Result<f64> {
            let usage = measured(
                Command::new(&self.vertex_perf)
                    .args([
                        "load",
                        "--url",
                        url,
                        "-c",
                        LOAD_CONNECTIONS,
                        "-n",
                        count,
                        "--out",
                    ])
                    .arg(&self.scratch)
                    .env("CI", "1"),
            )?;
            Ok(usage.max_rss_kib as f64 / 1024.0)
        };
        Ok((rss_at("100000")?, rss_at("1000000")?))
    }
}

fn ensure_wrk() -> Result<PathBuf> {
    if let Ok(path) = which("wrk") {
        return Ok(path);
    }
    eprintln!("xtask: installing wrk from Debian");
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "wrk"])
        .status()
        .context("apt-get is needed to install wrk")?;
    if !status.success() {
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        let status = Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .status()?;
        if !status.success() {
            bail!("cannot install wrk");
        }
    }
    which("wrk")
}

fn ensure_oha(root: &Path) -> Result<PathBuf> {
    let bin = crate::target_dir(root).join("bench/oha/bin/oha");
    if !bin.exists() {
        eprintln!("xtask: installing oha from crates.io into target/bench/oha (a few minutes)");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["install", "oha", "--locked", "--root"])
            .arg(crate::target_dir(root).join("bench/oha"))
            .status()?;
        if !status.success() {
            bail!("cannot install oha");
        }
    }
    Ok(bin)
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

/// MiB/s of put and get per object size in a `suite.json` written by `vertex-perf storage`.
fn storage_rates(suite: &Path, backend: &str) -> Result<Vec<(u64, &'static str, f64)>> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(suite)?)?;
    let mut rates = Vec::new();
    for result in json["storage"]["results"]
        .as_array()
        .context("storage results")?
    {
        if result["backend"] != backend {
            continue;
        }
        let operation = match result["operation"].as_str() {
            Some("put") => "put",
            Some("get") => "get",
            _ => continue,
        };
        let size = result["object_size_bytes"].as_u64().context("size")?;
        rates.push((
            size,
            operation,
            result["bytes_per_sec"].as_f64().context("rate")? / (1024.0 * 1024.0),
        ));
    }
    Ok(rates)
}

/// Objects per size in the storage comparison.
const OBJECTS: &str = "4";

/// Repetitions per tool and round of the local-directory comparison.
const LOCAL_REPEATS: usize = 3;

/// vertex-perf's local 20 MiB put: the median of its repetitions, MiB/s.
fn local_put_rate(vertex_perf: &Path, dir: &Path, scratch: &Path, round: usize) -> Result<f64> {
    let out = scratch.join(format!("local-{round}"));
    let status = Command::new(vertex_perf)
        .args(["storage", "--backend", &format!("file://{}", dir.display())])
        .args([
            "--sizes",
            "20MiB",
            "--objects",
            OBJECTS,
            "--concurrency",
            "1",
        ])
        .args([
            "--ops",
            "put,delete",
            "--repeat",
            &LOCAL_REPEATS.to_string(),
            "--out",
        ])
        .arg(&out)
        .env("CI", "1")
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("vertex-perf storage failed on the local directory");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("suite.json"))?)?;
    let mut rates: Vec<f64> = json["storage"]["results"]
        .as_array()
        .context("storage results")?
        .iter()
        .find(|r| r["backend"] == "local" && r["operation"] == "put")
        .context("no local put result")?["repetition_bytes_per_sec"]
        .as_array()
        .context("repetition rates")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .map(|r| r / (1024.0 * 1024.0))
        .collect();
    Ok(median(&mut rates))
}

/// `dd` writing OBJECTS files of 20 MiB into `dir`, then deleting them, LOCAL_REPEATS times:
/// the median repetition, MiB/s.
fn dd_rate(source: &Path, dir: &Path) -> Result<f64> {
    let objects: usize = OBJECTS.parse().context("OBJECTS")?;
    std::fs::create_dir_all(dir)?;
    let mut rates = Vec::new();
    for _ in 0..LOCAL_REPEATS {
        let started = std::time::Instant::now();
        for index in 0..objects {
            let status = Command::new("dd")
                .arg(format!("if={}", source.display()))
                .arg(format!("of={}", dir.join(format!("dd-{index}")).display()))
                .args(["bs=1M", "count=20", "status=none"])
                .status()?;
            if !status.success() {
                bail!("dd failed");
            }
        }
        rates.push(20.0 * objects as f64 / started.elapsed().as_secs_f64());
        for index in 0..objects {
            let _ = std::fs::remove_file(dir.join(format!("dd-{index}")));
        }
    }
    Ok(median(&mut rates))
}

/// `cargo xtask bench-storage`.
pub fn storage(root: &Path) -> Result<()> {
    const SIZES: [u64; 2] = [1 << 20, 20 << 20];
    let release = crate::build_release(root, &["vertex-perf"])?;
    let embedded_s3 = crate::build_release_example(root, "storage-bench", "embedded_s3")?;
    let python = python_venv_with(root, "minio-venv", &["minio"])?;
    let script = root.join("benches/scripts/minio_client_throughput.py");
    let scratch = crate::target_dir(root).join("bench/storage-runs");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let credentials_file = scratch.join("credentials");
    let mut server = Command::new(embedded_s3)
        .arg(&credentials_file)
        .arg(scratch.join("s3-root"))
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the embedded S3 server")?;
    {
        use std::io::BufRead as _;
        let mut line = String::new();
        std::io::BufReader::new(server.stdout.take().expect("piped")).read_line(&mut line)?;
    }
    let result = (|| -> Result<()> {
        let credentials = std::fs::read_to_string(&credentials_file)?;
        let parts: Vec<&str> = credentials.split_whitespace().collect();
        let (endpoint, access, secret) = (parts[0], parts[1], parts[2]);
        let vertex_perf = release.join("vertex-perf");
        let sizes_arg = "1MiB,20MiB";
        let mut ours: std::collections::BTreeMap<(u64, &str), Vec<f64>> =
            std::collections::BTreeMap::new();
        let mut theirs: std::collections::BTreeMap<(u64, &str), Vec<f64>> =
            std::collections::BTreeMap::new();
        let (mut local_put, mut dd_rates) = (Vec::new(), Vec::new());
        let source = scratch.join("dd-source");
        std::fs::write(&source, vec![0x5Au8; 20 << 20])?;
        for round in 1..=ROUNDS {
            // vertex-perf on the embedded S3
            let out = scratch.join(format!("s3-{round}"));
            let status = Command::new(&vertex_perf)
                .args([
                    "storage",
                    "--backend",
                    &format!("s3://vertex-perf?endpoint={endpoint}"),
                    "--sizes",
                    sizes_arg,
                    "--objects",
                    OBJECTS,
                    "--concurrency",
                    "1",
                    "--ops",
                    "put,get,delete",
                    "--out",
                ])
                .arg(&out)
                .env("AWS_ACCESS_KEY_ID", access)
                .env("AWS_SECRET_ACCESS_KEY", secret)
                .env("CI", "1")
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                bail!("vertex-perf storage failed on the embedded S3");
            }
            for (size, operation, rate) in storage_rates(&out.join("suite.json"), "s3")? {
                ours.entry((size, operation)).or_default().push(rate);
            }
            // the minio client on the same server
            let output = Command::new(&python)
                .arg(&script)
                .args([endpoint, "vertex-perf", OBJECTS])
                .args(SIZES.map(|s| s.to_string()))
                .env("MINIO_ACCESS_KEY", access)
                .env("MINIO_SECRET_KEY", secret)
                .output()?;
            if !output.status.success() {
                bail!(
                    "the minio client failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                let json: serde_json::Value = serde_json::from_str(line)?;
                let size = json["size"].as_u64().context("size")?;
                theirs
                    .entry((size, "put"))
                    .or_default()
                    .push(json["put_mibps"].as_f64().context("put")?);
                theirs
                    .entry((size, "get"))
                    .or_default()
                    .push(json["get_mibps"].as_f64().context("get")?);
            }
            // local: vertex-perf put of 20 MiB vs dd into the same directory. Both get the
            // same treatment: REPEATS repetitions of "write OBJECTS files, delete them", the
            // median repetition counts, and which tool goes first alternates by round (on this
            // VM a write into pages the guest has not touched lately costs up to 8x more, so
            // whoever runs right after a big free is favoured).
            let local_dir = scratch.join("local");
            let ours_first = round % 2 == 0;
            for tool in if ours_first {
                ["ours", "dd"]
            } else {
                ["dd", "ours"]
            } {
                if tool == "ours" {
                    local_put.push(local_put_rate(&vertex_perf, &local_dir, &scratch, round)?);
                } else {
                    dd_rates.push(dd_rate(&source, &local_dir)?);
                }
            }
            eprintln!("round {round} done");
        }
        println!(
            "\nembedded S3, {OBJECTS} objects per size, sequential, medians of {ROUNDS} interleaved rounds (MiB/s):"
        );
        println!(
            "{:<8} {:<4} {:>12} {:>14} {:>8}",
            "size", "op", "vertex-perf", "minio client", "ratio"
        );
        for ((size, operation), rates) in &mut ours {
            let mine = median(rates);
            let peer = median(
                theirs
                    .get_mut(&(*size, *operation))
                    .context("peer figure")?,
            );
            println!(
                "{:<8} {operation:<4} {mine:>12.1} {peer:>14.1} {:>7.2}x",
                format!("{}MiB", size >> 20),
                mine / peer
            );
        }
        let (mine, dd) = (median(&mut local_put), median(&mut dd_rates));
        println!(
            "local directory, 20 MiB put: vertex-perf {mine:.1} MiB/s, dd {dd:.1} MiB/s, ratio {:.2}x",
            mine / dd
        );
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}
