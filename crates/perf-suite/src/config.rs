//! `vertex-perf.toml`: the target, the thresholds and the size of every phase, per profile
//! (`quick`, `default`, `full`). Built-in values cover everything; the file overrides any
//! subset, and unknown keys are errors (a typo must not silently change a run).

use std::path::Path;
use std::time::Duration;

use load_engine::limits::DurationKind;
use report_model::Threshold;
use serde::{Deserialize, Serialize};

use crate::{ConfigProblem, SuiteError};

/// A phase-size check's failure.
fn out_of_range(key: &'static str, reason: impl Into<String>) -> ConfigProblem {
    ConfigProblem::OutOfRange {
        key,
        reason: reason.into(),
    }
}

/// Which set of phase sizes a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Under a minute: every phase, small sizes.
    Quick,
    /// A few minutes: the old suite's sizes.
    Default,
    /// The default with a 60 s stress phase and more memory cycles.
    Full,
}

impl Profile {
    /// The profile's name in the file and reports.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Quick => "quick",
            Profile::Default => "default",
            Profile::Full => "full",
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteConfig {
    /// The service under test.
    pub target: TargetConfig,
    /// Threshold expressions; see `docs/thresholds` in the README.
    pub thresholds: Vec<String>,
    /// Phase sizes of the chosen profile.
    pub phases: PhaseSizes,
    /// Journey files the load phase runs after its built-in scenarios
    /// (`[[suite.scenario_files]]`), paths resolved against the configuration's folder.
    pub scenario_files: Vec<ScenarioFileConfig>,
}

/// A journey file the load phase runs (`docs/scenario-files.md`), closed model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFileConfig {
    /// The file; relative paths are relative to `vertex-perf.toml`.
    pub file: std::path::PathBuf,
    /// Virtual users. Default 1.
    #[serde(default = "one_user")]
    pub users: u32,
    /// Iterations in all (default 10 unless `duration_s` is given).
    pub iterations: Option<u64>,
    /// Seconds to run, instead of a count of iterations.
    pub duration_s: Option<u64>,
    /// Pause after each iteration, milliseconds.
    #[serde(default)]
    pub think_ms: u64,
    /// `file` resolved against the configuration's folder when the configuration is
    /// loaded. Not serialised: the run identity keeps `file` as written, so a checkout in
    /// another folder still finds its baseline.
    #[serde(skip)]
    resolved: Option<std::path::PathBuf>,
}

fn one_user() -> u32 {
    1
}

impl ScenarioFileConfig {
    /// The journey file to read.
    pub fn path(&self) -> &Path {
        self.resolved.as_deref().unwrap_or(&self.file)
    }

    /// The closed-model executor it asks for.
    pub fn executor(&self) -> load_engine::Executor {
        load_engine::Executor::Closed {
            users: self.users,
            bound: match (self.iterations, self.duration_s) {
                (_, Some(seconds)) => load_engine::Bound::Duration(Duration::from_secs(seconds)),
                (iterations, None) => load_engine::Bound::Iterations(iterations.unwrap_or(10)),
            },
            think_time: Duration::from_millis(self.think_ms),
        }
    }
}

/// The service and how to log in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Base URL.
    pub url: String,
    /// Login name.
    pub user: String,
    /// Environment variable holding the password (the password itself never goes in files
    /// or arguments). Unset: the old suite's `admin`.
    pub password_env: Option<String>,
    /// Register the user first (a fresh service has no admin).
    pub register_admin: bool,
}

/// The most requests or orders one phase may count.
const MAX_PHASE_COUNT: u64 = 10_000_000;

