//! [`SamplerConfig`]: what to watch, how often, for how long, and how to judge leaks.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::SamplerError;

/// The process to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessTarget {
    /// A process id.
    Pid(u32),
    /// The oldest process whose command name (or program file name) is this.
    Name(String),
    /// The process listening on this TCP port (IPv4 or IPv6).
    Port(u16),
}

/// Levels for the leak verdict: growth over the analysed window (after warm-up) that is
/// acceptable, and the target. A verdict above `Pass` also needs a slope whose lower 95 %
/// confidence bound is above zero, so noise never fails a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeakThresholds {
    /// Growth below this passes. Default 50 MiB (the old suite's target).
    pub target_growth_bytes: f64,
    /// Growth below this warns, above fails. Default 100 MiB (the old suite's acceptable).
    pub acceptable_growth_bytes: f64,
    /// Start of the series dropped before fitting. `None`: 10 % of the run, at least two
    /// intervals.
    pub warmup: Option<Duration>,
    /// Whether the workload over the fitted window was steady; a trend over changing work
    /// (phases of uploads, then reads, then idle) is no leak evidence, so such a check is
    /// inconclusive instead of judging.
    pub workload: Workload,
}

/// The workload behind a leak fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// The same work throughout (identical cycles, a constant load): the fit judges.
    Steady,
    /// The work changed over the window, for the reason given: the fit is reported but
    /// does not judge.
    Varying(&'static str),
}

impl Default for LeakThresholds {
    fn default() -> Self {
        LeakThresholds {
            target_growth_bytes: 50.0 * 1024.0 * 1024.0,
            acceptable_growth_bytes: 100.0 * 1024.0 * 1024.0,
            warmup: None,
            workload: Workload::Steady,
        }
    }
}

/// Everything the sampler needs. Build with [`SamplerConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct SamplerConfig {
    /// What to watch.
    pub target: ProcessTarget,
    /// Include every descendant of the target (uvicorn workers are children).
    pub include_children: bool,
    /// Collect USS and PSS from `smaps_rollup` (costs more per sample).
    pub collect_uss: bool,
    /// Time between samples. Default 500 ms; at least 10 ms.
    pub interval: Duration,
    /// Stop by itself after this long. `None`: run until stopped.
    pub duration: Option<Duration>,
    /// Points the series keeps before neighbours merge. Default 1800.
    pub max_series_points: usize,
    /// Leak verdict levels.
    pub leak: LeakThresholds,
    /// Work done so far (e.g. requests completed), read at every tick, for growth per
    /// 1000 operations.
    pub work_counter: Option<Arc<AtomicU64>>,
}

impl SamplerConfig {
    /// The shortest interval accepted.
    pub const MIN_INTERVAL: Duration = Duration::from_millis(10);
    /// The longest interval accepted: 1 hour.
    pub const MAX_INTERVAL: Duration = Duration::from_hours(1);
    /// The longest bounded run: 30 days (a soak test), far from any clock overflow.
    pub const MAX_DURATION: Duration = Duration::from_hours(30 * 24);

    /// Defaults for `target`: 500 ms interval, no children, no USS, unbounded duration.
    pub fn new(target: ProcessTarget) -> SamplerConfig {
        SamplerConfig {
            target,
            include_children: false,
            collect_uss: false,
            interval: Duration::from_millis(500),
            duration: None,
            max_series_points: 1800,
            leak: LeakThresholds::default(),
            work_counter: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), SamplerError> {
        let fail = |message: String| Err(SamplerError::Config { message });
        if self.interval < Self::MIN_INTERVAL {
            return fail(format!(
                "interval `{:?}` is below the minimum of 10ms",
                self.interval
            ));
        }
        if self.interval > Self::MAX_INTERVAL {
            return fail(format!(
                "interval `{:?}` is above the maximum of 1h",
                self.interval
            ));
        }
        if self.duration.is_some_and(|d| d > Self::MAX_DURATION) {
            return fail(format!(
                "duration `{:?}` is above the maximum of 30 days",
                self.duration.unwrap_or_default()
            ));
        }
        if self.max_series_points < 16 {
            return fail(format!(
                "max_series_points `{}` is below 16",
                self.max_series_points
            ));
        }
        if self.duration.is_some_and(|d| d.is_zero()) {
            return fail("duration must be above zero".to_owned());
        }
        let leak = &self.leak;
        if !(leak.target_growth_bytes >= 0.0
            && leak.acceptable_growth_bytes >= leak.target_growth_bytes)
        {
            return fail("leak levels must satisfy 0 <= target <= acceptable".to_owned());
        }
        Ok(())
    }
}
