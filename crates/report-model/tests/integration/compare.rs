//! Baseline comparison of whole reports.

use report_model::{compare, compare::Change, compare::Tolerance};

use crate::sample::sample_suite;

#[test]
fn flags_a_thirty_percent_p95_regression_and_not_a_two_percent_one() {
    let baseline = sample_suite(1.0).metrics();
    let regressed = compare(
        &baseline,
        &sample_suite(1.30).metrics(),
        Tolerance::default(),
    );
    let p95 = regressed
        .metrics
        .iter()
        .find(|d| d.metric == "http.p95[read_mix]")
        .unwrap();
    assert!(p95.regression, "{p95:?}");
    assert!((p95.delta_percent.unwrap() - 30.0).abs() < 1.0, "{p95:?}");
    assert!(
        p95.p_value.unwrap() < 0.05,
        "per-second samples make it significant: {p95:?}"
    );
    assert!(regressed.has_regression());

    let noise = compare(
        &baseline,
        &sample_suite(1.02).metrics(),
        Tolerance::default(),
    );
    let p95 = noise
        .metrics
        .iter()
        .find(|d| d.metric == "http.p95[read_mix]")
        .unwrap();
    assert_eq!(p95.change, Change::Same, "{p95:?}");
    assert!(
        !noise.has_regression(),
        "{:?}",
        noise.regressions().collect::<Vec<_>>()
    );
}

#[test]
fn an_improvement_is_not_a_regression() {
    let comparison = compare(
        &sample_suite(1.0).metrics(),
        &sample_suite(0.6).metrics(),
        Tolerance::default(),
    );
    let p95 = comparison
        .metrics
        .iter()
        .find(|d| d.metric == "http.p95[read_mix]")
        .unwrap();
    assert_eq!(p95.change, Change::Better);
    assert!(!comparison.has_regression());
}

#[test]
fn a_larger_tolerance_absorbs_the_regression() {
    let comparison = compare(
        &sample_suite(1.0).metrics(),
        &sample_suite(1.3).metrics(),
        "40%".parse().unwrap(),
    );
    assert!(!comparison.has_regression());
}
