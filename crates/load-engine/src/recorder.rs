//! Recording: workers append compact events to a local batch and hand full batches to one
//! aggregator task over a bounded channel. No lock is shared on the hot path, and memory does
//! not grow with the request count: the aggregator folds events into HdrHistograms and a
//! sliding window of per-second histograms.
//!
//! One file although it is long: the event, the worker's batcher, the aggregator and the
//! progress it publishes are one protocol, changed together whenever an event gains a field.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdr_second::SecondHistogram;
use report_model::metrics::live::{EndpointFigures, LatencyBuckets, ScenarioFigures};
use report_model::{
    ErrorClass, LatencyHistogram, load::CheckCounts, load::EndpointReport, load::ErrorCount,
    load::LatencyDistribution, load::SecondStats,
};
use tokio::sync::mpsc;

/// Events per batch before it is sent.
const BATCH_EVENTS: usize = 256;
/// A worker's batch is handed on at least this often, also while the worker waits (think
/// time, the next arrival of an open model), so live progress counts what happened.
pub(crate) const BATCH_MAX_AGE: Duration = Duration::from_millis(250);
/// Seconds kept open for late batches before they are summarised.
const OPEN_SECONDS: u64 = 3;

/// How one request ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Success {
        status: u16,
    },
    Failure {
        status: Option<u16>,
        class: ErrorClass,
        message: Option<Box<str>>,
    },
}

/// One finished request.
#[derive(Debug, Clone)]
pub(crate) struct RequestEvent {
    pub label: Arc<str>,
    /// Microseconds since the scenario started, at completion.
    pub end_offset_us: u64,
    pub response_us: u64,
    pub service_us: u64,
    pub ttfb_us: Option<u64>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub outcome: Outcome,
    /// Whether this request is also a check (template scenarios: one check per request).
    pub is_check: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Event {
    Request(RequestEvent),
    /// One check (a template request or a user iteration) passed or failed.
    Check {
        passed: bool,
    },
    /// An iteration's start relative to its schedule.
    Start {
        lag_us: u64,
    },
    /// A scheduled iteration that never started.
    Dropped,
}

/// A worker's local buffer of events.
pub(crate) struct Batcher {
    events: Vec<Event>,
    /// `None`: a standalone client, whose events nobody aggregates.
    sender: Option<mpsc::Sender<Vec<Event>>>,
    last_flush: Instant,
    /// Error classes this worker already sent a message for: later ones carry none.
    messages_sent: Vec<ErrorClass>,
}

impl Batcher {
    pub(crate) fn new(sender: mpsc::Sender<Vec<Event>>) -> Batcher {
        Batcher {
            // Allocated at the first event, so idle users (a ramp's later ones) cost nothing.
            events: Vec::new(),
            sender: Some(sender),
            last_flush: Instant::now(),
            messages_sent: Vec::new(),
        }
    }

    /// A batcher that drops its batches instead of handing them on (a standalone
    /// client's); it holds at most one batch.
    pub(crate) fn discarding() -> Batcher {
        Batcher {
            events: Vec::new(),
            sender: None,
            last_flush: Instant::now(),
            messages_sent: Vec::new(),
        }
    }

    /// Whether a message for `class` is still wanted.
    pub(crate) fn wants_message(&mut self, class: ErrorClass) -> bool {
        if self.messages_sent.contains(&class) {
            false
        } else {
            self.messages_sent.push(class);
            true
        }
    }

    /// Adds `event`, sending the batch when it is full or old at `now`.
    pub(crate) async fn push(&mut self, event: Event, now: Instant) {
        if self.events.capacity() == 0 {
            self.events.reserve_exact(BATCH_EVENTS);
        }
        self.events.push(event);
        if self.events.len() >= BATCH_EVENTS
            || now.saturating_duration_since(self.last_flush) >= BATCH_MAX_AGE
        {
            self.flush().await;
        }
    }

    /// When the batch must be handed on: `None` while it is empty.
    pub(crate) fn flush_due(&self) -> Option<Instant> {
        (!self.events.is_empty()).then(|| self.last_flush + BATCH_MAX_AGE)
    }

    pub(crate) async fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.events.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.events);
        // The aggregator only stops after every batcher is gone, so this fails only when the
        // run is being torn down; the events are then moot.
        if let Some(sender) = &self.sender {
            let _ = sender.send(batch).await;
        }
    }
}

