//! Round trips, integrity, cleanup and skipped backends.

use std::sync::Arc;

use object_store::ObjectStore as _;
use report_model::{StorageOperation, StorageReport};
use storage_bench::{Backend, EmbeddedS3, Plan, S3Credentials, StorageError, run};

use crate::corrupt::Corrupting;

/// Small objects and one multipart-sized one, so the test stays quick.
fn plan() -> Plan {
    let mut plan = Plan::new("vertex-perf-test/run-1");
    plan.sizes = vec![64 << 10, 6 << 20];
    plan.multipart_threshold = 5 << 20;
    plan.part_size = 5 << 20;
    plan.objects = 3;
    plan.repetitions = 2;
    plan
}

fn check_round_trips(report: &StorageReport, backend: &str) {
    for size in [64 << 10, 6 << 20] {
        let get = report
            .results
            .iter()
            .find(|r| {
                r.backend == backend
                    && r.operation == StorageOperation::Get
                    && r.object_size_bytes == size
            })
            .unwrap();
        assert_eq!(
            get.integrity.verified, 6,
            "{backend} {size}: {:?}",
            get.errors
        );
        assert!(get.integrity.mismatches.is_empty());
        assert!(get.errors.is_empty(), "{:?}", get.errors);
        assert!(get.bytes_per_sec > 0.0 && get.ttfb.is_some());
        assert_eq!(get.repetition_bytes_per_sec.len(), 2);
        for operation in [
            StorageOperation::Put,
            StorageOperation::Head,
            StorageOperation::List,
            StorageOperation::Delete,
        ] {
            let result = report
                .results
                .iter()
                .find(|r| {
                    r.backend == backend && r.operation == operation && r.object_size_bytes == size
                })
                .unwrap();
            assert!(
                result.errors.is_empty(),
                "{backend} {operation} {size}: {:?}",
                result.errors
            );
        }
    }
}

/// Every file and folder below `root`, relative, sorted.
fn files_under(root: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            found.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
            if path.is_dir() {
                pending.push(path);
            }
        }
    }
    found.sort();
    found
}

async fn is_empty(backend: &Backend) -> bool {
    use futures::TryStreamExt as _;
    let objects: Vec<_> = backend.store.list(None).try_collect().await.unwrap();
    objects.is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_file_and_embedded_s3_round_trip_and_clean_up() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = EmbeddedS3::start(&dir.path().join("s3")).await.unwrap();
    let local_url = format!("file://{}", dir.path().join("local").display());
    let memory = Backend::open("memory://", None, None, false).await.unwrap();
    let local = Backend::open(&local_url, None, None, false).await.unwrap();
    let s3 = Backend::open("s3+embedded://", Some(&embedded), None, false)
        .await
        .unwrap();
    let backends = vec![Ok(local.clone()), Ok(memory.clone()), Ok(s3.clone())];
    let report = run(&plan(), backends, |_| {}).await.unwrap();
    for name in ["local", "memory", "embedded-s3"] {
        check_round_trips(&report, name);
    }
    assert!(
        report.backends.iter().all(|b| b.skipped.is_none()),
        "{:?}",
        report.backends
    );
    assert!(report.leftovers.is_empty(), "{:?}", report.leftovers);
    // A local directory's gets are labelled as page-cache reads, and only its.
    let page_cache: Vec<&str> = report
        .backends
        .iter()
        .filter(|b| b.page_cache_reads)
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(page_cache, ["local"]);
    let local_get = report
        .results
        .iter()
        .find(|r| r.backend == "local" && r.operation == StorageOperation::Get)
        .unwrap();
    assert_eq!(report.operation_label(local_get), "get (page cache)");
    for backend in [&memory, &local, &s3] {
        assert!(
            is_empty(backend).await,
            "{} left objects behind",
            backend.name
        );
    }
    // Nothing on disk either: no empty run tree, no s3s-fs sidecar of a deleted object.
    assert_eq!(files_under(&dir.path().join("local")), Vec::<String>::new());
    assert_eq!(
        files_under(&dir.path().join("s3")),
        vec!["vertex-perf".to_owned()],
        "only the bucket folder stays"
    );
    let ratio = report
        .ratios
        .iter()
        .find(|r| r.numerator == "embedded-s3" && r.operation == StorageOperation::Put)
        .unwrap();
    assert_eq!(ratio.denominator, "local");
    assert!(
        !format!("{report:?}").contains(embedded.secret_key()),
        "no secret in the report"
    );
}

#[tokio::test]
async fn a_corrupting_backend_is_caught() {
    let backend = Backend::from_store("corrupting", "memory://", Arc::new(Corrupting::default()));
    let report = run(&plan(), vec![Ok(backend)], |_| {}).await.unwrap();
    let get = report
        .results
        .iter()
        .find(|r| r.operation == StorageOperation::Get)
        .unwrap();
    assert_eq!(get.integrity.verified, 0);
    assert_eq!(get.integrity.mismatches.len(), 6);
    let mismatch = &get.integrity.mismatches[0];
    assert_ne!(mismatch.expected_sha256, mismatch.actual_sha256);
    assert!(
        mismatch.key.starts_with("vertex-perf-test/run-1/"),
        "{}",
        mismatch.key
    );
    assert!(report.computed_verdict_fails());
}

trait Verdicts {
    fn computed_verdict_fails(&self) -> bool;
}

