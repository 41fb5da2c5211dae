//! Storage: local disk vs S3 (the embedded server unless one is named, plus the configured
//! extra backends) vs the service's own uploads, with every object's checksum verified.

use std::sync::Arc;

use portrait_workflow::{ServiceStore, ServiceTarget};
use report_model::{MetricUnit, StorageOperation};
use storage_bench::{Backend, EmbeddedS3, Plan};

use crate::SuiteError;
use crate::SuiteEvent;
use crate::context::{Context, Stop};

impl Context<'_> {
    /// The phase.
    pub(crate) async fn storage(&mut self, target: &ServiceTarget) -> Result<(), Stop> {
        let phases = &self.config.phases;
        let mut plan = Plan::new(&format!("vertex-perf/{}", self.run_id));
        plan.sizes = storage_bench::parse_sizes(&phases.storage_sizes)
            .map_err(|e| Stop::setup(SuiteError::Storage(e)))?;
        plan.objects = phases.storage_objects;
        plan.concurrency = phases.storage_concurrency;
        plan.operations = vec![
            StorageOperation::Put,
            StorageOperation::Get,
            StorageOperation::Head,
            StorageOperation::Delete,
        ];
        plan.cancel = self.cancel.child_token();
        if !self.shard.is_whole() {
            plan.shard(self.shard)
                .map_err(|e| Stop::setup(SuiteError::Storage(e)))?;
        }
        let embedded = if self.s3.is_some() {
            None
        } else {
            match EmbeddedS3::start(&self.scratch.join("embedded-s3")).await {
                Ok(server) => Some(server),
                Err(error) => {
                    self.note(format!(
                        "  embedded S3 did not start: {}",
                        report_model::error_chain(&error)
                    ));
                    None
                }
            }
        };
        let mut urls = vec![
            format!("file://{}", self.scratch.join("local").display()),
            self.s3.unwrap_or("s3+embedded://").to_owned(),
        ];
        urls.extend(phases.storage_backends.iter().cloned());
        let mut backends = storage_bench::open_all(&urls, async |url| {
            Backend::open(url, embedded.as_ref(), None, false).await
        })
        .await;
        for (url, error) in backends.iter().filter_map(|b| b.as_ref().err()) {
            self.note(format!(
                "skipping {}: {}",
                report_model::redact_url(url),
                report_model::error_chain(error).replace('\n', " ")
            ));
        }
        let service_url = format!("vertex+{}", self.base_url);
        let store = ServiceStore::new(target.clone(), self.options(), &self.run_id);
        backends.push(
            Backend::service(&service_url, Arc::new(store)).map_err(|e| (service_url.clone(), e)),
        );
        let events = self.events;
        let storage = storage_bench::run(&plan, backends, |progress| {
            events(SuiteEvent::StorageProgress(progress));
        })
        .await;
        events(SuiteEvent::ProgressEnded);
        let storage = storage.map_err(|e| Stop::setup(SuiteError::Storage(e)))?;
        let interrupted = storage.interrupted;
        for ratio in &storage.ratios {
            self.note(format!(
                "  {}/{} {} {}: {:.2}x",
                ratio.numerator,
                ratio.denominator,
                ratio.operation,
                MetricUnit::Bytes.format(ratio.object_size_bytes as f64),
                ratio.ratio
            ));
        }
        self.report.storage = Some(storage);
        if interrupted {
            return Err(Stop::Interrupted);
        }
        Ok(())
    }
}
