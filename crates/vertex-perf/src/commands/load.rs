//! `vertex-perf load`: one scenario (or a sweep) against a URL; writes `suite.json`,
//! `load_test_report.json`, `summary.md` and `junit.xml`.

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use load_engine::journey::Journey;
use load_engine::{
    Bound, Executor, LoadOptions, MultipartForm, RequestTemplate, Scenario, Stages, TlsOptions,
};
use portrait_workflow::ServiceTarget;
use portrait_workflow::TestData;
use portrait_workflow::scenarios::{self, OrderCreation};
use report_model::{
    LoadReport, MetricUnit, RenderFormat, RunIdentity, RunKind, RunOutcome, SCHEMA_VERSION,
    SuiteReport, target_name_of_url,
};
use std::sync::Arc;

use crate::cli::{LoadArgs, VertexScenario};
use crate::closing::Against;
use crate::metrics_server::MetricsServer;
use crate::output::Output;
use crate::progress::follow_load;

/// Runs the load test; exit 0, 1 (a threshold failed) or 130 (interrupted, reports written).
pub fn run(args: &LoadArgs, output: &mut Output) -> Result<u8> {
    let shard = args.split.resolve()?;
    let mut options = build_options(args)?;
    options.shard = shard.unwrap_or_default();
    let journey = match &args.scenario_file {
        Some(path) => Some(Journey::from_file(
            path,
            Some(args.url()).filter(|url| !url.is_empty()),
        )?),
        None => None,
    };
    let target_url = journey.as_ref().map_or(args.url(), Journey::base);
    let runtime =
        crate::runtime::with_threads(crate::runtime::generator_threads(args.threads, target_url))?;
    let vertex = match args.scenario {
        Some(which) => Some(runtime.block_on(vertex_scenario(args, which, &options))?),
        None => None,
    };
    let (scenario, executor) = match (&vertex, &journey) {
        (Some(vertex), _) => (vertex.scenario.clone(), vertex.executor.clone()),
        (None, Some(journey)) => {
            let executor = build_executor(args)?;
            let users = match &args.sweep {
                Some(levels) => levels.iter().copied().max().unwrap_or(1),
                None => executor.max_users(),
            };
            journey.check_users(u64::from(users))?;
            runtime.block_on(journey.setup(&options))?;
            (journey.scenario(), executor)
        }
        (None, None) => (
            Scenario::template(&args.name, build_template(args)?),
            build_executor(args)?,
        ),
    };
    let gate = args.thresholds.gate(RunKind::Load);
    let baseline = crate::baseline::Baseline::read(&args.baseline)?;

    let mut meta = crate::provenance::run_meta(Some(target_url));
    let folder = args.out.folder(&meta.run_id);
    let sweep_bound = if args.sweep.is_some() {
        Some(bound_of(args)?)
    } else {
        None
    };
    meta.segment = args.split.start(shard, RunKind::Load, &runtime, output);
    let metrics = MetricsServer::start(&args.metrics, &runtime, output)?;
    let live = metrics
        .as_ref()
        .map(|server| (server, scenario.name.as_str()));
    let (scenarios, interrupted) = runtime.block_on(follow_load(None, live, |control| async {
        match (&args.sweep, sweep_bound) {
            (Some(levels), Some(bound)) => {
                load_engine::sweep(&scenario, levels, bound, args.think, &options, control).await
            }
            _ => load_engine::run(&scenario, &executor, &options, control)
                .await
                .map(|report| vec![report]),
        }
    }));
    let scenarios = scenarios?;
    if let Some(server) = &metrics {
        server.finish(Some(&scenario.name), &scenarios);
    }
    if let Some(journey) = &journey {
        let teardown = runtime.block_on(journey.teardown(&options))?;
        if let Some(problems) = teardown.problems() {
            output.note(&format!("vertex-perf: {problems}"));
        }
    }
    let mut leftovers = Vec::new();
    if let Some(vertex) = &vertex
        && let Some(created) = &vertex.created
    {
        runtime.block_on(created.cleanup(&options))?;
        // What the cleanup missed (an order whose answer was lost) or could not delete.
        (leftovers, _) = runtime.block_on(vertex.target.settle(&options, false))?;
    }
    meta.finish();

    let mut report = SuiteReport::new(meta);
    report.leftovers = leftovers;
    if interrupted {
        report.outcome = RunOutcome::Interrupted;
    }
    let workload = scenarios
        .iter()
        .map(|s| format!("{} [{}]", s.name, s.executor.description))
        .collect::<Vec<_>>()
        .join(", ");
    let target_name = args
        .baseline
        .target_name
        .clone()
        .unwrap_or_else(|| target_name_of_url(target_url));
    report.meta.identity = Some(RunIdentity::new(
        &target_name,
        &format!("load {workload}"),
        &report.meta.host,
    ));
    report.load = Some(LoadReport {
        schema_version: SCHEMA_VERSION,
        scenarios,
    });
    let code = crate::closing::close(
        report,
        RunKind::Load,
        &gate,
        Against::History(baseline),
        &folder,
        |report| {
            if args.json_stdout() {
                report_model::render(report, RenderFormat::K6Summary).unwrap_or_default() + "\n"
            } else {
                summary(report)
            }
        },
        output,
    );
    if let Some(server) = metrics {
        server.linger(&runtime, output, interrupted);
    }
    code
}

