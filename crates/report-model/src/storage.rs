//! [`StorageReport`]: object storage throughput and integrity per backend, operation and size.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{ErrorCount, LatencyDistribution};

/// Results of a storage benchmark plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StorageReport {
    /// Schema version of this section, [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The unique prefix every object of the run was written under (and deleted from).
    pub run_prefix: String,
    /// Every backend of the plan, including skipped ones.
    pub backends: Vec<BackendSummary>,
    /// One entry per backend × operation × object size.
    pub results: Vec<StorageResult>,
    /// Throughput ratios between backends at equal operation and size.
    pub ratios: Vec<BackendRatio>,
    /// Objects still under the run prefix after cleanup, checked by listing it again
    /// (and files its deletions left on disk that could not be removed).
    pub leftovers: Vec<crate::Leftover>,
    /// True when the plan was stopped early (its remaining phases did not run).
    #[serde(default)]
    pub interrupted: bool,
}

/// A backend of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackendSummary {
    /// Short name, e.g. `local`, `s3`, `service`.
    pub name: String,
    /// Backend URL, credentials removed.
    pub url: String,
    /// Why it was skipped (unreachable, wrong keys, missing bucket), if it was.
    pub skipped: Option<String>,
    /// Its gets read what its puts just wrote from this machine's page cache (a local
    /// directory): a memory-speed figure, not the disk's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub page_cache_reads: bool,
}

impl StorageReport {
    /// True when `result`'s reads came from the page cache (see
    /// [`BackendSummary::page_cache_reads`]).
    pub fn from_page_cache(&self, result: &StorageResult) -> bool {
        matches!(result.operation, StorageOperation::Get)
            && self
                .backends
                .iter()
                .any(|b| b.name == result.backend && b.page_cache_reads)
    }

    /// The operation as tables show it: `get (page cache)` for reads of a local directory.
    pub fn operation_label(&self, result: &StorageResult) -> String {
        if self.from_page_cache(result) {
            format!("{} (page cache)", result.operation)
        } else {
            result.operation.to_string()
        }
    }
}

/// Storage operations.
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
#[non_exhaustive]
pub enum StorageOperation {
    /// Upload a whole object (multipart above the threshold).
    Put,
    /// Download a whole object.
    Get,
    /// Read object metadata.
    Head,
    /// List a prefix.
    List,
    /// Delete an object.
    Delete,
    /// A weighted mix of the above.
    Mixed,
}

impl fmt::Display for StorageOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StorageOperation::Put => "put",
            StorageOperation::Get => "get",
            StorageOperation::Head => "head",
            StorageOperation::List => "list",
            StorageOperation::Delete => "delete",
            StorageOperation::Mixed => "mixed",
        })
    }
}

/// Figures for one backend × operation × object size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StorageResult {
    /// Backend name (see [`BackendSummary::name`]).
    pub backend: String,
    /// The operation.
    pub operation: StorageOperation,
    /// Size of each object, bytes.
    pub object_size_bytes: u64,
    /// Operations performed.
    pub n_operations: u64,
    /// Operations in flight at once.
    pub concurrency: u32,
    /// Payload bytes moved.
    pub total_bytes: u64,
    /// Wall time of the measured (post warm-up) phase, microseconds.
    pub duration_us: u64,
    /// Payload throughput, bytes per second.
    pub bytes_per_sec: f64,
    /// Operations per second.
    pub operations_per_sec: f64,
    /// Throughput of each repetition, bytes per second (for significance tests).
    pub repetition_bytes_per_sec: Vec<f64>,
    /// Latency per operation.
    pub latency: LatencyDistribution,
    /// Time to the first body chunk (gets only).
    pub ttfb: Option<LatencyDistribution>,
    /// Failures by class.
    pub errors: Vec<ErrorCount>,
    /// SHA-256 verification of what was sent against what came back.
    pub integrity: IntegrityResult,
}

/// Integrity verification results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntegrityResult {
    /// Objects whose SHA-256 matched.
    pub verified: u64,
    /// Objects whose SHA-256 did not match.
    pub mismatches: Vec<IntegrityMismatch>,
}

/// One object that came back different.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntegrityMismatch {
    /// Object key.
    pub key: String,
    /// SHA-256 of what was sent, hex.
    pub expected_sha256: String,
    /// SHA-256 of what came back, hex.
    pub actual_sha256: String,
}

/// `numerator / denominator` throughput at equal operation and size, e.g. S3 vs local.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackendRatio {
    /// The operation.
    pub operation: StorageOperation,
    /// Object size, bytes.
    pub object_size_bytes: u64,
    /// Backend in the numerator.
    pub numerator: String,
    /// Backend in the denominator.
    pub denominator: String,
    /// Throughput ratio.
    pub ratio: f64,
}

impl BackendRatio {
    /// Every backend against the first one that has results, per operation and size.
    pub fn of_results(results: &[StorageResult]) -> Vec<BackendRatio> {
        let Some(reference) = results.first().map(|r| r.backend.clone()) else {
            return Vec::new();
        };
        let mut ratios = Vec::new();
        for result in results.iter().filter(|r| r.backend != reference) {
            if let Some(base) = results.iter().find(|r| {
                r.backend == reference
                    && r.operation == result.operation
                    && r.object_size_bytes == result.object_size_bytes
            }) && base.bytes_per_sec > 0.0
            {
                ratios.push(BackendRatio {
                    operation: result.operation,
                    object_size_bytes: result.object_size_bytes,
                    numerator: result.backend.clone(),
                    denominator: reference.clone(),
                    ratio: result.bytes_per_sec / base.bytes_per_sec,
                });
            }
        }
        ratios
    }
}
