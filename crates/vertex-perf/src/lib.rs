//! The `vertex-perf` command line: parses arguments, composes the libraries, draws progress
//! and maps outcomes to [`PerfExitCode`]s. Logic that others could embed belongs in the
//! library crates, not here.

mod baseline;
mod cli;
mod closing;
mod commands;
mod credentials;
mod exit_codes;
mod interrupt;
mod metrics_server;
mod output;
mod progress;
mod provenance;
mod run_folder;
mod runtime;
mod split;
mod suite;
mod summary;
mod values;

use std::process::ExitCode;

use clap::Parser as _;

pub use exit_codes::PerfExitCode;

use crate::cli::{Cli, Command};
use crate::output::{BrokenPipe, Output};

/// Runs the CLI with the process arguments and returns its exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    progress::set_plain_interval(cli.progress_interval);
    let mut output = Output::new();
    let announce = !matches!(cli.command, Command::S3Server(_));
    if let Err(error) = interrupt::install(announce) {
        output.note(&format!(
            "Ctrl-C will stop at once, without cleanup or reports: {error}"
        ));
    }
    let result = match &cli.command {
        Command::Compare(args) => commands::compare::run(args, &mut output),
        Command::Report(args) => commands::report::run(args, &mut output),
        Command::Monitor(args) => commands::monitor::run(args, &mut output),
        Command::Load(args) => commands::load::run(args, &mut output),
        Command::Workflow(args) => commands::workflow::run(args, &mut output),
        Command::Storage(args) => commands::storage::run(args, &mut output),
        Command::Suite(args) => suite::run(args, &mut output),
        Command::Ab(args) => commands::ab::run(args, &mut output),
        Command::Merge(args) => commands::merge::run(args, &mut output),
        Command::S3Server(args) => commands::s3_server::run(args, &mut output),
    };
    let code = match result {
        Ok(code) => code,
        Err(error) if error.is::<BrokenPipe>() => PerfExitCode::OK,
        Err(error) => {
            output.error(&error);
            PerfExitCode::SETUP_ERROR
        }
    };
    ExitCode::from(code)
}
