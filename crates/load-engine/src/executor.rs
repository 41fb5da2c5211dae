//! Executors: how iterations are started over time, and the arrival schedules of the open
//! model.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::LoadError;
use crate::limits::{
    DurationKind, MAX_STAGES, check_rate, check_schedule, check_stage_target, check_users,
};

/// When a run stops starting iterations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// After this many iterations in total.
    Iterations(u64),
    /// After this long.
    Duration(Duration),
}

/// One stage of a ramp: reach `target` (users, or requests per second) linearly over
/// `duration`, starting from the previous stage's target (0 before the first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// Length of the stage.
    pub duration: Duration,
    /// Users or requests per second at its end.
    pub target: f64,
}

/// Stages and what their targets mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    /// The stages in order.
    pub stages: Vec<Stage>,
    /// True when targets are arrival rates (`100/s`), false for users.
    pub rate: bool,
}

impl Stages {
    /// The total length.
    pub fn total(&self) -> Duration {
        self.stages
            .iter()
            .fold(Duration::ZERO, |total, s| total.saturating_add(s.duration))
    }

    /// The interpolated target at `elapsed`.
    pub fn target_at(&self, elapsed: Duration) -> f64 {
        let mut start = Duration::ZERO;
        let mut from = 0.0;
        for stage in &self.stages {
            let end = start + stage.duration;
            if elapsed < end {
                let fraction = elapsed.saturating_sub(start).as_secs_f64()
                    / stage.duration.as_secs_f64().max(1e-9);
                return from + (stage.target - from) * fraction;
            }
            start = end;
            from = stage.target;
        }
        from
    }
}

impl FromStr for Stages {
    type Err = LoadError;

    /// Parses `10s:100/s,30s:500/s,10s:0/s` (rates) or `10s:5,20s:20` (users).
    fn from_str(text: &str) -> Result<Stages, LoadError> {
        let invalid = |message: String| LoadError::InvalidConfig {
            message: format!("stages `{text}`: {message}"),
        };
        let mut stages = Vec::new();
        let mut rate = None;
        for (index, item) in text.split(',').enumerate() {
            let (duration, target) = item.trim().split_once(':').ok_or_else(|| {
                invalid(format!(
                    "stage {} must look like `10s:100/s` or `10s:20`",
                    index + 1
                ))
            })?;
            if index >= MAX_STAGES {
                return Err(invalid(format!("more than {MAX_STAGES} stages")));
            }
            let duration = DurationKind::Stage
                .parse(duration)
                .map_err(|e| invalid(format!("stage {}: {}", index + 1, e.reason())))?;
            let (number, is_rate) = match target.trim().strip_suffix("/s") {
                Some(number) => (number, true),
                None => (target.trim(), false),
            };
            if rate.is_some_and(|r| r != is_rate) {
                return Err(invalid("mixes rates (`/s`) and user counts".to_owned()));
            }
            rate = Some(is_rate);
            let target: f64 = number
                .parse()
                .map_err(|_| invalid(format!("stage {}: `{number}` is not a number", index + 1)))?;
            check_stage_target(target, is_rate)
                .map_err(|e| invalid(format!("stage {}: {}", index + 1, e.reason())))?;
            stages.push(Stage { duration, target });
        }
        if stages.iter().all(|s| s.duration.is_zero()) {
            return Err(invalid("the stages last no time".to_owned()));
        }
        let total = stages.iter().map(|s| s.duration).sum::<Duration>();
        DurationKind::Run
            .check(total)
            .map_err(|e| invalid(format!("in total: {}", e.reason())))?;
        Ok(Stages {
            stages,
            rate: rate.unwrap_or(false),
        })
    }
}

