//! `cargo xtask perf`: the main job. Builds the release binaries; unless `--target` is given,
//! starts the embedded S3 server and vertex-sim (storing its files in that S3) as separate
//! processes, so the sampler watches real server pids; runs `vertex-perf suite`; stops what
//! it started, also on failure and Ctrl-C; exits with the suite's code.
//!
//! Baselines: every run is compared with the history of earlier passing runs of the same
//! target in `reports/history/<target>/` (git-ignored; GitLab caches it, see docs/ci.md) and,
//! when it passes, recorded there. A fresh checkout has no history, so its first runs are
//! judged by thresholds alone; the embedded stand-in and an external `--target` keep separate
//! histories, so neither is compared with the other.
//!
//! Flags of its own: `--sim-faults JSON` (start vertex-sim with these faults, to see a
//! failing run). Every other flag goes to `vertex-perf suite`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

/// Processes started here, stopped (SIGTERM, then SIGKILL) when dropped, and their work
/// folder, removed then.
pub(crate) struct Started {
    children: Vec<(&'static str, Child)>,
    work_dir: PathBuf,
}

impl Started {
    /// An empty guard owning `work_dir` (created afresh).
    pub(crate) fn new(work_dir: PathBuf) -> Result<Started> {
        let _ = std::fs::remove_dir_all(&work_dir);
        std::fs::create_dir_all(&work_dir)
            .with_context(|| format!("cannot create `{}`", work_dir.display()))?;
        Ok(Started {
            children: Vec::new(),
            work_dir,
        })
    }

    /// The work folder.
    pub(crate) fn work_dir(&self) -> &Path {
        &self.work_dir
    }
}

/// How to start one vertex-sim.
pub(crate) struct SimLaunch<'a> {
    /// The binary.
    pub binary: &'a Path,
    /// Its data folder's name inside the work folder.
    pub name: &'a str,
    /// The admin password (passed in the environment only).
    pub password: &'a str,
    /// `--storage URL`, when not the data folder.
    pub storage: Option<&'a str>,
    /// Extra environment (S3 keys).
    pub env: &'a [(String, OsString)],
    /// `--faults JSON`.
    pub faults: Option<&'a str>,
}

/// Starts vertex-sim as `launch` says, under `started`; returns its pid and base URL.
pub(crate) fn start_sim(started: &mut Started, launch: &SimLaunch<'_>) -> Result<(u32, String)> {
    let ready = started.work_dir.join(format!("{}.ready", launch.name));
    let mut sim = Command::new(launch.binary);
    sim.arg("--data-dir")
        .arg(started.work_dir.join(launch.name))
        .args(["--admin", "admin", "--ready-file"])
        .arg(&ready)
        .env("VERTEX_SIM_ADMIN_PASSWORD", launch.password)
        .stdout(std::process::Stdio::null());
    if let Some(storage) = launch.storage {
        sim.args(["--storage", storage]);
    }
    for (key, value) in launch.env {
        sim.env(key, value);
    }
    if let Some(faults) = launch.faults {
        sim.args(["--faults", faults]);
    }
    let sim = sim.spawn().context("cannot start vertex-sim")?;
    let pid = sim.id();
    started.children.push(("vertex-sim", sim));
    let base_url = wait_for_file(&ready, started, "vertex-sim")?;
    Ok((pid, base_url.trim().to_owned()))
}

impl Drop for Started {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
            }
        }
        for (name, child) in &mut self.children {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        eprintln!("xtask: {name} did not stop on SIGTERM; killing it");
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }
}

