//! Running a compiled journey: one user's iteration over the steps, the setup and the
//! teardown, with the state a virtual user keeps between iterations (its variables, its
//! cookies) in its [`Client`].

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request};

use super::cookies::CookieJar;
use super::plan::{BodySpec, DataMode, ExtractFrom, PartSpec, Plan, Step, Think};
use super::template::Values;
use super::{JourneyError, TeardownReport};
use crate::check::{REDIRECTS, Rejection};
use crate::{Check, Client, IterationError, LoadOptions, MultipartForm, RequestTemplate, Response};

/// Values a list keeps at most (a run recording more leaves the rest to a later cleanup).
const MAX_RECORDED: usize = 1_000_000;

/// What every user of one journey shares.
pub(crate) struct RunShared {
    pub plan: Plan,
    base: Arc<str>,
    /// The values and cookies users start from: the statics, then what the setup set.
    start: OnceLock<(Values, CookieJar)>,
    /// By step: its request serialised once, when it reads only fixed values.
    prepared: OnceLock<Vec<Option<Prepared>>>,
    users: AtomicU64,
    lists: Vec<Mutex<Vec<String>>>,
    not_recorded: AtomicU64,
}

/// One virtual user's state between iterations.
struct UserState {
    values: Values,
    cookies: CookieJar,
    iterations: u64,
    per_user_done: bool,
    /// xorshift state for uniform think times.
    random: u64,
}

