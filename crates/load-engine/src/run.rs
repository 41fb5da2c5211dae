//! Running a scenario under an executor: spawning workers, bounding the run, merging what
//! they recorded into a [`ScenarioReport`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use report_model::{
    ScenarioReport, load::ExecutorKind, load::ExecutorSummary, load::GeneratorHealth,
    load::LatencyDistribution, load::per_second, load::percent,
};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::ClientShared;
use crate::connection::Connector;
use crate::execution::ExecutionPlan;
use crate::executor::ArrivalSchedule;
use crate::recorder::{Aggregate, Aggregator, Batcher, Event, LiveSource, Progress};
use crate::{Bound, Client, Executor, LoadError, Scenario, ScenarioKind, Shard, TlsOptions};

/// Options that apply to every request of a run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Per-request timeout, from the send to the end of the body. Default 30 s.
    pub request_timeout: Duration,
    /// TCP and TLS connect timeout. Default 10 s.
    pub connect_timeout: Duration,
    /// Speak HTTP/2 without TLS (prior knowledge). Over TLS, HTTP/2 is chosen by ALPN when
    /// `tls.alpn_http2` is set.
    pub http2_prior_knowledge: bool,
    /// TLS settings.
    pub tls: TlsOptions,
    /// The hard limit of a run bounded by iterations (duration-bounded runs end at their
    /// duration plus one request timeout). Default 10 minutes.
    pub max_run_time: Duration,
    /// The part of the run this generator runs when it is split over several
    /// ([`Shard::WHOLE`] unless set).
    pub shard: Shard,
}

impl LoadOptions {
    /// The connector these options describe, once they are checked.
    pub(crate) fn connector(&self) -> Result<Connector, LoadError> {
        self.validate()?;
        Connector::new(&self.tls, self.http2_prior_knowledge, self.connect_timeout)
    }

    /// Checks the timeouts and the hard limit against [`crate::limits`].
    pub fn validate(&self) -> Result<(), LoadError> {
        use crate::limits::DurationKind;
        DurationKind::Timeout.check(self.request_timeout)?;
        DurationKind::Timeout.check(self.connect_timeout)?;
        DurationKind::Run.check(self.max_run_time)?;
        Ok(())
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            http2_prior_knowledge: false,
            tls: TlsOptions::default(),
            max_run_time: Duration::from_mins(10),
            shard: Shard::WHOLE,
        }
    }
}

/// Where a run reports progress and how it is stopped early.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    /// Receives [`Progress`] about once a second (dropped when the receiver lags).
    pub progress: Option<mpsc::Sender<Progress>>,
    /// Cancel to stop gracefully: no new iterations, in-flight requests finish or time out,
    /// and the report holds everything done.
    pub cancel: CancellationToken,
}

/// Runs `work` (a [`run`], a [`sweep`], or anything taking a [`RunControl`]) with a control
/// that `cancel` stops and whose progress is handed to `on_progress` as it comes, about
/// once a second; returns what `work` returns.
pub async fn observe_run<T, F>(
    cancel: CancellationToken,
    work: impl FnOnce(RunControl) -> F,
    mut on_progress: impl FnMut(Progress),
) -> T
where
    F: Future<Output = T>,
{
    let (progress_tx, mut progress_rx) = mpsc::channel(8);
    let work = work(RunControl {
        progress: Some(progress_tx),
        cancel,
    });
    tokio::pin!(work);
    loop {
        tokio::select! {
            output = &mut work => return output,
            Some(progress) = progress_rx.recv() => on_progress(progress),
        }
    }
}

/// What every worker of one run shares.
struct RunContext {
    scenario: Scenario,
    started: Instant,
    /// No iteration starts at or after this instant.
    stop_starting: Option<Instant>,
    /// Remaining iterations for count-bounded closed runs.
    remaining: Option<AtomicU64>,
    /// Next schedule index for open-model lanes.
    next_index: AtomicU64,
    schedule: Option<Box<dyn ArrivalSchedule>>,
    stages: Option<crate::Stages>,
    think_time: Duration,
    request_timeout: Duration,
    cancel: CancellationToken,
    /// Set once `cancel` fires: read per iteration without the token's lock.
    cancelled: Arc<AtomicBool>,
}

