//! [`Leftover`]: something a run created and could not confirm deleted, and
//! [`StorageGrowth`]: how the service's own storage changed over the run.

use serde::{Deserialize, Serialize};

/// What kind of thing was left behind.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LeftoverKind {
    /// A `clients` row of the service.
    Client,
    /// A `portraits` row of the service.
    Portrait,
    /// A `videos` row of the service.
    Video,
    /// An object in a bucket or a file in a storage backend's folder.
    Object,
    /// A file or folder of the run's own scratch space.
    File,
}

impl LeftoverKind {
    /// The kind's name, as in `suite.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeftoverKind::Client => "client",
            LeftoverKind::Portrait => "portrait",
            LeftoverKind::Video => "video",
            LeftoverKind::Object => "object",
            LeftoverKind::File => "file",
        }
    }
}

/// One thing the run created that was still there at its end, as far as the run could
/// find out by asking the server (or listing the bucket) after its cleanup.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Leftover {
    /// What it is.
    pub kind: LeftoverKind,
    /// Its id (row id, object key, path).
    pub id: String,
    /// Where it is: the service's URL or the backend's name, credentials removed.
    pub place: String,
    /// Why it is still there: the deletion's error, `kept: --keep-data`, `interrupted`,
    /// or `unverified: …` when the server could not be asked.
    pub reason: String,
}

impl Leftover {
    /// The reason of data left on purpose (`--keep-data`).
    pub const KEPT: &'static str = "kept on request";

    /// True when it was left on purpose.
    pub fn is_kept(&self) -> bool {
        self.reason == Self::KEPT
    }
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} at {} ({})",
            self.kind.as_str(),
            self.id,
            self.place,
            self.reason
        )
    }
}

impl crate::SuiteReport {
    /// What the run left behind and how the service's storage grew, one line each:
    /// `warn: left behind: …` (or `info:` for data kept on request) and
    /// `info: the service's storage grew by …`. The summary and JUnit print these.
    pub fn cleanup_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .leftovers
            .iter()
            .map(|leftover| {
                let mark = if leftover.is_kept() { "info" } else { "warn" };
                format!("{mark}: left behind: {leftover}")
            })
            .collect();
        if let Some(growth) = &self.storage_growth {
            lines.push(format!(
                "info: the service's storage grew by {} files, {} (it keeps uploaded files after their rows are deleted)",
                growth.files_added(),
                crate::MetricUnit::Bytes.format(growth.bytes_added() as f64)
            ));
        }
        lines
    }
}

/// The service's storage before and after the run, from its `/admin/storage-info`. The
/// service keeps every uploaded file after its rows are deleted, so a run that cleaned up
/// every row still grows the storage; this says by how much.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StorageGrowth {
    /// `storage_file_count` before the run.
    pub files_before: u64,
    /// `storage_file_count` after the run.
    pub files_after: u64,
    /// `storage_total_size` before the run, bytes (the service rounds to 2 decimals).
    pub bytes_before: u64,
    /// `storage_total_size` after the run, bytes.
    pub bytes_after: u64,
}

impl StorageGrowth {
    /// From `(files, bytes)` before and after.
    pub fn between(before: (u64, u64), after: (u64, u64)) -> StorageGrowth {
        StorageGrowth {
            files_before: before.0,
            files_after: after.0,
            bytes_before: before.1,
            bytes_after: after.1,
        }
    }

    /// Files added over the run (negative when some were removed).
    pub fn files_added(&self) -> i64 {
        i64::try_from(self.files_after).unwrap_or(i64::MAX)
            - i64::try_from(self.files_before).unwrap_or(i64::MAX)
    }

    /// Bytes added over the run (negative when some were removed).
    pub fn bytes_added(&self) -> i64 {
        i64::try_from(self.bytes_after).unwrap_or(i64::MAX)
            - i64::try_from(self.bytes_before).unwrap_or(i64::MAX)
    }
}

/// Parses the service's human-readable sizes, `"93.12 GB"` or `"0 B"` (1024-based).
pub fn parse_service_size(text: &str) -> Option<u64> {
    let (number, unit) = text.trim().split_once(' ')?;
    let number: f64 = number.parse().ok()?;
    let power = ["B", "KB", "MB", "GB", "TB", "PB"]
        .iter()
        .position(|u| *u == unit.trim())?;
    let bytes = number * 1024f64.powi(i32::try_from(power).ok()?);
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then(|| bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_sizes() {
        assert_eq!(parse_service_size("0 B"), Some(0));
        assert_eq!(parse_service_size("1.50 KB"), Some(1536));
        assert_eq!(parse_service_size("2.00 MB"), Some(2 << 20));
        assert_eq!(parse_service_size("93.12 GB"), Some(99_986_838_651));
        assert_eq!(parse_service_size("12 XB"), None);
        assert_eq!(parse_service_size("lots"), None);
        assert_eq!(parse_service_size("1e300 PB"), None);
    }
}