impl Verdicts for StorageReport {
    fn computed_verdict_fails(&self) -> bool {
        let mut suite = report_model::SuiteReport::new(report_model::RunMeta::start(
            "test",
            report_model::meta::HostInfo::default(),
            None,
        ));
        suite.storage = Some(self.clone());
        suite.computed_verdict() == report_model::Verdict::Fail
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_server_and_wrong_keys_are_skipped_while_local_reports() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = EmbeddedS3::start(&dir.path().join("s3")).await.unwrap();
    let endpoint = embedded.endpoint();
    let wrong = S3Credentials {
        access_key: embedded.access_key().to_owned(),
        secret_key: "wrong-secret".to_owned(),
    };
    let wrong_url = format!("s3://vertex-perf?endpoint={endpoint}");
    let wrong_keys = Backend::open(&wrong_url, None, Some(wrong), false)
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong_keys, StorageError::Backend { .. }),
        "{wrong_keys}"
    );
    assert!(
        wrong_keys.to_string().contains("check the access key"),
        "{wrong_keys}"
    );

    let right = S3Credentials {
        access_key: embedded.access_key().to_owned(),
        secret_key: embedded.secret_key().to_owned(),
    };
    embedded.stop();
    let stopped = Backend::open(
        &format!("s3://vertex-perf?endpoint={endpoint}"),
        None,
        Some(right),
        false,
    )
    .await
    .unwrap_err();
    assert!(
        stopped.to_string().contains("is the S3 endpoint running"),
        "{stopped}"
    );

    let local = Backend::open(
        &format!("file://{}", dir.path().join("local").display()),
        None,
        None,
        false,
    )
    .await
    .unwrap();
    let mut small = plan();
    small.sizes = vec![64 << 10];
    let report = run(
        &small,
        vec![
            Ok(local),
            Err((wrong_url.clone(), wrong_keys)),
            Err(("s3://vertex-perf".to_owned(), stopped)),
        ],
        |_| {},
    )
    .await
    .unwrap();
    assert!(report.results.iter().all(|r| r.backend == "local"));
    let skipped: Vec<_> = report
        .backends
        .iter()
        .filter(|b| b.skipped.is_some())
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(
        skipped
            .iter()
            .all(|b| !b.skipped.as_ref().unwrap().contains("wrong-secret"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_bucket_and_moto_when_available() {
    // moto (PyPI `moto[server]`) is started by .ci/run; elsewhere this checks the embedded
    // server's bucket creation only.
    let Ok(endpoint) = std::env::var("VERTEX_PERF_MOTO_ENDPOINT") else {
        eprintln!("VERTEX_PERF_MOTO_ENDPOINT not set: moto round trip not run here");
        return;
    };
    let credentials = S3Credentials {
        access_key: "testing".to_owned(),
        secret_key: "testing".to_owned(),
    };
    let url = format!("s3://vertex-perf-moto?endpoint={endpoint}");
    let missing = Backend::open(&url, None, Some(credentials.clone()), false).await;
    if let Err(error) = &missing {
        assert!(
            error.to_string().contains("bucket") || error.to_string().contains("Bucket"),
            "{error}"
        );
    }
    let moto = Backend::open(&url, None, Some(credentials), true)
        .await
        .unwrap();
    let report = run(&plan(), vec![Ok(moto.clone())], |_| {}).await.unwrap();
    check_round_trips(&report, "s3");
    assert!(is_empty(&moto).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mixed_workload_verifies_its_reads_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let embedded = EmbeddedS3::start(&dir.path().join("s3")).await.unwrap();
    let local_url = format!("file://{}", dir.path().join("local").display());
    let local = Backend::open(&local_url, None, None, false).await.unwrap();
    let s3 = Backend::open("s3+embedded://", Some(&embedded), None, false)
        .await
        .unwrap();
    let mut plan = Plan::new("vertex-perf-test/mixed");
    plan.sizes = vec![32 << 10];
    plan.objects = 4;
    plan.concurrency = 4;
    plan.operations = vec![
        StorageOperation::Put,
        StorageOperation::Mixed,
        StorageOperation::Delete,
    ];
    plan.mixed_operations = 200;
    let report = run(&plan, vec![Ok(local.clone()), Ok(s3.clone())], |_| {})
        .await
        .unwrap();
    let gets_in_mix = plan
        .mix
        .sequence(200, plan.seed)
        .iter()
        .filter(|k| **k == StorageOperation::Get)
        .count() as u64;
    for name in ["local", "embedded-s3"] {
        let mixed = report
            .results
            .iter()
            .find(|r| r.backend == name && r.operation == StorageOperation::Mixed)
            .unwrap();
        assert_eq!(mixed.n_operations, 200);
        assert!(mixed.errors.is_empty(), "{name}: {:?}", mixed.errors);
        assert_eq!(mixed.integrity.verified, gets_in_mix, "{name}");
        assert!(mixed.bytes_per_sec > 0.0);
    }
    assert!(report.leftovers.is_empty(), "{:?}", report.leftovers);
    for backend in [&local, &s3] {
        assert!(is_empty(backend).await, "{} left objects", backend.name);
    }

    // The plan must write the pool before mixing.
    plan.operations = vec![StorageOperation::Mixed];
    let error = run(&plan, vec![Ok(local)], |_| {}).await.unwrap_err();
    assert!(error.to_string().contains("before `mixed`"), "{error}");
}
