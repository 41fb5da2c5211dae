//! The latency histogram survives serialise → deserialise → merge exactly.

use report_model::{LatencyHistogram, load::LatencyDistribution};

fn filled(values: impl IntoIterator<Item = u64>) -> LatencyHistogram {
    let mut histogram = LatencyHistogram::new();
    for value in values {
        histogram.record_us(value);
    }
    histogram
}

#[test]
fn round_trip_then_merge_keeps_exact_counts_and_percentiles() {
    let first = filled((1..=10_000).map(|i| i * 37));
    let second = filled((1..=5_000).map(|i| 1_000_000 + i * 101));
    let mut expected = first.clone();
    expected.merge(&second);

    let json_first = serde_json::to_string(&first).unwrap();
    let json_second = serde_json::to_string(&second).unwrap();
    let mut decoded: LatencyHistogram = serde_json::from_str(&json_first).unwrap();
    let decoded_second: LatencyHistogram = serde_json::from_str(&json_second).unwrap();
    assert_eq!(decoded, first, "decoding is lossless");
    decoded.merge(&decoded_second);

    assert_eq!(decoded.len(), 15_000);
    assert_eq!(
        decoded, expected,
        "merge of decoded equals merge of originals"
    );
    for q in [0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
        assert_eq!(
            decoded.value_at_quantile_us(q),
            expected.value_at_quantile_us(q),
            "q = {q}"
        );
    }
    assert_eq!(decoded.summary(), expected.summary());
    // 3 significant digits: p50 of the merge lies in the first set's upper range.
    let p50 = decoded.value_at_quantile_us(0.5);
    assert!(
        (p50 as f64 - 277_500.0).abs() / 277_500.0 < 0.002,
        "p50 {p50}"
    );
}

#[test]
fn distribution_embeds_summary_and_histogram_in_json() {
    let distribution = LatencyDistribution::from(filled([1_000, 2_000, 3_000]));
    let value = serde_json::to_value(&distribution).unwrap();
    assert_eq!(value["count"], 3);
    assert_eq!(value["p50_us"], 2_000);
    assert!(value["histogram"].as_str().unwrap().len() > 8);
    let back: LatencyDistribution = serde_json::from_value(value).unwrap();
    assert_eq!(back, distribution);
}

#[test]
fn corrupt_histogram_in_json_is_an_error_not_a_panic() {
    let error = serde_json::from_str::<LatencyHistogram>("\"AAAA\"").unwrap_err();
    assert!(error.to_string().contains("histogram"), "{error}");
}
