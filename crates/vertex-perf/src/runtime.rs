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
