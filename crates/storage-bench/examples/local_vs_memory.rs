//! Compares a local directory with an in-memory store for 1 MiB objects: put, get (every
//! object read back is checked by SHA-256), delete, and the ratio between the two.
//!
//! ```text
//! cargo run -p storage-bench --example local_vs_memory
//! ```

use storage_bench::{Backend, Plan};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let urls = [
        format!("file://{}", dir.path().display()),
        "memory://".to_owned(),
    ];
    let mut backends = Vec::new();
    for url in &urls {
        backends.push(
            Backend::open(url, None, None, false)
                .await
                .map_err(|e| (url.clone(), e)),
        );
    }
    let mut plan = Plan::new("example");
    plan.sizes = vec![1 << 20];
    plan.objects = 4;
    let report = storage_bench::run(&plan, backends, |_| {}).await?;
    for result in &report.results {
        println!(
            "{:<8} {:<6} {:>8.1} MiB/s, p50 {} µs, {} verified",
            result.backend,
            result.operation.to_string(),
            result.bytes_per_sec / (1024.0 * 1024.0),
            result.latency.summary.p50_us,
            result.integrity.verified
        );
    }
    for ratio in &report.ratios {
        println!(
            "{}/{} {}: {:.2}x",
            ratio.numerator, ratio.denominator, ratio.operation, ratio.ratio
        );
    }
    Ok(())
}
