//! The committed fixtures under `tests/fixtures/` (shared with the CLI tests) are generated
//! from [`crate::sample`], so they cannot drift from the types. Run with
//! `UPDATE_FIXTURES=1` to rewrite them after a deliberate schema change.

use std::fs;
use std::path::PathBuf;

use report_model::{RenderFormat, ReportError, SCHEMA_VERSION, SuiteReport, render};

use crate::sample::sample_suite;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn expected_fixtures() -> Vec<(&'static str, String)> {
    let pretty = |scale: f64| render(&sample_suite(scale), RenderFormat::JsonPretty).unwrap();
    let baseline = pretty(1.0);
    let truncated = baseline[..baseline.len() / 2].to_owned();
    let wrong_schema = baseline.replacen(
        &format!("\"schema_version\": {SCHEMA_VERSION},"),
        "\"schema_version\": 99,",
        1,
    );
    vec![
        ("baseline-suite.json", baseline),
        ("current-same-suite.json", pretty(1.02)),
        ("current-regressed-suite.json", pretty(1.30)),
        ("truncated-suite.json", truncated),
        ("wrong-schema-suite.json", wrong_schema),
        ("not-json.txt", "this is not a report\n".to_owned()),
    ]
}

#[test]
fn fixtures_are_up_to_date() {
    let dir = fixtures_dir();
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    for (name, contents) in expected_fixtures() {
        let path = dir.join(name);
        if update {
            report_model::write_atomic(&path, contents.as_bytes()).unwrap();
            continue;
        }
        let committed = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_FIXTURES=1)", path.display()));
        assert!(
            committed == contents,
            "{} is stale: run `UPDATE_FIXTURES=1 cargo test -p report-model`",
            path.display()
        );
    }
}

#[test]
fn good_fixtures_parse_and_bad_ones_fail_with_their_reason() {
    let dir = fixtures_dir();
    for name in [
        "baseline-suite.json",
        "current-same-suite.json",
        "current-regressed-suite.json",
    ] {
        SuiteReport::read(&dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let truncated = SuiteReport::read(&dir.join("truncated-suite.json")).unwrap_err();
    assert!(
        matches!(&truncated, ReportError::Decode { message, .. } if message.contains("ends early")),
        "{truncated}"
    );
    let wrong = SuiteReport::read(&dir.join("wrong-schema-suite.json")).unwrap_err();
    assert!(
        matches!(&wrong, ReportError::SchemaVersion { found, .. } if found == "99"),
        "{wrong}"
    );
    let not_json = SuiteReport::read(&dir.join("not-json.txt")).unwrap_err();
    assert!(
        matches!(&not_json, ReportError::Decode { message, .. } if message.starts_with("not JSON")),
        "{not_json}"
    );
    let missing = SuiteReport::read(&dir.join("missing.json")).unwrap_err();
    assert!(matches!(missing, ReportError::Read { .. }));
    let no_version =
        SuiteReport::from_json_slice(b"{\"meta\": {}}", "x.json".as_ref()).unwrap_err();
    assert!(
        matches!(&no_version, ReportError::SchemaVersion { found, .. } if found == "missing"),
        "{no_version}"
    );
}

fn committed_schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/suite.schema.json")
}

#[test]
fn the_committed_json_schema_is_the_generated_one() {
    let generated = serde_json::to_string_pretty(&SuiteReport::json_schema()).unwrap() + "\n";
    let path = committed_schema_path();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        report_model::write_atomic(&path, generated.as_bytes()).unwrap();
        return;
    }
    let committed = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_FIXTURES=1)", path.display()));
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_FIXTURES=1 cargo test -p report-model`",
        path.display()
    );
}

#[test]
fn every_good_fixture_and_rendering_validates_against_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(committed_schema_path()).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = fixtures_dir();
    for name in [
        "baseline-suite.json",
        "current-same-suite.json",
        "current-regressed-suite.json",
    ] {
        let value: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(name)).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    // And the schema is not vacuous: a report missing a required field fails it.
    let mut broken: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("baseline-suite.json")).unwrap())
            .unwrap();
    broken.as_object_mut().unwrap().remove("meta");
    assert!(!validator.is_valid(&broken));
    broken = serde_json::json!({"schema_version": SCHEMA_VERSION, "verdict": "maybe"});
    assert!(!validator.is_valid(&broken));
}
