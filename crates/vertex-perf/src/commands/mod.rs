//! One module per subcommand. Each returns the exit code of a completed command, or an error
//! that the caller prints and maps to [`crate::PerfExitCode::SETUP_ERROR`].

pub mod ab;
pub mod compare;
pub mod load;
pub mod merge;
pub mod monitor;
pub mod report;
pub mod s3_server;
pub mod storage;
pub mod workflow;
