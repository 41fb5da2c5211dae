//! CLI tests: run the built binary on the committed fixtures and check exit codes, output
//! and files.

mod compare;
mod faults;
mod http_server;
mod journeys;
mod live_metrics;
mod load;
mod merge;
mod monitor;
mod report;
mod sim;
mod storage;
mod suite;
mod util;
mod verdicts;
mod workflow;