impl RunContext {
    fn should_stop(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
            || self.stop_starting.is_some_and(|at| Instant::now() >= at)
    }

    /// Claims one iteration of a count-bounded run.
    fn claim(&self) -> bool {
        self.remaining.as_ref().is_none_or(|remaining| {
            remaining
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
        })
    }

    /// Sleeps for `duration`, but not past the instant starts stop, nor after a cancel;
    /// `client`'s batch is handed on meanwhile when it comes due.
    async fn pause(&self, client: &mut Client, duration: Duration) {
        if !duration.is_zero() {
            let mut until = Instant::now() + duration;
            if let Some(stop) = self.stop_starting {
                until = until.min(stop);
            }
            client.wait_until(until, &self.cancel).await;
        }
    }

    /// One iteration; `intended` is its scheduled start (`None`: now, the closed model).
    async fn iteration(&self, client: &mut Client, intended: Option<Instant>) {
        match &self.scenario.kind {
            ScenarioKind::Template { request, check } => {
                client.send_template(request, check, intended).await;
            }
            ScenarioKind::User(code) => {
                let passed = code.iteration(client).await.is_ok();
                client.record(Event::Check { passed }).await;
            }
        }
    }
}

/// Runs `scenario` under `executor` and returns its report. Fails only on invalid setup;
/// failed requests are data in the report.
pub async fn run(
    scenario: &Scenario,
    executor: &Executor,
    options: &LoadOptions,
    control: RunControl,
) -> Result<ScenarioReport, LoadError> {
    executor.validate()?;
    let connector = options.connector()?;
    let started_at = Utc::now();
    let started = Instant::now();
    let cpu_before = process_cpu_seconds();

    let mut plan = ExecutionPlan::of_shard(executor, options.shard)?;
    let hard_deadline = plan.hard_deadline(started, options);
    let context = Arc::new(RunContext {
        scenario: scenario.clone(),
        started,
        stop_starting: Some(plan.stop_starting(started, options)),
        remaining: plan.iterations.map(AtomicU64::new),
        next_index: AtomicU64::new(0),
        schedule: plan.schedule.take(),
        stages: plan.stages.take(),
        think_time: plan.think_time,
        request_timeout: options.request_timeout,
        cancel: control.cancel.clone(),
        cancelled: Arc::new(AtomicBool::new(false)),
    });
    let cancel_watch = {
        let (cancel, cancelled) = (control.cancel.clone(), Arc::clone(&context.cancelled));
        tokio::spawn(async move {
            cancel.cancelled().await;
            cancelled.store(true, Ordering::Relaxed);
        })
    };
    let shared = Arc::new(ClientShared::new(
        connector,
        options.request_timeout,
        started,
    ));
    let (batch_tx, batch_rx) = mpsc::channel(plan.workers as usize * 2 + 16);
    let live = live_source(&plan, executor, &shared, &context);
    let aggregator =
        tokio::spawn(Aggregator::new().run(batch_rx, started, control.progress.clone(), live));

    let mut set = JoinSet::new();
    for worker_idx in 0..plan.workers {
        let context = Arc::clone(&context);
        let mut client = Client::new(Arc::clone(&shared), Batcher::new(batch_tx.clone()));
        set.spawn(async move {
            if context.schedule.is_some() {
                open_lane(&context, &mut client).await;
            } else {
                closed_user(&context, &mut client, worker_idx).await;
            }
            client.flush().await;
        });
    }
    drop(batch_tx);
    let finished_in_time =
        tokio::time::timeout_at(tokio::time::Instant::from_std(hard_deadline), async {
            while set.join_next().await.is_some() {}
        })
        .await
        .is_ok();
    if !finished_in_time {
        set.abort_all();
        while set.join_next().await.is_some() {}
    }
    cancel_watch.abort();
    let aggregate = aggregator.await.map_err(|err| LoadError::InvalidConfig {
        message: format!("aggregator failed: {err}"),
    })?;
    let cpu_seconds = match (cpu_before, process_cpu_seconds()) {
        (Some(before), Some(after)) => after - before,
        _ => 0.0,
    };
    let mut report = scenario_report(scenario, executor, &plan, (started, started_at), aggregate);
    report.generator.max_in_flight = shared.max_in_flight.load(Ordering::Relaxed);
    report.generator.cpu_seconds = cpu_seconds;
    report.generator.runtime_threads =
        u32::try_from(tokio::runtime::Handle::current().metrics().num_workers())
            .unwrap_or(u32::MAX);
    report.interrupted = control.cancel.is_cancelled() || !finished_in_time;
    Ok(report)
}