/// How big each phase is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSizes {
    /// Sampler interval, milliseconds.
    pub sample_interval_ms: u64,
    /// Per-request timeout, seconds.
    pub request_timeout_s: u64,
    /// Comprehensive: image size of the large order upload, MiB (a valid JPEG).
    pub large_upload_image_mib: u64,
    /// Comprehensive: video size of the large order upload, MiB.
    pub large_upload_video_mib: u64,
    /// Comprehensive: concurrent order uploads.
    pub concurrent_uploads: u64,
    /// Comprehensive: workers for the concurrent uploads.
    pub concurrent_upload_workers: u32,
    /// Comprehensive: DB-backed list/detail reads.
    pub db_reads: u64,
    /// Comprehensive: workers for the reads.
    pub db_read_workers: u32,
    /// Load: orders created (then deleted).
    pub orders: u64,
    /// Load: workers creating orders.
    pub order_workers: u32,
    /// Load: GETs of the read mix.
    pub read_mix_requests: u64,
    /// Load: read-mix workers.
    pub read_mix_workers: u32,
    /// Load: stress duration, seconds.
    pub stress_seconds: u64,
    /// Load: stress workers.
    pub stress_workers: u32,
    /// Load: stress think time, milliseconds.
    pub stress_think_ms: u64,
    /// Storage: object sizes, e.g. `1MiB,5MiB,10MiB,20MiB`.
    pub storage_sizes: String,
    /// Storage: objects per size.
    pub storage_objects: u32,
    /// Storage: operations in flight.
    pub storage_concurrency: u32,
    /// Storage: extra backend URLs besides local disk, the embedded S3 and the service
    /// (`s3://bucket?endpoint=...`; keys from the environment).
    pub storage_backends: Vec<String>,
    /// Memory: counted workload cycles (at least 4; one more runs first as warm-up).
    pub memory_cycles: u32,
    /// Memory: read-mix GETs per cycle.
    pub memory_requests_per_cycle: u64,
    /// Memory: orders created and deleted per cycle.
    pub memory_orders_per_cycle: u64,
    /// Memory: growth over the cycles that passes, MiB.
    pub memory_growth_target_mib: f64,
    /// Memory: growth over the cycles above which the verdict fails, MiB.
    pub memory_growth_acceptable_mib: f64,
}

impl PhaseSizes {
    /// The leak verdict's levels (the sampler's default warm-up) for a fit over `workload`.
    pub fn leak_thresholds(
        &self,
        workload: perf_sampler::Workload,
    ) -> perf_sampler::LeakThresholds {
        const MIB: f64 = 1024.0 * 1024.0;
        perf_sampler::LeakThresholds {
            target_growth_bytes: self.memory_growth_target_mib * MIB,
            acceptable_growth_bytes: self.memory_growth_acceptable_mib * MIB,
            warmup: None,
            workload,
        }
    }

    fn built_in(profile: Profile) -> PhaseSizes {
        let default = PhaseSizes {
            sample_interval_ms: 500,
            request_timeout_s: 30,
            large_upload_image_mib: 10,
            large_upload_video_mib: 20,
            concurrent_uploads: 10,
            concurrent_upload_workers: 5,
            db_reads: 200,
            db_read_workers: 5,
            orders: 20,
            order_workers: 5,
            read_mix_requests: 100,
            read_mix_workers: 10,
            stress_seconds: 30,
            stress_workers: 5,
            stress_think_ms: 10,
            storage_sizes: "1MiB,5MiB,10MiB,20MiB".to_owned(),
            storage_objects: 2,
            storage_concurrency: 2,
            storage_backends: Vec::new(),
            memory_cycles: 6,
            memory_requests_per_cycle: 100,
            memory_orders_per_cycle: 2,
            memory_growth_target_mib: 50.0,
            memory_growth_acceptable_mib: 100.0,
        };
        match profile {
            Profile::Default => default,
            Profile::Quick => PhaseSizes {
                sample_interval_ms: 250,
                db_reads: 100,
                orders: 10,
                stress_seconds: 5,
                storage_sizes: "1MiB,5MiB".to_owned(),
                storage_objects: 1,
                memory_cycles: 5,
                memory_requests_per_cycle: 50,
                memory_orders_per_cycle: 1,
                ..default
            },
            Profile::Full => PhaseSizes {
                stress_seconds: 60,
                memory_cycles: 10,
                storage_objects: 4,
                ..default
            },
        }
    }
}

