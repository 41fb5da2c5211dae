//! The service's list and detail reads run directly against its SQLite file, read-only, to
//! separate the database's share of `db_reads` from the API's. The SQL mirrors what the
//! service's endpoints run (`/clients/list`, `/portraits/list`, `/clients/{id}`,
//! `/portraits/{id}/details`).

use std::path::Path;
use std::time::Instant;

use report_model::{
    LatencyHistogram, SCHEMA_VERSION, db::DbQueriesReport, db::DbQueryStats,
    load::LatencyDistribution,
};
use rusqlite::{Connection, OpenFlags};

use crate::{ApiError, Order};

/// Runs each query `runs` times (detail queries rotate over `orders`) and returns the
/// timings. The file is opened read-only and `query_only` is set: nothing can be written.
pub fn time_direct_reads(
    path: &Path,
    orders: &[Order],
    runs: u64,
) -> Result<DbQueriesReport, ApiError> {
    let failed = |message: String| ApiError::Database {
        path: path.display().to_string(),
        message,
    };
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| failed(format!("cannot open read-only: {e}")))?;
    connection
        .pragma_update(None, "query_only", true)
        .map_err(|e| failed(e.to_string()))?;
    let clients: Vec<String> = orders.iter().map(|o| o.client.id.clone()).collect();
    let portraits: Vec<String> = orders.iter().map(|o| o.portrait.id.clone()).collect();
    let queries: [(&str, &str, &[String]); 5] = [
        (
            "GET /clients/list",
            "SELECT id, phone, name, created_at FROM clients ORDER BY created_at DESC, rowid DESC",
            &[],
        ),
        (
            "GET /portraits/list",
            "SELECT id, client_id, permanent_link, qr_code, image_path, view_count, created_at FROM portraits ORDER BY created_at DESC, rowid DESC",
            &[],
        ),
        (
            "GET /clients/{id}",
            "SELECT id, phone, name, created_at FROM clients WHERE id = ?1",
            &clients,
        ),
        (
            "GET /portraits/{id}/details",
            "SELECT id, client_id, permanent_link, qr_code, image_path, view_count, created_at FROM portraits WHERE id = ?1",
            &portraits,
        ),
        (
            "GET /portraits/{id}/details (videos)",
            "SELECT id, portrait_id, video_path, is_active, created_at FROM videos WHERE portrait_id = ?1 ORDER BY created_at DESC, rowid DESC",
            &portraits,
        ),
    ];
    let mut stats = Vec::new();
    for (label, sql, ids) in queries {
        if sql.contains("?1") && ids.is_empty() {
            continue;
        }
        let mut statement = connection.prepare(sql).map_err(|e| {
            failed(format!(
                "{label}: {e}\n(hint: is this the service's app_data.db?)"
            ))
        })?;
        let mut histogram = LatencyHistogram::new();
        let mut rows = 0;
        for run in 0..runs {
            let started = Instant::now();
            let mut result = if sql.contains("?1") {
                let id = &ids[usize::try_from(run).unwrap_or(0) % ids.len()];
                statement.query([id])
            } else {
                statement.query([])
            }
            .map_err(|e| failed(format!("{label}: {e}")))?;
            rows = 0;
            while result
                .next()
                .map_err(|e| failed(format!("{label}: {e}")))?
                .is_some()
            {
                rows += 1;
            }
            histogram.record(started.elapsed());
        }
        stats.push(DbQueryStats {
            label: label.to_owned(),
            sql: sql.to_owned(),
            rows,
            latency: LatencyDistribution::from(histogram),
        });
    }
    Ok(DbQueriesReport {
        schema_version: SCHEMA_VERSION,
        database: path.display().to_string(),
        queries: stats,
    })
}
