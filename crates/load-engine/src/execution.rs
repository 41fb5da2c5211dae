//! What an [`Executor`] means for one run: how many workers start, what bounds the run (a
//! duration, an iteration count), the arrival schedule of the open models or the user
//! stages of a ramping closed model, and the figures the report names it by; for one
//! [`Shard`] of a split run, this shard's part of each.

use std::time::{Duration, Instant};

use report_model::load::ExecutorKind;

use crate::executor::{ArrivalSchedule, ConstantRate, RampingRate};
use crate::{Bound, Executor, LoadError, LoadOptions, Shard, Stages};

/// One executor, laid out for a run.
pub(crate) struct ExecutionPlan {
    /// The run's length when it is bounded by time.
    pub duration_bound: Option<Duration>,
    /// The iterations to share when it is bounded by count.
    pub iterations: Option<u64>,
    /// Workers to spawn: closed users, or open lanes (the in-flight cap); also the report's
    /// concurrency.
    pub workers: u32,
    /// The arrival schedule (open and ramping-rate models).
    pub schedule: Option<Box<dyn ArrivalSchedule>>,
    /// The user stages (ramping closed model).
    pub stages: Option<Stages>,
    /// Pause between a closed user's iterations.
    pub think_time: Duration,
    /// The report's executor kind.
    pub kind: ExecutorKind,
    /// The constant rate asked for, when there is one.
    pub requested_rate: Option<f64>,
}

impl ExecutionPlan {
    /// This shard's part of `executor` (already validated): its share of the users and of
    /// an iteration count, its stripe of an arrival schedule, a share of the in-flight cap
    /// (at least one). A shard left with no user or no iteration is an error.
    pub fn of_shard(executor: &Executor, shard: Shard) -> Result<ExecutionPlan, LoadError> {
        let mut plan = ExecutionPlan::of(executor);
        if shard.is_whole() {
            return Ok(plan);
        }
        let empty = |what: &str, count: u64| LoadError::InvalidConfig {
            message: format!(
                "shard {shard} would get no {what}: {count} cannot be split over {} shards\n(hint: fewer shards, or more {what})",
                shard.total()
            ),
        };
        if let Some(schedule) = plan.schedule.take() {
            plan.schedule = Some(Box::new(Striped { schedule, shard }));
            plan.workers = (shard.share(u64::from(plan.workers)) as u32).max(1);
            plan.requested_rate = plan.requested_rate.map(|r| r / f64::from(shard.total()));
            return Ok(plan);
        }
        let users = u64::from(plan.workers);
        plan.workers = shard.share(users) as u32;
        if plan.workers == 0 {
            return Err(empty("users", users));
        }
        if let Some(iterations) = plan.iterations {
            plan.iterations = Some(shard.share(iterations));
            if plan.iterations == Some(0) {
                return Err(empty("iterations", iterations));
            }
        }
        if let Some(stages) = &mut plan.stages {
            // The user ramp scaled to this shard's users: the shards' targets add up to the
            // whole ramp's at every instant.
            let scale = f64::from(plan.workers) / users as f64;
            for stage in &mut stages.stages {
                stage.target *= scale;
            }
        }
        Ok(plan)
    }

    /// The plan of `executor` (already validated), whole.
    pub fn of(executor: &Executor) -> ExecutionPlan {
        let closed = |duration_bound, iterations, users, stages, think_time| ExecutionPlan {
            duration_bound,
            iterations,
            workers: users,
            schedule: None,
            stages,
            think_time,
            kind: ExecutorKind::Closed,
            requested_rate: None,
        };
        let open = |duration_bound, max_in_flight, schedule, kind, requested_rate| ExecutionPlan {
            duration_bound,
            iterations: None,
            workers: max_in_flight,
            schedule: Some(schedule),
            stages: None,
            think_time: Duration::ZERO,
            kind,
            requested_rate,
        };
        match executor {
            Executor::Closed {
                users,
                bound,
                think_time,
            } => {
                let (duration, iterations) = split_bound(*bound);
                closed(duration, iterations, *users, None, *think_time)
            }
            Executor::Open {
                rate_per_sec,
                bound,
                max_in_flight,
            } => open(
                split_bound(*bound).0,
                *max_in_flight,
                Box::new(ConstantRate {
                    rate_per_sec: *rate_per_sec,
                    bound: *bound,
                }),
                ExecutorKind::Open,
                Some(*rate_per_sec),
            ),
            Executor::Ramping {
                stages,
                max_in_flight,
                think_time,
            } => {
                if stages.rate {
                    open(
                        Some(stages.total()),
                        *max_in_flight,
                        Box::new(RampingRate::new(stages)),
                        ExecutorKind::Ramping,
                        None,
                    )
                } else {
                    let users = stages
                        .stages
                        .iter()
                        .map(|s| s.target.ceil() as u32)
                        .max()
                        .unwrap_or(0);
                    ExecutionPlan {
                        kind: ExecutorKind::Ramping,
                        ..closed(
                            Some(stages.total()),
                            None,
                            users,
                            Some(stages.clone()),
                            *think_time,
                        )
                    }
                }
            }
        }
    }

