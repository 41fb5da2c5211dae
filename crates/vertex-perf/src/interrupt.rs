//! Ctrl-C and SIGTERM, handled the same way by every command: the first signal asks the
//! running command to stop starting work, let what is in flight finish (bounded by its
//! timeouts), clean up what it created and write every report marked interrupted; the
//! command then exits with `PerfExitCode::INTERRUPTED`. A second signal exits at once.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::PerfExitCode;

/// Signals received so far.
static SIGNALS: AtomicU32 = AtomicU32::new(0);

/// Installs the process-wide handler (once, from `main`). With `announce`, the first signal
/// says what happens next (a server stopped by a signal, `s3-server`, needs no word).
pub fn install(announce: bool) -> Result<(), ctrlc::Error> {
    ctrlc::set_handler(move || {
        if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
            // Async-signal context is not involved (ctrlc runs this on its own
            // thread), so writing and exiting here is sound.
            eprintln!("vertex-perf: interrupted again: exiting without cleanup");
            std::process::exit(i32::from(PerfExitCode::INTERRUPTED));
        }
        if announce {
            eprintln!(
                "vertex-perf: interrupted: finishing what is in flight, cleaning up and writing the reports (interrupt again to exit at once)"
            );
        }
    })
}

/// True once the user interrupted.
pub fn is_set() -> bool {
    SIGNALS.load(Ordering::SeqCst) > 0
}

/// Runs `work` to its end, cancelling `token` (which `work` watches) once the user
/// interrupts; returns `work`'s output.
pub async fn cancelling_on_signal<T>(token: CancellationToken, work: impl Future<Output = T>) -> T {
    let watch = cancel_on_signal(token);
    tokio::pin!(work, watch);
    let mut watching = true;
    loop {
        tokio::select! {
            output = &mut work => return output,
            () = &mut watch, if watching => watching = false,
        }
    }
}

/// Cancels `token` once the user interrupts; returns when `token` is cancelled (by this or
/// by anyone else).
pub async fn cancel_on_signal(token: CancellationToken) {
    let mut watch = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            _ = watch.tick() => {
                if is_set() {
                    token.cancel();
                    return;
                }
            }
        }
    }
}
