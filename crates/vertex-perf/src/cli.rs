//! Command-line definition (clap derive). Doc comments are the help text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use report_model::{RenderFormat, Threshold, Tolerance};

/// Performance testing for Vertex AR: load, server resources, storage and the portrait
/// workflow, with CI-ready reports.
#[derive(Debug, Parser)]
#[command(name = "vertex-perf", version, about, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
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
    /// Time between samples (at least 10ms).
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    pub interval: Duration,
    /// Stop after this long (Ctrl-C stops earlier and still writes the report).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Collect USS and PSS (reads smaps_rollup; costs more per sample).
    #[arg(long)]
    pub uss: bool,
    /// A threshold such as `server.cpu_avg < 60% acceptable 80%` (repeatable; replaces the
    /// built-in server thresholds).
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<Threshold>,
    /// Run folder for the reports (default `reports/runs/<run id>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Parses `500ms`, `2s`, `1m30s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|err| format!("`{text}` is not a duration such as 500ms or 60s: {err}"))
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
}

impl From<ReportFormat> for RenderFormat {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Junit => RenderFormat::Junit,
            ReportFormat::K6 => RenderFormat::K6Summary,
            ReportFormat::Metrics => RenderFormat::MetricsText,
            ReportFormat::Md => RenderFormat::Markdown,
            ReportFormat::Json => RenderFormat::JsonPretty,
        }
    }
}
