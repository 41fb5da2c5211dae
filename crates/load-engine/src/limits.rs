//! The bounds of every number a run takes, and one parser per kind of value (durations,
//! rates, user counts, iteration counts). Executors and options are checked against the
//! same bounds before a run starts, so a number no run could honour is a clear error
//! instead of an overflow, an allocation of gigabytes or a run that never ends.
//!
//! | value | bounds |
//! |---|---|
//! | run length (`Bound::Duration`, stage totals, `max_run_time`) | above zero, at most [`MAX_RUN_TIME`] (7 days) |
//! | think time | at most [`MAX_THINK_TIME`] (1 hour) |
//! | request and connect timeouts | [`MIN_TIMEOUT`] (1 ms) to [`MAX_TIMEOUT`] (1 hour) |
//! | users, requests in flight | 1 to [`MAX_USERS`] (100 000), allocated as they start |
//! | arrival rate | [`MIN_RATE_PER_SEC`] (0.001/s) to [`MAX_RATE_PER_SEC`] (1 000 000/s) |
//! | iterations | at least 1; in the open model, at the requested rate they must fit in [`MAX_RUN_TIME`] |
//! | stages | 1 to [`MAX_STAGES`] (1000) |

use std::time::Duration;

use crate::LoadError;

/// The longest run (duration bound, ramp, hard limit of a count-bounded run): 7 days.
pub const MAX_RUN_TIME: Duration = Duration::from_hours(7 * 24);
/// The longest pause after an iteration: 1 hour.
pub const MAX_THINK_TIME: Duration = Duration::from_hours(1);
/// The shortest request or connect timeout: 1 ms.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(1);
/// The longest request or connect timeout: 1 hour.
pub const MAX_TIMEOUT: Duration = Duration::from_hours(1);
/// The most virtual users, or requests in flight, of one run.
pub const MAX_USERS: u32 = 100_000;
/// The lowest arrival rate, iterations per second (one every 1000 s).
pub const MIN_RATE_PER_SEC: f64 = 0.001;
/// The highest arrival rate, iterations per second.
pub const MAX_RATE_PER_SEC: f64 = 1_000_000.0;
/// The most stages of a ramp.
pub const MAX_STAGES: usize = 1000;

fn invalid(message: String) -> LoadError {
    LoadError::InvalidConfig { message }
}

/// What a duration is for; each kind has its own bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationKind {
    /// How long a run (or a stage of one) lasts: above zero, at most [`MAX_RUN_TIME`].
    Run,
    /// A stage of a ramp: zero allowed (a step), at most [`MAX_RUN_TIME`].
    Stage,
    /// A pause after each iteration: at most [`MAX_THINK_TIME`].
    Think,
    /// A request or connect timeout: [`MIN_TIMEOUT`] to [`MAX_TIMEOUT`].
    Timeout,
}

impl DurationKind {
    fn bounds(self) -> (Duration, Duration, &'static str) {
        match self {
            DurationKind::Run => (Duration::from_micros(1), MAX_RUN_TIME, "a run"),
            DurationKind::Stage => (Duration::ZERO, MAX_RUN_TIME, "a stage"),
            DurationKind::Think => (Duration::ZERO, MAX_THINK_TIME, "a think time"),
            DurationKind::Timeout => (MIN_TIMEOUT, MAX_TIMEOUT, "a timeout"),
        }
    }

    /// `duration` when it is within this kind's bounds.
    pub fn check(self, duration: Duration) -> Result<Duration, LoadError> {
        let (min, max, what) = self.bounds();
        if duration < min {
            return Err(invalid(format!(
                "{what} must be at least {}, got {}",
                show(min),
                show(duration)
            )));
        }
        if duration > max {
            return Err(invalid(format!(
                "{what} must be at most {}, got {}",
                show(max),
                show(duration)
            )));
        }
        Ok(duration)
    }

    /// Parses `500ms`, `10s`, `1m30s`, `2h` and checks the bounds.
    pub fn parse(self, text: &str) -> Result<Duration, LoadError> {
        self.check(parse_duration(text).map_err(invalid)?)
    }
}

/// Parses `500ms`, `10s`, `1m30s`, `2h` (a bare number is seconds), without bounds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let seconds: f64 = text
            .parse()
            .map_err(|_| format!("`{text}` is not a duration such as 500ms or 10s"))?;
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("`{text}` is out of range"));
    }
    humantime::parse_duration(text).map_err(|error| match error {
        humantime::DurationError::NumberOverflow => format!("`{text}` is out of range"),
        other => format!("`{text}` is not a duration such as 500ms or 10s: {other}"),
    })
}

/// A duration for messages: `7d`, `1h`, `500ms`.
fn show(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// `users` when it is 1 to [`MAX_USERS`]; `what` names it in the message.
pub fn check_users(users: u64, what: &str) -> Result<u32, LoadError> {
    match u32::try_from(users) {
        Ok(users) if (1..=MAX_USERS).contains(&users) => Ok(users),
        _ => Err(invalid(format!(
            "{what} must be 1 to {MAX_USERS}, got {users}"
        ))),
    }
}

/// Parses a count of users or connections (`50`) and checks it.
pub fn parse_users(text: &str, what: &str) -> Result<u32, LoadError> {
    let users: u64 = text
        .trim()
        .parse()
        .map_err(|_| invalid(format!("{what} `{text}` is not a whole number")))?;
    check_users(users, what)
}

/// Parses an iteration count (`1000`): at least 1.
pub fn parse_iterations(text: &str) -> Result<u64, LoadError> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err(invalid("the iteration count must be above zero".to_owned())),
        Ok(count) => Ok(count),
        Err(_) => Err(invalid(format!(
            "the iteration count `{text}` is not a whole number from 1 to {}",
            u64::MAX
        ))),
    }
}

