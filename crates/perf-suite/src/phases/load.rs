//! Load: orders created by several users (then deleted), the read mix, and the stress run
//! bounded by time.

use std::sync::Arc;
use std::time::Duration;

use load_engine::{Bound, Executor};
use portrait_workflow::scenarios::{self, OrderCreation};
use portrait_workflow::{ServiceTarget, TestData};

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
        Ok(())
    }
}
