//! Parsers fed anything: the threshold grammar, histogram decoding and `suite.json`
//! reading never panic, and histogram decoding never allocates what a header claims.

use base64::Engine as _;
use proptest::prelude::*;
use report_model::{LatencyHistogram, SuiteReport, Threshold, compare::Tolerance};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read(path).unwrap()
}

proptest! {
    #[test]
    fn thresholds_parse_or_fail_cleanly(
        metric in "[a-z_.]{0,20}(\\[[a-z_-]{0,10}\\])?",
        op in prop::sample::select(vec!["<", "<=", ">", ">=", "==", "=", "!", ""]),
        value in prop_oneof![any::<f64>().prop_map(|v| v.to_string()), "[0-9.eE+-]{0,40}"],
        unit in prop::sample::select(vec!["", "ms", "s", "us", "%", "MiB", "MiB/s", "GiB", "/s", "B", "x"]),
        tail in prop::sample::select(vec!["", " acceptable 5s", " acceptable", " acceptable 1e999ms", " junk"]),
        noise in ".{0,12}",
    ) {
        for text in [format!("{metric} {op} {value}{unit}{tail}"), format!("{noise}{op}{value}"), noise.clone()] {
            if let Ok(threshold) = text.parse::<Threshold>() {
                // What parses prints and parses again.
                let again = threshold.to_string().parse::<Threshold>();
                prop_assert!(again.is_ok(), "{text} -> {threshold}: {again:?}");
            }
            let _ = text.parse::<Tolerance>();
        }
    }

    #[test]
    fn histograms_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let _ = LatencyHistogram::from_base64(&encoded);
        // Also with a V2 or V2-deflate cookie in front, so the header checks are reached.
        for cookie in [0x1c84_9313u32, 0x1c84_9314] {
            let mut framed = cookie.to_be_bytes().to_vec();
            framed.extend_from_slice(&bytes);
            let encoded = base64::engine::general_purpose::STANDARD.encode(&framed);
            let _ = LatencyHistogram::from_base64(&encoded);
        }
    }

    #[test]
    fn mutated_suite_json_reads_or_fails_cleanly(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let original = fixture("baseline-suite.json");
        let mut mutated = original.clone();
        for (at, byte) in &edits {
            let at = at.index(mutated.len());
            mutated[at] = *byte;
        }
        let origin = std::path::Path::new("mutated.json");
        let _ = SuiteReport::from_json_slice(&mutated, origin);
        let _ = SuiteReport::from_json_slice(&original[..cut.index(original.len())], origin);
    }
}
