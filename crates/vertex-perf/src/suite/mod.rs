//! `vertex-perf suite`: every phase against one service, in order, with the sampler attached
//! to the server for the whole run, then thresholds, the baseline comparison and every report
//! file. Reports are written whatever happens: a target that is down, a phase that cannot be
//! set up, or Ctrl-C.
//!
//! Phases: health pre-check and login; comprehensive (one large order upload, concurrent
//! uploads, DB-backed reads); the workflow; load (orders, read mix, stress); storage (local
//! disk vs S3 vs through the service); memory (snapshots around every phase, then identical
//! workload cycles and their leak verdict).

mod config;
mod files;
mod phases;

use std::path::Path;

use anyhow::{Context as _, Result};
use perf_sampler::{MemoryProbe, Sampler, SamplerConfig, SamplerHandle, Target as SamplerTarget};
use report_model::{Gate, MetricUnit, RunIdentity, RunOutcome, SuiteReport, target_name_of_url};

pub use config::{Profile, SuiteConfig};

use crate::PerfExitCode;
use crate::cli::SuiteArgs;
use crate::output::Output;
use phases::{PhaseOutcome, Suite};

/// Runs the suite; exit 0 (pass or warn), 1 (a verdict failed), 2 (setup error: reports
/// still written when the run folder could be made) or 130 (interrupted).
pub fn run(args: &SuiteArgs, output: &mut Output) -> Result<u8> {
    let profile = if args.quick {
        Profile::Quick
    } else if args.full {
        Profile::Full
    } else {
        Profile::Default
    };
    // An explicit --config, else ./vertex-perf.toml when there is one.
    let default_file = Path::new("vertex-perf.toml");
    let config_file = args
        .config
        .as_deref()
        .or_else(|| default_file.is_file().then_some(default_file));
    let mut config = SuiteConfig::load(config_file, profile)?;
    if let Some(url) = &args.target {
        config.target.url.clone_from(url);
    }
    if let Some(user) = &args.user {
        config.target.user.clone_from(user);
    }
    if args.password_env.is_some() {
        config.target.password_env.clone_from(&args.password_env);
    }
    config.target.register_admin |= args.register_admin;
    let thresholds = config.parsed_thresholds()?;
    if let Some(path) = &args.sqlite
        && !path.is_file()
    {
        anyhow::bail!(
            "--sqlite `{}` is not a file\n(hint: the service's app_data.db)",
            path.display()
        );
    }
    for url in args.s3.iter().chain(&config.phases.storage_backends) {
        url.parse::<storage_bench::BackendSpec>()?;
    }
    let password = crate::credentials::password(config.target.password_env.as_deref())?;
    // Read (and so checked) before the run; filtered by identity once the run knows its own.
    let baseline = crate::baseline::Baseline::read(&args.baseline)?;
    let base_url = config.target.url.trim_end_matches('/').to_owned();

    let mut meta = crate::provenance::run_meta(Some(&base_url));
    meta.profile = Some(profile.name().to_owned());
    let target_name = args
        .baseline
        .target_name
        .clone()
        .unwrap_or_else(|| target_name_of_url(&base_url));
    let workload = format!(
        "suite {} {}",
        profile.name(),
        serde_json::to_string(&config.phases).context("cannot describe the phase sizes")?
    );
    meta.identity = Some(RunIdentity::new(&target_name, &workload, &meta.host));
    let folder = args.out.folder(&meta.run_id);
    let runtime = crate::runtime::new()?;
    output.note(&format!(
        "suite ({}) against {} — reports in {}",
        profile.name(),
        report_model::redact_url(&base_url),
        folder.path().display()
    ));

    let mut report = SuiteReport::new(meta);
    let server = server_target(args, &base_url);
    let gate = Gate::new(report_model::RunKind::Suite)
        .with_thresholds(&thresholds)
        .expecting_sampler(server.is_some());
    let samplers = Samplers::start(server, args.storage_pid, &config, output);
    let probe = samplers.server_pid.and_then(|pid| {
        MemoryProbe::new(pid, true)
            .map_err(|e| output.note(&format!("no memory snapshots: {e}")))
            .ok()
    });
    let scratch = tempfile::Builder::new()
        .prefix("vertex-perf-suite-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let mut suite = Suite {
        config: &config,
        base_url: &base_url,
        password,
        run_id: report.meta.run_id.clone(),
        probe,
        scratch: scratch.path(),
        sqlite: args.sqlite.as_deref(),
        s3: args.s3.as_deref(),
        output,
        report: &mut report,
        snapshots: Vec::new(),
        target: None,
        storage_before: None,
    };
    let outcome = runtime.block_on(suite.run_all());
    samplers.stop_into(&mut report, output);
    report.meta.finish();
    report.outcome = match outcome {
        PhaseOutcome::Done => RunOutcome::Completed,
        PhaseOutcome::Interrupted => RunOutcome::Interrupted,
        PhaseOutcome::SetupFailed(message) => {
            output.note(&format!("error: {message}"));
            RunOutcome::SetupFailed { message }
        }
    };
    let comparison = baseline.compare(&mut report, output, true);
    report.judge(&gate, comparison);
    output.stdout(&files::summary_table(&report))?;
    folder.write_reports(&report, &files::SUITE_FILES)?;
    crate::baseline::record(&args.baseline, &report, output)?;
    output.note(&format!("reports written to {}", folder.path().display()));
    Ok(PerfExitCode::for_report(&report))
}

