//! The workflow and scenarios against vertex-sim started in-process.

mod scenarios;
mod sim;
mod workflow;
