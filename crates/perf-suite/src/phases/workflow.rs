//! Workflow: the ten-step portrait workflow as the logged-in user, sharing the run's ledger.

use portrait_workflow::{ServiceTarget, WorkflowConfig, run_workflow};

use crate::context::{Context, Stop};

impl Context<'_> {
    /// The phase.
    pub(crate) async fn workflow(&mut self, target: &ServiceTarget) -> Result<(), Stop> {
        let mut config = WorkflowConfig::new(&self.base_url, &self.run_id);
        config.username.clone_from(&self.config.target.user);
        config.password = self.password.to_owned();
        config.options = self.options();
        config.ledger = target.ledger.clone();
        config.cancel = self.cancel.child_token();
        let outcome = run_workflow(config).await?;
        let failed = outcome.report.failed_steps();
        self.note(format!(
            "  workflow: {} steps, {failed} failed",
            outcome.report.steps.len()
        ));
        self.push_scenario(outcome.http);
        self.report.workflow = Some(outcome.report);
        if outcome.interrupted {
            return Err(Stop::Interrupted);
        }
        Ok(())
    }
}
