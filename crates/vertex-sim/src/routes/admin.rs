//! `/admin/system-info`, `/admin/storage-info`, `/admin/content-stats`. Like the service, the
//! storage figures walk every stored object on each call, so they get slower as data grows.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::extract::Admin;
use crate::problems::Handled;
use crate::state::AppState;

/// `"<x.xx> <unit>"`, 1024-based, as the service formats sizes.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

struct Usage {
    total: u64,
    used: u64,
    free: u64,
    used_percent: f64,
    storage_bytes: u64,
    storage_files: usize,
}

async fn usage(state: &AppState) -> Usage {
    let disks = sysinfo::Disks::new_with_refreshed_list();
    let data_dir = std::fs::canonicalize(&state.config.data_dir)
        .unwrap_or_else(|_| state.config.data_dir.clone());
    let disk = disks
        .list()
        .iter()
        .filter(|disk| data_dir.starts_with(disk.mount_point()))
        .max_by_key(|disk| disk.mount_point().as_os_str().len());
    let (total, free) = disk.map_or((0, 0), |d| (d.total_space(), d.available_space()));
    let used = total.saturating_sub(free);
    let objects = state.list(None).await;
    Usage {
        total,
        used,
        free,
        used_percent: if total == 0 {
            0.0
        } else {
            (used as f64 * 10_000.0 / total as f64).round() / 100.0
        },
        storage_bytes: objects.iter().map(|(_, size)| size).sum(),
        storage_files: objects.len(),
    }
}

pub async fn system_info(State(state): State<AppState>, _admin: Admin) -> Handled<Json<Value>> {
    let usage = usage(&state).await;
    Ok(Json(json!({
        "disk_info": {
            "total": human(usage.total),
            "used": human(usage.used),
            "free": human(usage.free),
            "used_percent": usage.used_percent,
        },
        "storage_info": {
            "total_size": human(usage.storage_bytes),
            "file_count": usage.storage_files,
            "path": "storage/",
        },
    })))
}

pub async fn storage_info(State(state): State<AppState>, _admin: Admin) -> Handled<Json<Value>> {
    let usage = usage(&state).await;
    Ok(Json(json!({
        "disk_total": human(usage.total),
        "disk_used": human(usage.used),
        "disk_free": human(usage.free),
        "disk_used_percent": usage.used_percent,
        "storage_total_size": human(usage.storage_bytes),
        "storage_file_count": usage.storage_files,
        "storage_path": "storage/",
    })))
}

pub async fn content_stats(State(state): State<AppState>, _admin: Admin) -> Handled<Json<Value>> {
    let mut rows = state.db().ar_contents(None)?;
    rows.sort_by_key(|row| std::cmp::Reverse(row.view_count));
    let stats: Vec<Value> = rows
        .into_iter()
        .map(|row| json!({"id": row.id, "title": row.id, "views": row.view_count, "clicks": row.click_count, "created_at": row.created_at, "ar_url": row.ar_url}))
        .collect();
    Ok(Json(Value::Array(stats)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_the_service() {
        assert_eq!(super::human(0), "0.00 B");
        assert_eq!(super::human(1536), "1.50 KB");
        assert_eq!(super::human(100 * 1024 * 1024 * 1024), "100.00 GB");
    }
}
