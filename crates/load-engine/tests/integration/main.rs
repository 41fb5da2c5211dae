//! Integration tests of load-engine against an in-process hyper server with fault knobs.

mod fault_server;
mod journeys;
mod limits;
mod runs;
