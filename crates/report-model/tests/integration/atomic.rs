//! Atomic writing: failures name the path and never leave a truncated or temp file.

use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

use report_model::{ReportError, atomic::write_atomic_with, write_atomic};

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn replaces_the_file_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.json");
    write_atomic(&path, b"first").unwrap();
    write_atomic(&path, b"second").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second");
    assert_eq!(entries(dir.path()), ["suite.json"]);
}

#[test]
fn disk_full_mid_write_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suite.json");
    write_atomic(&path, b"old complete report").unwrap();
    let error = write_atomic_with(&path, |writer| {
        writer.write_all(b"half of a new rep")?;
        Err(io::Error::from_raw_os_error(28)) // ENOSPC
    })
    .unwrap_err();
    match &error {
        ReportError::Write {
            path: failed,
            source,
        } => {
            assert_eq!(failed, &path);
            assert_eq!(source.raw_os_error(), Some(28));
        }
        other => panic!("expected a write error, got {other:?}"),
    }
    assert!(error.to_string().contains("suite.json"), "{error}");
    assert_eq!(fs::read(&path).unwrap(), b"old complete report");
    assert_eq!(
        entries(dir.path()),
        ["suite.json"],
        "no temp file left behind"
    );
}

#[test]
fn missing_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/suite.json");
    let error = write_atomic(&path, b"x").unwrap_err();
    assert!(
        error.to_string().contains("no/such/dir/suite.json"),
        "{error}"
    );
}

/// A directory that refuses new files even to root: mode 0555, and when that is not enough
/// (root ignores modes) the immutable attribute.
struct ReadOnlyDir {
    dir: tempfile::TempDir,
    immutable: bool,
}

impl ReadOnlyDir {
    fn new(existing_file: &str, contents: &[u8]) -> Option<ReadOnlyDir> {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(existing_file), contents).unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let probe = dir.path().join(".probe");
        if fs::write(&probe, b"").is_err() {
            return Some(ReadOnlyDir {
                dir,
                immutable: false,
            });
        }
        fs::remove_file(&probe).unwrap();
        let status = Command::new("chattr").arg("+i").arg(dir.path()).status();
        if status.is_ok_and(|s| s.success()) && fs::write(&probe, b"").is_err() {
            return Some(ReadOnlyDir {
                dir,
                immutable: true,
            });
        }
        None
    }
}

impl Drop for ReadOnlyDir {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt as _;
        if self.immutable {
            let _ = Command::new("chattr")
                .arg("-i")
                .arg(self.dir.path())
                .status();
        }
        let _ = fs::set_permissions(self.dir.path(), fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn read_only_directory_errors_cleanly_and_keeps_the_old_file() {
    let Some(read_only) = ReadOnlyDir::new("suite.json", b"old") else {
        // Only reachable as root on a file system without `chattr +i`; the disk-full test
        // above covers the same code path.
        eprintln!("skipped: cannot make a directory read-only for this user here");
        return;
    };
    let path = read_only.dir.path().join("suite.json");
    let error = write_atomic(&path, b"new report").unwrap_err();
    assert!(matches!(error, ReportError::Write { .. }), "{error:?}");
    assert!(error.to_string().contains("suite.json"), "{error}");
    assert_eq!(fs::read(&path).unwrap(), b"old");
    assert_eq!(entries(read_only.dir.path()), ["suite.json"]);
}
