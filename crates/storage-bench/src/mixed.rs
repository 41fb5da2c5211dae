//! The mixed workload, as MinIO's warp runs it: a weighted random sequence of get, head, put
//! and delete over the objects of the run, with concurrency. The sequence of operation kinds
//! is reproducible from the plan's seed; reads target the objects the plan's put phase wrote,
//! puts write new objects, and deletes remove objects the mix itself wrote and finished
//! writing (a delete never races the read or write of its own object).

use std::str::FromStr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt as _;
use object_store::ObjectStore;
use object_store::path::Path as StorePath;
use report_model::StorageOperation;

use crate::StorageError;
use crate::operation::{OpOutcome, one_operation};
use crate::plan::Plan;

/// Relative weights of the operations of the mixed workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MixWeights {
    /// Whole-object reads (verified by SHA-256).
    pub get: u32,
    /// Metadata reads.
    pub head: u32,
    /// New objects.
    pub put: u32,
    /// Deletes of objects the mix wrote.
    pub delete: u32,
}

impl Default for MixWeights {
    /// warp's default mix: 45 % get, 30 % stat, 15 % put, 10 % delete.
    fn default() -> Self {
        MixWeights {
            get: 45,
            head: 30,
            put: 15,
            delete: 10,
        }
    }
}

impl FromStr for MixWeights {
    type Err = StorageError;

    /// `get=45,head=30,put=15,delete=10`; operations left out weigh 0.
    fn from_str(text: &str) -> Result<MixWeights, StorageError> {
        let invalid = |message: String| StorageError::Config { message };
        let mut weights = MixWeights {
            get: 0,
            head: 0,
            put: 0,
            delete: 0,
        };
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| invalid(format!("mix entry `{item}` is not like get=45")))?;
            let value: u32 = value
                .trim()
                .parse()
                .map_err(|_| invalid(format!("mix weight `{value}` is not a whole number")))?;
            match name.trim() {
                "get" => weights.get = value,
                "head" => weights.head = value,
                "put" => weights.put = value,
                "delete" => weights.delete = value,
                other => {
                    return Err(invalid(format!(
                        "unknown mix operation `{other}` (get, head, put, delete)"
                    )));
                }
            }
        }
        if weights.total() == 0 {
            return Err(invalid("the mix weights add up to zero".to_owned()));
        }
        Ok(weights)
    }
}

impl MixWeights {
    fn total(self) -> u32 {
        self.get + self.head + self.put + self.delete
    }

    /// `n` operation kinds drawn with these weights from a generator seeded with `seed`.
    pub fn sequence(self, n: usize, seed: u64) -> Vec<StorageOperation> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut pick = u32::try_from(state % u64::from(self.total())).unwrap_or(0);
                for (weight, operation) in [
                    (self.get, StorageOperation::Get),
                    (self.head, StorageOperation::Head),
                    (self.put, StorageOperation::Put),
                    (self.delete, StorageOperation::Delete),
                ] {
                    if pick < weight {
                        return operation;
                    }
                    pick -= weight;
                }
                StorageOperation::Get
            })
            .collect()
    }
}

/// An object the put phase wrote: key, bytes and SHA-256.
pub(crate) struct PoolObject {
    pub key: StorePath,
    pub payload: Bytes,
    pub sha256: String,
}

/// Runs the mixed workload over `pool`; new objects go under `new_prefix`.
pub(crate) async fn run_mixed(
    store: &Arc<dyn ObjectStore>,
    plan: &Plan,
    pool: &[PoolObject],
    new_prefix: &str,
    multipart: bool,
) -> Vec<OpOutcome> {
    let kinds = plan.mix.sequence(plan.mixed_operations as usize, plan.seed);
    let written: Arc<Mutex<Vec<StorePath>>> = Arc::new(Mutex::new(Vec::new()));
    futures::stream::iter(kinds.into_iter().enumerate())
        .map(|(step, kind)| {
            let store = Arc::clone(store);
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
                let outcome = one_operation(
                    store.as_ref(),
                    operation,
                    &key,
                    base.payload.clone(),
                    &base.sha256,
                    plan,
                    multipart,
                )
                .await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_parse_and_draw_in_proportion() {
        let weights: MixWeights = "get=45, head=30,put=15,delete=10".parse().unwrap();
        assert_eq!(weights, MixWeights::default());
        let kinds = weights.sequence(10_000, 42);
        assert_eq!(kinds, weights.sequence(10_000, 42), "reproducible");
        let share = |op| kinds.iter().filter(|k| **k == op).count() as f64 / 100.0;
        for (op, percent) in [
            (StorageOperation::Get, 45.0),
            (StorageOperation::Head, 30.0),
            (StorageOperation::Put, 15.0),
            (StorageOperation::Delete, 10.0),
        ] {
            assert!((share(op) - percent).abs() < 2.0, "{op}: {}", share(op));
        }
        let only_gets: MixWeights = "get=1".parse().unwrap();
        assert!(
            only_gets
                .sequence(100, 1)
                .iter()
                .all(|k| *k == StorageOperation::Get)
        );
        for bad in ["get=x", "fly=3", "get=0,put=0", "get"] {
            assert!(bad.parse::<MixWeights>().is_err(), "{bad}");
        }
    }
}
