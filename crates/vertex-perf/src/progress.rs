//! Progress display on stderr: a live line on a terminal, plain periodic lines when stderr
//! is not a terminal or `CI` is set (GitLab logs).

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
