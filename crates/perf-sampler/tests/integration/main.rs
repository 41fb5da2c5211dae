//! Integration tests of perf-sampler against real child processes. The helpers are this
//! same test binary re-executed with `PERF_SAMPLER_HELPER=<mode>` (see `helper.rs`), so no
//! extra binaries need building.

mod helper;
mod sampling;
