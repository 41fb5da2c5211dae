//! Shards: one of N equal parts of a run, for a run split over several generators (GitLab
//! `parallel: N`, a Kubernetes Indexed Job), as k6's execution segments split one.
//!
//! The split loses nothing to rounding. A count of `n` things (iterations, users) gives shard
//! `i` of `N` the things `⌊n·(i−1)/N⌋ .. ⌊n·i/N⌋`, so the parts sum to `n` and differ by at
//! most one. An arrival schedule (the open models) is striped: shard `i` starts the whole
//! schedule's arrivals `i−1, i−1+N, i−1+2N, …` at their own instants, so the shards' arrivals
//! together are exactly the unsharded schedule, whatever its rate or ramp.
//!
//! Every engine splits its own work with it (load-engine its executors, storage-bench its
//! objects); a shard's report records its part as a [`crate::meta::RunSegment`].

use std::fmt;
use std::str::FromStr;

use crate::ReportError;

/// The most shards a run may be split into.
pub const MAX_SHARDS: u32 = 10_000;

/// Shard `index` of `total`, `index` counted from 1 (as GitLab's `CI_NODE_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    total: u32,
}

impl Default for Shard {
    fn default() -> Shard {
        Shard::WHOLE
    }
}

impl Shard {
    /// The whole run: shard 1 of 1.
    pub const WHOLE: Shard = Shard { index: 1, total: 1 };

    /// Shard `index` of `total`: `1 <= index <= total <= MAX_SHARDS`.
    pub fn new(index: u32, total: u32) -> Result<Shard, ReportError> {
        if !(1..=MAX_SHARDS).contains(&total) || !(1..=total).contains(&index) {
            return Err(ReportError::Shard {
                message: format!(
                    "shard {index}/{total} does not exist: the index is 1 to the total, the total 1 to {MAX_SHARDS}"
                ),
            });
        }
        Ok(Shard { index, total })
    }