/// Live progress, sent about once a second.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Time since the scenario started.
    pub elapsed: Duration,
    /// Requests completed so far.
    pub requests: u64,
    /// Requests failed so far.
    pub errors: u64,
    /// Requests completed per second since the previous progress report (the achieved
    /// rate now, from the exact counters).
    pub requests_last_second: u64,
    /// Median response time of the last full second, microseconds.
    pub p50_us: u64,
    /// 99th percentile of the last full second, microseconds.
    pub p99_us: u64,
    /// Requests in flight now.
    pub in_flight: u64,
    /// How much of the run's bound (its iterations or its duration) is done, 0 to 1.
    pub done: Option<f64>,
    /// Time left to the bound: exact for a duration, extrapolated for a count.
    pub eta: Option<Duration>,
    /// The arrival rate asked for now (open and ramping-rate runs).
    pub target_rate_per_sec: Option<f64>,
    /// The users asked for now (ramping-users runs).
    pub target_users: Option<f64>,
    /// Answers so far by HTTP status.
    pub status_codes: BTreeMap<u16, u64>,
    /// Each endpoint so far (in label order): requests, errors by class, the latency
    /// buckets of its successful requests; from the batches aggregated, so up to a batch
    /// age behind the exact counters above.
    pub endpoints: Vec<EndpointFigures>,
}

impl Progress {
    /// The scenario's live figures for a Prometheus scrape.
    pub fn figures(&self) -> ScenarioFigures {
        ScenarioFigures {
            in_flight: self.in_flight,
            achieved_rate: self.requests_last_second as f64,
            target_rate: self.target_rate_per_sec,
            endpoints: self.endpoints.clone(),
        }
    }
}

/// Reads what live progress takes from outside the batches at an elapsed time: the exact
/// counters the workers bump as they record, and the bound. The aggregator adds the
/// latency of the last second and the rate.
pub(crate) type LiveSource = Box<dyn Fn(Duration) -> Progress + Send>;

#[derive(Default)]
struct LabelAggregate {
    requests: u64,
    failures: u64,
    response: LatencyHistogram,
    status_codes: BTreeMap<u16, u64>,
    errors: BTreeMap<ErrorClass, (u64, String)>,
}

/// Everything the aggregator learned.
pub(crate) struct Aggregate {
    pub requests: u64,
    pub successes: u64,
    pub failures: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub response: LatencyHistogram,
    pub service: LatencyHistogram,
    pub ttfb: LatencyHistogram,
    pub start_lag: LatencyHistogram,
    pub late_starts: u64,
    pub dropped_starts: u64,
    pub starts: u64,
    pub checks: CheckCounts,
    pub status_codes: BTreeMap<u16, u64>,
    pub errors: Vec<ErrorCount>,
    pub endpoints: Vec<EndpointReport>,
    pub series: Vec<SecondStats>,
    pub last_end_offset_us: u64,
}

/// Folds batches into statistics; emits progress.
pub(crate) struct Aggregator {
    labels: HashMap<Arc<str>, LabelAggregate>,
    service: LatencyHistogram,
    ttfb: LatencyHistogram,
    start_lag: LatencyHistogram,
    late_starts: u64,
    dropped_starts: u64,
    starts: u64,
    checks: CheckCounts,
    bytes_sent: u64,
    bytes_received: u64,
    open_seconds: BTreeMap<u64, SecondHistogram>,
    series: Vec<SecondStats>,
    requests: u64,
    failures: u64,
    last_end_offset_us: u64,
}

/// Start lag above this counts as a late start.
const LATE_START_US: u64 = 1_000;

impl Aggregator {
    pub(crate) fn new() -> Aggregator {
        Aggregator {
            labels: HashMap::new(),
            service: LatencyHistogram::new(),
            ttfb: LatencyHistogram::new(),
            start_lag: LatencyHistogram::new(),
            late_starts: 0,
            dropped_starts: 0,
            starts: 0,
            checks: CheckCounts::default(),
            bytes_sent: 0,
            bytes_received: 0,
            open_seconds: BTreeMap::new(),
            series: Vec::new(),
            requests: 0,
            failures: 0,
            last_end_offset_us: 0,
        }
    }

