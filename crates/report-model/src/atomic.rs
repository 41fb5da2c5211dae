//! Atomic report writing: a temp file in the same directory, fsync, rename, fsync of the
//! directory. A reader sees the old file or the new one, never half of one; a failure (read
//! only directory, disk full) leaves the old file untouched and no temp file behind.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::ReportError;

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    write_atomic_with(path, |writer| writer.write_all(contents))
}

/// Writes whatever `fill` writes to `path` atomically. If `fill` fails, nothing at `path`
/// changes and the error is returned with the path.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), ReportError> {
    let error = |source: io::Error| ReportError::Write {
        path: path.to_owned(),
        source,
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        error(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file path",
        ))
    })?;
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    // The temp file is removed when dropped, which covers every early return below.
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        // Reports are artifacts for people and CI: readable like any file `cp` would create,
        // not tempfile's private 0600.
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let temp = builder.tempfile_in(directory).map_err(error)?;
    {
        let mut writer = BufWriter::new(temp.as_file());
        fill(&mut writer).map_err(error)?;
        writer.flush().map_err(error)?;
    }
    temp.as_file().sync_all().map_err(error)?;
    temp.persist(path).map_err(|err| error(err.error))?;
    // Make the rename itself durable. Not every platform can open a directory.
    if let Ok(dir) = File::open(directory) {
        let _ = dir.sync_all();
    }
    Ok(())
}
