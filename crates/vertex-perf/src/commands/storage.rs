//! `vertex-perf storage`: local disk vs S3 (embedded, MinIO, any endpoint); writes
//! `storage_integration_report.json`, `suite.json`, `junit.xml` and `summary.md`.

use anyhow::{Context as _, Result, bail};
use report_model::{MetricUnit, RunIdentity, RunKind, StorageOperation, SuiteReport};
use storage_bench::{Backend, EmbeddedS3, Plan, minio_url_from_env};

use crate::cli::StorageArgs;
use crate::closing::Against;
use crate::output::Output;
use crate::progress::{Progress, describe_storage};

fn operation(name: &str) -> Result<StorageOperation> {
    Ok(match name.trim() {
        "put" => StorageOperation::Put,
        "get" => StorageOperation::Get,
        "head" => StorageOperation::Head,
        "list" => StorageOperation::List,
        "delete" => StorageOperation::Delete,
        "mixed" => StorageOperation::Mixed,
        other => bail!("unknown operation `{other}`\n(hint: put, get, head, list, delete, mixed)"),
    })
}

/// Runs the comparison; exit 1 when an object came back different or a threshold failed.
pub fn run(args: &StorageArgs, output: &mut Output) -> Result<u8> {
    // Malformed URLs are usage errors, found before anything runs.
    for url in &args.backends {
        url.parse::<storage_bench::BackendSpec>()?;
    }
    let operations = args
        .ops
        .iter()
        .map(|op| operation(op))
        .collect::<Result<_>>()?;
    let mut meta = crate::provenance::run_meta(None);
    let mut plan = Plan::new(&format!("vertex-perf/{}", meta.run_id));
    plan.sizes.clone_from(&args.sizes);
    plan.objects = args.objects;
    plan.concurrency = args.concurrency;
    plan.repetitions = args.repeat;
    plan.operations = operations;
    plan.mix = args.mix.parse()?;
    plan.mixed_operations = args.mixed_ops;
    let shard = args.split.resolve()?;
    if let Some(shard) = shard {
        plan.shard(shard)?;
    }
    let folder = args.out.folder(&meta.run_id);
    let gate = args.thresholds.gate(RunKind::Storage);

    // Scratch space for the default local directory and the embedded server, removed at
    // the end whatever happens.
    let scratch = tempfile::Builder::new()
        .prefix("vertex-perf-storage-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let urls: Vec<String> = if args.backends.is_empty() {
        let mut urls = vec![
            format!("file://{}", scratch.path().join("local").display()),
            "s3+embedded://".to_owned(),
        ];
        urls.extend(minio_url_from_env());
        urls
    } else {
        args.backends.clone()
    };
    let runtime = crate::runtime::new()?;
    meta.segment = args.split.start(shard, RunKind::Storage, &runtime, output);
    let storage = runtime.block_on(crate::interrupt::cancelling_on_signal(
        plan.cancel.clone(),
        async {
            let embedded = if urls.iter().any(|u| u == "s3+embedded://") {
                Some(EmbeddedS3::start(&scratch.path().join("embedded-s3")).await?)
            } else {
                None
            };
            let backends = storage_bench::open_all(&urls, async |url| {
                if let Some(base_url) = url.strip_prefix("vertex+") {
                    service_backend(url, base_url, args).await
                } else {
                    Backend::open(url, embedded.as_ref(), None, args.create_bucket).await
                }
            })
            .await;
            for (url, error) in backends.iter().filter_map(|b| b.as_ref().err()) {
                output.note(&format!(
                    "skipping {}: {}",
                    report_model::redact_url(url),
                    report_model::error_chain(error).replace('\n', " ")
                ));
            }
            run_with_progress(&plan, backends).await
        },
    ))?;
    meta.finish();

    let mut report = SuiteReport::new(meta);
    report.meta.identity = Some(RunIdentity::new(
        "storage",
        &format!(
            "storage sizes {:?} objects {} in flight {} repeat {} ops {} mix {} x{}",
            args.sizes,
            args.objects,
            args.concurrency,
            args.repeat,
            args.ops.join(","),
            args.mix,
            args.mixed_ops
        ),
        &report.meta.host,
    ));
    if storage.interrupted {
        report.outcome = report_model::RunOutcome::Interrupted;
    }
    report.storage = Some(storage);
    crate::closing::close(
        report,
        RunKind::Storage,
        &gate,
        Against::Thresholds,
        &folder,
        summary,
        output,
    )
}