/// Logs in once to the service at `url` (registering first when asked): the target the
/// Vertex AR scenarios share.
pub(crate) async fn log_in(
    url: &str,
    user: &str,
    password: &str,
    register: bool,
    options: &LoadOptions,
) -> Result<ServiceTarget> {
    let base_url = url.trim_end_matches('/');
    portrait_workflow::log_in(base_url, user, password, register, options)
        .await
        .with_context(|| {
            format!(
                "cannot log in to `{}` as `{user}`",
                report_model::redact_url(base_url)
            )
        })
}

/// A Vertex AR scenario ready to run: logged in once, with its executor.
struct VertexRun {
    target: ServiceTarget,
    scenario: Scenario,
    executor: Executor,
    /// Orders to delete afterwards (the orders scenario).
    created: Option<OrderCreation>,
}

async fn vertex_scenario(
    args: &LoadArgs,
    which: VertexScenario,
    options: &LoadOptions,
) -> Result<VertexRun> {
    let password = crate::credentials::password(args.account.login.password_env.as_deref())?;
    let target = log_in(
        args.url(),
        &args.account.login.user,
        &password,
        args.account.register_admin,
        options,
    )
    .await?;
    let closed = |users: u32, iterations: u64| Executor::Closed {
        users: args.concurrency.unwrap_or(users),
        bound: match (args.requests, args.duration) {
            (Some(n), _) => Bound::Iterations(n),
            (None, Some(d)) => Bound::Duration(d),
            (None, None) => Bound::Iterations(iterations),
        },
        think_time: args.think,
    };
    Ok(match which {
        VertexScenario::Orders => {
            let data = Arc::new(TestData::new(&format!("load-{}", std::process::id())));
            let created = OrderCreation::new(&target, data);
            let scenario = created.scenario("concurrent_orders");
            VertexRun {
                target,
                scenario,
                executor: closed(5, 20),
                created: Some(created),
            }
        }
        VertexScenario::ReadMix => VertexRun {
            scenario: scenarios::read_mix(&target),
            target,
            executor: closed(10, 100),
            created: None,
        },
        VertexScenario::Stress => {
            let rate = args.rate;
            let duration = args.duration.unwrap_or(Duration::from_secs(30));
            VertexRun {
                scenario: scenarios::stress(&target),
                target,
                executor: scenarios::stress_executor(duration, rate),
                created: None,
            }
        }
    })
}

fn bound_of(args: &LoadArgs) -> Result<Bound> {
    match (args.requests, args.duration) {
        (Some(n), _) => Ok(Bound::Iterations(n)),
        (None, Some(d)) => Ok(Bound::Duration(d)),
        (None, None) => bail!("a bound is required: -n COUNT or -d DURATION"),
    }
}

fn build_executor(args: &LoadArgs) -> Result<Executor> {
    if let Some(stages) = &args.stages {
        let stages: Stages = stages.parse()?;
        return Ok(Executor::Ramping {
            stages,
            max_in_flight: args.max_in_flight,
            think_time: args.think,
        });
    }
    let bound = bound_of(args)?;
    if let Some(rate_per_sec) = args.rate {
        return Ok(Executor::Open {
            rate_per_sec,
            bound,
            max_in_flight: args.max_in_flight,
        });
    }
    Ok(Executor::Closed {
        users: args.concurrency.unwrap_or(1),
        bound,
        think_time: args.think,
    })
}

fn build_options(args: &LoadArgs) -> Result<LoadOptions> {
    let mut tls = TlsOptions {
        alpn_http2: args.http2,
        ..TlsOptions::default()
    };
    if let Some(path) = &args.cacert {
        tls.add_pem_file(path)?;
    }
    Ok(LoadOptions {
        request_timeout: args.timeout,
        http2_prior_knowledge: args.http2 && args.url().starts_with("http://"),
        tls,
        ..LoadOptions::default()
    })
}

