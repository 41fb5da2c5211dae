//! `vertex-perf monitor`: watch a server process and the host, judge leaks, write
//! `performance_report.json` and `suite.json`.

use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

use anyhow::Result;
use perf_sampler::{LiveSample, ProcessTarget, Sampler, SamplerConfig};
use report_model::{MetricUnit, RunKind, SuiteReport};

use crate::cli::MonitorArgs;
use crate::closing::Against;
use crate::output::Output;
use crate::progress::Progress;

/// Runs the monitor until `--duration` or Ctrl-C; exit 0, 1 (threshold or leak failed) or
/// 130 (interrupted; reports still written).
pub fn run(args: &MonitorArgs, output: &mut Output) -> Result<u8> {
    let target = match (args.pid, &args.name, args.port) {
        (Some(pid), _, _) => ProcessTarget::Pid(pid),
        (_, Some(name), _) => ProcessTarget::Name(name.clone()),
        (_, _, Some(port)) => ProcessTarget::Port(port),
        _ => unreachable!("clap requires one target"),
    };
    let mut config = SamplerConfig::new(target);
    config.include_children = args.children;
    config.collect_uss = args.uss;
    config.interval = args.interval;
    config.duration = Some(args.duration);
    let mut meta = crate::provenance::run_meta(None);

    let mut handle = Sampler::start(config)?;
    // Only once the target is found: a failed setup leaves no empty run folder.
    let folder = args.out.folder(&meta.run_id);
    let live = handle.live().expect("first call");
    let mut progress = Progress::new();
    let mut interrupted = false;
    loop {
        match live.recv_timeout(Duration::from_millis(100)) {
            Ok(sample) => progress.update(&describe(&sample)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if crate::interrupt::is_set() {
            interrupted = true;
            break;
        }
    }
    progress.finish();
    let sampler = handle.stop()?;
    meta.finish();
    meta.target = Some(sampler.target.description.clone());

    let mut report = SuiteReport::new(meta);
    if interrupted {
        report.outcome = report_model::RunOutcome::Interrupted;
    }
    report.sampler = Some(sampler);
    let gate = args
        .thresholds
        .gate(RunKind::Monitor)
        .expecting_sampler(true);
    crate::closing::close(
        report,
        RunKind::Monitor,
        &gate,
        Against::Thresholds,
        &folder,
        summary,
        output,
    )
}

fn describe(sample: &LiveSample) -> String {
    let bytes = |b: u64| MetricUnit::Bytes.format(b as f64);
    let rate = |b: f64| format!("{}/s", MetricUnit::Bytes.format(b));
    let cpu = sample
        .cpu_percent
        .map_or_else(|| "exited".to_owned(), |c| format!("{c:.1}%"));
    let uss = sample
        .uss_bytes
        .map_or_else(String::new, |u| format!(" USS {}", bytes(u)));
    format!(
        "cpu {cpu} rss {}{uss} fds {} threads {} procs {} | host cpu {:.1}% disk r {} w {}",
        bytes(sample.rss_bytes),
        sample.fds,
        sample.threads,
        sample.processes,
        sample.system_cpu_percent,
        rate(sample.disk_read_bytes_per_sec),
        rate(sample.disk_write_bytes_per_sec),
    )
}

fn summary(report: &SuiteReport) -> String {
    let Some(sampler) = &report.sampler else {
        return String::new();
    };
    let mut lines = vec![format!(
        "{}: {} samples over {:.1}s ({} missed ticks)",
        sampler.target.description,
        sampler.n_samples,
        sampler.duration_us as f64 / 1e6,
        sampler.n_missed_ticks
    )];
    if let Some(process) = &sampler.process {
        let bytes = |b: f64| MetricUnit::Bytes.format(b);
        lines.push(format!(
            "cpu mean {:.1}% p95 {:.1}% max {:.1}% (100% = one core)",
            process.cpu_percent.mean, process.cpu_percent.p95, process.cpu_percent.max
        ));
        lines.push(format!(
            "rss mean {} max {}{}; fds max {:.0}; threads max {:.0}",
            bytes(process.rss_bytes.mean),
            bytes(process.rss_bytes.max),
            process
                .uss_bytes
                .map_or_else(String::new, |u| format!("; uss max {}", bytes(u.max))),
            process.fds.max,
            process.threads.max
        ));
        lines.push(format!(
            "io read {} write {}; ctx switches {} voluntary {} involuntary",
            bytes(process.read_bytes.delta as f64),
            bytes(process.write_bytes.delta as f64),
            process.voluntary_ctx_switches.delta,
            process.involuntary_ctx_switches.delta
        ));
    }
    if let Some(exit) = &sampler.target_exit {
        lines.push(format!(
            "target pid {} exited after {:.1}s",
            exit.pid,
            exit.at_us as f64 / 1e6
        ));
    }
    if let Some(leak) = &sampler.leak {
        lines.push(format!("leak: {} — {}", leak.verdict, leak.reason));
    }
    crate::summary::finish(report, lines)
}
