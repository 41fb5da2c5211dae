//! Progress display on stderr: a live line on a terminal, plain periodic lines when stderr
//! is not a terminal or `CI` is set (GitLab logs).

use crate::metrics_server::MetricsServer;
use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use load_engine::RunControl;
use report_model::MetricUnit;
use tokio_util::sync::CancellationToken;

/// How often a plain line is printed, `--progress-interval` (5 s unless set).
static PLAIN_EVERY: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// Sets how often plain lines are printed; the first call wins.
pub fn set_plain_interval(interval: Duration) {
    let _ = PLAIN_EVERY.set(interval);
}

fn plain_every() -> Duration {
    PLAIN_EVERY.get().copied().unwrap_or(Duration::from_secs(5))
}

/// A one-line progress display.
pub enum Progress {
    /// Redrawn in place.
    Live(ProgressBar),
    /// A line every few seconds.
    Plain { last: Option<Instant> },
}

impl Progress {
    /// Picks the display for this process's stderr.
    pub fn new() -> Progress {
        let interactive = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if interactive {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
            bar.enable_steady_tick(Duration::from_millis(200));
            Progress::Live(bar)
        } else {
            Progress::Plain { last: None }
        }
    }

    /// Shows `message` (plain mode prints it at most every few seconds).
    pub fn update(&mut self, message: &str) {
        match self {
            Progress::Live(bar) => bar.set_message(message.to_owned()),
            Progress::Plain { last } => {
                if last.is_none_or(|at| at.elapsed() >= plain_every()) {
                    *last = Some(Instant::now());
                    let _ = writeln!(std::io::stderr(), "vertex-perf: {message}");
                }
            }
        }
    }

    /// Removes the live line.
    pub fn finish(self) {
        if let Progress::Live(bar) = self {
            bar.finish_and_clear();
        }
    }
}

/// Runs load work to its end with a progress line (prefixed by `label`), hands each
/// progress report to the live metrics (as scenario `name`) when they are served, and
/// cancels the work gracefully once the user interrupts. Returns the work's output and
/// whether it was cancelled.
pub async fn follow_load<T, F>(
    label: Option<&str>,
    metrics: Option<(&MetricsServer, &str)>,
    work: impl FnOnce(RunControl) -> F,
) -> (T, bool)
where
    F: Future<Output = T>,
{
    let cancel = CancellationToken::new();
    let mut line = Progress::new();
    let output = crate::interrupt::cancelling_on_signal(
        cancel.clone(),
        load_engine::observe_run(cancel.clone(), work, |progress| {
            if let Some((server, name)) = metrics {
                server.update(|live| live.set_scenario(name, progress.figures()));
            }
            line.update(&match label {
                Some(label) => format!("{label}: {}", describe(&progress)),
                None => describe(&progress),
            });
        }),
    )
    .await;
    line.finish();
    (output, cancel.is_cancelled())
}

/// One progress line of the storage runner: the phase's backend, operation, size and
/// throughput so far.
pub fn describe_storage(progress: &storage_bench::StorageProgress) -> String {
    let mibps =
        progress.bytes as f64 / (1024.0 * 1024.0) / progress.elapsed.as_secs_f64().max(1e-9);
    format!(
        "storage {} {} {}: {mibps:.1} MiB/s",
        progress.backend,
        progress.operation,
        MetricUnit::Bytes.format(progress.object_size_bytes as f64)
    )
}

/// Draws a running suite's events: notes and phases as lines, load and storage progress on
/// one progress line that ends with its run.
pub struct SuiteProgress<'a> {
    output: &'a crate::output::Output,
    metrics: Option<&'a MetricsServer>,
    line: std::sync::Mutex<Option<Progress>>,
}

