//! What an [`Executor`] means for one run: how many workers start, what bounds the run (a
//! duration, an iteration count), the arrival schedule of the open models or the user
//! stages of a ramping closed model, and the figures the report names it by.

use std::time::{Duration, Instant};

use report_model::load::ExecutorKind;

use crate::executor::{ArrivalSchedule, ConstantRate, RampingRate};
use crate::{Bound, Executor, LoadOptions, Stages};

/// One executor, laid out for a run.
pub(crate) struct ExecutionPlan {
    /// The run's length when it is bounded by time.
    pub duration_bound: Option<Duration>,
    /// The iterations to share when it is bounded by count.
    pub iterations: Option<u64>,
    /// Workers to spawn: closed users, or open lanes.
    pub workers: u32,
    /// The arrival schedule (open and ramping-rate models).
    pub schedule: Option<Box<dyn ArrivalSchedule>>,
    /// The user stages (ramping closed model).
    pub stages: Option<Stages>,
    /// Pause between a closed user's iterations.
    pub think_time: Duration,
    /// The report's executor kind.
    pub kind: ExecutorKind,
    /// The report's concurrency: users or the in-flight cap.
    pub concurrency: u32,
    /// The constant rate asked for, when there is one.
    pub requested_rate: Option<f64>,
}

impl ExecutionPlan {
    /// The plan of `executor` (already validated).
    pub fn of(executor: &Executor) -> ExecutionPlan {
        let closed = |duration_bound, iterations, users, stages, think_time| ExecutionPlan {
            duration_bound,
            iterations,
            workers: users,
            schedule: None,
            stages,
            think_time,
            kind: ExecutorKind::Closed,
            concurrency: users,
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
            concurrency: max_in_flight,
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
