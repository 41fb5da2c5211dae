//! The journey file as written (TOML, with spans) and its compilation into [`Plan`]: every
//! variable resolved to a slot and checked to have a value where it is used, every file
//! part and CSV file read, every regex and pointer checked, before any request is sent.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, Method};
use serde::Deserialize;
use toml::Spanned;

use super::JourneyError;
use super::plan::{
    BodySpec, DataMode, DataRows, Extract, ExtractFrom, JsonTemplate, PartSpec, Plan, Step, Think,
};
use super::template::{Slots, Template};
use crate::Check;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JourneyFile {
    name: Option<String>,
    base: Option<Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    secrets: BTreeMap<String, Spanned<String>>,
    data: Option<Spanned<DataFile>>,
    #[serde(default)]
    http: HttpFile,
    #[serde(default)]
    setup: Vec<Spanned<StepFile>>,
    #[serde(default, rename = "step")]
    steps: Vec<Spanned<StepFile>>,
    #[serde(default)]
    teardown: Vec<Spanned<StepFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataFile {
    file: String,
    #[serde(default)]
    mode: DataMode,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    follow_redirects: Option<bool>,
    max_redirects: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    label: Option<String>,
    method: Option<String>,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<toml::Value>,
    form: Option<BTreeMap<String, String>>,
    body: Option<String>,
    multipart: Option<Vec<PartFile>>,
    #[serde(default)]
    extract: Vec<ExtractFile>,
    #[serde(default)]
    check: CheckFile,
    think: Option<String>,
    #[serde(default)]
    per_user: bool,
    record: Option<RecordFile>,
    for_each: Option<String>,
    follow_redirects: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartFile {
    name: String,
    value: Option<String>,
    file: Option<String>,
    bytes: Option<u64>,
    filename: Option<String>,
    content_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractFile {
    var: String,
    json: Option<String>,
    header: Option<String>,
    regex: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    status: Option<StatusFile>,
    content_type: Option<String>,
    #[serde(default)]
    json: BTreeMap<String, toml::Value>,
    body_min: Option<u64>,
    body_max: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StatusFile {
    One(u16),
    Many(Vec<u16>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordFile {
    list: String,
    value: String,
}

/// The largest generated multipart part, bytes.
const MAX_GENERATED_PART: u64 = 1 << 30;
/// The most redirects a step may follow.
const MAX_REDIRECTS: u32 = 100;

/// Where an error is, for its message.
struct Place<'a> {
    source: &'a str,
    span: Range<usize>,
    key: String,
}

/// Compiles `source` (read from `path`, whose directory holds the files it names).
pub(crate) fn compile(source: &str, path: &Path) -> Result<Plan, JourneyError> {
    let shown = path.display().to_string();
    let error_at = |place: &Place<'_>, message: String| {
        let (line, column) = line_column(place.source, place.span.start);
        JourneyError::File {
            location: format!("{shown}:{line}:{column}"),
            key: place.key.clone(),
            message,
        }
    };
    let file: JourneyFile = toml::from_str(source).map_err(|err| {
        let span = err.span().unwrap_or(0..0);
        error_at(
            &Place {
                source,
                span,
                key: String::new(),
            },
            err.message().to_owned(),
        )
    })?;
    let base_dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut slots = Slots::default();
    let base = slots.slot("base");
    let user = slots.slot("user");
    let iteration = slots.slot("iteration");
    let item = slots.slot("item");

    let mut statics = Vec::new();
    for (name, value) in &file.vars {
        statics.push((slots.slot(name), Arc::<str>::from(value.get_ref().as_str())));
    }
    for (name, variable) in &file.secrets {
        let place = Place {
            source,
            span: variable.span(),
            key: format!("secrets.{name}"),
        };
        let value = std::env::var(variable.get_ref()).map_err(|_| {
            error_at(
                &place,
                format!(
                    "the environment variable `{}` is not set (secrets are read from the environment only)",
                    variable.get_ref()
                ),
            )
        })?;
        statics.push((slots.slot(name), Arc::<str>::from(value)));
    }

    let data = match &file.data {
        None => None,
        Some(data) => {
            let place = Place {
                source,
                span: data.span(),
                key: "data.file".to_owned(),
            };
            Some(
                read_rows(
                    &base_dir.join(&data.get_ref().file),
                    data.get_ref().mode,
                    &mut slots,
                )
                .map_err(|message| error_at(&place, message))?,
            )
        }
    };

    let follow = file.http.follow_redirects.unwrap_or(true);
    let max_redirects = file.http.max_redirects.unwrap_or(10).min(MAX_REDIRECTS);
    let mut lists: Vec<String> = Vec::new();
    let mut compiler = Compiler {
        source,
        slots: &mut slots,
        lists: &mut lists,
        base_dir,
        redirects: if follow { max_redirects } else { 0 },
        error_at: &error_at,
    };

    let run_wide: HashSet<usize> = statics
        .iter()
        .map(|(slot, _)| *slot)
        .chain([base])
        .collect();
    let mut known = run_wide.clone();
    let setup = compiler.steps("setup", &file.setup, &mut known, None)?;
    let after_setup = known.clone();
    known.extend([user, iteration]);
    if let Some(data) = &data {
        known.extend(data.columns.iter().copied());
    }
    let mut steps = compiler.steps("step", &file.steps, &mut known, None)?;
    let per_user: HashSet<usize> = steps
        .iter()
        .flat_map(|step| step.extract.iter().map(|rule| rule.slot))
        .chain([user, iteration])
        .chain(data.iter().flat_map(|d| d.columns.iter().copied()))
        .collect();
    for step in &mut steps {
        step.fixed = step
            .request_variables()
            .iter()
            .all(|slot| after_setup.contains(slot) && !per_user.contains(slot));
    }
    let uses_iteration = steps.iter().any(|step| {
        step.request_variables().contains(&iteration)
            || step
                .record
                .as_ref()
                .is_some_and(|(_, value)| value.variables().any(|slot| slot == iteration))
    });
    let mut known_after = after_setup;
    let teardown = compiler.steps("teardown", &file.teardown, &mut known_after, Some(item))?;
    if steps.is_empty() {
        return Err(error_at(
            &Place {
                source,
                span: 0..0,
                key: "step".to_owned(),
            },
            "a journey needs at least one [[step]]".to_owned(),
        ));
    }
    let base_value = file
        .base
        .as_ref()
        .map(|b| Arc::<str>::from(b.get_ref().as_str()));
    Ok(Plan {
        name: file.name.unwrap_or_else(|| {
            path.file_stem().map_or_else(
                || "journey".to_owned(),
                |s| s.to_string_lossy().into_owned(),
            )
        }),
        slot_count: slots.len(),
        names: (0..slots.len()).map(|s| slots.name(s).to_owned()).collect(),
        base,
        base_value,
        user,
        iteration,
        item,
        uses_iteration,
        statics,
        data,
        setup,
        steps,
        teardown,
        lists,
    })
}

/// The line and column (1-based) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

fn read_rows(path: &Path, mode: DataMode, slots: &mut Slots) -> Result<DataRows, String> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let headers = reader
        .headers()
        .map_err(|err| format!("{}: {err}", path.display()))?
        .clone();
    let columns = headers.iter().map(|name| slots.slot(name.trim())).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|err| format!("{}: {err}", path.display()))?;
        rows.push(record.iter().map(Arc::<str>::from).collect());
    }
    if rows.is_empty() {
        return Err(format!("{} has a header but no rows", path.display()));
    }
    Ok(DataRows {
        columns,
        rows,
        mode,
    })
}

struct Compiler<'a, E> {
    source: &'a str,
    slots: &'a mut Slots,
    lists: &'a mut Vec<String>,
    base_dir: &'a Path,
    redirects: u32,
    error_at: &'a E,
}

