//! Command-line definition (clap derive). Doc comments are the help text.
//!
//! One file although it is long: it is the whole command line, so a reviewer reads every
//! flag of every subcommand (and the groups they share) in one place, as `--help` shows them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use report_model::{RenderFormat, Threshold, compare::Tolerance};
use storage_bench::Plan;

use crate::values;

/// Performance testing for Vertex AR: load, server resources, storage and the portrait
/// workflow, with CI-ready reports.
#[derive(Debug, Parser)]
#[command(name = "vertex-perf", version, about, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// How often a progress line is printed when stderr is no terminal or `CI` is set
    /// (CI logs); a terminal gets a live line.
    #[arg(long, global = true, value_name = "DURATION", value_parser = values::progress_interval, default_value = "5s")]
    pub progress_interval: std::time::Duration,
}

/// How a command logs in to the Vertex AR service.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// Login name.
    #[arg(long, default_value = "admin")]
    pub user: String,
    /// Environment variable holding the password (default: the old suite's `admin`).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

/// [`LoginArgs`] for commands that may also create the account.
#[derive(Debug, clap::Args)]
pub struct AccountArgs {
    /// Login name and password.
    #[command(flatten)]
    pub login: LoginArgs,
    /// Register the user first (a fresh service has no admin).
    #[arg(long)]
    pub register_admin: bool,
}

/// `--metrics-listen`: the run's live metrics for Prometheus (`load`, `suite`).
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsArgs {
    /// Serve the run's live metrics (OpenMetrics text at `/metrics`: requests, errors and
    /// latency by scenario and endpoint, in flight, achieved and target rate, the watched
    /// server's `process_*`) on this address while it runs, e.g. 127.0.0.1:9464 (port 0
    /// picks a free one, named on stderr).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// After the run, keep serving its final figures this long, so the last scrape sees
    /// them: your scrape interval or more (0s: stop at once; Ctrl-C ends it early).
    #[arg(long, value_parser = values::linger, default_value = "15s", value_name = "DURATION")]
    pub metrics_linger: Duration,
}

/// Where a command writes its reports.
#[derive(Debug, clap::Args)]
pub struct OutArgs {
    /// Run folder for the reports (default `reports/runs/<run id>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl OutArgs {
    /// The run folder of run `run_id`.
    pub fn folder(&self, run_id: &str) -> crate::run_folder::RunFolder {
        crate::run_folder::RunFolder::new(self.out.as_deref(), run_id)
    }
}

/// The thresholds a command judges its run with.
#[derive(Debug, clap::Args)]
pub struct ThresholdArgs {
    /// A threshold such as `http.p95 < 500ms` or `server.cpu_avg < 60% acceptable 80%`
    /// (repeatable; replaces the command's built-in ones).
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<Threshold>,
}

