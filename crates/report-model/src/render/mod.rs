//! Renderers: one module per output format, each a pure function of a [`SuiteReport`].
//!
//! This crate alone knows these formats; the CLI and xtask pick one with [`RenderFormat`].

mod html;
mod junit;
mod k6;
mod markdown;
mod metrics_text;
mod svg;

use std::fmt;

pub use html::render_html;
pub use junit::render_junit;
pub use k6::render_k6_summary;
pub use markdown::render_markdown;
pub use metrics_text::render_metrics_text;

use crate::{ReportError, SuiteReport};

/// The formats a suite report can be rendered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderFormat {
    /// `suite.json`, indented.
    JsonPretty,
    /// `suite.json` on one line.
    JsonCompact,
    /// `junit.xml` in the shape GitLab's test report parser reads.
    Junit,
    /// `load-performance.json`, k6's legacy `--summary-export` shape.
    K6Summary,
    /// `metrics.txt` for GitLab's metrics widget.
    MetricsText,
    /// `summary.md`.
    Markdown,
    /// `report.html`: self-contained, with SVG charts.
    Html,
}

impl RenderFormat {
    /// The conventional file name of this format in a run folder.
    pub fn file_name(self) -> &'static str {
        match self {
            RenderFormat::JsonPretty | RenderFormat::JsonCompact => "suite.json",
            RenderFormat::Junit => "junit.xml",
            RenderFormat::K6Summary => "load-performance.json",
            RenderFormat::MetricsText => "metrics.txt",
            RenderFormat::Markdown => "summary.md",
            RenderFormat::Html => "report.html",
        }
    }
}

impl fmt::Display for RenderFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RenderFormat::JsonPretty => "json",
            RenderFormat::JsonCompact => "compact json",
            RenderFormat::Junit => "junit xml",
            RenderFormat::K6Summary => "k6 summary",
            RenderFormat::MetricsText => "metrics text",
            RenderFormat::Markdown => "markdown",
            RenderFormat::Html => "html",
        })
    }
}

/// Renders `report` in `format`.
pub fn render(report: &SuiteReport, format: RenderFormat) -> Result<String, ReportError> {
    match format {
        RenderFormat::JsonPretty => to_json(report, true),
        RenderFormat::JsonCompact => to_json(report, false),
        RenderFormat::Junit => render_junit(report),
        RenderFormat::K6Summary => render_k6_summary(report),
        RenderFormat::MetricsText => Ok(render_metrics_text(report)),
        RenderFormat::Markdown => Ok(render_markdown(report)),
        RenderFormat::Html => Ok(render_html(report)),
    }
}

/// Serialises any report type as JSON, pretty or compact, with a trailing newline.
pub fn to_json<T: serde::Serialize>(value: &T, pretty: bool) -> Result<String, ReportError> {
    let result = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    result
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|err| ReportError::Render {
            format: "json",
            message: err.to_string(),
        })
}