/// How iterations are started.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Executor {
    /// `users` virtual users, each starting its next iteration when its last one ended
    /// (after `think_time`).
    Closed {
        /// Virtual users (one connection each).
        users: u32,
        /// When to stop.
        bound: Bound,
        /// Pause after each iteration.
        think_time: Duration,
    },
    /// A constant arrival rate, independent of response times. Latency counts from each
    /// iteration's intended start.
    Open {
        /// Iterations per second.
        rate_per_sec: f64,
        /// When to stop.
        bound: Bound,
        /// Requests in flight at most (connections).
        max_in_flight: u32,
    },
    /// Stages of arrival rate (open model) or of users (closed model).
    Ramping {
        /// The stages.
        stages: Stages,
        /// Requests in flight at most (rate stages).
        max_in_flight: u32,
        /// Pause after each iteration (user stages).
        think_time: Duration,
    },
}

impl Executor {
    /// The most virtual users (closed model) or lanes (open models) a run of this executor
    /// starts at once.
    pub fn max_users(&self) -> u32 {
        crate::execution::ExecutionPlan::of(self).workers
    }

    /// Checks every number against [`crate::limits`].
    pub fn validate(&self) -> Result<(), LoadError> {
        let fail = |message: &str| {
            Err(LoadError::InvalidConfig {
                message: message.to_owned(),
            })
        };
        let check_bound = |bound: &Bound| match bound {
            Bound::Iterations(0) => fail("the iteration count must be above zero"),
            Bound::Iterations(_) => Ok(()),
            Bound::Duration(d) => DurationKind::Run.check(*d).map(|_| ()),
        };
        match self {
            Executor::Closed {
                users,
                bound,
                think_time,
            } => {
                check_users(u64::from(*users), "the number of users")?;
                DurationKind::Think.check(*think_time)?;
                check_bound(bound)
            }
            Executor::Open {
                rate_per_sec,
                bound,
                max_in_flight,
            } => {
                check_rate(*rate_per_sec)?;
                check_users(u64::from(*max_in_flight), "max_in_flight")?;
                if let Bound::Iterations(iterations) = bound {
                    check_schedule(*iterations, *rate_per_sec)?;
                }
                check_bound(bound)
            }
            Executor::Ramping {
                stages,
                max_in_flight,
                think_time,
            } => {
                if stages.rate {
                    check_users(u64::from(*max_in_flight), "max_in_flight")?;
                }
                DurationKind::Think.check(*think_time)?;
                if stages.stages.is_empty() || stages.stages.len() > MAX_STAGES {
                    return fail("a ramp needs 1 to 1000 stages");
                }
                for stage in &stages.stages {
                    DurationKind::Stage.check(stage.duration)?;
                    check_stage_target(stage.target, stages.rate)?;
                }
                DurationKind::Run.check(stages.total())?;
                if stages.stages.iter().all(|s| s.target == 0.0) {
                    return fail("every stage targets zero");
                }
                Ok(())
            }
        }
    }

    /// The report's description, e.g. `10 users × 100 iterations`.
    pub fn describe(&self) -> String {
        let bound = |bound: &Bound| match bound {
            Bound::Iterations(n) => format!("{n} iterations"),
            Bound::Duration(d) => format!("{d:?}"),
        };
        match self {
            Executor::Closed {
                users,
                bound: b,
                think_time,
            } => {
                let think = if think_time.is_zero() {
                    String::new()
                } else {
                    format!(", think {think_time:?}")
                };
                format!("closed: {users} users, {}{think}", bound(b))
            }
            Executor::Open {
                rate_per_sec,
                bound: b,
                max_in_flight,
            } => {
                format!(
                    "open: {rate_per_sec}/s, {}, at most {max_in_flight} in flight",
                    bound(b)
                )
            }
            Executor::Ramping { stages, .. } => {
                let unit = if stages.rate { "/s" } else { " users" };
                let list: Vec<String> = stages
                    .stages
                    .iter()
                    .map(|s| format!("{:?}:{}{unit}", s.duration, s.target))
                    .collect();
                format!("ramping: {}", list.join(", "))
            }
        }
    }
}