    /// Receives batches until every sender is gone, sending progress every second.
    pub(crate) async fn run(
        mut self,
        mut receiver: mpsc::Receiver<Vec<Event>>,
        started: Instant,
        progress: Option<mpsc::Sender<Progress>>,
        live: LiveSource,
    ) -> Aggregate {
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::from_std(started) + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut previous = (Duration::ZERO, 0u64);
        loop {
            tokio::select! {
                batch = receiver.recv() => match batch {
                    Some(batch) => self.absorb(batch),
                    None => break,
                },
                _ = ticker.tick() => {
                    let elapsed = started.elapsed();
                    self.close_seconds_before(elapsed.as_secs().saturating_sub(OPEN_SECONDS));
                    if let Some(progress) = &progress {
                        let figures = live(elapsed);
                        let span = elapsed.saturating_sub(previous.0).as_secs_f64();
                        let rate = if span > 0.0 {
                            (figures.requests.saturating_sub(previous.1) as f64 / span).round() as u64
                        } else {
                            0
                        };
                        previous = (elapsed, figures.requests);
                        let mut report = self.progress(elapsed, figures);
                        report.requests_last_second = rate;
                        let _ = progress.try_send(report);
                    }
                }
            }
        }
        self.close_seconds_before(u64::MAX);
        self.finish()
    }

    fn progress(&self, elapsed: Duration, live: Progress) -> Progress {
        let last_full = elapsed.as_secs().checked_sub(1);
        let (p50_us, p99_us) = last_full
            .and_then(|second| {
                self.open_seconds
                    .get(&second)
                    .map(|h| (h.value_at_quantile(0.5), h.value_at_quantile(0.99)))
                    .or_else(|| {
                        self.series
                            .iter()
                            .rev()
                            .find(|s| s.second == second)
                            .map(|s| (s.p50_us, s.p99_us))
                    })
            })
            .unwrap_or_default();
        let mut endpoints: Vec<EndpointFigures> = self
            .labels
            .iter()
            .map(|(label, aggregate)| EndpointFigures {
                endpoint: label.to_string(),
                requests: aggregate.requests,
                errors: aggregate
                    .errors
                    .iter()
                    .map(|(class, (count, _))| (*class, *count))
                    .collect(),
                latency: LatencyBuckets::of(&aggregate.response),
            })
            .collect();
        endpoints.sort_by(|a, b| a.endpoint.cmp(&b.endpoint));
        Progress {
            // The exact counters, never behind what the batches carried.
            requests: live.requests.max(self.requests),
            errors: live.errors.max(self.failures),
            p50_us,
            p99_us,
            endpoints,
            ..live
        }
    }

    fn absorb(&mut self, batch: Vec<Event>) {
        for event in batch {
            match event {
                Event::Request(request) => self.absorb_request(request),
                Event::Check { passed } => {
                    if passed {
                        self.checks.passes += 1;
                    } else {
                        self.checks.fails += 1;
                    }
                }
                Event::Start { lag_us } => {
                    self.starts += 1;
                    self.start_lag.record_us(lag_us);
                    if lag_us > LATE_START_US {
                        self.late_starts += 1;
                    }
                }
                Event::Dropped => self.dropped_starts += 1,
            }
        }
    }

    fn absorb_request(&mut self, request: RequestEvent) {
        self.requests += 1;
        if request.is_check {
            match request.outcome {
                Outcome::Success { .. } => self.checks.passes += 1,
                Outcome::Failure { .. } => self.checks.fails += 1,
            }
        }
        self.bytes_sent += request.bytes_sent;
        self.bytes_received += request.bytes_received;
        self.last_end_offset_us = self.last_end_offset_us.max(request.end_offset_us);
        let second = request.end_offset_us / 1_000_000;
        let bucket = self
            .open_seconds
            .entry(second)
            .or_insert_with(SecondHistogram::new);
        bucket.requests += 1;
        bucket.busy_us = bucket.busy_us.saturating_add(request.response_us);
        let label = self.labels.entry(request.label).or_default();
        label.requests += 1;
        match request.outcome {
            Outcome::Success { status } => {
                *label.status_codes.entry(status).or_default() += 1;
                label.response.record_us(request.response_us);
                self.service.record_us(request.service_us);
                if let Some(ttfb) = request.ttfb_us {
                    self.ttfb.record_us(ttfb);
                }
                bucket.record(request.response_us);
            }
            Outcome::Failure {
                status,
                class,
                message,
            } => {
                self.failures += 1;
                label.failures += 1;
                bucket.errors += 1;
                if let Some(status) = status {
                    *label.status_codes.entry(status).or_default() += 1;
                }
                let entry = label.errors.entry(class).or_insert((0, String::new()));
                entry.0 += 1;
                if entry.1.is_empty()
                    && let Some(message) = message
                {
                    entry.1 = message.into();
                }
            }
        }
    }

