//! The workflow and scenarios against vertex-sim started in-process.

mod direct_db;
mod scenarios;
mod service_store;
mod sim;
mod workflow;
