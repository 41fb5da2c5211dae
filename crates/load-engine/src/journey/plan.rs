//! A compiled journey: steps with their templates resolved to slots, ready to run.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, Method};
use serde::Deserialize;

use super::template::{Template, Values};
use crate::Check;

pub(crate) struct Plan {
    pub name: String,
    pub slot_count: usize,
    /// Variable names by slot, for messages.
    pub names: Vec<String>,
    pub base: usize,
    /// The file's `base`, unless the run gives one.
    pub base_value: Option<Arc<str>>,
    pub user: usize,
    pub iteration: usize,
    pub item: usize,
    /// Whether any step reads `{iteration}` (set only then: it costs an allocation).
    pub uses_iteration: bool,
    /// `[vars]` and `[secrets]`.
    pub statics: Vec<(usize, Arc<str>)>,
    pub data: Option<DataRows>,
    pub setup: Vec<Step>,
    pub steps: Vec<Step>,
    pub teardown: Vec<Step>,
    /// The lists steps record into, by index.
    pub lists: Vec<String>,
}

impl Plan {
    /// The values every user starts from: `[vars]`, `[secrets]` and `base`.
    pub(crate) fn initial_values(&self, base: &Arc<str>) -> Values {
        let mut values = vec![None; self.slot_count];
        for (slot, value) in &self.statics {
            values[*slot] = Some(Arc::clone(value));
        }
        values[self.base] = Some(Arc::clone(base));
        values
    }
}

/// The rows of the `[data]` CSV file.
pub(crate) struct DataRows {
    /// The slot of each column.
    pub columns: Vec<usize>,
    pub rows: Vec<Vec<Arc<str>>>,
    pub mode: DataMode,
}

/// How users take the rows of `[data]`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
pub(crate) enum DataMode {
    /// User n takes row n modulo the row count.
    #[default]
    #[serde(rename = "round-robin")]
    RoundRobin,
    /// User n takes row n; a run with more users than rows is refused.
    #[serde(rename = "unique")]
    Unique,
}

pub(crate) struct Step {
    pub label: Arc<str>,
    pub method: Method,
    pub url: Template,
    pub headers: Vec<(HeaderName, Template)>,
    pub body: BodySpec,
    pub extract: Vec<Extract>,
    pub check: Check,
    /// JSON Pointer → a value with variables (of earlier steps), added to the request's
    /// check per request.
    pub expect: Vec<(String, Template)>,
    /// `check`, also passing redirects: for the hops of a followed redirect.
    pub hop_check: Check,
    pub think: Option<Think>,
    /// Runs in a user's iterations until it has passed once; what it extracts stays.
    pub per_user: bool,
    /// Appends a value to a run-wide list when the step passes (for the teardown).
    pub record: Option<(usize, Template)>,
    /// A teardown step run once per item of a recorded list, as `{item}`.
    pub for_each: Option<usize>,
    /// Redirects followed at most (0: none).
    pub redirects: u32,
    /// The response headers the step reads: cookies, a redirect's target, the content type
    /// its check wants, the headers it extracts.
    pub kept_headers: Vec<HeaderName>,
    /// Its request reads only values fixed for the whole run (`[vars]`, secrets, `base`,
    /// what the setup extracted): it is serialised once, after the setup.
    pub fixed: bool,
}

impl Step {
    /// The slots its request (URL, headers, body) reads.
    pub(crate) fn request_variables(&self) -> Vec<usize> {
        let mut slots: Vec<usize> = self.url.variables().collect();
        for (_, value) in &self.headers {
            slots.extend(value.variables());
        }
        match &self.body {
            BodySpec::None => {}
            BodySpec::Json(json) => json.variables(&mut slots),
            BodySpec::Form(fields) => {
                for (_, value) in fields {
                    slots.extend(value.variables());
                }
            }
            BodySpec::Raw(text) => slots.extend(text.variables()),
            BodySpec::Multipart(parts) => {
                for part in parts {
                    if let PartSpec::Text { value, .. } = part {
                        slots.extend(value.variables());
                    }
                }
            }
        }
        slots
    }

    /// Every slot it reads: its request's, its JSON expectations' and its record's.
    pub(crate) fn variables(&self) -> Vec<usize> {
        let mut slots = self.request_variables();
        for (_, want) in &self.expect {
            slots.extend(want.variables());
        }
        if let Some((_, value)) = &self.record {
            slots.extend(value.variables());
        }
        slots
    }

    /// Whether it reads the response body (a body check or a JSON or regex extract).
    pub(crate) fn needs_body(&self) -> bool {
        self.check.needs_body()
            || self
                .extract
                .iter()
                .any(|rule| !matches!(rule.from, ExtractFrom::Header(_)))
    }
}

pub(crate) enum BodySpec {
    None,
    Json(JsonTemplate),
    Form(Vec<(String, Template)>),
    Raw(Template),
    Multipart(Vec<PartSpec>),
}

pub(crate) enum JsonTemplate {
    Literal(serde_json::Value),
    String(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    fn variables(&self, slots: &mut Vec<usize>) {
        match self {
            JsonTemplate::Literal(_) => {}
            JsonTemplate::String(template) => slots.extend(template.variables()),
            JsonTemplate::Array(items) => {
                for item in items {
                    item.variables(slots);
                }
            }
            JsonTemplate::Object(fields) => {
                for (_, item) in fields {
                    item.variables(slots);
                }
            }
        }
    }

    pub(crate) fn render(&self, values: &Values) -> Result<serde_json::Value, usize> {
        Ok(match self {
            JsonTemplate::Literal(value) => value.clone(),
            JsonTemplate::String(template) => serde_json::Value::String(template.render(values)?),
            JsonTemplate::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|item| item.render(values))
                    .collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(key, item)| Ok::<_, usize>((key.clone(), item.render(values)?)))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

pub(crate) enum PartSpec {
    Text {
        name: String,
        value: Template,
    },
    File {
        name: String,
        filename: String,
        content_type: String,
        bytes: Bytes,
    },
}

pub(crate) struct Extract {
    pub slot: usize,
    pub from: ExtractFrom,
}

pub(crate) enum ExtractFrom {
    /// A JSON Pointer into the body; a string is taken as is, anything else as JSON text.
    Json(String),
    Header(HeaderName),
    /// The first capture group of the first match (the whole match without groups).
    Regex(regex::Regex),
}

/// A pause after a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Think {
    Fixed(Duration),
    Uniform(Duration, Duration),
}
