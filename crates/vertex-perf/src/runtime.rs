//! The one async runtime a command runs on.

use anyhow::{Context as _, Result};

/// A multi-threaded tokio runtime with I/O and timers.
pub fn new() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