    fn close_seconds_before(&mut self, limit: u64) {
        while let Some(entry) = self.open_seconds.first_entry() {
            if *entry.key() >= limit {
                break;
            }
            let (second, histogram) = entry.remove_entry();
            self.series.push(SecondStats {
                second,
                requests: histogram.requests,
                errors: histogram.errors,
                p50_us: histogram.value_at_quantile(0.5),
                p95_us: histogram.value_at_quantile(0.95),
                p99_us: histogram.value_at_quantile(0.99),
                busy_us: histogram.busy_us,
            });
        }
    }

    fn finish(self) -> Aggregate {
        let mut response = LatencyHistogram::new();
        let mut status_codes: BTreeMap<u16, u64> = BTreeMap::new();
        let mut errors: BTreeMap<ErrorClass, (u64, String)> = BTreeMap::new();
        let mut endpoints = Vec::new();
        let mut successes = 0;
        let mut labels: Vec<(Arc<str>, LabelAggregate)> = self.labels.into_iter().collect();
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        for (label, aggregate) in labels {
            response.merge(&aggregate.response);
            successes += aggregate.requests - aggregate.failures;
            for (status, count) in &aggregate.status_codes {
                *status_codes.entry(*status).or_default() += count;
            }
            for (class, (count, message)) in &aggregate.errors {
                let entry = errors.entry(*class).or_insert((0, String::new()));
                entry.0 += count;
                if entry.1.is_empty() {
                    entry.1.clone_from(message);
                }
            }
            endpoints.push(EndpointReport {
                label: label.to_string(),
                requests: aggregate.requests,
                failures: aggregate.failures,
                response_time: LatencyDistribution::from(aggregate.response),
                status_codes: aggregate.status_codes,
                errors: error_counts(aggregate.errors),
            });
        }
        Aggregate {
            requests: self.requests,
            successes,
            failures: self.failures,
            bytes_sent: self.bytes_sent,
            bytes_received: self.bytes_received,
            response,
            service: self.service,
            ttfb: self.ttfb,
            start_lag: self.start_lag,
            late_starts: self.late_starts,
            dropped_starts: self.dropped_starts,
            starts: self.starts,
            checks: self.checks,
            status_codes,
            errors: error_counts(errors),
            endpoints,
            series: self.series,
            last_end_offset_us: self.last_end_offset_us,
        }
    }
}

fn error_counts(errors: BTreeMap<ErrorClass, (u64, String)>) -> Vec<ErrorCount> {
    let mut counts: Vec<ErrorCount> = errors
        .into_iter()
        .map(|(class, (count, sample_message))| ErrorCount {
            class,
            count,
            sample_message,
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.class.cmp(&b.class)));
    counts
}

mod hdr_second {
    //! A small histogram for one second of one run: 1 µs to 1 h at 2 significant digits
    //! (about 1 % resolution), enough for per-second p50/p95/p99 in a few KiB.

    use hdrhistogram::Histogram;

    pub(crate) struct SecondHistogram {
        histogram: Histogram<u32>,
        pub requests: u64,
        pub errors: u64,
        pub busy_us: u64,
    }

    impl SecondHistogram {
        pub(crate) fn new() -> SecondHistogram {
            SecondHistogram {
                histogram: Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid bounds"),
                requests: 0,
                errors: 0,
                busy_us: 0,
            }
        }

        pub(crate) fn record(&mut self, value_us: u64) {
            self.histogram
                .saturating_record(value_us.clamp(1, 3_600_000_000));
        }

        pub(crate) fn value_at_quantile(&self, q: f64) -> u64 {
            if self.histogram.is_empty() {
                0
            } else {
                self.histogram.value_at_quantile(q)
            }
        }
    }
}