impl<E: Fn(&Place<'_>, String) -> JourneyError> Compiler<'_, E> {
    /// Compiles one section's steps in order; `known` grows with what they extract.
    fn steps(
        &mut self,
        section: &str,
        steps: &[Spanned<StepFile>],
        known: &mut HashSet<usize>,
        item: Option<usize>,
    ) -> Result<Vec<Step>, JourneyError> {
        let mut compiled = Vec::with_capacity(steps.len());
        for (index, step) in steps.iter().enumerate() {
            let place = Place {
                source: self.source,
                span: step.span(),
                key: format!("{section}[{}]", index + 1),
            };
            compiled.push(self.step(step.get_ref(), section, known, item).map_err(
                |(key, message)| {
                    (self.error_at)(
                        &Place {
                            key: format!("{}.{key}", place.key),
                            ..place
                        },
                        message,
                    )
                },
            )?);
        }
        Ok(compiled)
    }

    fn step(
        &mut self,
        step: &StepFile,
        section: &str,
        known: &mut HashSet<usize>,
        item: Option<usize>,
    ) -> Result<Step, (String, String)> {
        let fail = |key: &str, message: String| (key.to_owned(), message);
        let method_text = step.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        let method = Method::from_bytes(method_text.as_bytes())
            .map_err(|_| fail("method", format!("`{method_text}` is not an HTTP method")))?;
        let for_each =
            match &step.for_each {
                None => None,
                Some(_) if section != "teardown" => {
                    return Err(fail(
                        "for_each",
                        "only teardown steps repeat over a recorded list".to_owned(),
                    ));
                }
                Some(list) => Some(self.lists.iter().position(|l| l == list).ok_or_else(|| {
                    fail("for_each", format!("no step records the list `{list}`"))
                })?),
            };
        if step.per_user && section != "step" {
            return Err(fail(
                "per_user",
                "only [[step]]s run once per user".to_owned(),
            ));
        }
        let mut scope = known.clone();
        if let (Some(item), Some(_)) = (item, for_each) {
            scope.insert(item);
        }
        let url = self.template("url", &step.url, &scope)?;
        let mut headers = Vec::new();
        for (name, value) in &step.headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| fail("headers", format!("`{name}` is not a header name")))?;
            headers.push((
                header,
                self.template(&format!("headers.{name}"), value, &scope)?,
            ));
        }
        let bodies = [
            step.json.is_some(),
            step.form.is_some(),
            step.body.is_some(),
            step.multipart.is_some(),
        ];
        if bodies.iter().filter(|b| **b).count() > 1 {
            return Err(fail(
                "json",
                "a step has one body: json, form, body or multipart".to_owned(),
            ));
        }
        let body = if let Some(json) = &step.json {
            BodySpec::Json(self.json_template(json, &scope)?)
        } else if let Some(form) = &step.form {
            let mut fields = Vec::new();
            for (name, value) in form {
                fields.push((
                    name.clone(),
                    self.template(&format!("form.{name}"), value, &scope)?,
                ));
            }
            BodySpec::Form(fields)
        } else if let Some(body) = &step.body {
            BodySpec::Raw(self.template("body", body, &scope)?)
        } else if let Some(parts) = &step.multipart {
            let mut specs = Vec::new();
            for (index, part) in parts.iter().enumerate() {
                specs.push(self.part(part, index, &scope)?);
            }
            BodySpec::Multipart(specs)
        } else {
            BodySpec::None
        };
        // JSON expectations that read variables (of earlier steps) join the request's check
        // per request; the others are in it once.
        let mut expect = Vec::new();
        let mut fixed_json = BTreeMap::new();
        for (pointer, value) in &step.check.json {
            match value {
                toml::Value::String(text)
                    if Template::parse(text, self.slots)
                        .variables()
                        .next()
                        .is_some() =>
                {
                    if !pointer.starts_with('/') {
                        return Err(fail(
                            "check",
                            format!("`{pointer}` is not a JSON Pointer (it starts with `/`)"),
                        ));
                    }
                    let key = format!("check.json.\"{pointer}\"");
                    expect.push((pointer.clone(), self.template(&key, text, &scope)?));
                }
                _ => {
                    fixed_json.insert(pointer.clone(), value.clone());
                }
            }
        }
        let check = check_of(&step.check, &fixed_json).map_err(|message| fail("check", message))?;
        let think = step
            .think
            .as_deref()
            .map(Think::parse)
            .transpose()
            .map_err(|message| fail("think", message))?;
        let record = match &step.record {
            None => None,
            Some(record) => {
                if section != "step" {
                    return Err(fail("record", "only [[step]]s record".to_owned()));
                }
                let list = if let Some(list) = self.lists.iter().position(|l| *l == record.list) {
                    list
                } else {
                    self.lists.push(record.list.clone());
                    self.lists.len() - 1
                };
                Some((
                    list,
                    self.template_after_extract("record.value", &record.value, step, &scope)?,
                ))
            }
        };
        let mut extract = Vec::new();
        for (index, rule) in step.extract.iter().enumerate() {
            let key = format!("extract[{}]", index + 1);
            let from = match (&rule.json, &rule.header, &rule.regex) {
                (Some(pointer), None, None) => {
                    if !(pointer.is_empty() || pointer.starts_with('/')) {
                        return Err(fail(
                            &key,
                            format!("`{pointer}` is not a JSON Pointer (it starts with `/`)"),
                        ));
                    }
                    ExtractFrom::Json(pointer.clone())
                }
                (None, Some(header), None) => ExtractFrom::Header(
                    HeaderName::from_bytes(header.as_bytes())
                        .map_err(|_| fail(&key, format!("`{header}` is not a header name")))?,
                ),
                (None, None, Some(pattern)) => ExtractFrom::Regex(
                    regex::Regex::new(pattern).map_err(|err| fail(&key, err.to_string()))?,
                ),
                _ => return Err(fail(&key, "one of json, header or regex".to_owned())),
            };
            extract.push(Extract {
                slot: self.slots.slot(&rule.var),
                from,
            });
        }
        for rule in &extract {
            known.insert(rule.slot);
        }
        let redirects = match step.follow_redirects {
            Some(false) => 0,
            Some(true) if self.redirects == 0 => 10,
            _ => self.redirects,
        };
        let kept_headers = kept_headers(&check, &extract, redirects);
        Ok(Step {
            expect,
            kept_headers,
            label: Arc::from(
                step.label
                    .clone()
                    .unwrap_or_else(|| format!("{method} {}", step.url)),
            ),
            method,
            url,
            headers,
            body,
            extract,
            hop_check: check.clone().passing_redirects(),
            check,
            think,
            per_user: step.per_user,
            record,
            for_each,
            redirects,
            fixed: false,
        })
    }

    /// A template whose variables must all be in `scope`.
    fn template(
        &mut self,
        key: &str,
        text: &str,
        scope: &HashSet<usize>,
    ) -> Result<Template, (String, String)> {
        let template = Template::parse(text, self.slots);
        if let Some(unknown) = template.variables().find(|slot| !scope.contains(slot)) {
            let mut names: Vec<&str> = scope.iter().map(|slot| self.slots.name(*slot)).collect();
            names.sort_unstable();
            return Err((
                key.to_owned(),
                format!(
                    "unknown variable `{}` (known here: {})",
                    self.slots.name(unknown),
                    names.join(", ")
                ),
            ));
        }
        Ok(template)
    }

    /// A template that may also use what its own step extracts.
    fn template_after_extract(
        &mut self,
        key: &str,
        text: &str,
        step: &StepFile,
        scope: &HashSet<usize>,
    ) -> Result<Template, (String, String)> {
        let mut scope = scope.clone();
        for rule in &step.extract {
            scope.insert(self.slots.slot(&rule.var));
        }
        self.template(key, text, &scope)
    }

    fn json_template(
        &mut self,
        value: &toml::Value,
        scope: &HashSet<usize>,
    ) -> Result<JsonTemplate, (String, String)> {
        Ok(match value {
            toml::Value::String(text) => JsonTemplate::String(self.template("json", text, scope)?),
            toml::Value::Array(items) => JsonTemplate::Array(
                items
                    .iter()
                    .map(|item| self.json_template(item, scope))
                    .collect::<Result<_, _>>()?,
            ),
            toml::Value::Table(table) => JsonTemplate::Object(
                table
                    .iter()
                    .map(|(key, item)| {
                        Ok::<_, (String, String)>((key.clone(), self.json_template(item, scope)?))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => JsonTemplate::Literal(
                serde_json::to_value(other).map_err(|err| ("json".to_owned(), err.to_string()))?,
            ),
        })
    }

    fn part(
        &mut self,
        part: &PartFile,
        index: usize,
        scope: &HashSet<usize>,
    ) -> Result<PartSpec, (String, String)> {
        let key = format!("multipart[{}]", index + 1);
        let fail = |message: String| (key.clone(), message);
        let content_type = part
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        match (&part.value, &part.file, part.bytes) {
            (Some(value), None, None) => Ok(PartSpec::Text {
                name: part.name.clone(),
                value: self.template(&key, value, scope)?,
            }),
            (None, Some(file), None) => {
                let path = self.base_dir.join(file);
                let bytes = std::fs::read(&path)
                    .map_err(|err| fail(format!("cannot read {}: {err}", path.display())))?;
                Ok(PartSpec::File {
                    name: part.name.clone(),
                    filename: part.filename.clone().unwrap_or_else(|| file.clone()),
                    content_type,
                    bytes: Bytes::from(bytes),
                })
            }
            (None, None, Some(size)) => {
                if size > MAX_GENERATED_PART {
                    return Err(fail(format!("{size} bytes: at most {MAX_GENERATED_PART}")));
                }
                Ok(PartSpec::File {
                    name: part.name.clone(),
                    filename: part.filename.clone().unwrap_or_else(|| part.name.clone()),
                    content_type,
                    // Generated content: a repeating pattern, the same for every request.
                    bytes: (0..size)
                        .map(|i| (i % 251) as u8)
                        .collect::<Vec<u8>>()
                        .into(),
                })
            }
            _ => Err(fail("a part has one of value, file or bytes".to_owned())),
        }
    }
}

/// The response headers a step reads.
fn kept_headers(check: &Check, extract: &[Extract], redirects: u32) -> Vec<HeaderName> {
    let mut names = vec![http::header::SET_COOKIE];
    if redirects > 0 {
        names.push(http::header::LOCATION);
    }
    if check.needs_headers() {
        names.push(http::header::CONTENT_TYPE);
    }
    for rule in extract {
        if let ExtractFrom::Header(name) = &rule.from {
            names.push(name.clone());
        }
    }
    names
}

/// The request-level check of a step: statuses, content type, JSON fields, body size.
fn check_of(file: &CheckFile, json: &BTreeMap<String, toml::Value>) -> Result<Check, String> {
    let mut check = match &file.status {
        None => Check::success(),
        Some(StatusFile::One(status)) => Check::statuses(&[*status]),
        Some(StatusFile::Many(statuses)) => Check::statuses(statuses),
    };
    if let Some(content_type) = &file.content_type {
        check = check.content_type(content_type);
    }
    let mut expected = Vec::new();
    for (pointer, value) in json {
        if !(pointer.is_empty() || pointer.starts_with('/')) {
            return Err(format!(
                "`{pointer}` is not a JSON Pointer (it starts with `/`)"
            ));
        }
        expected.push((
            pointer.clone(),
            serde_json::to_value(value).map_err(|err| err.to_string())?,
        ));
    }
    let (min, max) = (file.body_min, file.body_max);
    if !expected.is_empty() || min.is_some() || max.is_some() {
        check = check.body(move |body| {
            let size = body.len() as u64;
            if let Some(min) = min.filter(|min| size < *min) {
                return Err(format!("body of {size} bytes, expected at least {min}"));
            }
            if let Some(max) = max.filter(|max| size > *max) {
                return Err(format!("body of {size} bytes, expected at most {max}"));
            }
            if expected.is_empty() {
                return Ok(());
            }
            let document: serde_json::Value =
                serde_json::from_slice(body).map_err(|err| format!("body is not JSON ({err})"))?;
            for (pointer, want) in &expected {
                match document.pointer(pointer) {
                    Some(got) if got == want => {}
                    Some(got) => return Err(format!("{pointer} is {got}, expected {want}")),
                    None => return Err(format!("{pointer} is missing, expected {want}")),
                }
            }
            Ok(())
        });
    }
    Ok(check)
}

impl Think {
    /// `500ms` or `100ms..2s` (uniform).
    fn parse(text: &str) -> Result<Think, String> {
        let duration = |part: &str| {
            let duration =
                humantime::parse_duration(part.trim()).map_err(|err| format!("`{part}`: {err}"))?;
            crate::limits::DurationKind::Think
                .check(duration)
                .map_err(|err| err.to_string())?;
            Ok::<Duration, String>(duration)
        };
        match text.split_once("..") {
            None => Ok(Think::Fixed(duration(text)?)),
            Some((low, high)) => {
                let (low, high) = (duration(low)?, duration(high)?);
                if low > high {
                    return Err(format!("`{text}`: the range runs backwards"));
                }
                Ok(Think::Uniform(low, high))
            }
        }
    }
}
