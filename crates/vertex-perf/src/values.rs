//! One value parser per kind of number the command line and the config file take. Each
//! checks the bounds of the library that uses the value (`load_engine::limits`,
//! `SamplerConfig`, `storage_bench::Plan`), so a value no run could honour is a usage error
//! naming the flag, before anything runs or any folder is made.

use std::time::Duration;

use load_engine::limits::{self, DurationKind};
use perf_sampler::SamplerConfig;

/// The length of a run (`-d`): above zero, at most 7 days.
pub fn run_duration(text: &str) -> Result<Duration, String> {
    DurationKind::Run.parse(text).map_err(|e| e.reason())
}

/// A pause after each iteration (`--think`): at most 1 hour.
pub fn think_time(text: &str) -> Result<Duration, String> {
    DurationKind::Think.parse(text).map_err(|e| e.reason())
}

/// A request timeout (`--timeout`): 1 ms to 1 hour.
pub fn timeout(text: &str) -> Result<Duration, String> {
    DurationKind::Timeout.parse(text).map_err(|e| e.reason())
}

/// A sampler interval (`--interval`): 10 ms to 1 hour.
pub fn sample_interval(text: &str) -> Result<Duration, String> {
    let interval = limits::parse_duration(text)?;
    if (SamplerConfig::MIN_INTERVAL..=SamplerConfig::MAX_INTERVAL).contains(&interval) {
        Ok(interval)
    } else {
        Err(format!("an interval must be 10ms to 1h, got `{text}`"))
    }
}

/// How often a plain progress line is printed (`--progress-interval`): 1 s to 1 hour.
pub fn progress_interval(text: &str) -> Result<Duration, String> {
    let interval = limits::parse_duration(text)?;
    if (Duration::from_secs(1)..=Duration::from_hours(1)).contains(&interval) {
        Ok(interval)
    } else {
        Err(format!(
            "a progress interval must be 1s to 1h, got `{text}`"
        ))
    }
}

/// How long live metrics are served after a run (`--metrics-linger`): 0 to 1 hour.
pub fn linger(text: &str) -> Result<Duration, String> {
    let linger = limits::parse_duration(text)?;
    if linger <= Duration::from_hours(1) {
        Ok(linger)
    } else {
        Err(format!("a linger must be 0s to 1h, got `{text}`"))
    }
}

/// How long to watch a process (`monitor --duration`): above zero, at most 30 days.
pub fn watch_duration(text: &str) -> Result<Duration, String> {
    let duration = limits::parse_duration(text)?;
    if duration.is_zero() || duration > SamplerConfig::MAX_DURATION {
        Err(format!(
            "a watch must last above zero and at most 30d, got `{text}`"
        ))
    } else {
        Ok(duration)
    }
}

/// Virtual users or connections (`-c`, `--sweep` levels, `--max-in-flight`): 1 to 100 000.
pub fn users(text: &str) -> Result<u32, String> {
    limits::parse_users(text, "a number of users").map_err(|e| e.reason())
}

/// An iteration count (`-n`): at least 1.
pub fn iterations(text: &str) -> Result<u64, String> {
    limits::parse_iterations(text).map_err(|e| e.reason())
}

/// An arrival rate (`--rate 500/s`): 0.001/s to 1 000 000/s.
pub fn rate(text: &str) -> Result<f64, String> {
    limits::parse_rate(text).map_err(|e| e.reason())
}

/// One object size (`--sizes 1MiB,20MiB` takes a list): 1 B to 1 GiB.
pub fn size(text: &str) -> Result<u64, String> {
    match storage_bench::parse_sizes(text).map_err(|e| e.to_string())?[..] {
        [size] => Ok(size),
        _ => Err(format!("`{text}` is not one size such as 1MiB")),
    }
}

