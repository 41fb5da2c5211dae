//! CLI tests: run the built binary on the committed fixtures and check exit codes, output
//! and files.

mod compare;
mod http_server;
mod load;
mod monitor;
mod report;
mod storage;
mod util;
mod workflow;
