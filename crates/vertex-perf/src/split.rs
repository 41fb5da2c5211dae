//! This process's part of a split run, shared by `load`, `suite` and `storage`: the shard
//! (`--shard`, else the CI job's index), the wait for the shared start instant, and the
//! segment the report records.

use anyhow::Result;
use report_model::RunKind;
use report_model::meta::RunSegment;
use report_model::shard::Shard;

use crate::cli::ShardArgs;
use crate::output::Output;

impl ShardArgs {
    /// The shard: the flag, else GitLab's `CI_NODE_INDEX`/`CI_NODE_TOTAL` or a Kubernetes
    /// Indexed Job's `JOB_COMPLETION_INDEX` with `VERTEX_PERF_SHARDS`; `None` for a whole run.
    pub fn resolve(&self) -> Result<Option<Shard>> {
        Ok(match self.shard {
            Some(shard) => Some(shard),
            None => Shard::from_env(|name| std::env::var(name).ok())?,
        })
    }

    /// Waits for `--start-at` (Ctrl-C ends the wait), then returns the segment a `kind` run
    /// of `shard` records: which part it is and how late it began by this machine's clock.
    pub fn start(
        &self,
        shard: Option<Shard>,
        kind: RunKind,
        runtime: &tokio::runtime::Runtime,
        output: &Output,
    ) -> Option<RunSegment> {
        let start_offset_us = self
            .start_at
            .and_then(|at| runtime.block_on(wait_for_start(at, output)));
        shard.map(|shard| {
            RunSegment::of_shard(
                kind,
                shard.index(),
                shard.total(),
                self.start_at,
                start_offset_us,
            )
        })
    }
}

/// Waits for the shared start instant `at` (Ctrl-C ends the wait); returns how late the run
/// begins by this machine's clock, microseconds.
async fn wait_for_start(at: chrono::DateTime<chrono::Utc>, output: &Output) -> Option<i64> {
    let left = || {
        (at - chrono::Utc::now())
            .to_std()
            .ok()
            .filter(|d| !d.is_zero())
    };
    if left().is_some() {
        output.note(&format!("waiting until {at} to start"));
        let token = tokio_util::sync::CancellationToken::new();
        crate::interrupt::cancelling_on_signal(token.clone(), async {
            // Until the wall clock reads `at`: the timer runs on the monotonic clock, which
            // the wall clock may drift from while it is corrected.
            while let Some(wait) = left() {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = token.cancelled() => return,
                }
            }
        })
        .await;
    }
    (chrono::Utc::now() - at).num_microseconds()
}
