//! `cargo xtask bench-merge`: what `vertex-perf merge` costs at scale, and one generator's
//! ceiling as a shard. One real shard (`load --shard 1/16` of a 16M-request closed run
//! against the hello server: 1M requests) is run; its `suite.json` is copied as shards 2–16
//! (a shard's report has the same size whatever its index: the histograms' buckets and the
//! per-second series, not the request count, make it up); then `merge` of the 16 folders is
//! timed over rounds, with its own CPU time and peak RSS, and the merged run must hold
//! exactly 16M requests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::{measured, median};

const SHARDS: u32 = 16;
const PER_SHARD: u64 = 1_000_000;
const MERGE_ROUNDS: usize = 5;

pub fn merge(root: &Path) -> Result<()> {
    let release = crate::build_release(root, &["vertex-perf"])?;
    let vertex_perf = release.join("vertex-perf");
    let scratch = crate::target_dir(root).join("bench/merge-runs");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;

    let (mut server, addr) = super::start_hello_server(root)?;
    let first = scratch.join("shard-01");
    let started = Instant::now();
    let shard = measured(
        Command::new(&vertex_perf)
            .arg("load")
            .arg(format!("http://{addr}/"))
            .args([
                "-c",
                "50",
                "-n",
                &(PER_SHARD * u64::from(SHARDS)).to_string(),
            ])
            .args(["--shard", &format!("1/{SHARDS}")])
            .arg("--out")
            .arg(&first),
    );
    let shard_seconds = started.elapsed().as_secs_f64();
    let _ = server.kill();
    let _ = server.wait();
    let shard = shard?;
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(first.join("suite.json"))?)?;
    let requests = report["load"]["scenarios"][0]["total_requests"]
        .as_u64()
        .context("the shard's report has no request count")?;
    if requests != PER_SHARD {
        bail!("shard 1/{SHARDS} ran {requests} requests, {PER_SHARD} expected");
    }
    let size = std::fs::metadata(first.join("suite.json"))?.len();
    let mut folders: Vec<PathBuf> = vec![first];
    for index in 2..=SHARDS {
        let mut copy = report.clone();
        copy["meta"]["segment"]["index"] = index.into();
        copy["meta"]["run_id"] = format!(
            "{}-{index}",
            report["meta"]["run_id"].as_str().unwrap_or("shard")
        )
        .into();
        let folder = scratch.join(format!("shard-{index:02}"));
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join("suite.json"), serde_json::to_vec(&copy)?)?;
        folders.push(folder);
    }

    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut rss = Vec::new();
    for round in 0..MERGE_ROUNDS {
        let out = scratch.join(format!("merged-{round}"));
        let started = Instant::now();
        let usage = measured(
            Command::new(&vertex_perf)
                .arg("merge")
                .args(&folders)
                .arg("--out")
                .arg(&out),
        )?;
        walls.push(started.elapsed().as_secs_f64());
        cpus.push(usage.cpu_seconds);
        rss.push(usage.max_rss_kib as f64 / 1024.0);
        let merged: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("suite.json"))?)?;
        let total = merged["load"]["scenarios"][0]["total_requests"].as_u64();
        if total != Some(PER_SHARD * u64::from(SHARDS)) {
            bail!("the merged run holds {total:?} requests");
        }
    }
    println!(
        "one shard: {PER_SHARD} requests in {shard_seconds:.1} s ({:.0} req/s, {:.1} s CPU, peak RSS {:.1} MiB); its suite.json {:.0} KiB",
        PER_SHARD as f64 / shard_seconds,
        shard.cpu_seconds,
        shard.max_rss_kib as f64 / 1024.0,
        size as f64 / 1024.0
    );
    println!(
        "merge of {SHARDS} shards ({} requests), median of {MERGE_ROUNDS}: {:.2} s wall, {:.2} s CPU, peak RSS {:.1} MiB (every report written)",
        PER_SHARD * u64::from(SHARDS),
        median(&mut walls),
        median(&mut cpus),
        median(&mut rss)
    );
    Ok(())
}