    /// The shard a CI job is, from its environment (`var` looks a name up): GitLab's
    /// `CI_NODE_INDEX`/`CI_NODE_TOTAL` under `parallel: N`, or a Kubernetes Indexed Job's
    /// `JOB_COMPLETION_INDEX` (counted from 0) with the total in `VERTEX_PERF_SHARDS`.
    /// `None` when neither is set.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, ReportError> {
        let number = |name: &str| -> Result<Option<u32>, ReportError> {
            var(name)
                .map(|value| {
                    value.trim().parse::<u32>().map_err(|_| ReportError::Shard {
                        message: format!("{name} must be a whole number, got `{value}`"),
                    })
                })
                .transpose()
        };
        if let (Some(index), Some(total)) = (number("CI_NODE_INDEX")?, number("CI_NODE_TOTAL")?) {
            return Shard::new(index, total).map(Some);
        }
        match (number("JOB_COMPLETION_INDEX")?, number("VERTEX_PERF_SHARDS")?) {
            (Some(index), Some(total)) => Shard::new(index.saturating_add(1), total).map(Some),
            (Some(_), None) => Err(ReportError::Shard {
                message: "JOB_COMPLETION_INDEX is set but VERTEX_PERF_SHARDS is not\n(hint: set it to the Job's completions)".to_owned(),
            }),
            _ => Ok(None),
        }
    }

    /// The index, from 1.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many shards the run has.
    pub fn total(self) -> u32 {
        self.total
    }

    /// True for the first shard (and the whole run): the one that runs what must run once.
    pub fn is_first(self) -> bool {
        self.index == 1
    }

    /// True for the whole run (1/1).
    pub fn is_whole(self) -> bool {
        self.total == 1
    }

    /// The first of this shard's `count` things and how many it has: `⌊n·(i−1)/N⌋` and
    /// `⌊n·i/N⌋ − ⌊n·(i−1)/N⌋`.
    pub fn range(self, count: u64) -> (u64, u64) {
        let at = |i: u32| (u128::from(count) * u128::from(i) / u128::from(self.total)) as u64;
        let (start, end) = (at(self.index - 1), at(self.index));
        (start, end - start)
    }

    /// How many of `count` things are this shard's.
    pub fn share(self, count: u64) -> u64 {
        self.range(count).1
    }

    /// The index in the whole schedule of this shard's `nth` arrival.
    pub fn arrival(self, nth: u64) -> u64 {
        nth.saturating_mul(u64::from(self.total))
            .saturating_add(u64::from(self.index - 1))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

impl FromStr for Shard {
    type Err = ReportError;

    /// `i/N`, e.g. `2/4`.
    fn from_str(text: &str) -> Result<Shard, ReportError> {
        let invalid = || ReportError::Shard {
            message: format!(
                "`{text}` is not a shard\n(hint: INDEX/TOTAL, counted from 1, e.g. 2/4)"
            ),
        };
        let (index, total) = text.trim().split_once('/').ok_or_else(invalid)?;
        let number = |s: &str| s.trim().parse::<u32>().map_err(|_| invalid());
        Shard::new(number(index)?, number(total)?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn shards(total: u32) -> impl Iterator<Item = Shard> {
        (1..=total).map(move |i| Shard::new(i, total).unwrap())
    }

    #[test]
    fn shards_parse_from_flags_and_ci_environments() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard::new(2, 4).unwrap());
        for bad in ["0/4", "5/4", "1/0", "4", "a/b", "-1/4", "1/10001"] {
            let error = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(error.contains("shard"), "{bad}: {error}");
        }
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            let map: HashMap<&str, &str> = pairs.iter().copied().collect();
            move |name: &str| map.get(name).map(|v| (*v).to_owned())
        };
        assert_eq!(
            Shard::from_env(env(&[("CI_NODE_INDEX", "3"), ("CI_NODE_TOTAL", "4")])).unwrap(),
            Some(Shard::new(3, 4).unwrap())
        );
        assert_eq!(
            Shard::from_env(env(&[
                ("JOB_COMPLETION_INDEX", "0"),
                ("VERTEX_PERF_SHARDS", "4")
            ]))
            .unwrap(),
            Some(Shard::new(1, 4).unwrap())
        );
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "2")])).is_err());
        assert!(Shard::from_env(env(&[("CI_NODE_INDEX", "x"), ("CI_NODE_TOTAL", "4")])).is_err());
    }

    proptest! {
        #[test]
        fn counts_split_without_loss_and_within_one(count in 0u64..10_000_000, total in 1u32..200) {
            let parts: Vec<(u64, u64)> = shards(total).map(|s| s.range(count)).collect();
            prop_assert_eq!(parts.iter().map(|p| p.1).sum::<u64>(), count);
            let (min, max) = (
                parts.iter().map(|p| p.1).min().unwrap(),
                parts.iter().map(|p| p.1).max().unwrap(),
            );
            prop_assert!(max - min <= 1);
            // Contiguous and in order: each part starts where the one before ended.
            let mut next = 0;
            for (start, len) in parts {
                prop_assert_eq!(start, next);
                next = start + len;
            }
        }

        #[test]
        fn striped_arrivals_are_the_whole_schedule_once_each(arrivals in 0u64..5_000, total in 1u32..50) {
            let mut seen = vec![0u32; usize::try_from(arrivals).unwrap()];
            for shard in shards(total) {
                let mut nth = 0;
                while shard.arrival(nth) < arrivals {
                    seen[usize::try_from(shard.arrival(nth)).unwrap()] += 1;
                    nth += 1;
                }
                // A shard's arrivals differ from any other's count by at most one.
                let expected = arrivals / u64::from(total);
                prop_assert!(nth == expected || nth == expected + 1);
            }
            prop_assert!(seen.iter().all(|&n| n == 1));
        }
    }
}