/// The file as written: every part optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    target: Option<toml::Table>,
    thresholds: Option<Vec<String>>,
    profiles: Option<ProfilesFile>,
    suite: Option<SuiteSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteSection {
    #[serde(default)]
    scenario_files: Vec<ScenarioFileConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesFile {
    quick: Option<toml::Table>,
    default: Option<toml::Table>,
    full: Option<toml::Table>,
}

impl SuiteConfig {
    /// The built-in configuration of `profile`.
    pub fn built_in(profile: Profile) -> SuiteConfig {
        SuiteConfig {
            target: TargetConfig {
                url: "http://127.0.0.1:8000".to_owned(),
                user: "admin".to_owned(),
                password_env: None,
                register_admin: false,
            },
            thresholds: report_model::RunKind::Suite
                .default_threshold_expressions()
                .iter()
                .map(|&t| t.to_owned())
                .collect(),
            phases: PhaseSizes::built_in(profile),
            scenario_files: Vec::new(),
        }
    }

    /// The built-in configuration with `path`'s values on top. `None`: the built-in one.
    pub fn load(path: Option<&Path>, profile: Profile) -> Result<SuiteConfig, SuiteError> {
        let mut config = SuiteConfig::built_in(profile);
        let Some(path) = path else {
            return Ok(config);
        };
        let text = std::fs::read_to_string(path).map_err(|source| SuiteError::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        config
            .apply(&text, profile)
            .and_then(|()| config.check_scenario_files(path.parent()))
            .map_err(|source| SuiteError::InvalidConfig {
                path: path.to_owned(),
                source,
            })?;
        Ok(config)
    }

    /// Applies the values of a file's `text` (the format of `vertex-perf.toml`) for
    /// `profile`; on error `self` is left unchanged.
    pub fn apply(&mut self, text: &str, profile: Profile) -> Result<(), ConfigProblem> {
        let mut next = self.clone();
        next.apply_file(text, profile)?;
        *self = next;
        Ok(())
    }

    fn apply_file(&mut self, text: &str, profile: Profile) -> Result<(), ConfigProblem> {
        let file: File = toml::from_str(text)?;
        if let Some(target) = file.target {
            self.target = overlay(&self.target, target)?;
        }
        if let Some(thresholds) = file.thresholds {
            self.thresholds = thresholds;
        }
        let profiles = file.profiles.unwrap_or_default();
        let profile = match profile {
            Profile::Quick => profiles.quick,
            Profile::Full => profiles.full,
            Profile::Default => profiles.default,
        };
        if let Some(phases) = profile {
            self.phases = overlay(&self.phases, phases)?;
        }
        if let Some(suite) = file.suite {
            self.scenario_files = suite.scenario_files;
        }
        self.validate()
    }

    /// Resolves the journey files against `folder` (the configuration's) and reads each
    /// one: a mistake in one is an error now, before the run sends anything.
    fn check_scenario_files(&mut self, folder: Option<&Path>) -> Result<(), ConfigProblem> {
        for entry in &mut self.scenario_files {
            if entry.file.is_relative()
                && let Some(folder) = folder
            {
                entry.resolved = Some(folder.join(&entry.file));
            }
            let journey =
                load_engine::journey::Journey::from_file(entry.path(), Some(&self.target.url))?;
            journey.check_users(u64::from(entry.users))?;
        }
        Ok(())
    }

    /// Parsed thresholds.
    pub fn parsed_thresholds(&self) -> Result<Vec<Threshold>, ConfigProblem> {
        self.thresholds
            .iter()
            .map(|t| {
                t.parse::<Threshold>()
                    .map_err(|source| ConfigProblem::Threshold {
                        expression: t.clone(),
                        source,
                    })
            })
            .collect()
    }

    /// What this configuration runs, as the run identity's workload: the profile and every
    /// phase size, so a baseline is only compared with a run of the same work.
    pub fn workload(&self, profile: Profile) -> String {
        let journeys = if self.scenario_files.is_empty() {
            String::new()
        } else {
            format!(
                " {}",
                serde_json::to_string(&self.scenario_files).unwrap_or_default()
            )
        };
        format!(
            "suite {} {}{journeys}",
            profile.name(),
            serde_json::to_string(&self.phases).unwrap_or_default()
        )
    }

    /// Checks every value (a file's values are checked as they are applied).
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        self.parsed_thresholds()?;
        let p = &self.phases;
        if p.sample_interval_ms < 10 {
            return Err(out_of_range(
                "sample_interval_ms",
                format!(
                    "must be at least 10, got {}\n(hint: 0 would switch the server sampler off, and a run without server figures is not judged)",
                    p.sample_interval_ms
                ),
            ));
        }
        if p.sample_interval_ms > 3_600_000 {
            return Err(out_of_range(
                "sample_interval_ms",
                "must be at most 3600000 (1 h)",
            ));
        }
        if !(4..=1000).contains(&p.memory_cycles) {
            return Err(out_of_range(
                "memory_cycles",
                "must be 4 to 1000 (a trend needs points)",
            ));
        }
        if !(p.memory_growth_target_mib.is_finite() && p.memory_growth_acceptable_mib.is_finite())
            || p.memory_growth_target_mib > p.memory_growth_acceptable_mib
            || p.memory_growth_target_mib < 0.0
        {
            return Err(out_of_range(
                "memory_growth_target_mib",
                "must satisfy 0 <= memory_growth_target_mib <= memory_growth_acceptable_mib",
            ));
        }
        let limit = |name: &'static str, error: load_engine::LoadError| {
            out_of_range(name, format!("is out of range: {}", error.reason()))
        };
        DurationKind::Timeout
            .check(Duration::from_secs(p.request_timeout_s))
            .map_err(|e| limit("request_timeout_s", e))?;
        DurationKind::Run
            .check(Duration::from_secs(p.stress_seconds))
            .map_err(|e| limit("stress_seconds", e))?;
        DurationKind::Think
            .check(Duration::from_millis(p.stress_think_ms))
            .map_err(|e| limit("stress_think_ms", e))?;
        for (name, workers) in [
            ("concurrent_upload_workers", p.concurrent_upload_workers),
            ("db_read_workers", p.db_read_workers),
            ("order_workers", p.order_workers),
            ("read_mix_workers", p.read_mix_workers),
            ("stress_workers", p.stress_workers),
        ] {
            load_engine::limits::check_users(u64::from(workers), "the number of workers")
                .map_err(|e| limit(name, e))?;
        }
        for (name, count) in [
            ("concurrent_uploads", p.concurrent_uploads),
            ("db_reads", p.db_reads),
            ("orders", p.orders),
            ("read_mix_requests", p.read_mix_requests),
            ("memory_requests_per_cycle", p.memory_requests_per_cycle),
            ("memory_orders_per_cycle", p.memory_orders_per_cycle),
        ] {
            if !(1..=MAX_PHASE_COUNT).contains(&count) {
                return Err(out_of_range(
                    name,
                    format!("must be 1 to {MAX_PHASE_COUNT}, got {count}"),
                ));
            }
        }
        for entry in &self.scenario_files {
            entry
                .executor()
                .validate()
                .map_err(|e| limit("scenario_files", e))?;
        }
        for (name, mib) in [
            ("large_upload_image_mib", p.large_upload_image_mib),
            ("large_upload_video_mib", p.large_upload_video_mib),
        ] {
            if mib > 1024 {
                return Err(out_of_range(
                    name,
                    format!("must be at most 1024 (1 GiB), got {mib}"),
                ));
            }
        }
        let (objects, concurrency) = (
            storage_bench::Plan::MAX_OBJECTS,
            storage_bench::Plan::MAX_CONCURRENCY,
        );
        if !(1..=objects).contains(&p.storage_objects)
            || !(1..=concurrency).contains(&p.storage_concurrency)
        {
            return Err(out_of_range(
                "storage_objects",
                format!(
                    "must be 1 to {objects}, and phases.storage_concurrency 1 to {concurrency}"
                ),
            ));
        }
        storage_bench::parse_sizes(&p.storage_sizes).map_err(ConfigProblem::StorageSizes)?;
        Ok(())
    }
}

