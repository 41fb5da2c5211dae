//! storage-bench against memory, a local directory, the embedded S3 server and (when
//! `VERTEX_PERF_MOTO_ENDPOINT` names one) moto, a second S3 implementation.

mod corrupt;
mod runs;