/// The server process: as named, or the listener on the target's port when the target is
/// on this machine.
fn server_target(args: &SuiteArgs, base_url: &str) -> Option<SamplerTarget> {
    if let Some(pid) = args.server_pid {
        return Some(SamplerTarget::Pid(pid));
    }
    if let Some(port) = args.server_port {
        return Some(SamplerTarget::Port(port));
    }
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = authority.rsplit_once(':')?;
    let local = matches!(host, "localhost" | "[::1]") || host.starts_with("127.");
    let port = port.parse().ok()?;
    local.then_some(SamplerTarget::Port(port))
}

/// The server's sampler and, when given, the storage server's.
struct Samplers {
    server: Option<SamplerHandle>,
    server_pid: Option<u32>,
    storage: Option<SamplerHandle>,
}

impl Samplers {
    fn start(
        server: Option<SamplerTarget>,
        storage_pid: Option<u32>,
        config: &SuiteConfig,
        output: &Output,
    ) -> Samplers {
        let start = |target: SamplerTarget, what: &str| -> Option<(SamplerHandle, u32)> {
            let pid = perf_sampler::resolve_target(&target)
                .map_err(|e| output.note(&format!("not watching the {what}: {e}")))
                .ok()?;
            let mut sampler = SamplerConfig::new(SamplerTarget::Pid(pid));
            sampler.include_children = true;
            sampler.collect_uss = true;
            sampler.interval = std::time::Duration::from_millis(config.phases.sample_interval_ms);
            // A bound, like every loop here: far beyond any profile's length.
            sampler.duration = Some(std::time::Duration::from_hours(2));
            // The whole run spans phases of different work: its trend is shown, and the
            // memory phase's identical cycles judge leaks.
            sampler.leak = config.phases.leak_thresholds(perf_sampler::Workload::Varying(
                "the suite's phases run different work (uploads, reads, storage, idle); the memory cycles judge leaks",
            ));
            Sampler::start(sampler)
                .map_err(|e| output.note(&format!("not watching the {what}: {e}")))
                .ok()
                .map(|handle| (handle, pid))
        };
        let server = server.and_then(|t| start(t, "server"));
        let storage = storage_pid.and_then(|pid| start(SamplerTarget::Pid(pid), "storage server"));
        Samplers {
            server_pid: server.as_ref().map(|(_, pid)| *pid),
            server: server.map(|(handle, _)| handle),
            storage: storage.map(|(handle, _)| handle),
        }
    }

    fn stop_into(self, report: &mut SuiteReport, output: &Output) {
        if let Some(handle) = self.server {
            match handle.stop() {
                Ok(sampler) => report.sampler = Some(sampler),
                Err(e) => output.note(&format!("server sampler: {e}")),
            }
        }
        if let Some(handle) = self.storage {
            match handle.stop() {
                Ok(sampler) => report.storage_server = Some(sampler),
                Err(e) => output.note(&format!("storage server sampler: {e}")),
            }
        }
    }
}

/// `12.3ms` and friends, for summary lines.
fn duration(us: u64) -> String {
    MetricUnit::Duration.format(us as f64)
}