impl RunShared {
    pub(crate) fn new(plan: Plan, base: Arc<str>) -> RunShared {
        RunShared {
            lists: plan.lists.iter().map(|_| Mutex::new(Vec::new())).collect(),
            plan,
            base,
            start: OnceLock::new(),
            prepared: OnceLock::new(),
            users: AtomicU64::new(0),
            not_recorded: AtomicU64::new(0),
        }
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    fn start(&self) -> &(Values, CookieJar) {
        self.start
            .get_or_init(|| (self.plan.initial_values(&self.base), CookieJar::default()))
    }

    fn prepared(&self) -> &[Option<Prepared>] {
        self.prepared.get_or_init(|| {
            let (values, _) = self.start();
            self.plan
                .steps
                .iter()
                .map(|step| step.fixed.then(|| Prepared::of(step, values)).flatten())
                .collect()
        })
    }

    /// A new virtual user: its number, its data row.
    fn new_user(&self) -> Result<UserState, IterationError> {
        let (values, cookies) = self.start().clone();
        let index = self.users.fetch_add(1, Ordering::Relaxed);
        let mut user = UserState {
            values,
            cookies,
            iterations: 0,
            per_user_done: false,
            random: index.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        };
        user.values[self.plan.user] = Some(Arc::from(index.to_string()));
        if let Some(data) = &self.plan.data {
            let row = match data.mode {
                DataMode::RoundRobin => Some(index as usize % data.rows.len()),
                DataMode::Unique => Some(index as usize).filter(|r| *r < data.rows.len()),
            };
            let Some(row) = row else {
                return Err(IterationError::check(format!(
                    "no data row left for user {index}: the file has {} rows (mode unique)",
                    data.rows.len()
                )));
            };
            for (slot, value) in data.columns.iter().zip(&data.rows[row]) {
                user.values[*slot] = Some(Arc::clone(value));
            }
        }
        Ok(user)
    }

    pub(crate) async fn iteration(&self, client: &mut Client) -> Result<(), IterationError> {
        let mut user = match client.take_user_state::<UserState>() {
            Some(user) => user,
            None => match self.new_user() {
                Ok(user) => Box::new(user),
                Err(error) => {
                    // A user without a row can only fail; it must not spin doing so.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    return Err(error);
                }
            },
        };
        if self.plan.uses_iteration {
            user.values[self.plan.iteration] = Some(Arc::from(user.iterations.to_string()));
        }
        let result = self.steps(client, &mut user).await;
        user.iterations += 1;
        client.keep_user_state(user);
        result
    }

    async fn steps(&self, client: &mut Client, user: &mut UserState) -> Result<(), IterationError> {
        let per_user_steps = self.plan.steps.iter().filter(|s| s.per_user).count();
        let mut per_user_passed = 0;
        for (step, prepared) in self.plan.steps.iter().zip(self.prepared()) {
            if step.per_user && user.per_user_done {
                continue;
            }
            self.step(step, prepared.as_ref(), client, user).await?;
            if step.per_user {
                per_user_passed += 1;
                if per_user_passed == per_user_steps {
                    user.per_user_done = true;
                }
            }
        }
        Ok(())
    }

    /// Sends one step (following its redirects), checks it, extracts, records, thinks.
    async fn step(
        &self,
        step: &Step,
        prepared: Option<&Prepared>,
        client: &mut Client,
        user: &mut UserState,
    ) -> Result<(), IterationError> {
        let unset = |slot: usize| {
            IterationError::check(format!(
                "{}: variable `{}` has no value",
                step.label, self.plan.names[slot]
            ))
        };
        let keep_body = step.needs_body() || !step.expect.is_empty();
        let rendered = checks_with_expectations(step, &user.values).map_err(unset)?;
        let (final_check, hop_check) = match &rendered {
            Some((check, hop_check)) => (check, hop_check),
            None => (&step.check, &step.hop_check),
        };
        // The request serialised after the setup, unless this user has cookies to add.
        let prepared = prepared.filter(|p| !user.cookies.has_any_for(&p.host));
        let mut url: Cow<'_, str> = match prepared {
            Some(prepared) => Cow::Borrowed(&prepared.url),
            None => Cow::Owned(step.url.render(&user.values).map_err(unset)?),
        };
        let mut method = step.method.clone();
        let mut parts: Option<RequestParts> = None;
        let mut hops = 0;
        let (response, judged) = loop {
            let following = hops < step.redirects;
            let check = if following { hop_check } else { final_check };
            let ((response, judged), host): (_, Cow<'_, str>) = match prepared {
                Some(prepared) if hops == 0 => (
                    client
                        .send_prepared(&prepared.template, check, &step.kept_headers, keep_body)
                        .await?,
                    Cow::Borrowed(&prepared.host),
                ),
                _ => {
                    let parts = match &mut parts {
                        Some(parts) => parts,
                        None => parts.insert(RequestParts::of(step, &user.values).map_err(unset)?),
                    };
                    // A redirect that turned the request into a GET drops the body.
                    let (body, content_type) = if method == step.method {
                        (parts.body.clone(), parts.content_type.as_deref())
                    } else {
                        (Bytes::new(), None)
                    };
                    let request = build(
                        &method,
                        &url,
                        &parts.headers,
                        content_type,
                        &body,
                        &user.cookies,
                    )
                    .map_err(|message| {
                        IterationError::check(format!("{}: {message}", step.label))
                    })?;
                    let host = request
                        .uri()
                        .authority()
                        .map(|a| a.as_str().to_owned())
                        .unwrap_or_default();
                    (
                        client.send_judged(&step.label, request, check).await?,
                        Cow::Owned(host),
                    )
                }
            };
            user.cookies.store(&host, &response.headers);
            let location = response
                .headers
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok());
            match location {
                Some(location) if following && REDIRECTS.contains(&response.status) => {
                    url = Cow::Owned(
                        url::Url::parse(&url)
                            .and_then(|current| current.join(location))
                            .map_err(|err| {
                                IterationError::check(format!(
                                    "{}: redirect to `{location}`: {err}",
                                    step.label
                                ))
                            })?
                            .to_string(),
                    );
                    let keeps_method = matches!(response.status, 307 | 308)
                        || (response.status != 303 && method == Method::GET)
                        || method == Method::HEAD;
                    if !keeps_method {
                        method = Method::GET;
                    }
                    hops += 1;
                }
                // The hop check passes a redirect it did not follow (no `Location`): the
                // step's own check judges that one; otherwise the client's verdict stands.
                _ if following && REDIRECTS.contains(&response.status) => {
                    let content_type = Some(response.content_type()).filter(|c| !c.is_empty());
                    let body = keep_body.then_some(&response.body[..]);
                    let judged = final_check.verdict(response.status, content_type, body);
                    break (response, judged);
                }
                _ => break (response, judged),
            }
        };
        if step.redirects > 0 && hops == step.redirects && REDIRECTS.contains(&response.status) {
            return Err(IterationError::check(format!(
                "{}: more than {} redirects",
                step.label, step.redirects
            )));
        }
        judged.map_err(|rejection| rejected(step, &response, rejection))?;
        extract(step, &response, &mut user.values, &self.plan.names)?;
        if let Some((list, value)) = &step.record {
            let value = value.render(&user.values).map_err(unset)?;
            let mut list = self.lists[*list]
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if list.len() < MAX_RECORDED {
                list.push(value);
            } else {
                self.not_recorded.fetch_add(1, Ordering::Relaxed);
            }
        }
        if let Some(think) = step.think {
            tokio::time::sleep(think_time(think, &mut user.random)).await;
        }
        Ok(())
    }

    pub(crate) async fn setup(&self, options: &LoadOptions) -> Result<(), JourneyError> {
        if self.plan.setup.is_empty() {
            self.start();
            return Ok(());
        }
        let mut client = Client::standalone(options)?;
        let mut user = UserState {
            values: self.plan.initial_values(&self.base),
            cookies: CookieJar::default(),
            iterations: 0,
            per_user_done: true,
            random: 1,
        };
        for step in &self.plan.setup {
            self.step(step, None, &mut client, &mut user)
                .await
                .map_err(|source| JourneyError::Setup {
                    step: step.label.to_string(),
                    source,
                })?;
        }
        let _ = self.start.set((user.values, user.cookies));
        Ok(())
    }

    pub(crate) async fn teardown(
        &self,
        options: &LoadOptions,
    ) -> Result<TeardownReport, JourneyError> {
        let mut report = TeardownReport {
            not_recorded: self.not_recorded.load(Ordering::Relaxed),
            ..TeardownReport::default()
        };
        if self.plan.teardown.is_empty() {
            return Ok(report);
        }
        let mut client = Client::standalone(options)?;
        let (values, cookies) = self.start().clone();
        let mut user = UserState {
            values,
            cookies,
            iterations: 0,
            per_user_done: true,
            random: 1,
        };
        for step in &self.plan.teardown {
            let items = match step.for_each {
                Some(list) => std::mem::take(
                    &mut *self.lists[list]
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                )
                .into_iter()
                .map(Some)
                .collect(),
                None => vec![None],
            };
            for item in items {
                user.values[self.plan.item] = item.map(Arc::from);
                report.steps_run += 1;
                if let Err(error) = self.step(step, None, &mut client, &mut user).await {
                    report.failed += 1;
                    if report.messages.len() < 5 {
                        report.messages.push(error.to_string());
                    }
                }
            }
        }
        Ok(report)
    }
}

