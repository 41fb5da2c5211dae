//! Command-line definition (clap derive). Doc comments are the help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use report_model::{RenderFormat, Tolerance};

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