/// `--shard` and `--start-at`: this process's part of a run split over several generators,
/// shared by `load`, `suite` and `storage`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ShardArgs {
    /// Run only this part of the run, INDEX/TOTAL counted from 1 (e.g. `2/4`): users,
    /// iterations, arrivals and storage objects split exactly; what must run once (the
    /// suite's workflow and memory cycles) runs on shard 1. Merge the shards' folders with
    /// `merge`. Read from `CI_NODE_INDEX`/`CI_NODE_TOTAL` (GitLab `parallel:`) or
    /// `JOB_COMPLETION_INDEX` with `VERTEX_PERF_SHARDS` (a Kubernetes Indexed Job) when not
    /// given.
    #[arg(long, value_name = "INDEX/TOTAL", value_parser = values::shard)]
    pub shard: Option<report_model::shard::Shard>,
    /// Wait until this instant (RFC 3339, e.g. `2026-12-02T15:00:00Z`, at most 1 h ahead)
    /// before starting, so every shard starts together; the report records how late this
    /// one began.
    #[arg(long, value_name = "RFC3339", value_parser = values::start_at)]
    pub start_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl ThresholdArgs {
    /// The gate of a `kind` run: its built-in thresholds, or these when given.
    pub fn gate(&self, kind: report_model::RunKind) -> report_model::Gate {
        report_model::Gate::new(kind).with_thresholds(&self.thresholds)
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare a run with a baseline; exit 1 when a metric regressed beyond the tolerance.
    Compare(CompareArgs),
    /// Re-render a saved report (`suite.json`) in another format.
    Report(ReportArgs),
    /// Watch a server process (CPU, memory, fds, threads, I/O) and the host; judge leaks.
    Monitor(MonitorArgs),
    /// Drive HTTP load at a URL (closed, open-rate, ramping or sweep) and report percentiles,
    /// error classes and throughput.
    Load(Box<LoadArgs>),
    /// Walk the end-to-end portrait workflow against a Vertex AR service, verify stored files
    /// and clean up.
    Workflow(WorkflowArgs),
    /// Compare storage backends (local disk, S3/MinIO, embedded S3) for put/get/head/list/delete
    /// throughput and latency, verifying every object by SHA-256.
    Storage(StorageArgs),
    /// Run everything against one service: health check, comprehensive uploads and reads,
    /// the workflow, load scenarios, storage comparison and memory cycles, with the sampler on
    /// the server; thresholds, baseline comparison and every report file.
    Suite(Box<SuiteArgs>),
    /// Merge the run folders of the shards of one split run (`load`, `suite` or `storage`
    /// with `--shard`) into the report
    /// of the whole run, judged afresh; refuses shards of different runs, or a missing or
    /// duplicated shard.
    Merge(MergeArgs),
    /// Interleaved A/B: the same read scenario against two targets in alternating rounds,
    /// judged across rounds; exit 1 when a gated metric of B is worse than A's.
    Ab(AbArgs),
    /// Serve the embedded S3 server until stopped (for a service under test to store files
    /// in); the endpoint and generated keys are written to --env-file (mode 0600).
    S3Server(S3ServerArgs),
}

/// How a run is compared with earlier ones (`suite` and `load`).
#[derive(Debug, Clone, clap::Args)]
pub struct BaselineArgs {
    /// The baseline: a history folder of earlier passing runs (`<run id>/suite.json`, as
    /// --record-history writes it), a run folder or a suite.json. Only runs of the same
    /// target, workload and machine class count; with fewer than 5 of them the run is
    /// judged by thresholds alone. A regression of a gated metric fails.
    #[arg(long = "baseline", value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Compare with the baseline's runs even when their target, workload or machine class
    /// differ from this run's.
    #[arg(long)]
    pub force_baseline: bool,
    /// How many of the newest comparable baseline runs to use.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub history_runs: u64,
    /// Record this run in a history folder when it passes (keeping --history-runs runs), so
    /// later runs compare with it.
    #[arg(long, value_name = "DIR")]
    pub record_history: Option<PathBuf>,
    /// The target's name in the run's identity (default: the URL's host:port); baselines of
    /// another name are not compared.
    #[arg(long, value_name = "NAME")]
    pub target_name: Option<String>,
    /// Relative change considered noise in the baseline comparison (the history's interval
    /// is at least this wide).
    #[arg(long, default_value = "10%")]
    pub tolerance: Tolerance,
}

/// Arguments of `vertex-perf ab`.
#[derive(Debug, clap::Args)]
pub struct AbArgs {
    /// The baseline target (e.g. the main branch's build).
    #[arg(long, value_name = "URL")]
    pub a: String,
    /// The candidate target (e.g. the merge request's build).
    #[arg(long, value_name = "URL")]
    pub b: String,
    /// The scenario each round runs.
    #[arg(long, value_enum, default_value_t = AbScenario::ReadMix)]
    pub scenario: AbScenario,
    /// Rounds per target (at least 5 for the significance test).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub rounds: u32,
    /// Length of one round on one target.
    #[arg(short = 'd', long, value_parser = values::run_duration, default_value = "5s")]
    pub duration: Duration,
    /// Virtual users in each round.
    #[arg(short = 'c', long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub concurrency: u32,
    /// Per-request timeout (1ms to 1h).
    #[arg(long, value_parser = values::timeout, default_value = "30s")]
    pub timeout: Duration,
    /// Login name and password.
    #[command(flatten)]
    pub login: LoginArgs,
    /// Relative change considered noise.
    #[arg(long, default_value = "10%")]
    pub tolerance: Tolerance,
    /// The thresholds to judge with.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub out: OutArgs,
}

/// What one round of `ab` runs.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AbScenario {
    /// GETs round-robin over the five list and admin endpoints (`api_endpoints`).
    ReadMix,
    /// The stress rotation over three endpoints (`stress_load`).
    Stress,
}

