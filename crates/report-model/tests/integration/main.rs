//! Integration tests of report-model: one binary, one module per concern.

mod atomic;
mod compare;
mod fixtures;
mod histogram;
mod renderers;
mod sample;
