//! The folder one run writes its reports into, every file atomically.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

/// Where a run's files go.
pub struct RunFolder {
    path: PathBuf,
}

impl RunFolder {
    /// `out`, or `reports/runs/<run_id>` under the working directory; created if missing.
    pub fn create(out: Option<&Path>, run_id: &str) -> Result<RunFolder> {
        let path = out.map_or_else(|| Path::new("reports/runs").join(run_id), Path::to_owned);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create report folder `{}`", path.display()))?;
        Ok(RunFolder { path })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one file atomically.
    pub fn write(&self, name: &str, contents: &str) -> Result<()> {
        report_model::write_atomic(&self.path.join(name), contents.as_bytes())?;
        Ok(())
    }
}
