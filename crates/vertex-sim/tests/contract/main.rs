//! The contract suite: every endpoint the tool uses, over real HTTP, against
//! `../shared/docs/vertex-ar-api.md`. One binary, one module per area.

mod admin;
mod auth;
mod binary;
mod faults;
mod orders;
mod s3_storage;
mod support;