impl AbScenario {
    /// The name as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AbScenario::ReadMix => "read-mix",
            AbScenario::Stress => "stress",
        }
    }
}

/// Arguments of `vertex-perf s3-server`.
#[derive(Debug, clap::Args)]
pub struct S3ServerArgs {
    /// Directory holding the buckets (created if missing).
    #[arg(long)]
    pub dir: PathBuf,
    /// Bucket to create.
    #[arg(long, default_value = "vertex-perf")]
    pub bucket: String,
    /// Where to write S3_ENDPOINT, S3_BUCKET, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
    /// once listening.
    #[arg(long)]
    pub env_file: PathBuf,
}

/// Arguments of `vertex-perf suite`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("server").args(["server_pid", "server_port"])))]
#[command(group(clap::ArgGroup::new("profile").args(["quick", "full"])))]
#[allow(
    clippy::struct_excessive_bools,
    reason = "each is one command-line flag"
)]
pub struct SuiteArgs {
    /// The service's base URL (default: `target.url` of the config, http://127.0.0.1:8000).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// The server process to watch (default: the listener on the target's port, when the
    /// target is on this machine).
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Watch the process listening on this port.
    #[arg(long, value_name = "PORT")]
    pub server_port: Option<u16>,
    /// Also watch this storage server process (a local MinIO, say).
    #[arg(long, value_name = "PID")]
    pub storage_pid: Option<u32>,
    /// The config file (thresholds, phase sizes per profile); see vertex-perf.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Small sizes: the whole suite in under a minute.
    #[arg(long)]
    pub quick: bool,
    /// Longer stress (60 s) and more memory cycles.
    #[arg(long)]
    pub full: bool,
    /// Login name (overrides the config).
    #[arg(long)]
    pub user: Option<String>,
    /// Environment variable holding the password (overrides the config; default `admin`).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Register the user first (a fresh service has no admin).
    #[arg(long)]
    pub register_admin: bool,
    /// The S3 endpoint to compare with local disk, e.g. the one the service stores in:
    /// `s3://bucket?endpoint=http://127.0.0.1:9000` (keys from AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY). Default: the embedded S3 server, in process.
    #[arg(long, value_name = "URL")]
    pub s3: Option<String>,
    /// The service's SQLite database, for read-only direct queries.
    #[arg(long, value_name = "PATH")]
    pub sqlite: Option<PathBuf>,
    /// Baseline comparison and history.
    #[command(flatten)]
    pub baseline: BaselineArgs,
    /// Live Prometheus metrics while it runs.
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// This process's part of a split run.
    #[command(flatten)]
    pub split: ShardArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub out: OutArgs,
}

