//! The workflow and scenarios against vertex-sim started in-process.

mod scenarios;
mod service_store;
mod sim;
mod workflow;