/// A step's request made once: its URL and the host its cookies would belong to.
pub(crate) struct Prepared {
    template: RequestTemplate,
    url: String,
    host: String,
}

impl Prepared {
    /// `None` when the request cannot be made (the per-request path then says why, in
    /// every iteration).
    fn of(step: &Step, values: &Values) -> Option<Prepared> {
        let url = step.url.render(values).ok()?;
        let parts = RequestParts::of(step, values).ok()?;
        let mut template = RequestTemplate::new(step.method.clone(), &url).ok()?;
        let mut content_type = parts.content_type;
        for (name, value) in parts.headers {
            if name == http::header::CONTENT_TYPE {
                content_type = Some(value);
            } else {
                template = template.header(name.as_str(), &value).ok()?;
            }
        }
        if !parts.body.is_empty() {
            let content_type = content_type
                .as_deref()
                .unwrap_or("application/octet-stream");
            template = template.body(parts.body, content_type);
        }
        // As the per-request path names it: the URL's authority as written.
        let host = url
            .parse::<http::Uri>()
            .ok()?
            .authority()?
            .as_str()
            .to_owned();
        Some(Prepared {
            template: template.label(&step.label),
            url,
            host,
        })
    }
}

/// A step's headers and body with this user's values.
struct RequestParts {
    headers: Vec<(http::HeaderName, String)>,
    body: Bytes,
    content_type: Option<String>,
}

impl RequestParts {
    fn of(step: &Step, values: &Values) -> Result<RequestParts, usize> {
        let mut headers = Vec::with_capacity(step.headers.len());
        for (name, value) in &step.headers {
            headers.push((name.clone(), value.render(values)?));
        }
        let (body, content_type) = body_of(&step.body, values)?;
        Ok(RequestParts {
            headers,
            body,
            content_type,
        })
    }
}

/// The body of a step and its content type.
fn body_of(body: &BodySpec, values: &Values) -> Result<(Bytes, Option<String>), usize> {
    Ok(match body {
        BodySpec::None => (Bytes::new(), None),
        BodySpec::Json(json) => (
            Bytes::from(json.render(values)?.to_string()),
            Some("application/json".to_owned()),
        ),
        BodySpec::Form(fields) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields {
                form.append_pair(name, &value.render(values)?);
            }
            (
                Bytes::from(form.finish()),
                Some("application/x-www-form-urlencoded".to_owned()),
            )
        }
        BodySpec::Raw(text) => (Bytes::from(text.render(values)?), None),
        BodySpec::Multipart(parts) => {
            let mut form = MultipartForm::new();
            for part in parts {
                form = match part {
                    PartSpec::Text { name, value } => form.text(name, &value.render(values)?),
                    PartSpec::File {
                        name,
                        filename,
                        content_type,
                        bytes,
                    } => form.file(name, filename, content_type, bytes.clone()),
                };
            }
            let (body, content_type) = form.encode();
            (body, Some(content_type))
        }
    })
}