/// A count between 1 and `max` (storage objects, repetitions, ...).
pub fn count_up_to(max: u32) -> impl Fn(&str) -> Result<u32, String> + Clone {
    move |text: &str| match text.trim().parse::<u64>() {
        Ok(value) if (1..=u64::from(max)).contains(&value) => {
            Ok(u32::try_from(value).unwrap_or(max))
        }
        _ => Err(format!("`{text}` must be a whole number from 1 to {max}")),
    }
}

/// A shard of a split run (`--shard`): `INDEX/TOTAL`, counted from 1.
pub fn shard(text: &str) -> Result<load_engine::Shard, String> {
    text.parse()
        .map_err(|e: report_model::ReportError| e.to_string())
}

/// The longest a shard waits for its `--start-at`, and how stale one may be.
const START_AT_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// A shared start instant (`--start-at`): RFC 3339, within an hour of now either way (a
/// wait must end by itself; an instant long past is a stale command line).
pub fn start_at(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let at = chrono::DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| {
            format!("`{text}` is not an RFC 3339 instant ({e}), e.g. 2026-12-02T15:00:00Z")
        })?
        .with_timezone(&chrono::Utc);
    let now = chrono::Utc::now();
    if at > now + START_AT_WINDOW || at < now - START_AT_WINDOW {
        return Err(format!(
            "`{text}` is more than an hour from now ({now}); a start instant must be within an hour"
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_s_huge_numbers_are_usage_errors() {
        assert!(run_duration("18446744073709551615s").is_err());
        assert!(run_duration("9223372036854775807s").is_err());
        assert!(timeout("18446744073709551615s").is_err());
        assert!(timeout("0s").is_err());
        assert!(think_time("18446744073709551615s").is_err());
        assert!(sample_interval("18446744073709551615s").is_err());
        assert!(watch_duration("18446744073709551615s").is_err());
        assert!(users("4294967295").is_err());
        assert!(rate("1e300/s").is_err());
        assert!(rate("0.0000001/s").is_err());
        assert!(iterations("0").is_err());
        assert!(size("0B").is_err());
        assert!(size("2GiB").is_err());
        assert_eq!(size("1MiB").unwrap(), 1 << 20);
        assert!(count_up_to(10)("11").is_err());
        assert!(count_up_to(10)("0").is_err());
        assert_eq!(count_up_to(10)("10").unwrap(), 10);
        assert!(progress_interval("18446744073709551615s").is_err());
        assert!(progress_interval("500ms").is_err());
        assert_eq!(progress_interval("2s").unwrap(), Duration::from_secs(2));
    }

    proptest::proptest! {
        #[test]
        fn every_parser_fails_cleanly_or_stays_in_bounds(text in ".{0,30}", number in proptest::prelude::any::<u64>(), unit in proptest::sample::select(vec!["", "ms", "s", "m", "h", "d", "/s", "MiB", "GiB"])) {
            for text in [text.clone(), format!("{number}{unit}")] {
                let _ = run_duration(&text);
                let _ = think_time(&text);
                let _ = timeout(&text);
                if let Ok(interval) = sample_interval(&text) {
                    proptest::prop_assert!(interval >= SamplerConfig::MIN_INTERVAL && interval <= SamplerConfig::MAX_INTERVAL);
                }
                if let Ok(interval) = progress_interval(&text) {
                    proptest::prop_assert!(interval >= Duration::from_secs(1) && interval <= Duration::from_hours(1));
                }
                if let Ok(watch) = watch_duration(&text) {
                    proptest::prop_assert!(watch <= SamplerConfig::MAX_DURATION);
                }
                let _ = users(&text);
                let _ = iterations(&text);
                let _ = rate(&text);
                if let Ok(size) = size(&text) {
                    proptest::prop_assert!((1..=storage_bench::Plan::MAX_OBJECT_SIZE).contains(&size));
                }
                if let Ok(count) = count_up_to(256)(&text) {
                    proptest::prop_assert!((1..=256).contains(&count));
                }
            }
        }
    }
}