fn build_template(args: &LoadArgs) -> Result<RequestTemplate> {
    let method: http::Method = args
        .method
        .to_uppercase()
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid method `{}`", args.method))?;
    let mut template = RequestTemplate::new(method, args.url())?;
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .with_context(|| format!("invalid header `{header}`\n(hint: use -H 'Name: value')"))?;
        template = template.header(name, value)?;
    }
    if let Some(var) = &args.bearer_env {
        let token = std::env::var(var).with_context(|| {
            format!("environment variable `{var}` is not set (it should hold the bearer token)")
        })?;
        template = template.bearer(&token)?;
    }
    if let Some(body) = &args.body {
        let path = body
            .strip_prefix('@')
            .with_context(|| format!("--body takes `@path`, got `{body}`"))?;
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read body file `{path}`"))?;
        let content_type = args
            .headers
            .iter()
            .find_map(|h| {
                h.split_once(':')
                    .filter(|(name, _)| name.trim().eq_ignore_ascii_case("content-type"))
            })
            .map_or("application/octet-stream", |(_, value)| value.trim());
        template = template.body(bytes, content_type);
    }
    if let Some(json) = &args.json {
        let value: serde_json::Value =
            serde_json::from_str(json).with_context(|| "--json is not valid JSON".to_owned())?;
        template = template.json(&value);
    }
    if !args.form.is_empty() || !args.files.is_empty() {
        let mut form = MultipartForm::new();
        for field in &args.form {
            let (name, value) = field
                .split_once('=')
                .with_context(|| format!("invalid --form `{field}`\n(hint: name=value)"))?;
            form = form.text(name, value);
        }
        for file in &args.files {
            let (name, spec) = file.split_once("=@").with_context(|| {
                format!("invalid --file `{file}`\n(hint: name=@path;type=image/jpeg)")
            })?;
            let (path, content_type) = match spec.split_once(";type=") {
                Some((path, content_type)) => (path, content_type.to_owned()),
                None => (spec, "application/octet-stream".to_owned()),
            };
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read file `{path}`"))?;
            let filename = std::path::Path::new(path)
                .file_name()
                .map_or_else(|| "file".to_owned(), |f| f.to_string_lossy().into_owned());
            form = form.file(name, &filename, &content_type, bytes);
        }
        template = template.multipart(&form);
    }
    Ok(template)
}

pub(crate) fn summary(report: &SuiteReport) -> String {
    let mut lines = Vec::new();
    let duration = |us: u64| MetricUnit::Duration.format(us as f64);
    for scenario in report.load.iter().flat_map(|l| &l.scenarios) {
        let latency = &scenario.response_time.summary;
        // With nothing successful there is no latency to show: `n/a`, not a fast `0us`.
        let duration = |us: u64| {
            if latency.count == 0 {
                "n/a".to_owned()
            } else {
                duration(us)
            }
        };
        lines.push(format!(
            "{} [{}]: {} requests in {:.2}s, {:.1} req/s, {:.2}% ok",
            scenario.name,
            scenario.executor.description,
            scenario.total_requests,
            scenario.duration_us as f64 / 1e6,
            scenario.requests_per_second,
            scenario.success_rate_percent
        ));
        lines.push(format!(
            "  response time p50 {} p90 {} p95 {} p99 {} p99.9 {} max {} (service p99 {})",
            duration(latency.p50_us),
            duration(latency.p90_us),
            duration(latency.p95_us),
            duration(latency.p99_us),
            duration(latency.p999_us),
            duration(latency.max_us),
            duration(scenario.service_time.summary.p99_us)
        ));
        for error in &scenario.errors {
            lines.push(format!(
                "  {} × {}: {}",
                error.count, error.class, error.sample_message
            ));
        }
        let generator = &scenario.generator;
        if generator.requested_rate_per_sec.is_some() || generator.dropped_starts > 0 {
            lines.push(format!(
                "  generator: {:.1}/s achieved, start lag p99 {}, {} late, {} dropped",
                generator.achieved_rate_per_sec,
                duration(generator.start_lag.p99_us),
                generator.late_starts,
                generator.dropped_starts
            ));
        }
    }
    let tables = crate::summary::traffic_tables(report);
    if !tables.is_empty() {
        lines.push(tables.trim_end().to_owned());
    }
    crate::summary::finish(report, lines)
}
