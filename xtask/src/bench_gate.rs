//! `cargo xtask bench-gate`: measures the regression gate itself on this machine, as a
//! bench script (never a timed test). Four vertex-sim processes of the same release build
//! run side by side: two clean twins, one with +30 % latency on one route
//! (`slowdown_percent`) and one with a 10 % error rate on another. Then, interleaved so the
//! machine's drift falls on every case alike:
//!
//! - **history**: `vertex-perf load --scenario read-mix` runs against a history of passing
//!   runs of the clean target (recorded as main-branch runs are, newest 10 kept): A/A
//!   comparisons of the clean target, and comparisons of each regressed target;
//! - **interleaved**: `vertex-perf ab` between the clean target and its twin (A/A) and
//!   between the clean target and each regressed one.
//!
//! It prints the false-alarm rate of the A/A comparisons (bar: at most 1 in 10) and the
//! detection rate of each injected regression with the metrics it named (bar: at least 9 in
//! 10). Every run is bounded in time; traffic stays on loopback.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};

use crate::perf::{SimLaunch, Started, random_hex, start_sim};

/// Comparisons per case.
const COMPARISONS: usize = 10;
/// Passing runs recorded before the history judges.
const HISTORY_SEED_RUNS: usize = 5;
/// One history run's length.
const HISTORY_RUN: &str = "2s";
/// One A/B round's length on one target, and rounds per target.
const AB_ROUND: &str = "1500ms";
const AB_ROUNDS: &str = "5";
/// The injected regressions: +30 % latency on one route, a 10 % error rate on another.
const SLOW_ROUTE: &str = "/admin/system-info";
const FAILING_ROUTE: &str = "/clients/list";

/// One case of the bench: a target and whether its comparisons should alarm.
struct Case {
    name: String,
    url: String,
    regressed: bool,
}

/// What one comparison said.
struct Verdict {
    code: i32,
    regressions: Vec<String>,
    /// The last line on stderr, kept for exits other than 0 and 1.
    error: Option<String>,
}