/// Serialises `base`, replaces the keys `overrides` names, and reads it back (unknown keys
/// and wrong types are errors naming the key).
fn overlay<T: Serialize + serde::de::DeserializeOwned>(
    base: &T,
    overrides: toml::Table,
) -> Result<T, ConfigProblem> {
    let mut table =
        toml::Table::try_from(base).map_err(|e| ConfigProblem::Internal(e.to_string()))?;
    for (key, value) in overrides {
        table.insert(key, value);
    }
    Ok(toml::Value::Table(table).try_into()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journey_files_resolve_against_the_config_and_keep_their_written_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("journey.toml"),
            "[[step]]\nurl = \"{base}/x\"\n",
        )
        .unwrap();
        let config = dir.path().join("vertex-perf.toml");
        std::fs::write(
            &config,
            "[[suite.scenario_files]]\nfile = \"journey.toml\"\nusers = 2\n",
        )
        .unwrap();
        let loaded = SuiteConfig::load(Some(&config), Profile::Quick).unwrap();
        let entry = &loaded.scenario_files[0];
        assert_eq!(entry.path(), dir.path().join("journey.toml"));
        // The run identity names the file as written: another checkout folder, same baseline.
        let workload = loaded.workload(Profile::Quick);
        assert!(workload.contains("\"file\":\"journey.toml\""), "{workload}");
        assert!(
            !workload.contains(&*dir.path().to_string_lossy()),
            "{workload}"
        );
    }

    #[test]
    fn file_overrides_the_chosen_profile_only() {
        let text = r#"
            thresholds = ["http.p95 < 1s"]
            [target]
            url = "http://127.0.0.1:9999"
            [profiles.quick]
            stress_seconds = 2
            [profiles.full]
            stress_seconds = 90
        "#;
        let mut quick = SuiteConfig::built_in(Profile::Quick);
        quick.apply(text, Profile::Quick).unwrap();
        assert_eq!(quick.phases.stress_seconds, 2);
        assert_eq!(quick.phases.storage_objects, 1, "the rest stays built-in");
        assert_eq!(quick.target.url, "http://127.0.0.1:9999");
        assert_eq!(quick.target.user, "admin");
        assert_eq!(quick.thresholds, ["http.p95 < 1s"]);
        let mut full = SuiteConfig::built_in(Profile::Full);
        full.apply(text, Profile::Full).unwrap();
        assert_eq!(full.phases.stress_seconds, 90);
    }

    #[test]
    fn unknown_keys_wrong_types_and_bad_thresholds_are_errors() {
        let mut config = SuiteConfig::built_in(Profile::Default);
        for (text, needle) in [
            ("[profiles.default]\nstres_seconds = 2", "stres_seconds"),
            (
                "[profiles.default]\nstress_seconds = \"long\"",
                "stress_seconds",
            ),
            ("thresholds = [\"http.p42 < 1s\"]", "http.p42"),
            ("[profiles.default]\nmemory_cycles = 2", "memory_cycles"),
            (
                "[profiles.default]\nsample_interval_ms = 0",
                "sample_interval_ms must be at least 10",
            ),
            ("[target]\npassword = \"x\"", "password"),
        ] {
            let error =
                report_model::error_chain(&config.apply(text, Profile::Default).unwrap_err());
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn the_committed_file_documents_exactly_the_built_in_values() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vertex-perf.toml");
        for profile in [Profile::Quick, Profile::Default, Profile::Full] {
            let from_file = SuiteConfig::load(Some(&path), profile).unwrap();
            let built_in = SuiteConfig::built_in(profile);
            assert_eq!(
                toml::to_string(&from_file).unwrap(),
                toml::to_string(&built_in).unwrap(),
                "{}",
                profile.name()
            );
        }
    }

    #[test]
    fn built_in_thresholds_parse() {
        for profile in [Profile::Quick, Profile::Default, Profile::Full] {
            SuiteConfig::built_in(profile).validate().unwrap();
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const KEYS: [&str; 22] = [
            "sample_interval_ms",
            "request_timeout_s",
            "large_upload_image_mib",
            "large_upload_video_mib",
            "concurrent_uploads",
            "concurrent_upload_workers",
            "db_reads",
            "db_read_workers",
            "orders",
            "order_workers",
            "read_mix_requests",
            "read_mix_workers",
            "stress_seconds",
            "stress_workers",
            "stress_think_ms",
            "storage_objects",
            "storage_concurrency",
            "memory_cycles",
            "memory_requests_per_cycle",
            "memory_orders_per_cycle",
            "memory_growth_target_mib",
            "memory_growth_acceptable_mib",
        ];

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<u32>().prop_map(|n| n.to_string()),
                Just("18446744073709551615".to_owned()),
                any::<f64>().prop_map(|v| format!("{v:?}")),
                "\"[0-9a-zA-Z,]{0,12}\"".prop_map(|s| s),
                Just("nan".to_owned()),
                Just("inf".to_owned()),
                Just("true".to_owned()),
                Just("[]".to_owned()),
            ]
        }

        proptest! {
            #[test]
            fn any_phase_values_load_or_fail_cleanly(
                entries in prop::collection::vec((prop::sample::select(KEYS.to_vec()), value()), 1..6),
                sizes in "[0-9]{0,22}(B|KiB|MiB|GiB|XB)?",
                thresholds in prop::collection::vec(".{0,30}", 0..3),
            ) {
                use std::fmt::Write as _;
                let mut text = String::from("thresholds = [");
                for threshold in &thresholds {
                    let _ = write!(text, "{threshold:?},");
                }
                text.push_str("]\n[profiles.quick]\n");
                for (key, value) in &entries {
                    let _ = writeln!(text, "{key} = {value}");
                }
                let _ = writeln!(text, "storage_sizes = {sizes:?}");
                let mut config = SuiteConfig::built_in(Profile::Quick);
                if config.apply(&text, Profile::Quick).is_ok() {
                    // What loads is usable: no product of its numbers overflows, and every
                    // duration and count is within what the runs accept.
                    let p = &config.phases;
                    prop_assert!(p.large_upload_image_mib.checked_mul(1024 * 1024).is_some());
                    prop_assert!(p.large_upload_video_mib.checked_mul(1024 * 1024).is_some());
                    prop_assert!(p.stress_seconds <= 7 * 24 * 3600);
                    prop_assert!(p.request_timeout_s >= 1 && p.request_timeout_s <= 3600);
                    prop_assert!(p.sample_interval_ms >= 10);
                    prop_assert!(storage_bench::parse_sizes(&p.storage_sizes).is_ok());
                }
            }
        }
    }
}