/// Arguments of `vertex-perf storage`.
#[derive(Debug, clap::Args)]
pub struct StorageArgs {
    /// A backend: file:///dir, memory://, s3://bucket?endpoint=http://host:port, s3+embedded://,
    /// vertex+http://host:port (repeatable; replaces the default of a local temp directory plus the embedded S3
    /// server, plus MinIO when MINIO_ENDPOINT is set). S3 keys come from AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY or MINIO_ACCESS_KEY / MINIO_SECRET_KEY.
    #[arg(long = "backend", value_name = "URL")]
    pub backends: Vec<String>,
    /// Object sizes, each 1B to 1GiB.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1MiB,5MiB,10MiB,20MiB",
        value_parser = values::size
    )]
    pub sizes: Vec<u64>,
    /// Objects per size and repetition (1 to 10000).
    #[arg(long, default_value = "2", value_parser = values::count_up_to(Plan::MAX_OBJECTS))]
    pub objects: u32,
    /// Operations in flight at once (1 to 256).
    #[arg(long, default_value = "2", value_parser = values::count_up_to(Plan::MAX_CONCURRENCY))]
    pub concurrency: u32,
    /// Repetitions (1 to 100).
    #[arg(long, default_value = "1", value_parser = values::count_up_to(Plan::MAX_REPETITIONS))]
    pub repeat: u32,
    /// Operations, in order; `mixed` runs a weighted random mix (see --mix) over the objects
    /// the put phase wrote, so list it after `put` and before `delete`.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "put,get,head,list,delete"
    )]
    pub ops: Vec<String>,
    /// Weights of the mixed workload (warp's default).
    #[arg(long, default_value = "get=45,head=30,put=15,delete=10")]
    pub mix: String,
    /// Operations of the mixed workload per size and repetition (1 to 1000000).
    #[arg(long, default_value = "50", value_parser = values::count_up_to(Plan::MAX_MIXED_OPERATIONS))]
    pub mixed_ops: u32,
    /// Create a missing bucket (signed CreateBucket request).
    #[arg(long)]
    pub create_bucket: bool,
    /// Login name and password.
    #[command(flatten)]
    pub login: LoginArgs,
    /// The thresholds to judge with.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// This process's part of a split run.
    #[command(flatten)]
    pub split: ShardArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub out: OutArgs,
}

/// The Vertex AR load scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VertexScenario {
    /// Concurrent `POST /orders/create` (cleaned up afterwards).
    Orders,
    /// GETs round-robin over the five list and admin endpoints.
    ReadMix,
    /// The stress loop over three endpoints.
    Stress,
}

/// Arguments of `vertex-perf workflow`.
#[derive(Debug, clap::Args)]
pub struct WorkflowArgs {
    /// The Vertex AR service.
    #[arg(long, default_value = "http://localhost:8000")]
    pub url: String,
    /// Login name, password and whether to register first.
    #[command(flatten)]
    pub account: AccountArgs,
    /// Leave the created clients, portraits and videos in place.
    #[arg(long)]
    pub keep_data: bool,
    /// Per-request timeout (1ms to 1h).
    #[arg(long, value_parser = values::timeout, default_value = "30s")]
    pub timeout: Duration,
    /// Where the reports go.
    #[command(flatten)]
    pub out: OutArgs,
}