/// `rate` (iterations per second) when it is [`MIN_RATE_PER_SEC`] to [`MAX_RATE_PER_SEC`].
pub fn check_rate(rate: f64) -> Result<f64, LoadError> {
    if rate.is_finite() && (MIN_RATE_PER_SEC..=MAX_RATE_PER_SEC).contains(&rate) {
        Ok(rate)
    } else {
        Err(invalid(format!(
            "a rate must be {MIN_RATE_PER_SEC}/s to {MAX_RATE_PER_SEC}/s, got {rate}/s"
        )))
    }
}

/// Parses an arrival rate, `500/s` or `500`, and checks it.
pub fn parse_rate(text: &str) -> Result<f64, LoadError> {
    let number = text.trim();
    let number = number.strip_suffix("/s").unwrap_or(number).trim();
    let rate: f64 = number.parse().map_err(|_| {
        invalid(format!(
            "`{text}` is not a rate such as 500/s (a number of requests per second)"
        ))
    })?;
    check_rate(rate)
}

/// Checks that `iterations` at `rate` per second fit in [`MAX_RUN_TIME`], so a count-bounded
/// open-model run ends by itself.
pub fn check_schedule(iterations: u64, rate: f64) -> Result<(), LoadError> {
    let seconds = iterations as f64 / rate;
    if seconds > MAX_RUN_TIME.as_secs_f64() {
        return Err(invalid(format!(
            "{iterations} iterations at {rate}/s take {}, more than the longest run ({})",
            show(Duration::from_secs_f64(seconds.min(1e15))),
            show(MAX_RUN_TIME)
        )));
    }
    Ok(())
}

/// Ramp targets: users (1 to [`MAX_USERS`]) or rates (zero, or [`MIN_RATE_PER_SEC`] to
/// [`MAX_RATE_PER_SEC`]); zero is allowed at either end of a ramp.
pub fn check_stage_target(target: f64, rate: bool) -> Result<f64, LoadError> {
    if !target.is_finite() || target < 0.0 {
        return Err(invalid(format!(
            "a stage target must be zero or more, got {target}"
        )));
    }
    if target == 0.0 {
        return Ok(target);
    }
    if rate {
        check_rate(target)
    } else if target > f64::from(MAX_USERS) {
        Err(invalid(format!(
            "a stage may have at most {MAX_USERS} users, got {target}"
        )))
    } else {
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_durations_are_errors_not_panics() {
        for text in [
            "18446744073709551615s",
            "9223372036854775807s",
            "18446744073709551615",
            "1e300s",
            "99999999999999999999999h",
        ] {
            for kind in [
                DurationKind::Run,
                DurationKind::Stage,
                DurationKind::Think,
                DurationKind::Timeout,
            ] {
                assert!(kind.parse(text).is_err(), "{text} as {kind:?}");
            }
        }
        assert!(DurationKind::Run.parse("8d").is_err());
        assert_eq!(
            DurationKind::Run.parse("7d").unwrap(),
            Duration::from_hours(168)
        );
        assert_eq!(
            DurationKind::Run.parse("1m30s").unwrap(),
            Duration::from_secs(90)
        );
        assert_eq!(
            DurationKind::Run.parse("2.5").unwrap(),
            Duration::from_millis(2500)
        );
    }

    #[test]
    fn a_zero_timeout_or_run_is_refused() {
        let error = DurationKind::Timeout.parse("0s").unwrap_err().to_string();
        assert!(error.contains("at least 1ms"), "{error}");
        assert!(DurationKind::Run.parse("0s").is_err());
        assert_eq!(DurationKind::Think.parse("0s").unwrap(), Duration::ZERO);
        assert_eq!(DurationKind::Stage.parse("0s").unwrap(), Duration::ZERO);
        assert!(DurationKind::Timeout.parse("2h").is_err());
    }

    #[test]
    fn users_and_rates_have_bounds() {
        assert!(parse_users("4294967295", "--concurrency").is_err());
        assert!(parse_users("100001", "--concurrency").is_err());
        assert!(parse_users("0", "--concurrency").is_err());
        assert_eq!(parse_users("100000", "--concurrency").unwrap(), 100_000);
        assert!(parse_rate("1e300/s").is_err());
        assert!(parse_rate("1000001/s").is_err());
        assert!(parse_rate("0.0000001/s").is_err());
        assert!(parse_rate("NaN/s").is_err());
        assert!(parse_rate("inf").is_err());
        assert!(parse_rate("-5/s").is_err());
        assert_eq!(parse_rate("500/s").unwrap(), 500.0);
        assert_eq!(parse_rate(" 2.5 ").unwrap(), 2.5);
        assert!(parse_iterations("0").is_err());
        assert!(parse_iterations("18446744073709551616").is_err());
        assert_eq!(parse_iterations("18446744073709551615").unwrap(), u64::MAX);
    }

    #[test]
    fn a_count_bounded_schedule_must_end_within_the_longest_run() {
        assert!(check_schedule(5, 0.001).is_ok());
        assert!(check_schedule(u64::MAX, 0.001).is_err());
        assert!(check_schedule(1_000_000_000, 1.0).is_err());
        assert!(check_schedule(1_000_000, 100.0).is_ok());
    }

    #[test]
    fn stage_targets() {
        assert!(check_stage_target(1e300, true).is_err());
        assert!(check_stage_target(1e300, false).is_err());
        assert!(check_stage_target(0.0, true).is_ok());
        assert!(check_stage_target(f64::NAN, false).is_err());
        assert!(check_stage_target(100_000.0, false).is_ok());
    }
}