/// The progress a live line shows, computed from the shared counters on demand: how far
/// through the bound, the time left, the asked rate or users at this instant.
fn live_source(
    plan: &ExecutionPlan,
    executor: &Executor,
    shared: &Arc<ClientShared>,
    context: &Arc<RunContext>,
) -> LiveSource {
    let (shared, context) = (Arc::clone(shared), Arc::clone(context));
    let stages = match executor {
        Executor::Ramping { stages, .. } => Some(stages.clone()),
        _ => None,
    };
    let (iterations, bound_length, requested_rate) =
        (plan.iterations, plan.duration_bound, plan.requested_rate);
    Box::new(move |elapsed: Duration| {
        let requests = shared.completed.load(Ordering::Relaxed);
        let done = match (iterations, bound_length) {
            (Some(total), _) if total > 0 => {
                let left = context
                    .remaining
                    .as_ref()
                    .map_or(0, |r| r.load(Ordering::Relaxed));
                Some((total - left.min(total)) as f64 / total as f64)
            }
            (_, Some(length)) if !length.is_zero() => {
                Some((elapsed.as_secs_f64() / length.as_secs_f64()).min(1.0))
            }
            _ => None,
        };
        let eta = match (iterations, bound_length) {
            (_, Some(length)) => Some(length.saturating_sub(elapsed)),
            (Some(_), None) => done
                .filter(|d| *d > 0.0)
                .map(|d| Duration::from_secs_f64(elapsed.as_secs_f64() * (1.0 - d) / d)),
            _ => None,
        };
        let stage_target = stages.as_ref().map(|s| (s.rate, s.target_at(elapsed)));
        Progress {
            elapsed,
            requests,
            errors: shared.failed.load(Ordering::Relaxed),
            in_flight: shared.in_flight.load(Ordering::Relaxed),
            done,
            eta,
            target_rate_per_sec: requested_rate
                .or(stage_target.and_then(|(rate, t)| rate.then_some(t))),
            target_users: stage_target.and_then(|(rate, t)| (!rate).then_some(t)),
            status_codes: shared.status_counts(),
            ..Progress::default()
        }
    })
}

/// The report of a finished run from what the aggregator merged; the caller fills in the
/// start time, the generator's own CPU and in-flight peak, and whether it was cut short.
fn scenario_report(
    scenario: &Scenario,
    executor: &Executor,
    plan: &ExecutionPlan,
    (started, started_at): (Instant, chrono::DateTime<Utc>),
    aggregate: Aggregate,
) -> ScenarioReport {
    // From the first scheduled start to the last completion (the whole run if none completed).
    let duration_us = if aggregate.last_end_offset_us > 0 {
        aggregate.last_end_offset_us
    } else {
        u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
    };
    let starts = if aggregate.starts > 0 {
        aggregate.starts
    } else {
        aggregate.checks.passes + aggregate.checks.fails
    };
    ScenarioReport {
        name: scenario.name.clone(),
        executor: ExecutorSummary {
            kind: plan.kind,
            description: executor.describe(),
            concurrency: plan.workers,
            target_rate_per_sec: plan.requested_rate,
        },
        started_at,
        duration_us,
        total_requests: aggregate.requests,
        successful_requests: aggregate.successes,
        failed_requests: aggregate.failures,
        requests_per_second: per_second(aggregate.requests, duration_us),
        success_rate_percent: percent(aggregate.successes, aggregate.requests),
        bytes_sent: aggregate.bytes_sent,
        bytes_received: aggregate.bytes_received,
        response_time: LatencyDistribution::from(aggregate.response),
        service_time: LatencyDistribution::from(aggregate.service),
        ttfb: LatencyDistribution::from(aggregate.ttfb),
        status_codes: aggregate.status_codes,
        errors: aggregate.errors,
        checks: aggregate.checks,
        endpoints: aggregate.endpoints,
        series: aggregate.series,
        generator: GeneratorHealth {
            requested_rate_per_sec: plan.requested_rate,
            achieved_rate_per_sec: per_second(starts, duration_us),
            start_lag: aggregate.start_lag.summary(),
            late_starts: aggregate.late_starts,
            dropped_starts: aggregate.dropped_starts,
            max_in_flight: 0,
            cpu_seconds: 0.0,
            runtime_threads: 0,
        },
        interrupted: false,
    }
}

