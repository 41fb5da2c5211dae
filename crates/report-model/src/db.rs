//! [`DbQueriesReport`]: the service's list and detail queries timed directly against its
//! SQLite database (read-only), next to the same reads through the API (`db_reads`).

use serde::{Deserialize, Serialize};

use crate::{LatencyDistribution, LatencyHistogram};

/// Direct, read-only query timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DbQueriesReport {
    /// Schema version of this section, [`crate::SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The database file.
    pub database: String,
    /// One entry per query.
    pub queries: Vec<DbQueryStats>,
}

/// One query, run repeatedly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DbQueryStats {
    /// What it stands for, e.g. `GET /clients/list`.
    pub label: String,
    /// The SQL.
    pub sql: String,
    /// Rows returned by the last run.
    pub rows: u64,
    /// Time per run (prepare excluded, rows stepped through).
    pub latency: LatencyDistribution,
}

impl DbQueriesReport {
    /// Every query's latency in one distribution.
    pub fn merged(&self) -> LatencyHistogram {
        let mut merged = LatencyHistogram::new();
        for query in &self.queries {
            merged.merge(&query.latency.histogram);
        }
        merged
    }
}
