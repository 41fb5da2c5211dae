//! The one error type of this crate.

use std::io;
use std::path::PathBuf;

/// Why sampling could not start (or a sample could not be read).
///
/// Once sampling runs, a target that goes away is not an error: it ends the target's series
/// and the report records when.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SamplerError {
    /// No process has this id.
    #[error("no process with pid `{pid}`\n(hint: check the pid with `ps -p {pid}`)")]
    NoSuchProcess {
        /// The pid asked for.
        pid: u32,
    },
    /// No running process has this name.
    #[error(
        "no process named `{name}`\n(hint: the name is the command name as `ps -e` shows it, or the program's file name)"
    )]
    NoProcessNamed {
        /// The name asked for.
        name: String,
    },
    /// Nothing listens on this TCP port.
    #[error(
        "nothing listens on tcp port `{port}`\n(hint: is the server running? `ss -ltnp` lists listeners)"
    )]
    NoListener {
        /// The port asked for.
        port: u16,
    },
    /// The listener exists but its owner process is not visible to this user.
    #[error(
        "tcp port `{port}` is open but its process is not visible to this user\n(hint: run as the server's user or as root, or pass --pid)"
    )]
    ListenerNotVisible {
        /// The port asked for.
        port: u16,
    },
    /// A `/proc` file of the target may not be read by this user.
    #[error("permission denied reading `{path}`\n(hint: run as the server's user or as root)")]
    PermissionDenied {
        /// The file.
        path: PathBuf,
    },
    /// Reading a system file failed.
    #[error("cannot read `{path}`")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A system file had an unexpected format.
    #[error("cannot parse `{path}`: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// The configuration is invalid.
    #[error("invalid sampler configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// This operating system is not supported yet.
    #[error("process sampling is only implemented for Linux (this is `{os}`)")]
    Unsupported {
        /// The operating system.
        os: &'static str,
    },
    /// The sampling thread could not be started or died.
    #[error("the sampling thread failed: {message}")]
    Thread {
        /// What happened.
        message: String,
    },
}

impl SamplerError {
    pub(crate) fn from_io(path: impl Into<PathBuf>, source: io::Error) -> SamplerError {
        let path = path.into();
        if source.kind() == io::ErrorKind::PermissionDenied {
            SamplerError::PermissionDenied { path }
        } else {
            SamplerError::Read { path, source }
        }
    }
}