/// Runs the main job; returns the suite's exit code.
pub fn perf(root: &Path, args: &[String]) -> Result<u8> {
    let mut suite_args: Vec<String> = Vec::new();
    let mut sim_faults = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--save-baseline" => bail!(
                "--save-baseline is gone: passing runs are recorded in reports/history/ and later runs compare with them"
            ),
            "--sim-faults" => {
                sim_faults = Some(
                    rest.next()
                        .context("--sim-faults needs a JSON value")?
                        .clone(),
                );
            }
            _ => suite_args.push(arg.clone()),
        }
    }
    let release = crate::build_release(root, &["vertex-perf", "vertex-sim"])?;
    let vertex_perf = release.join("vertex-perf");

    let out = if has(&suite_args, "--out") {
        None
    } else {
        let folder = root.join("reports/runs").join(run_folder_name());
        suite_args.push("--out".to_owned());
        suite_args.push(folder.display().to_string());
        Some(folder)
    };
    let target = flag_value(&suite_args, "--target");
    let history = root
        .join("reports/history")
        .join(history_name(target.as_deref()))
        .join(profile_of(&suite_args));
    if target.is_none() && !has(&suite_args, "--target-name") {
        suite_args.push("--target-name".to_owned());
        suite_args.push(EMBEDDED_TARGET_NAME.to_owned());
    }
    if !has(&suite_args, "--baseline") {
        suite_args.push("--baseline".to_owned());
        suite_args.push(history.display().to_string());
    }
    if !has(&suite_args, "--record-history") {
        suite_args.push("--record-history".to_owned());
        suite_args.push(history.display().to_string());
    }

    let mut env: Vec<(String, OsString)> = Vec::new();
    let _started = if target.is_some() {
        None
    } else {
        let (started, mut extra, extra_env) = start_services(
            root,
            &vertex_perf,
            &release.join("vertex-sim"),
            sim_faults.as_deref(),
        )?;
        suite_args.append(&mut extra);
        env.extend(extra_env);
        Some(started)
    };

    eprintln!("xtask: vertex-perf suite {}", suite_args.join(" "));
    let mut suite = Command::new(&vertex_perf);
    suite.arg("suite").args(&suite_args).current_dir(root);
    for (key, value) in &env {
        suite.env(key, value);
    }
    let mut child = suite.spawn().context("cannot start vertex-perf")?;
    // Ctrl-C reaches the suite (same process group), which writes its reports and exits
    // 130; this process only notes it, waits for the suite and then stops the services.
    let _ = ctrlc::set_handler(|| {
        eprintln!("xtask: interrupted; waiting for the suite to write its reports");
    });
    let status = child.wait().context("waiting for vertex-perf")?;
    let code = status.code().map_or(crate::exit_code::INTERRUPTED, |c| {
        u8::try_from(c).unwrap_or(crate::exit_code::SETUP_ERROR)
    });
    if let Some(folder) = &out {
        eprintln!("xtask: run folder {}", folder.display());
    }
    Ok(code)
}

/// The identity name of the stand-in this job starts.
const EMBEDDED_TARGET_NAME: &str = "vertex-sim (embedded)";

/// The value of `flag` in `args`, given as `--flag VALUE` or `--flag=VALUE`.
fn flag_value(args: &[String], flag: &str) -> Option<String> {
    let equals = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, arg)| {
        if arg == flag {
            args.get(i + 1).cloned()
        } else {
            arg.strip_prefix(&equals).map(str::to_owned)
        }
    })
}

/// The history folder's name for a target: `vertex-sim` for the embedded stand-in, the
/// target's name in its run identity (its `host:port`) with punctuation as `_` for an
/// external one.
fn history_name(target: Option<&str>) -> String {
    let Some(url) = target else {
        return "vertex-sim".to_owned();
    };
    report_model::target_name_of_url(url)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Whether `args` hold `flag`, alone or as `flag=value`.
fn has(args: &[String], flag: &str) -> bool {
    args.iter()
        .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
}

/// The profile the suite will run (`quick`, `full` or `default`): each keeps its own
/// history, since runs of different profiles are different workloads and never compare.
/// One folder for all would make the main job fail against a `--quick` run made before.
fn profile_of(suite_args: &[String]) -> &'static str {
    if has(suite_args, "--quick") {
        "quick"
    } else if has(suite_args, "--full") {
        "full"
    } else {
        "default"
    }
}

/// `<UTC yyyymmddThhmmssZ>-xtask<pid>`, like the suite's own run ids.
fn run_folder_name() -> String {
    format!(
        "{}-xtask{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    )
}

pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
    Ok(hex::encode(buffer))
}

type Services = (Started, Vec<String>, Vec<(String, OsString)>);

