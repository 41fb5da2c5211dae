//! Every value parser, fed anything: never a panic, and whatever it accepts is within the
//! documented bounds (so no run built from it can overflow a clock or allocate without
//! bound).

use std::time::Duration;

use load_engine::limits::{
    self, DurationKind, MAX_RATE_PER_SEC, MAX_RUN_TIME, MAX_TIMEOUT, MAX_USERS, MIN_RATE_PER_SEC,
};
use load_engine::{Executor, Stages};
use proptest::prelude::*;

const KINDS: [DurationKind; 4] = [
    DurationKind::Run,
    DurationKind::Stage,
    DurationKind::Think,
    DurationKind::Timeout,
];

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        "[0-9]{1,40}(\\.[0-9]{0,10})?",
        "[-+]?[0-9.eE]{1,30}",
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
    ]
}

proptest! {
    #[test]
    fn durations_parse_within_their_bounds(
        number in number_text(),
        unit in prop::sample::select(vec!["", "ms", "s", "m", "min", "h", "d", "us", "xs", " s"]),
        noise in ".{0,8}",
    ) {
        for text in [format!("{number}{unit}"), format!("{number}{unit}{noise}"), noise.clone()] {
            for kind in KINDS {
                if let Ok(duration) = kind.parse(&text) {
                    prop_assert!(duration <= MAX_RUN_TIME, "{text}: {duration:?}");
                    if kind == DurationKind::Timeout {
                        prop_assert!(duration <= MAX_TIMEOUT);
                        prop_assert!(!duration.is_zero());
                    }
                    if kind == DurationKind::Run {
                        prop_assert!(!duration.is_zero());
                    }
                }
            }
        }
    }

    #[test]
    fn rates_users_and_counts_parse_within_their_bounds(number in number_text(), suffix in prop::sample::select(vec!["", "/s", "/m", " /s"])) {
        let text = format!("{number}{suffix}");
        if let Ok(rate) = limits::parse_rate(&text) {
            prop_assert!((MIN_RATE_PER_SEC..=MAX_RATE_PER_SEC).contains(&rate), "{text}");
        }
        if let Ok(users) = limits::parse_users(&text, "users") {
            prop_assert!((1..=MAX_USERS).contains(&users), "{text}");
        }
        if let Ok(count) = limits::parse_iterations(&text) {
            prop_assert!(count >= 1);
        }
    }

    #[test]
    fn stages_parse_within_their_bounds(
        stages in prop::collection::vec((number_text(), prop::sample::select(vec!["ms", "s", "m", "h", ""]), number_text(), any::<bool>()), 1..6),
    ) {
        let text = stages
            .iter()
            .map(|(d, unit, target, rate)| format!("{d}{unit}:{target}{}", if *rate { "/s" } else { "" }))
            .collect::<Vec<_>>()
            .join(",");
        if let Ok(parsed) = text.parse::<Stages>() {
            prop_assert!(parsed.total() <= MAX_RUN_TIME, "{text}");
            for stage in &parsed.stages {
                prop_assert!(stage.target.is_finite() && stage.target >= 0.0);
                if parsed.rate && stage.target > 0.0 {
                    prop_assert!(stage.target <= MAX_RATE_PER_SEC);
                } else {
                    prop_assert!(stage.target <= f64::from(MAX_USERS));
                }
            }
            // The executor built from it checks without panicking.
            let _ = Executor::Ramping { stages: parsed, max_in_flight: 10, think_time: Duration::ZERO };
        }
    }

    #[test]
    fn a_count_bounded_schedule_ends_within_the_longest_run(iterations in any::<u64>(), rate in any::<f64>()) {
        if limits::check_rate(rate).is_ok() && limits::check_schedule(iterations, rate).is_ok() {
            prop_assert!(iterations as f64 / rate <= MAX_RUN_TIME.as_secs_f64());
        }
    }
}
