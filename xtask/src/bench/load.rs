//! `cargo xtask bench-load`: vertex-perf against wrk and oha at the server's ceiling, pinned
//! and shared, throughput and CPU per request, in one interleaved run; then against nginx
//! (one worker) beside wrk `-t1` and `-t2`, sharing the cores as a user runs them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

use super::{ROUNDS, measured, median, number_after, number_before, which};

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
    /// With its default worker threads.
    VertexPerf,
    Wrk {
        threads: u8,
    },
    Oha,
}

impl LoadTool {
    fn name(self) -> String {
        match self {
            LoadTool::VertexPerf => "vertex-perf".to_owned(),
            LoadTool::Wrk { threads } => format!("wrk -t{threads}"),
            LoadTool::Oha => "oha".to_owned(),
        }
    }
}

/// The load target's CPU use, read with perf-sampler.
pub(super) struct ServerWatch {
    collector: perf_sampler::Collector,
}

impl ServerWatch {
    pub(super) fn new(pid: u32) -> Result<ServerWatch> {
        let collector = perf_sampler::Collector::new(
            pid,
            perf_sampler::CollectorOptions {
                // nginx serves from its worker, a child of the pid we know.
                include_children: true,
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
        if snapshot.processes.is_empty() {
            bail!("the load target is gone");
        }
        let ticks: u64 = snapshot.processes.iter().map(|p| p.cpu_ticks).sum();
        Ok(ticks as f64 / self.collector.ticks_per_second() as f64)
    }

    /// Runs `work` and returns its result with the server's CPU use meanwhile, % of a core.
    pub(super) fn busy_during<T>(&mut self, work: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
        let before = self.cpu_seconds()?;
        let started = std::time::Instant::now();
        let result = work()?;
        let busy = (self.cpu_seconds()? - before) / started.elapsed().as_secs_f64() * 100.0;
        Ok((result, busy))
    }
}

/// Where the load bench runs the server and the clients.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Placement {
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

    /// The hello server's tools in this placement: wrk with one thread per core it may use.
    fn tools(self) -> [LoadTool; 3] {
        let threads = match self {
            Placement::Pinned => 1,
            Placement::Shared => 2,
        };
        [
            LoadTool::VertexPerf,
            LoadTool::Wrk { threads },
            LoadTool::Oha,
        ]
    }

    /// `program` on this placement's client cores.
    pub(super) fn client(self, program: &Path) -> Command {
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
    pub(super) fn place_server(self, pid: u32) -> Result<()> {
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
    let tools = LoadTools {
        vertex_perf: release.join("vertex-perf"),
        wrk: ensure_from_debian("wrk", "wrk")?,
        oha: ensure_oha(root)?,
        scratch: crate::target_dir(root).join("bench/load-runs"),
    };
    let (mut server, addr) = super::start_hello_server(root)?;
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
            let medians = tools.compare(&placement.tools(), placement, &url, &mut watch)?;
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
                    "throughput >= 1.0x wrk",
                    ours.requests_per_sec / wrk.requests_per_sec,
                    ours.requests_per_sec >= wrk.requests_per_sec,
                ),
                (
                    "throughput >= 1.3x oha",
                    ours.requests_per_sec / oha.requests_per_sec,
                    ours.requests_per_sec >= 1.3 * oha.requests_per_sec,
                ),
                (
                    "CPU per 100k <= 0.85x wrk",
                    ours.cpu_per_100k / wrk.cpu_per_100k,
                    ours.cpu_per_100k <= 0.85 * wrk.cpu_per_100k,
                ),
            ];
            println!("\nbars, {}:", placement.describe());
            for (bar, ratio, met) in bars {
                print_bar(bar, ratio, met);
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
    let result = result.and_then(|()| nginx_comparison(&tools));
    let _ = std::fs::remove_dir_all(&tools.scratch);
    result
}

/// The second target: nginx with one worker, the generators sharing the two cores
/// with it as a user runs them; vertex-perf with its default threads against wrk with one
/// and with two.
fn nginx_comparison(tools: &LoadTools) -> Result<()> {
    let nginx = Nginx::start(&tools.scratch.join("nginx"))?;
    let result = (|| -> Result<()> {
        let mut watch = ServerWatch::new(nginx.pid())?;
        let lineup = [
            LoadTool::VertexPerf,
            LoadTool::Wrk { threads: 1 },
            LoadTool::Wrk { threads: 2 },
        ];
        let medians = tools.compare(&lineup, Placement::Shared, &nginx.url, &mut watch)?;
        println!(
            "\nnginx (worker_processes 1, return 200), {LOAD_CONNECTIONS} connections, {LOAD_SECONDS} s, {ROUNDS} interleaved rounds, server and client sharing both cores; medians:"
        );
        println!(
            "{:<12} {:>10} {:>14} {:>14} {:>12}",
            "tool", "req/s", "vs best wrk", "CPU s/100k", "server busy"
        );
        let best_wrk = medians[1]
            .1
            .requests_per_sec
            .max(medians[2].1.requests_per_sec);
        for (tool, m) in &medians {
            println!(
                "{:<12} {:>10.0} {:>13.2}x {:>14.3} {:>11.0}%",
                tool.name(),
                m.requests_per_sec,
                m.requests_per_sec / best_wrk,
                m.cpu_per_100k,
                m.server_busy_percent
            );
        }
        let ratio = medians[0].1.requests_per_sec / best_wrk;
        println!("\nbars, nginx, shared:");
        print_bar("throughput >= 1.0x best wrk", ratio, ratio >= 1.0);
        Ok(())
    })();
    nginx.stop();
    result
}

fn print_bar(bar: &str, ratio: f64, met: bool) {
    println!(
        "  {bar:<30} {ratio:>6.2}x  {}",
        if met { "met" } else { "NOT met" }
    );
}

/// nginx in the foreground with one worker on a free loopback port, its files under a
/// scratch directory.
struct Nginx {
    master: std::process::Child,
    url: String,
}

impl Nginx {
    fn start(dir: &Path) -> Result<Nginx> {
        let program = ensure_from_debian("nginx", "nginx")?;
        std::fs::create_dir_all(dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let config = dir.join("nginx.conf");
        std::fs::write(
            &config,
            format!(
                "worker_processes 1;\ndaemon off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
                 events {{ worker_connections 4096; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n  fastcgi_temp_path {dir}/fastcgi;\n  uwsgi_temp_path {dir}/uwsgi;\n  scgi_temp_path {dir}/scgi;\n\
                 server {{ listen 127.0.0.1:{port}; location / {{ return 200 \"Hello, world!\"; }} }}\n}}\n",
                dir = dir.display()
            ),
        )?;
        let mut master = Command::new(program)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start nginx")?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        for _ in 0..100 {
            if std::net::TcpStream::connect(addr).is_ok() {
                return Ok(Nginx {
                    master,
                    url: format!("http://{addr}/"),
                });
            }
            if let Some(status) = master.try_wait()? {
                bail!(
                    "nginx exited ({status}): {}",
                    std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = master.kill();
        let _ = master.wait();
        bail!("nginx did not listen on {addr} within 5 s")
    }

    fn pid(&self) -> u32 {
        self.master.id()
    }

    /// A fast shutdown (SIGTERM: the master stops its worker), then waits for it.
    fn stop(mut self) {
        let terminated = Command::new("kill")
            .args(["-TERM", &self.master.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        if !terminated {
            let _ = self.master.kill();
        }
        let _ = self.master.wait();
    }
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
    /// [`ROUNDS`] interleaved rounds of `tools`; their medians in the same order.
    fn compare(
        &self,
        tools: &[LoadTool],
        placement: Placement,
        url: &str,
        server: &mut ServerWatch,
    ) -> Result<Vec<(LoadTool, LoadFigures)>> {
        let mut figures: Vec<(LoadTool, Vec<LoadFigures>)> =
            tools.iter().map(|tool| (*tool, Vec::new())).collect();
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
            LoadTool::Wrk { threads } => {
                let mut command = placement.client(&self.wrk);
                command.arg(format!("-t{threads}")).args([
                    "-c",
                    LOAD_CONNECTIONS,
                    "-d",
                    &duration,
                    url,
                ]);
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
            LoadTool::Wrk { .. } => (
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

/// `program`, installed from Debian's `package` if it is not on the PATH (nor in /usr/sbin).
fn ensure_from_debian(program: &str, package: &str) -> Result<PathBuf> {
    let find = || {
        which(program).or_else(|_| {
            let sbin = Path::new("/usr/sbin").join(program);
            if sbin.exists() {
                Ok(sbin)
            } else {
                bail!("`{program}` not found")
            }
        })
    };
    if let Ok(path) = find() {
        return Ok(path);
    }
    eprintln!("xtask: installing {package} from Debian");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-qq", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| format!("apt-get is needed to install {package}"))
    };
    if !install()?.success() {
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        if !install()?.success() {
            bail!("cannot install {package}");
        }
    }
    find()
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
