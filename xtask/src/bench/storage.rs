//! `cargo xtask bench-storage`: the storage paths against `dd`, a plain read and the Python
//! `minio` client, per object size, in one interleaved run.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result, bail};

use super::{ROUNDS, median, python_venv_with};

/// MiB/s of put and get per object size in a `suite.json` written by `vertex-perf storage`:
/// the median repetition.
fn storage_rates(suite: &Path, backend: &str) -> Result<Vec<(u64, &'static str, f64)>> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(suite)?)?;
    let mut rates = Vec::new();
    for result in json["storage"]["results"]
        .as_array()
        .context("storage results")?
    {
        if result["backend"] != backend {
            continue;
        }
        let operation = match result["operation"].as_str() {
            Some("put") => "put",
            Some("get") => "get",
            _ => continue,
        };
        let size = result["object_size_bytes"].as_u64().context("size")?;
        rates.push((size, operation, median_repetition(result)?));
    }
    Ok(rates)
}

/// The median repetition of one result row, MiB/s.
fn median_repetition(result: &serde_json::Value) -> Result<f64> {
    let mut rates: Vec<f64> = result["repetition_bytes_per_sec"]
        .as_array()
        .context("repetition rates")?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .map(|r| r / (1024.0 * 1024.0))
        .collect();
    Ok(median(&mut rates))
}

/// Objects per size in the storage comparison.
const OBJECTS: &str = "4";

/// Repetitions per tool and round (the median one counts): the local-directory comparison
/// and the S3 one alike.
const REPEATS: usize = 3;

/// vertex-perf's local 20 MiB put and get (put, get, delete, REPEATS times): the
/// median repetition of each, MiB/s.
fn local_rates(vertex_perf: &Path, dir: &Path, scratch: &Path, round: usize) -> Result<(f64, f64)> {
    let out = scratch.join(format!("local-{round}"));
    let status = Command::new(vertex_perf)
        .args(["storage", "--backend", &format!("file://{}", dir.display())])
        .args([
            "--sizes",
            "20MiB",
            "--objects",
            OBJECTS,
            "--concurrency",
            "1",
        ])
        .args([
            "--ops",
            "put,get,delete",
            "--repeat",
            &REPEATS.to_string(),
            "--out",
        ])
        .arg(&out)
        .env("CI", "1")
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("vertex-perf storage failed on the local directory");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("suite.json"))?)?;
    let results = json["storage"]["results"]
        .as_array()
        .context("storage results")?;
    let rate = |operation: &str| -> Result<f64> {
        median_repetition(
            results
                .iter()
                .find(|r| r["backend"] == "local" && r["operation"] == operation)
                .with_context(|| format!("no local {operation} result"))?,
        )
    };
    Ok((rate("put")?, rate("get")?))
}

/// Plain reads of OBJECTS files of 20 MiB just written into `dir` (so, like vertex-perf's
/// local get, from the page cache), REPEATS times; the median repetition, MiB/s, of
/// two ways: each file into a buffer of its own that is kept until all are read (what a
/// reader that checks what it read does, vertex-perf's get included; the buffers are reused
/// from one repetition to the next), and every file into one reused buffer (a read that
/// throws the bytes away, as `dd of=/dev/null` does: its buffer stays in the CPU's caches).
fn plain_read_rates(source: &Path, dir: &Path) -> Result<(f64, f64)> {
    use std::io::Read as _;
    let objects: usize = OBJECTS.parse().context("OBJECTS")?;
    std::fs::create_dir_all(dir)?;
    let files: Vec<std::path::PathBuf> = (0..objects)
        .map(|index| dir.join(format!("plain-{index}")))
        .collect();
    let size = 20 << 20;
    let mut kept: Vec<Vec<u8>> = files.iter().map(|_| vec![0; size]).collect();
    let (mut kept_rates, mut one_rates) = (Vec::new(), Vec::new());
    let mib = (size * objects) as f64 / (1024.0 * 1024.0);
    // Written as vertex-perf's put writes an object: one write of its bytes.
    let bytes = std::fs::read(source)?;
    for _ in 0..REPEATS {
        for file in &files {
            std::fs::write(file, &bytes)?;
        }
        let started = std::time::Instant::now();
        for (file, buffer) in files.iter().zip(&mut kept) {
            std::fs::File::open(file)?.read_exact(buffer)?;
        }
        kept_rates.push(mib / started.elapsed().as_secs_f64());
        let started = std::time::Instant::now();
        for file in &files {
            std::fs::File::open(file)?.read_exact(&mut kept[0])?;
        }
        one_rates.push(mib / started.elapsed().as_secs_f64());
        std::hint::black_box(&kept);
        for file in &files {
            let _ = std::fs::remove_file(file);
        }
    }
    Ok((median(&mut kept_rates), median(&mut one_rates)))
}