/// Arguments of `vertex-perf load`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("bound").args(["requests", "duration"])))]
#[command(group(clap::ArgGroup::new("model").args(["concurrency", "rate", "stages", "sweep"])))]
#[command(group(clap::ArgGroup::new("payload").args(["body", "json", "form"])))]
pub struct LoadArgs {
    /// The URL every request goes to (with --scenario: the Vertex AR service's base URL), as
    /// oha and hey take it; `--url URL` works too.
    #[arg(
        value_name = "URL",
        required_unless_present_any = ["url_flag", "scenario_file"],
        conflicts_with = "url_flag"
    )]
    pub url_arg: Option<String>,
    /// The URL, as a flag.
    #[arg(long = "url", value_name = "URL")]
    pub url_flag: Option<String>,
    /// A Vertex AR scenario instead of a single request: concurrent orders (20 × 5 workers),
    /// the read mix (100 GETs, 10 workers) or the stress loop (5 workers, 10 ms think time,
    /// 30 s; --rate for the open-model variant). -n, -c and -d override the sizes.
    #[arg(long, value_enum)]
    pub scenario: Option<VertexScenario>,
    /// A journey file (TOML, docs/scenario-files.md): multi-step user journeys run by any
    /// executor (-c, --rate, --stages, --sweep); the URL, when given, is its `{base}`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "payload", "method", "headers"])]
    pub scenario_file: Option<std::path::PathBuf>,
    /// Login name, password and whether to register first.
    #[command(flatten)]
    pub account: AccountArgs,
    /// HTTP method (`-m` as in oha and hey, `-X` as in curl).
    #[arg(short = 'm', short_alias = 'X', long, default_value = "GET")]
    pub method: String,
    /// A header `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Body from a file: `@path`.
    #[arg(long, value_name = "@FILE")]
    pub body: Option<String>,
    /// A JSON body.
    #[arg(long)]
    pub json: Option<String>,
    /// A multipart text field `name=value` (repeatable).
    #[arg(long = "form", value_name = "NAME=VALUE")]
    pub form: Vec<String>,
    /// A multipart file field `name=@path[;type=mime]` (repeatable).
    #[arg(long = "file", value_name = "NAME=@PATH")]
    pub files: Vec<String>,
    /// Stop after this many requests (iterations).
    #[arg(short = 'n', long = "requests", value_parser = values::iterations)]
    pub requests: Option<u64>,
    /// Stop after this long (at most 7d; the open model stops starting then, whatever the
    /// rate, and waits at most a request timeout for what is in flight).
    #[arg(short = 'd', short_alias = 'z', long, value_parser = values::run_duration)]
    pub duration: Option<Duration>,
    /// Closed model: this many concurrent users (connections), 1 to 100000.
    #[arg(short = 'c', long, value_parser = values::users)]
    pub concurrency: Option<u32>,
    /// Open model: a constant arrival rate such as `500/s` or `500` (0.001/s to 1000000/s);
    /// `-q` as in oha (the whole run's rate).
    #[arg(short = 'q', long, value_parser = values::rate)]
    pub rate: Option<f64>,
    /// Ramping: stages such as `10s:100/s,30s:500/s,10s:0/s` (rates) or `10s:5,20s:20` (users).
    #[arg(long)]
    pub stages: Option<String>,
    /// Sweep: run closed-model at each of these concurrency levels, e.g. `1,5,10,20,50`.
    #[arg(long, value_delimiter = ',', value_parser = values::users)]
    pub sweep: Option<Vec<u32>>,
    /// Open model: requests in flight at most.
    #[arg(long, default_value = "100", value_parser = values::users)]
    pub max_in_flight: u32,
    /// Worker threads the generator runs on, as wrk's `-t` (1 to 1024). Default: half the
    /// cores when the target is on this machine (loopback), leaving the service the rest;
    /// one per core otherwise.
    #[arg(short = 't', long, value_parser = values::count_up_to(1024))]
    pub threads: Option<u32>,
    /// Closed model: pause after each iteration (at most 1h).
    #[arg(long, value_parser = values::think_time, default_value = "0s")]
    pub think: Duration,
    /// Per-request timeout (1ms to 1h).
    #[arg(long, value_parser = values::timeout, default_value = "30s")]
    pub timeout: Duration,
    /// HTTP/2 (prior knowledge for http://, ALPN for https://).
    #[arg(long)]
    pub http2: bool,
    /// Trust this extra CA or self-signed certificate (PEM) for https.
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,
    /// Read a bearer token from this environment variable (never from the command line).
    #[arg(long, value_name = "VAR")]
    pub bearer_env: Option<String>,
    /// Scenario name in the reports.
    #[arg(long, default_value = "load")]
    pub name: String,
    /// This process's part of a split run.
    #[command(flatten)]
    pub split: ShardArgs,
    /// The thresholds to judge with.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Baseline comparison and history.
    #[command(flatten)]
    pub baseline: BaselineArgs,
    /// What goes to stdout: the text summary, or (`json`, `-j`) the run's k6-style JSON
    /// summary for scripts; the report files are written either way.
    #[arg(long, value_enum, default_value_t = StdoutFormat::Text)]
    pub output: StdoutFormat,
    /// Same as `--output json`.
    #[arg(short = 'j', conflicts_with = "output")]
    pub json_output: bool,
    /// Live Prometheus metrics while it runs.
    #[command(flatten)]
    pub metrics: MetricsArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub out: OutArgs,
}

