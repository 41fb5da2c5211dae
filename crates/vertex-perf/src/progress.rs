//! Progress display on stderr: a live line on a terminal, plain periodic lines when stderr
//! is not a terminal or `CI` is set (GitLab logs).

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use load_engine::RunControl;
use report_model::MetricUnit;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How often a plain line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

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
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                    .expect("valid template"),
            );
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
                if last.is_none_or(|at| at.elapsed() >= PLAIN_EVERY) {
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

/// Runs load work to its end with a progress line (prefixed by `label`), and cancels it
/// gracefully once the user interrupts. Returns the work's output and whether it was
/// cancelled.
pub async fn follow_load<T, F>(label: Option<&str>, work: impl FnOnce(RunControl) -> F) -> (T, bool)
where
    F: Future<Output = T>,
{
    let cancel = CancellationToken::new();
    let (progress_tx, mut progress_rx) = mpsc::channel(8);
    let work = work(RunControl {
        progress: Some(progress_tx),
        cancel: cancel.clone(),
    });
    tokio::pin!(work);
    let mut line = Progress::new();
    let output = crate::interrupt::cancelling_on_signal(cancel.clone(), async {
        loop {
            tokio::select! {
                output = &mut work => break output,
                Some(progress) = progress_rx.recv() => line.update(&match label {
                    Some(label) => format!("{label}: {}", describe(&progress)),
                    None => describe(&progress),
                }),
            }
        }
    })
    .await;
    line.finish();
    (output, cancel.is_cancelled())
}

/// One progress line of a load run.
fn describe(progress: &load_engine::Progress) -> String {
    let duration = |us: u64| MetricUnit::Duration.format(us as f64);
    format!(
        "{:.0}s {} requests ({}/s) p50 {} p99 {} errors {} in flight {}",
        progress.elapsed.as_secs_f64(),
        progress.requests,
        progress.requests_last_second,
        duration(progress.p50_us),
        duration(progress.p99_us),
        progress.errors,
        progress.in_flight
    )
}