/// The request of one hop: the step's headers (which win over the body's content type),
/// the user's cookies for the host.
fn build(
    method: &Method,
    url: &str,
    headers: &[(http::HeaderName, String)],
    content_type: Option<&str>,
    body: &Bytes,
    cookies: &CookieJar,
) -> Result<Request<Bytes>, String> {
    let mut request = Request::builder()
        .method(method.clone())
        .uri(url)
        .body(body.clone())
        .map_err(|err| format!("`{url}`: {err}"))?;
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .ok_or_else(|| format!("`{url}` is not an absolute URL"))?;
    let map = request.headers_mut();
    if let Some(content_type) = content_type.filter(|_| !body.is_empty()) {
        map.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).map_err(|err| err.to_string())?,
        );
    }
    if let Some(cookie) = cookies.header_for(&host) {
        map.insert(
            http::header::COOKIE,
            HeaderValue::from_str(&cookie).map_err(|err| format!("cookie: {err}"))?,
        );
    }
    for (name, value) in headers {
        map.insert(
            name.clone(),
            HeaderValue::from_str(value).map_err(|err| format!("header {name}: {err}"))?,
        );
    }
    Ok(request)
}

/// A step's check turning its final answer down, as an iteration error.
fn rejected(step: &Step, response: &Response, rejection: Rejection) -> IterationError {
    match rejection {
        Rejection::Status => IterationError::new(
            report_model::ErrorClass::from_status(response.status),
            format!(
                "{}: HTTP {}: {}",
                step.label,
                response.status,
                crate::check::preview(&response.body)
            ),
        ),
        Rejection::Content(reason) => IterationError::check(format!("{}: {reason}", step.label)),
    }
}

fn extract(
    step: &Step,
    response: &Response,
    values: &mut Values,
    names: &[String],
) -> Result<(), IterationError> {
    let mut document: Option<serde_json::Value> = None;
    for rule in &step.extract {
        let missing = |what: String| {
            IterationError::check(format!(
                "{}: extract `{}`: {what}",
                step.label, names[rule.slot]
            ))
        };
        let value = match &rule.from {
            ExtractFrom::Json(pointer) => {
                if document.is_none() {
                    document = Some(
                        serde_json::from_slice(&response.body)
                            .map_err(|err| missing(format!("body is not JSON ({err})")))?,
                    );
                }
                match document.as_ref().and_then(|d| d.pointer(pointer)) {
                    Some(serde_json::Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => return Err(missing(format!("{pointer} is not in the body"))),
                }
            }
            ExtractFrom::Header(name) => response
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| missing(format!("no `{name}` header")))?
                .to_owned(),
            ExtractFrom::Regex(pattern) => {
                let text = String::from_utf8_lossy(&response.body);
                let captures = pattern
                    .captures(&text)
                    .ok_or_else(|| missing(format!("`{pattern}` does not match")))?;
                captures
                    .get(1)
                    .or_else(|| captures.get(0))
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default()
            }
        };
        values[rule.slot] = Some(Arc::from(value));
    }
    Ok(())
}

/// The step's checks with its JSON expectations rendered for this user (`None`: it has
/// none, the step's own checks serve).
fn checks_with_expectations(step: &Step, values: &Values) -> Result<Option<(Check, Check)>, usize> {
    if step.expect.is_empty() {
        return Ok(None);
    }
    let mut expected = Vec::with_capacity(step.expect.len());
    for (pointer, want) in &step.expect {
        expected.push((pointer.clone(), want.render(values)?));
    }
    let expected = Arc::new(expected);
    let check = step.check.clone().body(move |body| {
        let document: serde_json::Value =
            serde_json::from_slice(body).map_err(|err| format!("body is not JSON ({err})"))?;
        for (pointer, want) in expected.iter() {
            match document.pointer(pointer) {
                Some(serde_json::Value::String(got)) if got == want => {}
                // A number or boolean is compared with the rendered text read as JSON.
                Some(got)
                    if !got.is_string()
                        && want
                            .parse::<serde_json::Value>()
                            .is_ok_and(|want| want == *got) => {}
                Some(got) => return Err(format!("{pointer} is {got}, expected \"{want}\"")),
                None => return Err(format!("{pointer} is missing, expected \"{want}\"")),
            }
        }
        Ok(())
    });
    let hop_check = check.clone().passing_redirects();
    Ok(Some((check, hop_check)))
}

fn think_time(think: Think, random: &mut u64) -> Duration {
    match think {
        Think::Fixed(duration) => duration,
        Think::Uniform(low, high) => {
            // xorshift64
            *random ^= *random << 13;
            *random ^= *random >> 7;
            *random ^= *random << 17;
            let fraction = (*random >> 11) as f64 / (1u64 << 53) as f64;
            low + high.saturating_sub(low).mul_f64(fraction)
        }
    }
}
