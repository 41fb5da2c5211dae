//! [`Scenario`]: what one iteration does — one request template, or user code driving an
//! instrumented [`Client`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use report_model::ErrorClass;

use crate::{Check, Client, RequestFailure, RequestTemplate};

/// A boxed future, as [`UserScenario::iteration`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why one iteration of user code failed. It is data, like a failed request: the run counts
/// it as a failed check and goes on. It keeps the failure's class (a refused connection, a
/// 5xx, a body that broke the contract, ...) and its cause, so code driving a scenario
/// directly can tell them apart.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct IterationError {
    class: ErrorClass,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl IterationError {
    /// A failure of `class` described by `message`.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> IterationError {
        IterationError {
            class,
            message: message.into(),
            source: None,
        }
    }

    /// A failure of `class` caused by `source` (its message is the source's).
    pub fn caused_by(
        class: ErrorClass,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> IterationError {
        IterationError {
            class,
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }

    /// A response that was not what the scenario needed (status, content, shape).
    pub fn check(message: impl Into<String>) -> IterationError {
        IterationError::new(ErrorClass::CheckFailed, message)
    }

    /// How the failure is classified.
    pub fn class(&self) -> ErrorClass {
        self.class
    }
}

impl From<RequestFailure> for IterationError {
    fn from(failure: RequestFailure) -> IterationError {
        IterationError::caused_by(failure.class, failure)
    }
}

/// User code run once per iteration. Every request it sends through the [`Client`] is
/// recorded under its label; an iteration's [`IterationError`] counts as a failed check.
///
/// ```
/// use load_engine::{BoxFuture, Client, IterationError, UserScenario};
///
/// struct Health { url: String }
///
/// impl UserScenario for Health {
///     fn iteration<'a>(&'a self, client: &'a mut Client) -> BoxFuture<'a, Result<(), IterationError>> {
///         Box::pin(async move {
///             let request = http::Request::get(&self.url).body(bytes::Bytes::new()).unwrap();
///             let response = client.send("GET /health", request).await?;
///             if response.status == 200 { Ok(()) } else { Err(IterationError::check(format!("status {}", response.status))) }
///         })
///     }
/// }
/// ```
pub trait UserScenario: Send + Sync + 'static {
    /// Runs one iteration.
    fn iteration<'a>(&'a self, client: &'a mut Client)
    -> BoxFuture<'a, Result<(), IterationError>>;
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