/// Runs `plan` with a progress line showing each phase's MiB/s.
async fn run_with_progress(
    plan: &Plan,
    backends: Vec<Result<Backend, (String, storage_bench::StorageError)>>,
) -> Result<report_model::StorageReport, storage_bench::StorageError> {
    let mut progress = Progress::new();
    let report =
        storage_bench::run(plan, backends, |p| progress.update(&describe_storage(&p))).await;
    progress.finish();
    report
}

/// Logs in to the service and wraps it as a store.
async fn service_backend(
    url: &str,
    base_url: &str,
    args: &StorageArgs,
) -> Result<Backend, storage_bench::StorageError> {
    let failed =
        |message: String, source: storage_bench::BoxError| storage_bench::StorageError::Backend {
            backend: report_model::redact_url(url),
            message,
            source: Some(source),
        };
    let password = crate::credentials::password(args.login.password_env.as_deref())
        .map_err(|e| failed("no password".to_owned(), e.into()))?;
    let options = load_engine::LoadOptions::default();
    let target = portrait_workflow::log_in(base_url, &args.login.user, &password, false, &options)
        .await
        .map_err(|e| failed(format!("cannot log in as `{}`", args.login.user), e.into()))?;
    let store = portrait_workflow::ServiceStore::new(target, options, "storage");
    Backend::service(url, std::sync::Arc::new(store))
}

/// The closing summary of a storage run: its table, then the verdict.
pub(crate) fn summary(report: &SuiteReport) -> String {
    crate::summary::finish(report, table(report))
}

fn table(report: &SuiteReport) -> Vec<String> {
    let Some(storage) = &report.storage else {
        return Vec::new();
    };
    let duration = |us: u64| MetricUnit::Duration.format(us as f64);
    let mut lines = vec![format!(
        "{:<12} {:<16} {:>9} {:>10} {:>9} {:>9} {:>9}  integrity",
        "backend", "op", "size", "MiB/s", "p50", "p99", "ttfb p50"
    )];
    for result in &storage.results {
        lines.push(format!(
            "{:<12} {:<16} {:>9} {:>10.1} {:>9} {:>9} {:>9}  {}",
            result.backend,
            storage.operation_label(result),
            MetricUnit::Bytes.format(result.object_size_bytes as f64),
            result.bytes_per_sec / (1024.0 * 1024.0),
            duration(result.latency.summary.p50_us),
            duration(result.latency.summary.p99_us),
            result
                .ttfb
                .as_ref()
                .map_or_else(|| "-".to_owned(), |t| duration(t.summary.p50_us)),
            if result.integrity.mismatches.is_empty() {
                format!("{} ok", result.integrity.verified)
            } else {
                format!("{} MISMATCHED", result.integrity.mismatches.len())
            },
        ));
    }
    for ratio in &storage.ratios {
        lines.push(format!(
            "{}/{} {} {}: {:.2}x",
            ratio.numerator,
            ratio.denominator,
            ratio.operation,
            MetricUnit::Bytes.format(ratio.object_size_bytes as f64),
            ratio.ratio
        ));
    }
    for backend in storage.backends.iter().filter(|b| b.skipped.is_some()) {
        lines.push(format!(
            "skipped {}: {}",
            backend.url,
            backend
                .skipped
                .as_deref()
                .unwrap_or_default()
                .replace('\n', " ")
        ));
    }
    lines
}