/// Starts the S3 server and vertex-sim; returns the guard, the suite flags and the suite's
/// environment (secrets travel only in environment variables and a 0600 file).
fn start_services(
    root: &Path,
    vertex_perf: &Path,
    vertex_sim: &Path,
    faults: Option<&str>,
) -> Result<Services> {
    let work_dir = crate::target_dir(root)
        .join("perf")
        .join(format!("run-{}", std::process::id()));
    let mut started = Started::new(work_dir.clone())?;

    let env_file = work_dir.join("s3.env");
    let s3 = Command::new(vertex_perf)
        .args(["s3-server", "--dir"])
        .arg(work_dir.join("s3"))
        .arg("--env-file")
        .arg(&env_file)
        .spawn()
        .context("cannot start the S3 server")?;
    let s3_pid = s3.id();
    started.children.push(("the S3 server", s3));
    let s3_env = wait_for_file(&env_file, &mut started, "the S3 server")?;
    let value = |key: &str| -> Result<String> {
        s3_env
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_owned)
            .with_context(|| format!("the S3 server wrote no {key}"))
    };
    let (endpoint, bucket) = (value("S3_ENDPOINT")?, value("S3_BUCKET")?);
    let keys = [
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            OsString::from(value("AWS_ACCESS_KEY_ID")?),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            OsString::from(value("AWS_SECRET_ACCESS_KEY")?),
        ),
    ];
    let s3_url = format!("s3://{bucket}?endpoint={endpoint}");

    let password = random_hex(16)?;
    let (sim_pid, base_url) = start_sim(
        &mut started,
        &SimLaunch {
            binary: vertex_sim,
            name: "sim",
            password: &password,
            storage: Some(&s3_url),
            env: &keys,
            faults,
        },
    )?;
    eprintln!("xtask: vertex-sim (pid {sim_pid}) on {base_url}, files in {s3_url} (pid {s3_pid})");

    let flags = vec![
        "--target".to_owned(),
        base_url.clone(),
        "--server-pid".to_owned(),
        sim_pid.to_string(),
        "--storage-pid".to_owned(),
        s3_pid.to_string(),
        "--s3".to_owned(),
        s3_url,
        "--password-env".to_owned(),
        "VERTEX_PERF_PASSWORD".to_owned(),
    ];
    let mut env = vec![("VERTEX_PERF_PASSWORD".to_owned(), OsString::from(password))];
    env.extend(keys);
    Ok((started, flags, env))
}

/// Waits up to 30 s for a ready file; fails early when the process exits.
fn wait_for_file(path: &Path, started: &mut Started, name: &str) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return Ok(text);
        }
        if let Some((_, child)) = started.children.iter_mut().find(|(n, _)| *n == name)
            && let Ok(Some(status)) = child.try_wait()
        {
            bail!("{name} exited during start-up ({status})");
        }
        if Instant::now() > deadline {
            bail!("{name} did not start within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::{flag_value, history_name, profile_of};

    #[test]
    fn the_target_is_found_in_either_flag_form() {
        let args = |list: &[&str]| list.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            flag_value(&args(&["--quick", "--target", "http://h:1"]), "--target").as_deref(),
            Some("http://h:1")
        );
        assert_eq!(
            flag_value(&args(&["--target=http://h:2"]), "--target").as_deref(),
            Some("http://h:2")
        );
        assert_eq!(flag_value(&args(&["--target-name", "x"]), "--target"), None);
    }

    #[test]
    fn each_profile_keeps_its_own_history() {
        let args = |list: &[&str]| list.iter().map(|&a| a.to_owned()).collect::<Vec<_>>();
        assert_eq!(profile_of(&args(&[])), "default");
        assert_eq!(profile_of(&args(&["--quick"])), "quick");
        assert_eq!(
            profile_of(&args(&["--target", "http://127.0.0.1:1", "--full"])),
            "full"
        );
    }

    #[test]
    fn the_stand_in_and_external_targets_keep_separate_histories() {
        assert_eq!(history_name(None), "vertex-sim");
        assert_eq!(
            history_name(Some("http://admin:pw@127.0.0.1:8000/api")),
            "127_0_0_1_8000"
        );
        assert_eq!(history_name(Some("http://[::1]:9000")), "___1__9000");
    }
}
