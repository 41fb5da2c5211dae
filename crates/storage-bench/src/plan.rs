//! [`Plan`]: what a storage run measures (sizes, objects, concurrency, operations, the mix)
//! and the limits every plan is held to; the payloads it writes, reproducible from a seed.

use std::time::Duration;

use bytes::Bytes;
use report_model::StorageOperation;
use report_model::shard::Shard;
use tokio_util::sync::CancellationToken;

use crate::StorageError;
use crate::mix_weights::MixWeights;

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Object sizes, bytes (default 1, 5, 10, 20 MiB).
    pub sizes: Vec<u64>,
    /// Objects per size and repetition.
    pub objects: u32,
    /// The number of this plan's first object among the whole run's: a shard of a split run
    /// (see [`Plan::shard`]) writes its own objects of the whole run's, with the same bytes
    /// as the unsplit run; 0 otherwise.
    pub first_object: u32,
    /// Operations in flight at once.
    pub concurrency: u32,
    /// Repetitions (each one a fresh set of objects).
    pub repetitions: u32,
    /// Operations, in order. `Get`, `Head` and `Delete` need `Put`.
    pub operations: Vec<StorageOperation>,
    /// Seed of the payloads: the same seed gives the same bytes.
    pub seed: u64,
    /// Objects at least this big are uploaded in parts.
    pub multipart_threshold: u64,
    /// Part size of multipart uploads.
    pub part_size: usize,
    /// One unmeasured put/get per backend and size before measuring.
    pub warmup: bool,
    /// Everything goes under this prefix.
    pub run_prefix: String,
    /// Weights of the mixed workload (`StorageOperation::Mixed`).
    pub mix: MixWeights,
    /// Operations of the mixed workload per size and repetition.
    pub mixed_operations: u32,
    /// Cancel to stop after the operations in flight: no new phase starts, every backend
    /// opened is still cleaned up, and the report says it was interrupted.
    pub cancel: CancellationToken,
}

impl Plan {
    /// The defaults: 1/5/10/20 MiB, 2 objects, concurrency 2, 1 repetition, all operations.
    pub fn new(run_prefix: &str) -> Plan {
        Plan {
            sizes: vec![1 << 20, 5 << 20, 10 << 20, 20 << 20],
            objects: 2,
            first_object: 0,
            concurrency: 2,
            repetitions: 1,
            operations: vec![
                StorageOperation::Put,
                StorageOperation::Get,
                StorageOperation::Head,
                StorageOperation::List,
                StorageOperation::Delete,
            ],
            seed: 42,
            multipart_threshold: 16 << 20,
            part_size: 8 << 20,
            warmup: true,
            run_prefix: run_prefix.trim_matches('/').to_owned(),
            mix: MixWeights::default(),
            mixed_operations: 50,
            cancel: CancellationToken::new(),
        }
    }

    /// The largest object: 1 GiB.
    pub const MAX_OBJECT_SIZE: u64 = 1 << 30;
    /// The most bytes one phase writes (objects × size): 16 GiB.
    pub const MAX_PHASE_BYTES: u64 = 16 << 30;
    /// The most object sizes of a plan.
    pub const MAX_SIZES: usize = 64;
    /// The most objects per size, operations in flight, repetitions and mixed operations.
    pub const MAX_OBJECTS: u32 = 10_000;
    /// See [`Plan::MAX_OBJECTS`].
    pub const MAX_CONCURRENCY: u32 = 256;
    /// See [`Plan::MAX_OBJECTS`].
    pub const MAX_REPETITIONS: u32 = 100;
    /// See [`Plan::MAX_OBJECTS`].
    pub const MAX_MIXED_OPERATIONS: u32 = 1_000_000;

    /// This plan's part of a run split into shards: its share of the objects (numbered as
    /// the whole run's), of the operations in flight and of the mixed operations, each split
    /// without loss (the shards' parts sum to the whole and differ by at most one). A shard
    /// left with no object or nothing in flight is refused: split fewer ways.
    pub fn shard(&mut self, shard: Shard) -> Result<(), StorageError> {
        let (first, objects) = shard.range(u64::from(self.objects));
        let concurrency = shard.share(u64::from(self.concurrency));
        if objects == 0 || concurrency == 0 {
            return Err(StorageError::Config {
                message: format!(
                    "shard {shard} of {} objects at {} in flight has nothing to do\n(hint: at least as many objects and operations in flight as shards)",
                    self.objects, self.concurrency
                ),
            });
        }
        self.first_object = self.first_object.saturating_add(first as u32);
        self.objects = objects as u32;
        self.concurrency = concurrency as u32;
        self.mixed_operations = shard.share(u64::from(self.mixed_operations)) as u32;
        Ok(())
    }

