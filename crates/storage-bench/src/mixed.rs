//! The mixed workload, as MinIO's warp runs it: a weighted random sequence of get, head, put
//! and delete over the objects of the run, with concurrency. The sequence of operation kinds
//! is reproducible from the plan's seed; reads target the objects the plan's put phase wrote,
//! puts write new objects, and deletes remove objects the mix itself wrote and finished
//! writing (a delete never races the read or write of its own object).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt as _;
use object_store::path::Path as StorePath;
use report_model::StorageOperation;

use crate::operation::{OnBackend, OpOutcome, one_operation};

/// An object the put phase wrote: key, bytes and SHA-256.
pub(crate) struct PoolObject {
    pub key: StorePath,
    pub payload: Bytes,
    pub sha256: String,
}

/// Runs the mixed workload over `pool`; new objects go under `new_prefix`.
pub(crate) async fn run_mixed(
    on: &OnBackend<'_>,
    pool: &[PoolObject],
    new_prefix: &str,
) -> Vec<OpOutcome> {
    let plan = on.plan;
    let kinds = plan.mix.sequence(plan.mixed_operations as usize, plan.seed);
    let written: Arc<Mutex<Vec<StorePath>>> = Arc::new(Mutex::new(Vec::new()));
    futures::stream::iter(kinds.into_iter().enumerate())
        .map(|(step, kind)| {
            let written = Arc::clone(&written);
            let base = &pool[step % pool.len()];
            async move {
                let (operation, key) = match kind {
                    StorageOperation::Put => (
                        StorageOperation::Put,
                        StorePath::from(format!("{new_prefix}/mixed-{step}")),
                    ),
                    StorageOperation::Delete => {
                        let finished = written.lock().expect("not poisoned").pop();
                        match finished {
                            Some(key) => (StorageOperation::Delete, key),
                            // Nothing of the mix's own to delete yet: read metadata instead.
                            None => (StorageOperation::Head, base.key.clone()),
                        }
                    }
                    other => (other, base.key.clone()),
                };
                let outcome =
                    one_operation(on, operation, &key, base.payload.clone(), &base.sha256).await;
                if operation == StorageOperation::Put && outcome.result.is_ok() {
                    written.lock().expect("not poisoned").push(key);
                }
                outcome
            }
        })
        .buffer_unordered(plan.concurrency as usize)
        .collect()
        .await
}