/// Runs the same scenario closed-model at each concurrency level in turn: one report per
/// level, named `<scenario>@<users>`.
pub async fn sweep(
    scenario: &Scenario,
    levels: &[u32],
    bound: Bound,
    think_time: Duration,
    options: &LoadOptions,
    control: RunControl,
) -> Result<Vec<ScenarioReport>, LoadError> {
    if levels.is_empty() {
        return Err(LoadError::InvalidConfig {
            message: "a sweep needs at least one level".to_owned(),
        });
    }
    let mut reports = Vec::with_capacity(levels.len());
    for &users in levels {
        if control.cancel.is_cancelled() {
            break;
        }
        let executor = Executor::Closed {
            users,
            bound,
            think_time,
        };
        let mut report = run(scenario, &executor, options, control.clone()).await?;
        report.name = format!("{}@{users}", scenario.name);
        report.executor.kind = ExecutorKind::Sweep;
        reports.push(report);
    }
    Ok(reports)
}

/// A closed-model virtual user: iterate until a bound is reached.
async fn closed_user(context: &RunContext, client: &mut Client, worker_idx: u32) {
    loop {
        if context.should_stop() {
            return;
        }
        if let Some(stages) = &context.stages {
            // Ramping users: this user runs while the target exceeds its index.
            let elapsed = context.started.elapsed();
            if stages.target_at(elapsed) <= f64::from(worker_idx) {
                if elapsed >= stages.total() {
                    return;
                }
                context.pause(client, Duration::from_millis(10)).await;
                continue;
            }
        }
        if !context.claim() {
            return;
        }
        context.iteration(client, None).await;
        context.pause(client, context.think_time).await;
    }
}

/// An open-model lane: take the next scheduled start, wait for it, run it. A start that is
/// already late by more than the request timeout is dropped and counted: its response could
/// only be a timeout.
async fn open_lane(context: &RunContext, client: &mut Client) {
    let schedule = context
        .schedule
        .as_ref()
        .expect("open lanes have a schedule");
    loop {
        // Stops at the bound's end on the wall clock too: a rate the generator cannot keep
        // up with leaves starts whose intended time is still inside the run, and these
        // must not keep the run going past its duration.
        if context.should_stop() {
            return;
        }
        let index = context.next_index.fetch_add(1, Ordering::Relaxed);
        let Some(offset) = schedule.offset(index) else {
            return;
        };
        let Some(intended) = context.started.checked_add(offset) else {
            return;
        };
        if context.stop_starting.is_some_and(|stop| intended >= stop) {
            return;
        }
        let now = Instant::now();
        if intended > now {
            if !client.wait_until(intended, &context.cancel).await {
                return;
            }
        } else if now - intended > context.request_timeout {
            client.record(Event::Dropped).await;
            continue;
        }
        let lag_us = u64::try_from(
            Instant::now()
                .saturating_duration_since(intended)
                .as_micros(),
        )
        .unwrap_or(u64::MAX);
        client.record(Event::Start { lag_us }).await;
        context.iteration(client, Some(intended)).await;
    }
}

/// CPU time (user + system) of this process so far, in seconds (Linux).
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux architecture this runs on.
    Some(ticks / 100.0)
}
