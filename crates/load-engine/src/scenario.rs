//! [`Scenario`]: what one iteration does — one request template, or user code driving an
//! instrumented [`Client`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Check, Client, RequestTemplate};

/// A boxed future, as [`UserScenario::iteration`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// User code run once per iteration. Every request it sends through the [`Client`] is
/// recorded under its label; the iteration's `Err(reason)` counts as a failed check.
///
/// ```
/// use load_engine::{BoxFuture, Client, UserScenario};
///
/// struct Health { url: String }
///
/// impl UserScenario for Health {
///     fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>> {
///         Box::pin(async move {
///             let request = http::Request::get(&self.url).body(bytes::Bytes::new()).unwrap();
///             let response = client.send("GET /health", request).await.map_err(|e| e.to_string())?;
///             if response.status == 200 { Ok(()) } else { Err(format!("status {}", response.status)) }
///         })
///     }
/// }
/// ```
pub trait UserScenario: Send + Sync + 'static {
    /// Runs one iteration.
    fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), String>>;
}

/// What an iteration does.
#[derive(Clone)]
pub enum ScenarioKind {
    /// Send one request, judged by a check.
    Template {
        /// The request.
        request: Box<RequestTemplate>,
        /// What counts as success.
        check: Check,
    },
    /// Run user code.
    User(Arc<dyn UserScenario>),
}

/// A named scenario.
#[derive(Clone)]
pub struct Scenario {
    /// Name in reports, e.g. `read_mix`.
    pub name: String,
    /// What an iteration does.
    pub kind: ScenarioKind,
}

impl Scenario {
    /// A scenario sending `request`, successful on any 2xx.
    pub fn template(name: &str, request: RequestTemplate) -> Scenario {
        Scenario {
            name: name.to_owned(),
            kind: ScenarioKind::Template {
                request: Box::new(request),
                check: Check::success(),
            },
        }
    }

    /// A scenario running user code.
    pub fn user(name: &str, code: impl UserScenario) -> Scenario {
        Scenario {
            name: name.to_owned(),
            kind: ScenarioKind::User(Arc::new(code)),
        }
    }

    /// Replaces the check of a template scenario (no effect on user scenarios).
    #[must_use]
    pub fn with_check(mut self, check: Check) -> Scenario {
        if let ScenarioKind::Template { check: current, .. } = &mut self.kind {
            *current = check;
        }
        self
    }
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            ScenarioKind::Template { request, .. } => format!("template {}", request.label_str()),
            ScenarioKind::User(_) => "user code".to_owned(),
        };
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("kind", &kind)
            .finish()
    }
}