impl LoadArgs {
    /// The URL, positional or `--url`.
    pub fn url(&self) -> &str {
        self.url_arg
            .as_deref()
            .or(self.url_flag.as_deref())
            .unwrap_or_default()
    }

    /// True when stdout gets the JSON summary.
    pub fn json_stdout(&self) -> bool {
        self.json_output || self.output == StdoutFormat::Json
    }
}

/// What a run prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StdoutFormat {
    /// The summary for people.
    Text,
    /// The JSON summary (the `load-performance.json` of the run folder).
    Json,
}

/// Arguments of `vertex-perf monitor`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["pid", "name", "port"])))]
pub struct MonitorArgs {
    /// Watch this process id.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Watch the oldest process with this command name.
    #[arg(long)]
    pub name: Option<String>,
    /// Watch the process listening on this TCP port.
    #[arg(long)]
    pub port: Option<u16>,
    /// Include every descendant (uvicorn workers are children).
    #[arg(long)]
    pub children: bool,
    /// Time between samples (10ms to 1h).
    #[arg(long, default_value = "500ms", value_parser = values::sample_interval)]
    pub interval: Duration,
    /// Stop after this long, at most 30d (Ctrl-C stops earlier and still writes the report).
    #[arg(long, default_value = "60s", value_parser = values::watch_duration)]
    pub duration: Duration,
    /// Collect USS and PSS (reads smaps_rollup; costs more per sample).
    #[arg(long)]
    pub uss: bool,
    /// The thresholds to judge with.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Where the reports go.
    #[command(flatten)]
    pub out: OutArgs,
}

/// Arguments of `vertex-perf merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' run folders (each holding a `suite.json`).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// Merge some of the shards only: the result is a shard covering them, which a later
    /// `merge` takes like any other (merging is associative).
    #[arg(long)]
    pub partial: bool,
    /// The thresholds to judge the merged run with.
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Where the merged reports go.
    #[command(flatten)]
    pub out: OutArgs,
}

/// Arguments of `vertex-perf compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The baseline report (`suite.json` of an earlier run).
    pub baseline: PathBuf,
    /// The report to judge.
    pub current: PathBuf,
    /// Relative change considered noise, e.g. `10%`.
    #[arg(long, default_value = "10%")]
    pub tolerance: Tolerance,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

/// Output formats of `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// An aligned table for terminals and logs.
    Text,
    /// A Markdown table.
    Md,
    /// The comparison as JSON.
    Json,
}

/// Arguments of `vertex-perf report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A saved suite report (`suite.json`).
    pub run: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ReportFormat,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Output formats of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// JUnit XML for GitLab test reports.
    Junit,
    /// k6 legacy summary for GitLab's load performance widget.
    K6,
    /// `name value` lines for GitLab's metrics widget.
    Metrics,
    /// Markdown summary.
    Md,
    /// The suite report as indented JSON.
    Json,
    /// The self-contained HTML report with SVG charts.
    Html,
}

impl From<ReportFormat> for RenderFormat {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Junit => RenderFormat::Junit,
            ReportFormat::K6 => RenderFormat::K6Summary,
            ReportFormat::Metrics => RenderFormat::MetricsText,
            ReportFormat::Md => RenderFormat::Markdown,
            ReportFormat::Json => RenderFormat::JsonPretty,
            ReportFormat::Html => RenderFormat::Html,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // Catches parser/type mismatches that clap otherwise reports only when the flag
        // is used.
        Cli::command().debug_assert();
    }
}