impl fmt::Display for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// When the i-th iteration of an open-model run is due, relative to the start.
pub(crate) trait ArrivalSchedule: Send + Sync {
    /// `None` once the schedule has ended.
    fn offset(&self, index: u64) -> Option<Duration>;
}

/// A constant rate, bounded by a count or a duration.
pub(crate) struct ConstantRate {
    pub rate_per_sec: f64,
    pub bound: Bound,
}

impl ArrivalSchedule for ConstantRate {
    fn offset(&self, index: u64) -> Option<Duration> {
        let offset = Duration::from_secs_f64(index as f64 / self.rate_per_sec);
        match self.bound {
            Bound::Iterations(n) => (index < n).then_some(offset),
            Bound::Duration(d) => (offset < d).then_some(offset),
        }
    }
}

/// Piecewise-linear rates: the i-th arrival is when the integral of the rate reaches i.
pub(crate) struct RampingRate {
    stages: Vec<Stage>,
}

impl RampingRate {
    pub(crate) fn new(stages: &Stages) -> RampingRate {
        RampingRate {
            stages: stages.stages.clone(),
        }
    }
}

impl ArrivalSchedule for RampingRate {
    fn offset(&self, index: u64) -> Option<Duration> {
        let mut remaining = index as f64;
        let mut start = 0.0;
        let mut from = 0.0;
        for stage in &self.stages {
            let length = stage.duration.as_secs_f64();
            let arrivals = f64::midpoint(from, stage.target) * length;
            if remaining < arrivals {
                // from·t + a·t² = remaining, a = (to − from) / (2·length)
                let a = (stage.target - from) / (2.0 * length);
                let t = if a.abs() < 1e-12 {
                    remaining / from
                } else {
                    (-from + (from * from + 4.0 * a * remaining).max(0.0).sqrt()) / (2.0 * a)
                };
                return Some(Duration::from_secs_f64(start + t.clamp(0.0, length)));
            }
            remaining -= arrivals;
            start += length;
            from = stage.target;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stages() {
        let stages: Stages = "10s:100/s, 30s:500/s,10s:0/s".parse().unwrap();
        assert!(stages.rate);
        assert_eq!(stages.stages.len(), 3);
        assert_eq!(stages.total(), Duration::from_secs(50));
        assert_eq!(stages.target_at(Duration::from_secs(5)), 50.0);
        assert_eq!(stages.target_at(Duration::from_secs(25)), 300.0);
        let users: Stages = "1s:5,2s:10".parse().unwrap();
        assert!(!users.rate);
        assert!("10s:100/s,5s:3".parse::<Stages>().is_err());
        assert!("10:x".parse::<Stages>().is_err());
        assert!("fast".parse::<Stages>().is_err());
    }

    #[test]
    fn constant_schedule_respects_bounds() {
        let by_count = ConstantRate {
            rate_per_sec: 500.0,
            bound: Bound::Iterations(3),
        };
        assert_eq!(by_count.offset(2), Some(Duration::from_millis(4)));
        assert_eq!(by_count.offset(3), None);
        let by_time = ConstantRate {
            rate_per_sec: 500.0,
            bound: Bound::Duration(Duration::from_secs(4)),
        };
        assert_eq!(
            (0..10_000)
                .take_while(|&i| by_time.offset(i).is_some())
                .count(),
            2000
        );
    }

    #[test]
    fn ramping_schedule_integrates_the_rate() {
        // 0 → 100/s over 2 s (100 arrivals), then 100/s for 1 s (100 arrivals).
        let ramp = RampingRate::new(&"2s:100/s,1s:100/s".parse().unwrap());
        let count = (0..1000).take_while(|&i| ramp.offset(i).is_some()).count();
        assert_eq!(count, 200);
        let mid = ramp.offset(25).unwrap().as_secs_f64();
        assert!(
            (mid - 1.0).abs() < 1e-6,
            "25 arrivals by t = 1 s on a linear ramp: {mid}"
        );
        assert!((ramp.offset(150).unwrap().as_secs_f64() - 2.5).abs() < 1e-6);
    }
}
