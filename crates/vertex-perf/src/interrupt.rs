//! Ctrl-C (and SIGTERM) handling: the first signal asks the running command to stop and
//! write what it has; the command then exits with `PerfExitCode::INTERRUPTED`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A flag set when the user interrupts.
#[derive(Clone)]
pub struct Interrupt {
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the process-wide handler. A failure to install leaves Ctrl-C with its default
    /// behaviour, which is worth a note but not an abort.
    pub fn install() -> Result<Interrupt, ctrlc::Error> {
        let flag = Arc::new(AtomicBool::new(false));
        let setter = Arc::clone(&flag);
        ctrlc::set_handler(move || setter.store(true, Ordering::SeqCst))?;
        Ok(Interrupt { flag })
    }

    /// True once the user interrupted.
    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}
