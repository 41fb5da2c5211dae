//! The folder one run writes its reports into, every file atomically, and the files each
//! command writes there.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use report_model::{
    RenderFormat, ReportError, RunKind, SuiteReport, legacy::automated_portraits_report,
    legacy::load_test_report, legacy::memory_profile_report, legacy::performance_report,
    legacy::storage_integration_report, render,
};

/// Where a run's files go. The folder is made at the first write, so input rejected
/// before the run leaves no empty folder behind.
pub struct RunFolder {
    path: PathBuf,
}

/// One file of a run folder.
#[derive(Clone, Copy)]
pub enum ReportFile {
    /// A rendering of the whole report (`suite.json`, `junit.xml`, `summary.md`, ...).
    Rendered(RenderFormat),
    /// One of the old suite's files, named, written when the report has its section.
    Legacy(
        &'static str,
        fn(&SuiteReport) -> Result<Option<String>, ReportError>,
    ),
}

impl RunFolder {
    /// `out`, or `reports/runs/<run_id>` under the working directory.
    pub fn new(out: Option<&Path>, run_id: &str) -> RunFolder {
        let path = out.map_or_else(|| Path::new("reports/runs").join(run_id), Path::to_owned);
        RunFolder { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one file atomically, making the folder first if needed.
    pub fn write(&self, name: &str, contents: &str) -> Result<()> {
        std::fs::create_dir_all(&self.path)
            .with_context(|| format!("cannot create report folder `{}`", self.path.display()))?;
        let path = self.path.join(name);
        report_model::write_atomic(&path, contents.as_bytes())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        Ok(())
    }

    /// Writes `files` in order (put `suite.json` first, so it exists even if a later
    /// write fails). The first failure stops and names the file.
    pub fn write_reports(&self, report: &SuiteReport, files: &[ReportFile]) -> Result<()> {
        for file in files {
            match file {
                ReportFile::Rendered(format) => {
                    let contents = render(report, *format)
                        .with_context(|| format!("cannot render `{}`", format.file_name()))?;
                    self.write(format.file_name(), &contents)?;
                }
                ReportFile::Legacy(name, legacy) => {
                    let contents =
                        legacy(report).with_context(|| format!("cannot render `{name}`"))?;
                    if let Some(contents) = contents {
                        self.write(name, &contents)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The files a `kind` run writes, `suite.json` first (design §5: the suite writes them all,
/// each command the ones of its sections).
pub fn files_of(kind: RunKind) -> &'static [ReportFile] {
    use ReportFile::{Legacy, Rendered};
    const JSON: ReportFile = Rendered(RenderFormat::JsonPretty);
    const JUNIT: ReportFile = Rendered(RenderFormat::Junit);
    const MARKDOWN: ReportFile = Rendered(RenderFormat::Markdown);
    const K6: ReportFile = Rendered(RenderFormat::K6Summary);
    const PERFORMANCE: ReportFile = Legacy("performance_report.json", performance_report);
    const LOAD: ReportFile = Legacy("load_test_report.json", load_test_report);
    const STORAGE: ReportFile = Legacy(
        "storage_integration_report.json",
        storage_integration_report,
    );
    const PORTRAITS: ReportFile = Legacy(
        "automated_portraits_report.json",
        automated_portraits_report,
    );
    const MEMORY: ReportFile = Legacy("memory_profile_report.json", memory_profile_report);
    match kind {
        RunKind::Suite => &[
            JSON,
            PERFORMANCE,
            LOAD,
            STORAGE,
            PORTRAITS,
            MEMORY,
            JUNIT,
            K6,
            Rendered(RenderFormat::MetricsText),
            MARKDOWN,
            Rendered(RenderFormat::Html),
        ],
        RunKind::Load => &[JSON, LOAD, MARKDOWN, JUNIT, K6],
        RunKind::Storage => &[JSON, STORAGE, JUNIT, MARKDOWN],
        RunKind::Monitor => &[JSON, PERFORMANCE, MARKDOWN, JUNIT],
        RunKind::Workflow => &[JSON, PORTRAITS, JUNIT, MARKDOWN],
        // `ab`, and any kind added later: the report and its two renderings.
        _ => &[JSON, JUNIT, MARKDOWN],
    }
}
