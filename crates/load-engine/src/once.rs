//! [`run_once`]: one call of user code by one user, measured like any run; for the steps
//! around a load run (a login, an upload whose figures matter, a cleanup).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use report_model::ScenarioReport;

use crate::{
    Bound, BoxFuture, Client, Executor, IterationError, LoadError, LoadOptions, RunControl,
    Scenario, ScenarioKind, UserScenario,
};

/// Runs `call` once through a fresh instrumented client (a one-user, one-iteration run) and
/// returns its output with the HTTP figures of the run, under `name`. The output is `None`
/// only when the iteration never ran (the run was refused before it started).
pub async fn run_once<T, F>(
    name: &str,
    options: &LoadOptions,
    call: F,
) -> Result<(Option<T>, ScenarioReport), LoadError>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut Client) -> BoxFuture<'c, T> + Send + Sync + 'static,
{
    let once = Arc::new(Once {
        call,
        output: Mutex::new(None),
    });
    let scenario = Scenario {
        name: name.to_owned(),
        kind: ScenarioKind::User(once.clone()),
    };
    let executor = Executor::Closed {
        users: 1,
        bound: Bound::Iterations(1),
        think_time: Duration::ZERO,
    };
    let http = crate::run(&scenario, &executor, options, RunControl::default()).await?;
    let output = once.output.lock().ok().and_then(|mut output| output.take());
    Ok((output, http))
}

struct Once<T, F> {
    call: F,
    output: Mutex<Option<T>>,
}

impl<T, F> UserScenario for Once<T, F>
where
    T: Send + 'static,
    F: for<'c> Fn(&'c mut Client) -> BoxFuture<'c, T> + Send + Sync + 'static,
{
    fn iteration<'a>(
        &'a self,
        client: &'a mut Client,
    ) -> BoxFuture<'a, Result<(), IterationError>> {
        Box::pin(async move {
            let value = (self.call)(client).await;
            if let Ok(mut output) = self.output.lock() {
                *output = Some(value);
            }
            Ok(())
        })
    }
}
