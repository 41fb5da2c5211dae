//! Integration tests of report-model: one binary, one module per concern.

mod atomic;
mod compare;
mod fixtures;
mod histogram;
mod judging;
mod properties;
mod renderers;
mod sample;
mod snapshots;