impl<'a> SuiteProgress<'a> {
    /// Draws on `output`'s stderr, and feeds the live metrics when they are served.
    pub fn new(
        output: &'a crate::output::Output,
        metrics: Option<&'a MetricsServer>,
    ) -> SuiteProgress<'a> {
        SuiteProgress {
            output,
            metrics,
            line: std::sync::Mutex::new(None),
        }
    }

    /// Shows one event.
    pub fn show(&self, event: perf_suite::SuiteEvent) {
        use perf_suite::SuiteEvent;
        if let Some(server) = self.metrics {
            match &event {
                SuiteEvent::LoadProgress { scenario, progress } => {
                    server.update(|live| live.set_scenario(scenario, progress.figures()));
                }
                SuiteEvent::ProcessSample { role, sample } => {
                    server.update(|live| live.set_process(sample.figures(role)));
                }
                _ => {}
            }
        }
        let mut line = self
            .line
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let message = match event {
            SuiteEvent::PhaseStarted(phase) => {
                self.output.note(&format!("phase: {phase}"));
                return;
            }
            SuiteEvent::Note(text) => {
                self.output.note(&text);
                return;
            }
            SuiteEvent::ProgressEnded => {
                if let Some(line) = line.take() {
                    line.finish();
                }
                return;
            }
            SuiteEvent::LoadProgress { scenario, progress } => {
                format!("{scenario}: {}", describe(&progress))
            }
            SuiteEvent::StorageProgress(progress) => describe_storage(&progress),
            _ => return,
        };
        line.get_or_insert_with(Progress::new).update(&message);
    }
}

/// One progress line of a load run, k6-like: how far through the bound, elapsed and what
/// is left, the requests with achieved and target rate, latency of the last second,
/// statuses so far and what is in flight.
pub fn describe(progress: &load_engine::Progress) -> String {
    use std::fmt::Write as _;
    let duration = |us: u64| MetricUnit::Duration.format(us as f64);
    let clock = |d: Duration| format!("{:.0}s", d.as_secs_f64());
    let mut parts = Vec::new();
    let mut head = String::new();
    if let Some(done) = progress.done {
        let _ = write!(head, "[{:>3.0}%] ", done * 100.0);
    }
    head.push_str(&clock(progress.elapsed));
    if let Some(eta) = progress.eta {
        let _ = write!(head, ", {} left", clock(eta));
    }
    parts.push(head);
    let mut requests = format!(
        "{} requests ({}/s",
        progress.requests, progress.requests_last_second
    );
    if let Some(target) = progress.target_rate_per_sec {
        let _ = write!(requests, " of {target:.0}/s asked");
    }
    requests.push(')');
    if let Some(users) = progress.target_users {
        let _ = write!(requests, ", {users:.0} users");
    }
    parts.push(requests);
    if progress.requests > progress.errors {
        parts.push(format!(
            "p50 {} p99 {}",
            duration(progress.p50_us),
            duration(progress.p99_us)
        ));
    }
    parts.push(format!("{} errors", progress.errors));
    if !progress.status_codes.is_empty() {
        let statuses: Vec<String> = progress
            .status_codes
            .iter()
            .map(|(status, count)| format!("{status}×{count}"))
            .collect();
        parts.push(statuses.join(" "));
    }
    parts.push(format!("{} in flight", progress.in_flight));
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_percent_eta_rates_and_statuses_once() {
        let progress = load_engine::Progress {
            elapsed: Duration::from_secs(3),
            requests: 300,
            errors: 2,
            requests_last_second: 100,
            p50_us: 1200,
            p99_us: 5000,
            in_flight: 1,
            done: Some(0.375),
            eta: Some(Duration::from_secs(5)),
            target_rate_per_sec: Some(100.0),
            target_users: None,
            status_codes: [(200, 298), (500, 2)].into_iter().collect(),
            endpoints: Vec::new(),
        };
        assert_eq!(
            describe(&progress),
            "[ 38%] 3s, 5s left · 300 requests (100/s of 100/s asked) · p50 1.2ms p99 5.0ms · 2 errors · 200×298 500×2 · 1 in flight"
        );
    }
}