    /// When the run is cut off whatever is in flight: the duration plus one request and
    /// connect timeout (and a second), or `options.max_run_time` for a count-bounded run.
    pub fn hard_deadline(&self, started: Instant, options: &LoadOptions) -> Instant {
        // Every duration was checked against `limits`, so these sums stay far from overflow.
        started
            + match self.duration_bound {
                Some(duration) => {
                    duration
                        + options.request_timeout
                        + options.connect_timeout
                        + Duration::from_secs(1)
                }
                None => options.max_run_time,
            }
    }

    /// No iteration starts at or after this instant.
    pub fn stop_starting(&self, started: Instant, options: &LoadOptions) -> Instant {
        self.duration_bound
            .map_or(started + options.max_run_time, |d| started + d)
    }
}

/// A bound as (duration, iterations), one of them set.
pub(crate) fn split_bound(bound: Bound) -> (Option<Duration>, Option<u64>) {
    match bound {
        Bound::Duration(duration) => (Some(duration), None),
        Bound::Iterations(iterations) => (None, Some(iterations)),
    }
}

/// A shard's stripe of a schedule: its `nth` arrival is the whole schedule's
/// [`Shard::arrival`]`(nth)`, at the whole schedule's instant.
struct Striped {
    schedule: Box<dyn ArrivalSchedule>,
    shard: Shard,
}

impl ArrivalSchedule for Striped {
    fn offset(&self, index: u64) -> Option<std::time::Duration> {
        self.schedule.offset(self.shard.arrival(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offsets(plan: &ExecutionPlan) -> Vec<Duration> {
        let schedule = plan.schedule.as_ref().unwrap();
        (0..).map_while(|i| schedule.offset(i)).collect()
    }

    #[test]
    fn the_shards_schedules_are_the_whole_schedule() {
        let open = Executor::Open {
            rate_per_sec: 400.0,
            bound: Bound::Duration(Duration::from_secs(5)),
            max_in_flight: 50,
        };
        let ramp = Executor::Ramping {
            stages: "2s:100/s,3s:300/s".parse().unwrap(),
            max_in_flight: 30,
            think_time: Duration::ZERO,
        };
        let counted = Executor::Open {
            rate_per_sec: 97.0,
            bound: Bound::Iterations(1001),
            max_in_flight: 3,
        };
        for executor in [open, ramp, counted] {
            let whole = offsets(&ExecutionPlan::of(&executor));
            for total in [1, 2, 3, 4, 7] {
                let mut merged: Vec<Duration> = (1..=total)
                    .flat_map(|i| {
                        let plan =
                            ExecutionPlan::of_shard(&executor, Shard::new(i, total).unwrap())
                                .unwrap();
                        assert!(plan.workers >= 1);
                        offsets(&plan)
                    })
                    .collect();
                merged.sort();
                assert_eq!(merged, whole, "{} over {total}", executor.describe());
            }
        }
    }

    #[test]
    fn closed_users_and_iterations_split_exactly_or_refuse() {
        let executor = Executor::Closed {
            users: 10,
            bound: Bound::Iterations(1003),
            think_time: Duration::ZERO,
        };
        let plans: Vec<ExecutionPlan> = (1..=4)
            .map(|i| ExecutionPlan::of_shard(&executor, Shard::new(i, 4).unwrap()).unwrap())
            .collect();
        assert_eq!(plans.iter().map(|p| p.workers).sum::<u32>(), 10);
        assert_eq!(
            plans.iter().map(|p| p.iterations.unwrap()).sum::<u64>(),
            1003
        );
        let few = Executor::Closed {
            users: 3,
            bound: Bound::Duration(Duration::from_secs(1)),
            think_time: Duration::ZERO,
        };
        let Err(error) = ExecutionPlan::of_shard(&few, Shard::new(1, 4).unwrap()) else {
            panic!("3 users over 4 shards");
        };
        assert!(error.to_string().contains("no users"), "{error}");
    }
}
