//! Load: orders created by several users (then deleted), the read mix, and the stress run
//! bounded by time.

use std::sync::Arc;
use std::time::Duration;

use load_engine::journey::{Journey, JourneyError};
use load_engine::{Bound, Executor};
use portrait_workflow::scenarios::{self, OrderCreation};
use portrait_workflow::{ServiceTarget, TestData};

use crate::SuiteError;
use crate::config::ScenarioFileConfig;
use crate::context::{Context, Stop, closed};

impl Context<'_> {
    /// The phase.
    pub(crate) async fn load(&mut self, target: &ServiceTarget) -> Result<(), Stop> {
        let phases = &self.config.phases;
        let data = Arc::new(TestData::new(&format!("{}-load", self.run_id)));
        let orders = OrderCreation::new(target, data);
        let report = self
            .drive(
                &orders.scenario("concurrent_orders"),
                &closed(phases.order_workers, phases.orders),
            )
            .await;
        self.cleanup(&orders).await?;
        self.push_scenario(report?);
        self.check_cancelled()?;

        let phases = &self.config.phases;
        let report = self
            .drive(
                &scenarios::read_mix(target),
                &closed(phases.read_mix_workers, phases.read_mix_requests),
            )
            .await?;
        self.push_scenario(report);
        self.check_cancelled()?;

        let phases = &self.config.phases;
        let executor = Executor::Closed {
            users: phases.stress_workers,
            bound: Bound::Duration(Duration::from_secs(phases.stress_seconds)),
            think_time: Duration::from_millis(phases.stress_think_ms),
        };
        let report = self.drive(&scenarios::stress(target), &executor).await?;
        self.push_scenario(report);
        for entry in &self.config.scenario_files {
            self.check_cancelled()?;
            self.journey(entry).await?;
        }
        Ok(())
    }

    /// One journey file of `[[suite.scenario_files]]`: its setup, its run, its teardown.
    async fn journey(&mut self, entry: &ScenarioFileConfig) -> Result<(), Stop> {
        let journey_error = |error: JourneyError| Stop::setup(SuiteError::Journey(error));
        let journey =
            Journey::from_file(entry.path(), Some(&self.base_url)).map_err(journey_error)?;
        let options = self.options();
        journey.setup(&options).await.map_err(journey_error)?;
        let report = self.drive(&journey.scenario(), &entry.executor()).await;
        let teardown = journey.teardown(&options).await.map_err(journey_error)?;
        if let Some(problems) = teardown.problems() {
            self.note(format!("  {}: {problems}", journey.name()));
        }
        self.push_scenario(report?);
        Ok(())
    }
}