/// Runs the bench and prints its table.
pub fn gate(root: &Path) -> Result<()> {
    let release = crate::build_release(root, &["vertex-perf", "vertex-sim"])?;
    let vertex_perf = release.join("vertex-perf");
    let vertex_sim = release.join("vertex-sim");
    let mut started = Started::new(
        crate::target_dir(root)
            .join("bench-gate")
            .join(std::process::id().to_string()),
    )?;
    let password = random_hex(16)?;
    let slow_faults = format!(r#"{{"slowdown_percent":30,"route":"{SLOW_ROUTE}"}}"#);
    let failing_faults = format!(r#"{{"error_rate":0.1,"route":"{FAILING_ROUTE}"}}"#);
    // Every comparison logs in once per target; the contract's 5 logins a minute would
    // refuse most of them (the service reads the same variable).
    let env = [(
        "AUTH_RATE_LIMIT".to_owned(),
        std::ffi::OsString::from("100000/minute"),
    )];
    let mut url_of = |name: &str, faults: Option<&str>| -> Result<String> {
        let launch = SimLaunch {
            binary: &vertex_sim,
            name,
            password: &password,
            storage: None,
            env: &env,
            faults,
        };
        Ok(start_sim(&mut started, &launch)?.1)
    };
    let clean = url_of("clean", None)?;
    let twin = url_of("twin", None)?;
    let slow = url_of("slow", Some(&slow_faults))?;
    let failing = url_of("failing", Some(&failing_faults))?;
    let work = started.work_dir().to_owned();
    let runner = Runner {
        vertex_perf: &vertex_perf,
        password: &password,
        work: &work,
    };

    let history_cases = [
        Case {
            name: "A/A (same build)".to_owned(),
            url: clean.clone(),
            regressed: false,
        },
        Case {
            name: format!("+30% latency on {SLOW_ROUTE}"),
            url: slow.clone(),
            regressed: true,
        },
        Case {
            name: format!("10% errors on {FAILING_ROUTE}"),
            url: failing.clone(),
            regressed: true,
        },
    ];
    let history = work.join("history");
    eprintln!(
        "xtask: bench-gate: seeding the history with {HISTORY_SEED_RUNS} runs of the clean target"
    );
    for run in 0..HISTORY_SEED_RUNS {
        let verdict = runner.history_run(&clean, &history, true, &format!("seed-{run}"))?;
        anyhow::ensure!(
            verdict.code == 0,
            "seed run {run} of the clean target did not pass (exit {})",
            verdict.code
        );
    }
    let mut history_results: Vec<Vec<Verdict>> = history_cases.iter().map(|_| Vec::new()).collect();
    let mut ab_results: Vec<Vec<Verdict>> = history_cases.iter().map(|_| Vec::new()).collect();
    let ab_targets = [&twin, &slow, &failing];
    for round in 0..COMPARISONS {
        eprintln!("xtask: bench-gate: round {} of {COMPARISONS}", round + 1);
        for (index, case) in history_cases.iter().enumerate() {
            // A/A runs are main-branch runs: they pass into the history as CI records them.
            let record = !case.regressed;
            let verdict =
                runner.history_run(&case.url, &history, record, &format!("h{index}-{round}"))?;
            history_results[index].push(verdict);
            let verdict =
                runner.ab_run(&clean, ab_targets[index], &format!("ab{index}-{round}"))?;
            ab_results[index].push(verdict);
        }
    }
    drop(started);

    println!();
    println!(
        "{:<12} {:<36} {:>8} {:>9}  metrics named (times)",
        "mode", "comparison", "alarms", "bar"
    );
    let mut all_met = true;
    for (mode, results) in [("history", &history_results), ("interleaved", &ab_results)] {
        for (case, verdicts) in history_cases.iter().zip(results.iter()) {
            let alarms = verdicts.iter().filter(|v| v.code == 1).count();
            let errors: Vec<String> = verdicts
                .iter()
                .filter(|v| v.code != 0 && v.code != 1)
                .map(|v| format!("{}: {}", v.code, v.error.as_deref().unwrap_or("")))
                .collect();
            let (bar, met) = if case.regressed {
                ("≥ 9/10", alarms * 10 >= 9 * COMPARISONS)
            } else {
                ("≤ 1/10", alarms * 10 <= COMPARISONS)
            };
            all_met &= met && errors.is_empty();
            println!(
                "{mode:<12} {:<36} {:>5}/{COMPARISONS} {bar:>9}  {}{}{}",
                case.name,
                alarms,
                named(verdicts),
                if errors.is_empty() {
                    String::new()
                } else {
                    format!("; other exits {errors:?}")
                },
                if met { "" } else { "  NOT MET" }
            );
        }
    }
    println!(
        "verdict: {}",
        if all_met {
            "every bar met"
        } else {
            "a bar was NOT met"
        }
    );
    Ok(())
}

/// The metrics the comparisons named, with how often.
fn named(verdicts: &[Verdict]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for verdict in verdicts {
        for metric in &verdict.regressions {
            *counts.entry(metric.as_str()).or_default() += 1;
        }
    }
    if counts.is_empty() {
        return "-".to_owned();
    }
    counts
        .iter()
        .map(|(metric, count)| format!("{metric} ({count})"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Runner<'a> {
    vertex_perf: &'a Path,
    password: &'a str,
    work: &'a Path,
}

impl Runner<'_> {
    /// One `load --scenario read-mix` run compared with (and, when `record`, recorded in)
    /// the history.
    fn history_run(&self, url: &str, history: &Path, record: bool, name: &str) -> Result<Verdict> {
        let out = self.work.join("runs").join(name);
        let history = history.display().to_string();
        let mut args = vec![
            "load",
            "--url",
            url,
            "--scenario",
            "read-mix",
            "-c",
            "5",
            "-d",
            HISTORY_RUN,
            "--target-name",
            "bench-gate",
            "--baseline",
            &history,
        ];
        if record {
            args.extend(["--record-history", &history]);
        }
        self.run(&args, &out)
    }

    /// One `ab` comparison of `a` against `b`.
    fn ab_run(&self, a: &str, b: &str, name: &str) -> Result<Verdict> {
        let out = self.work.join("runs").join(name);
        self.run(
            &[
                "ab", "--a", a, "--b", b, "--rounds", AB_ROUNDS, "-d", AB_ROUND, "-c", "5",
            ],
            &out,
        )
    }

    fn run(&self, args: &[&str], out: &PathBuf) -> Result<Verdict> {
        let output = Command::new(self.vertex_perf)
            .args(args)
            .args(["--password-env", "BENCH_GATE_PASSWORD", "--out"])
            .arg(out)
            .env("BENCH_GATE_PASSWORD", self.password)
            .env("CI", "true")
            .stdout(std::process::Stdio::null())
            .output()
            .context("cannot run vertex-perf")?;
        let code = output.status.code().unwrap_or(-1);
        let error = (code != 0 && code != 1)
            .then(|| {
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .map(str::to_owned)
            })
            .flatten();
        // A run that could not write its report (exit 2 before the run) named nothing.
        let regressions = report_model::SuiteReport::read(&out.join("suite.json"))
            .ok()
            .and_then(|suite| suite.comparison)
            .map(|comparison| {
                comparison
                    .regressions()
                    .map(|delta| delta.metric.clone())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Verdict {
            code,
            regressions,
            error,
        })
    }
}