    /// The numbers of this plan's objects among the whole run's.
    pub(crate) fn object_numbers(&self) -> impl Iterator<Item = u32> + use<> {
        let first = self.first_object;
        (0..self.objects).map(move |i| first.saturating_add(i))
    }

    pub(crate) fn validate(&self) -> Result<(), StorageError> {
        let fail = |message: &str| {
            Err(StorageError::Config {
                message: message.to_owned(),
            })
        };
        if self.sizes.is_empty() || self.sizes.contains(&0) {
            return fail("sizes must be non-empty and above zero");
        }
        if self.sizes.len() > Self::MAX_SIZES {
            return fail("at most 64 object sizes");
        }
        if self.objects == 0 || self.concurrency == 0 || self.repetitions == 0 {
            return fail("objects, concurrency and repetitions must be above zero");
        }
        if self.objects > Self::MAX_OBJECTS
            || self.concurrency > Self::MAX_CONCURRENCY
            || self.repetitions > Self::MAX_REPETITIONS
            || self.mixed_operations > Self::MAX_MIXED_OPERATIONS
        {
            return fail(
                "at most 10000 objects, 256 in flight, 100 repetitions and 1000000 mixed operations",
            );
        }
        if let Some(size) = self
            .sizes
            .iter()
            .find(|&&size| size > Self::MAX_OBJECT_SIZE)
        {
            return Err(StorageError::Config {
                message: format!("an object of {size} bytes is above the maximum of 1 GiB"),
            });
        }
        if self
            .sizes
            .iter()
            .any(|&size| size.saturating_mul(u64::from(self.objects)) > Self::MAX_PHASE_BYTES)
        {
            return fail("objects × size is above 16 GiB for one phase");
        }
        if self.run_prefix.is_empty() {
            return fail("the run prefix must not be empty");
        }
        if self.part_size < 5 << 20 {
            return fail("S3 parts are at least 5 MiB");
        }
        if let Some(mixed) = self
            .operations
            .iter()
            .position(|o| *o == StorageOperation::Mixed)
        {
            let before = &self.operations[..mixed];
            if !before.contains(&StorageOperation::Put)
                || before.contains(&StorageOperation::Delete)
            {
                return fail(
                    "the mixed workload reads the objects the put phase wrote: list `put` before `mixed` and `delete` after it",
                );
            }
            if self.mixed_operations == 0 {
                return fail("the mixed workload needs at least one operation");
            }
        }
        Ok(())
    }
}

/// Progress of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageProgress {
    /// Backend name.
    pub backend: String,
    /// Operation.
    pub operation: StorageOperation,
    /// Object size.
    pub object_size_bytes: u64,
    /// Payload bytes moved so far in this phase.
    pub bytes: u64,
    /// Seconds since the phase started.
    pub elapsed: Duration,
}

/// Parses sizes such as `64KiB,1MiB,100MiB` (also `KB`/`MB` meaning KiB/MiB, like the old
/// suite, and plain bytes).
pub fn parse_sizes(text: &str) -> Result<Vec<u64>, StorageError> {
    text.split(',')
        .map(|item| {
            let item = item.trim();
            let split = item
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(item.len());
            let (number, unit) = item.split_at(split);
            let number: u64 = number.parse().map_err(|_| StorageError::Config {
                message: format!("size `{item}` is not like 1MiB"),
            })?;
            let factor = match unit.trim() {
                "" | "B" => 1,
                "KiB" | "KB" | "K" => 1 << 10,
                "MiB" | "MB" | "M" => 1 << 20,
                "GiB" | "GB" | "G" => 1 << 30,
                _ => {
                    return Err(StorageError::Config {
                        message: format!("size `{item}` has an unknown unit (B, KiB, MiB, GiB)"),
                    });
                }
            };
            match number.checked_mul(factor) {
                Some(0) => Err(StorageError::Config {
                    message: format!("size `{item}` must be above zero"),
                }),
                Some(size) if size <= Plan::MAX_OBJECT_SIZE => Ok(size),
                _ => Err(StorageError::Config {
                    message: format!("size `{item}` is above the maximum of 1 GiB"),
                }),
            }
        })
        .collect()
}

/// Reproducible payload bytes (SplitMix64 stream) for object `index` of a size.
pub fn payload(size: u64, seed: u64, index: u64) -> Bytes {
    let mut state = seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ size;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 8);
    while (out.len() as u64) < size {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(usize::try_from(size).unwrap_or(0));
    Bytes::from(out)
}
