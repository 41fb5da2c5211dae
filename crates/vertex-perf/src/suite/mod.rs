//! `vertex-perf suite`: the perf-suite library against one service, with the options
//! from `vertex-perf.toml` and the command line; then the baseline comparison, the verdict,
//! every report file and the history. Reports are written whatever happens: a target that
//! is down, a phase that cannot be set up, or Ctrl-C.

mod files;

pub(crate) use files::summary_table;

use std::path::Path;

use anyhow::Result;
use perf_suite::{ProcessTarget, Profile, Suite, SuiteConfig};
use report_model::{RunIdentity, RunKind, target_name_of_url};
use tokio_util::sync::CancellationToken;

use crate::cli::SuiteArgs;
use crate::closing::Against;
use crate::metrics_server::MetricsServer;
use crate::output::Output;
use crate::progress::SuiteProgress;

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
    let shard = args.split.resolve()?;
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
    meta.identity = Some(RunIdentity::new(
        &target_name,
        &config.workload(profile),
        &meta.host,
    ));
    let folder = args.out.folder(&meta.run_id);
    let runtime = crate::runtime::new()?;
    output.note(&format!(
        "suite ({}) against {} — reports in {}",
        profile.name(),
        report_model::redact_url(&base_url),
        folder.path().display()
    ));

    let mut suite = Suite::new(config, password).shard(shard.unwrap_or_default());
    if let Some(server) = server_target(args, &base_url) {
        suite = suite.watch_server(server);
    }
    if let Some(pid) = args.storage_pid {
        suite = suite.watch_storage_server(ProcessTarget::Pid(pid));
    }
    if let Some(path) = &args.sqlite {
        suite = suite.direct_sqlite(path.clone());
    }
    if let Some(url) = &args.s3 {
        suite = suite.s3(url.clone());
    }
    let gate = suite.gate()?;
    let metrics = MetricsServer::start(&args.metrics, &runtime, output)?;
    meta.segment = args.split.start(shard, RunKind::Suite, &runtime, output);
    let progress = SuiteProgress::new(output, metrics.as_ref());
    let cancel = CancellationToken::new();
    let report = runtime.block_on(crate::interrupt::cancelling_on_signal(
        cancel.clone(),
        suite.run(meta, cancel, &|event| progress.show(event)),
    ));
    drop(progress);
    if let (Some(server), Some(load)) = (&metrics, &report.load) {
        server.finish(None, &load.scenarios);
    }
    let interrupted = matches!(report.outcome, report_model::RunOutcome::Interrupted);
    let code = crate::closing::close(
        report,
        RunKind::Suite,
        &gate,
        Against::History(baseline),
        &folder,
        summary_table,
        output,
    );
    if let Some(server) = metrics {
        server.linger(&runtime, output, interrupted);
    }
    code
}

/// The server process: as named, or the listener on the target's port when the target is
/// on this machine.
fn server_target(args: &SuiteArgs, base_url: &str) -> Option<ProcessTarget> {
    if let Some(pid) = args.server_pid {
        return Some(ProcessTarget::Pid(pid));
    }
    if let Some(port) = args.server_port {
        return Some(ProcessTarget::Port(port));
    }
    perf_suite::local_server(base_url)
}
