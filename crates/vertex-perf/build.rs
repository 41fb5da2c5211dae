//! Records the commit vertex-perf was built from as `VERTEX_PERF_GIT_SHA`, so every report
//! names the tool's version exactly. A build outside a git checkout (a crate tarball) has
//! none, and reports say `null`.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// Tells cargo to rebuild when `path` changes, if it exists: a missing path counts as
/// changed on every build, which made every build of this crate (and of everything that
/// links it) start again — in a fresh clone the branch is in `packed-refs` and there is no
/// loose ref file, and a repository that never packed has no `packed-refs`.
fn rerun_if_changed(path: &str) {
    if std::path::Path::new(path).exists() {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn main() {
    if let Some(sha) = git(&["rev-parse", "HEAD"]) {
        println!("cargo:rustc-env=VERTEX_PERF_GIT_SHA={sha}");
    }
    // Rebuild when HEAD moves: the HEAD file (branch switches) and the branch's ref.
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        rerun_if_changed(&head);
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(reference) = git(&["rev-parse", "--git-path", &branch])
    {
        rerun_if_changed(&reference);
    }
    if let Some(packed) = git(&["rev-parse", "--git-path", "packed-refs"]) {
        rerun_if_changed(&packed);
    }
    println!("cargo:rerun-if-changed=build.rs");
}