/// `dd` writing OBJECTS files of 20 MiB into `dir`, then deleting them, REPEATS times:
/// the median repetition, MiB/s.
fn dd_rate(source: &Path, dir: &Path) -> Result<f64> {
    let objects: usize = OBJECTS.parse().context("OBJECTS")?;
    std::fs::create_dir_all(dir)?;
    let mut rates = Vec::new();
    for _ in 0..REPEATS {
        let started = std::time::Instant::now();
        for index in 0..objects {
            let status = Command::new("dd")
                .arg(format!("if={}", source.display()))
                .arg(format!("of={}", dir.join(format!("dd-{index}")).display()))
                .args(["bs=1M", "count=20", "status=none"])
                .status()?;
            if !status.success() {
                bail!("dd failed");
            }
        }
        rates.push(20.0 * objects as f64 / started.elapsed().as_secs_f64());
        for index in 0..objects {
            let _ = std::fs::remove_file(dir.join(format!("dd-{index}")));
        }
    }
    Ok(median(&mut rates))
}

/// `cargo xtask bench-storage`.
pub fn storage(root: &Path) -> Result<()> {
    const SIZES: [u64; 2] = [1 << 20, 20 << 20];
    let release = crate::build_release(root, &["vertex-perf"])?;
    let embedded_s3 = crate::build_release_example(root, "storage-bench", "embedded_s3")?;
    let python = python_venv_with(root, "minio-venv", &["minio"])?;
    let script = root.join("benches/scripts/minio_client_throughput.py");
    let scratch = crate::target_dir(root).join("bench/storage-runs");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let credentials_file = scratch.join("credentials");
    let mut server = Command::new(embedded_s3)
        .arg(&credentials_file)
        .arg(scratch.join("s3-root"))
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start the embedded S3 server")?;
    {
        use std::io::BufRead as _;
        let mut line = String::new();
        std::io::BufReader::new(server.stdout.take().expect("piped")).read_line(&mut line)?;
    }
    let result = (|| -> Result<()> {
        let credentials = std::fs::read_to_string(&credentials_file)?;
        let parts: Vec<&str> = credentials.split_whitespace().collect();
        let (endpoint, access, secret) = (parts[0], parts[1], parts[2]);
        let vertex_perf = release.join("vertex-perf");
        let sizes_arg = "1MiB,20MiB";
        let mut ours: std::collections::BTreeMap<(u64, &str), Vec<f64>> =
            std::collections::BTreeMap::new();
        let mut theirs: std::collections::BTreeMap<(u64, &str), Vec<f64>> =
            std::collections::BTreeMap::new();
        let (mut local_put, mut dd_rates) = (Vec::new(), Vec::new());
        let (mut local_get, mut plain_reads, mut discarding_reads) =
            (Vec::new(), Vec::new(), Vec::new());
        let source = scratch.join("dd-source");
        std::fs::write(&source, vec![0x5Au8; 20 << 20])?;
        for round in 1..=ROUNDS {
            // vertex-perf on the embedded S3
            let out = scratch.join(format!("s3-{round}"));
            let status = Command::new(&vertex_perf)
                .args([
                    "storage",
                    "--backend",
                    &format!("s3://vertex-perf?endpoint={endpoint}"),
                    "--sizes",
                    sizes_arg,
                    "--objects",
                    OBJECTS,
                    "--concurrency",
                    "1",
                    "--ops",
                    "put,get,delete",
                    "--repeat",
                    &REPEATS.to_string(),
                    "--out",
                ])
                .arg(&out)
                .env("AWS_ACCESS_KEY_ID", access)
                .env("AWS_SECRET_ACCESS_KEY", secret)
                .env("CI", "1")
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                bail!("vertex-perf storage failed on the embedded S3");
            }
            for (size, operation, rate) in storage_rates(&out.join("suite.json"), "s3")? {
                ours.entry((size, operation)).or_default().push(rate);
            }
            // the minio client on the same server
            let output = Command::new(&python)
                .arg(&script)
                .args([endpoint, "vertex-perf", OBJECTS, &REPEATS.to_string()])
                .args(SIZES.map(|s| s.to_string()))
                .env("MINIO_ACCESS_KEY", access)
                .env("MINIO_SECRET_KEY", secret)
                .output()?;
            if !output.status.success() {
                bail!(
                    "the minio client failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                let json: serde_json::Value = serde_json::from_str(line)?;
                let size = json["size"].as_u64().context("size")?;
                theirs
                    .entry((size, "put"))
                    .or_default()
                    .push(json["put_mibps"].as_f64().context("put")?);
                theirs
                    .entry((size, "get"))
                    .or_default()
                    .push(json["get_mibps"].as_f64().context("get")?);
            }
            // local: vertex-perf put of 20 MiB vs dd into the same directory. Both get the
            // same treatment: REPEATS repetitions of "write OBJECTS files, delete them", the
            // median repetition counts, and which tool goes first alternates by round (on this
            // VM a write into pages the guest has not touched lately costs up to 8x more, so
            // whoever runs right after a big free is favoured).
            let local_dir = scratch.join("local");
            let ours_first = round % 2 == 0;
            for tool in if ours_first {
                ["ours", "dd"]
            } else {
                ["dd", "ours"]
            } {
                if tool == "ours" {
                    let (put, get) = local_rates(&vertex_perf, &local_dir, &scratch, round)?;
                    local_put.push(put);
                    local_get.push(get);
                } else {
                    dd_rates.push(dd_rate(&source, &local_dir)?);
                    let (kept, discarded) = plain_read_rates(&source, &local_dir)?;
                    plain_reads.push(kept);
                    discarding_reads.push(discarded);
                }
            }
            eprintln!("round {round} done");
        }
        println!(
            "\nembedded S3, {OBJECTS} objects per size, sequential, median repetition of {REPEATS}, medians of {ROUNDS} interleaved rounds (MiB/s):"
        );
        println!(
            "{:<8} {:<4} {:>12} {:>14} {:>8}",
            "size", "op", "vertex-perf", "minio client", "ratio"
        );
        for ((size, operation), rates) in &mut ours {
            let mine = median(rates);
            let peer = median(
                theirs
                    .get_mut(&(*size, *operation))
                    .context("peer figure")?,
            );
            println!(
                "{:<8} {operation:<4} {mine:>12.1} {peer:>14.1} {:>7.2}x",
                format!("{}MiB", size >> 20),
                mine / peer
            );
        }
        let (mine, dd) = (median(&mut local_put), median(&mut dd_rates));
        println!(
            "local directory, 20 MiB put: vertex-perf {mine:.1} MiB/s, dd {dd:.1} MiB/s, ratio {:.2}x",
            mine / dd
        );
        let (mine, plain) = (median(&mut local_get), median(&mut plain_reads));
        let discarding = median(&mut discarding_reads);
        println!(
            "local directory, 20 MiB get (page cache): vertex-perf {mine:.1} MiB/s, plain read into kept buffers {plain:.1} MiB/s, ratio {:.2}x (into one buffer, bytes thrown away: {discarding:.1} MiB/s, {:.2}x)",
            mine / plain,
            mine / discarding
        );
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}
