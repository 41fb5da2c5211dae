//! Leaves nothing on disk after a run's deletions: the empty folders of a `file://` run
//! tree, and the embedded S3 server's sidecar files (s3s-fs keeps
//! `.bucket-<b64>.object-<b64>.metadata.json` and `.internal.json` beside the bucket
//! folders, and does not remove them, or the empty folders, on delete).

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// What a backend keeps on this machine's disk.
#[derive(Debug, Clone)]
pub(crate) enum DiskTidy {
    /// A `file://` folder: objects are files under it.
    Folder(PathBuf),
    /// The embedded S3 server's root: one folder per bucket, sidecars at the root.
    EmbeddedS3 {
        /// The server's root folder.
        root: PathBuf,
        /// The bucket the backend writes to.
        bucket: String,
    },
}

impl DiskTidy {
    /// Removes what the deletions of `run_prefix` left on disk; returns what could not be
    /// removed, one line each.
    pub(crate) fn after_cleanup(&self, run_prefix: &str) -> Vec<String> {
        let mut problems = Vec::new();
        match self {
            DiskTidy::Folder(root) => prune_empty(root, run_prefix, &mut problems),
            DiskTidy::EmbeddedS3 { root, bucket } => {
                remove_sidecars(root, bucket, run_prefix, &mut problems);
                prune_empty(&root.join(bucket), run_prefix, &mut problems);
            }
        }
        problems
    }
}

/// Removes every empty folder under `base/prefix`, then the prefix's own folders up to
/// (not including) `base` while they are empty.
fn prune_empty(base: &Path, prefix: &str, problems: &mut Vec<String>) {
    let top = base.join(prefix.trim_matches('/'));
    if top.is_dir() {
        remove_empty_below(&top, problems);
    }
    let mut folder = Some(top.as_path());
    while let Some(current) = folder {
        if current == base || !current.starts_with(base) {
            break;
        }
        match std::fs::remove_dir(current) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            // Not empty: something else lives there (another run's objects).
            Err(_) => break,
        }
        folder = current.parent();
    }
}

/// Removes the empty folders below `folder` (depth first); `folder` itself is left.
fn remove_empty_below(folder: &Path, problems: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_empty_below(&path, problems);
            if let Err(error) = std::fs::remove_dir(&path)
                && std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none())
            {
                problems.push(format!("{}: {error}", path.display()));
            }
        }
    }
}

/// Removes the sidecars of objects of `bucket` under `prefix` whose object is gone.
fn remove_sidecars(root: &Path, bucket: &str, prefix: &str, problems: &mut Vec<String>) {
    let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let start = format!(".bucket-{}.object-", encode(bucket));
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(&start) else {
            continue;
        };
        if !(rest.ends_with(".metadata.json") || rest.ends_with(".internal.json")) {
            continue;
        }
        // URL-safe base64 has no dot: the key ends at the first one.
        let encoded = rest.split('.').next().unwrap_or_default();
        let Ok(key) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded) else {
            continue;
        };
        let Ok(key) = String::from_utf8(key) else {
            continue;
        };
        if !key.starts_with(prefix.trim_matches('/')) || root.join(bucket).join(&key).exists() {
            continue;
        }
        if let Err(error) = std::fs::remove_file(entry.path())
            && error.kind() != io::ErrorKind::NotFound
        {
            problems.push(format!("{name}: {error}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_tree_is_removed_up_to_the_base_but_not_a_neighbour() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("vertex-perf/run-1/put/1MiB")).unwrap();
        std::fs::create_dir_all(base.join("vertex-perf/run-2")).unwrap();
        std::fs::write(base.join("vertex-perf/run-2/kept"), b"x").unwrap();
        prune_empty(base, "vertex-perf/run-1", &mut Vec::new());
        assert!(!base.join("vertex-perf/run-1").exists());
        assert!(
            base.join("vertex-perf/run-2/kept").exists(),
            "another run's"
        );
        prune_empty(base, "vertex-perf/run-3", &mut Vec::new());
        assert!(base.exists());
    }

    #[test]
    fn sidecars_of_deleted_objects_go_and_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        std::fs::create_dir_all(root.join("b/run/x")).unwrap();
        std::fs::write(root.join("b/run/x/live"), b"x").unwrap();
        let sidecar = |key: &str, ext: &str| {
            root.join(format!(
                ".bucket-{}.object-{}.{ext}",
                encode("b"),
                encode(key)
            ))
        };
        for key in ["run/x/live", "run/x/gone", "other/kept"] {
            std::fs::write(sidecar(key, "metadata.json"), b"{}").unwrap();
            std::fs::write(sidecar(key, "internal.json"), b"{}").unwrap();
        }
        remove_sidecars(root, "b", "run", &mut Vec::new());
        assert!(sidecar("run/x/live", "metadata.json").exists());
        assert!(!sidecar("run/x/gone", "metadata.json").exists());
        assert!(!sidecar("run/x/gone", "internal.json").exists());
        assert!(
            sidecar("other/kept", "internal.json").exists(),
            "not this run's"
        );
    }
}
