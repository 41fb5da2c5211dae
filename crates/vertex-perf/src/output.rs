//! Terminal output: data on stdout, notes and errors on stderr prefixed with the program
//! name. A closed stdout (`| head`) ends the program quietly.

use std::io::{self, Write};

/// Where the CLI writes.
pub struct Output {
    stdout: io::Stdout,
    stderr: io::Stderr,
}

/// Marks a write to a closed pipe, which ends the program quietly with success.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct BrokenPipe;

impl Output {
    /// The process's stdout and stderr.
    pub fn new() -> Self {
        Output {
            stdout: io::stdout(),
            stderr: io::stderr(),
        }
    }

    /// Writes data to stdout.
    pub fn stdout(&mut self, text: &str) -> anyhow::Result<()> {
        let mut lock = self.stdout.lock();
        match lock.write_all(text.as_bytes()).and_then(|()| lock.flush()) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
            Err(err) => Err(anyhow::Error::new(err).context("cannot write to standard output")),
        }
    }

    /// Writes a note for people to stderr.
    pub fn note(&self, text: &str) {
        // Nothing sensible remains to be done when stderr itself is gone.
        let _ = writeln!(self.stderr.lock(), "vertex-perf: {text}");
    }

    /// Writes an error and its causes to stderr: one line, causes joined with `: `, hints
    /// (lines in parentheses) on their own lines after it.
    pub fn error(&self, error: &anyhow::Error) {
        let line = report_model::error_chain(error.as_ref());
        let _ = writeln!(self.stderr.lock(), "vertex-perf: error: {line}");
    }
}

impl Default for Output {
    fn default() -> Self {
        Self::new()
    }
}
