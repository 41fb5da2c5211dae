//! The one async runtime a command runs on.

use anyhow::{Context as _, Result};

/// A multi-threaded tokio runtime with I/O and timers, one worker thread per core.
pub fn new() -> Result<tokio::runtime::Runtime> {
    with_threads(None)
}

/// The same with `threads` worker threads (`load --threads`, wrk's `-t`), or one per core.
pub fn with_threads(threads: Option<u32>) -> Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads as usize);
    }
    builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The generator's worker threads when `--threads` is not given: half the cores (at least
/// one) when the target is on this machine, whose service needs the other half; one per
/// core otherwise. Measured on 2 cores against nginx with one worker, 50 connections, three
/// interleaved rounds (docs/benchmarks.md): 1 thread 101.2k req/s, 2 threads 87.8k, wrk
/// `-t1` 99.9k.
pub fn generator_threads(requested: Option<u32>, url: &str) -> Option<u32> {
    requested.or_else(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        report_model::is_local_url(url).then(|| (cores / 2).max(1))
    })
}

#[cfg(test)]
mod tests {
    use super::generator_threads;

    #[test]
    fn a_target_on_this_machine_leaves_it_half_the_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        for url in [
            "http://127.0.0.1:8000/",
            "http://localhost/x",
            "http://[::1]:9/",
        ] {
            assert_eq!(
                generator_threads(None, url),
                Some((cores / 2).max(1)),
                "{url}"
            );
        }
        assert_eq!(
            generator_threads(None, "http://example.invalid:8000/"),
            None
        );
        assert_eq!(generator_threads(Some(3), "http://127.0.0.1/"), Some(3));
    }
}
