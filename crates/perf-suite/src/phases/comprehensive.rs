//! Comprehensive: one large order upload (measured as a run of its own), concurrent
//! uploads, DB-backed reads, and optionally the same reads timed directly on SQLite.

use std::sync::Arc;

use portrait_workflow::scenarios::{self, OrderCreation};
use portrait_workflow::{ServiceTarget, TestData};
use report_model::MetricUnit;

use crate::context::{Context, Stop, closed, duration};

impl Context<'_> {
    /// The phase; its orders are deleted however it ended (interrupted included).
    pub(crate) async fn comprehensive(&mut self, target: &ServiceTarget) -> Result<(), Stop> {
        let data = Arc::new(TestData::new(&format!("{}-comprehensive", self.run_id)));
        let uploads = OrderCreation::new(target, Arc::clone(&data));
        let result = self.comprehensive_work(target, &data, &uploads).await;
        self.cleanup(&uploads).await?;
        result
    }

    async fn comprehensive_work(
        &mut self,
        target: &ServiceTarget,
        data: &Arc<TestData>,
        uploads: &OrderCreation,
    ) -> Result<(), Stop> {
        // One upload cannot be split: the first shard makes it.
        if self.shard.is_first() {
            self.large_upload(target, data, uploads).await?;
            self.check_cancelled()?;
        }

        let phases = &self.config.phases;
        let executor = closed(phases.concurrent_upload_workers, phases.concurrent_uploads);
        let report = self
            .drive(&uploads.scenario("concurrent_uploads"), &executor)
            .await?;
        self.push_scenario(report);
        self.check_cancelled()?;

        let phases = &self.config.phases;
        let orders = uploads.created();
        let reads = scenarios::db_reads(target, &orders);
        let report = self
            .drive(&reads, &closed(phases.db_read_workers, phases.db_reads))
            .await?;
        self.push_scenario(report);
        if let Some(path) = self.sqlite.filter(|_| self.shard.is_first()) {
            let (path, runs) = (path.to_owned(), self.config.phases.db_reads);
            let timed = tokio::task::spawn_blocking(move || {
                portrait_workflow::time_direct_reads(&path, &orders, runs)
            })
            .await;
            match timed {
                Ok(Ok(report)) => {
                    let merged = report.merged().summary();
                    self.note(format!(
                        "  db_direct: {} queries, p95 {} (read-only on {})",
                        merged.count,
                        duration(merged.p95_us),
                        report.database
                    ));
                    self.report.db_direct = Some(report);
                }
                Ok(Err(error)) => self.note(format!("  direct queries skipped: {error}")),
                Err(error) => self.note(format!("  direct queries failed: {error}")),
            }
        }
        Ok(())
    }

    /// One order with a large image and video, as a one-call run of its own (its bytes and
    /// duration are the figures); the order joins `uploads`' ledger.
    async fn large_upload(
        &mut self,
        target: &ServiceTarget,
        data: &Arc<TestData>,
        uploads: &OrderCreation,
    ) -> Result<(), Stop> {
        let phases = &self.config.phases;
        let image_bytes = usize::try_from(phases.large_upload_image_mib * 1024 * 1024).unwrap_or(0);
        let video_bytes = usize::try_from(phases.large_upload_video_mib * 1024 * 1024).unwrap_or(0);
        let (data, target, created) = (Arc::clone(data), target.clone(), uploads.clone());
        let image = data.portrait_of_size(image_bytes);
        let video = TestData::sized_video(video_bytes, 7);
        let (result, http) =
            load_engine::run_once("large_upload", &self.options(), move |client| {
                let (data, target, image, video, created) = (
                    Arc::clone(&data),
                    target.clone(),
                    image.clone(),
                    video.clone(),
                    created.clone(),
                );
                Box::pin(async move {
                    let mut api = target.api(client);
                    let order = api
                        .create_order(&data.phone(), &data.name(0), &image, &video)
                        .await?;
                    created.adopt(order);
                    Ok::<(), portrait_workflow::ApiError>(())
                })
            })
            .await?;
        if let Some(Err(error)) = result {
            self.note(format!(
                "  large upload failed: {}",
                report_model::error_chain(&error)
            ));
        }
        self.note(format!(
            "  large_upload: {} in {}",
            MetricUnit::Bytes.format(http.bytes_sent as f64),
            duration(http.duration_us)
        ));
        self.push_scenario(http);
        Ok(())
    }
}
