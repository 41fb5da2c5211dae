//! Running the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The result of one run of `vertex-perf`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing both streams when it is another.
    pub fn assert_exit(&self, code: i32) {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
    }
}

/// Runs `vertex-perf` with `args`.
pub fn vertex_perf(args: &[&str]) -> Run {
    vertex_perf_with_env(args, &[])
}

/// Runs `vertex-perf` with `args` and extra environment variables.
pub fn vertex_perf_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_vertex-perf"))
        .args(args)
        .envs(env.iter().copied())
        .env_remove("CI")
        .output()
        .expect("the binary runs");
    Run {
        code: status.code().expect("exited normally"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Path of a committed fixture, as a string argument.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    path.to_str().unwrap().to_owned()
}

/// Asserts a usage error found while parsing the command line: exit 2, nothing on stdout,
/// `fragment` on stderr, and no panic.
pub fn assert_usage_error(run: &Run, fragment: &str) {
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(run.stderr.contains(fragment), "stderr: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "stderr: {}", run.stderr);
}

/// Asserts a setup error: exit 2, one `vertex-perf: error:` line containing `fragment` (plus
/// at most a hint line), nothing on stdout.
pub fn assert_setup_error(run: &Run, fragment: &str) {
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        !lines.is_empty() && lines.len() <= 2,
        "stderr: {}",
        run.stderr
    );
    assert!(
        lines[0].starts_with("vertex-perf: error: "),
        "stderr: {}",
        run.stderr
    );
    assert!(
        lines[0].contains(fragment),
        "`{fragment}` missing from: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// A JSON file the run wrote.
pub fn json_file(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The top-level keys of a JSON object, in order.
pub fn top_level_keys(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect()
}

/// Runs `run(0..count)` on `count` threads at once (the shards of a split run); their
/// results in order.
pub fn in_parallel<T: Send>(count: usize, run: impl Fn(usize) -> T + Sync) -> Vec<T> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .map(|i| {
                let run = &run;
                scope.spawn(move || run(i))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}
