//! The protocol of each phase, as a method on the shared [`Context`](crate::context::Context).
//! Each adds its section to the report as it finishes, so an interrupted or failed run
//! still reports what was done; a phase that creates data deletes it however it ended.
//!
//! The building blocks live with their concepts: scenarios and the order ledger in
//! portrait-workflow, the engines in load-engine and storage-bench, the memory-cycle
//! bookkeeping in perf-sampler. A phase only orders and sizes them.

mod comprehensive;
mod load;
mod memory;
mod storage;
mod workflow;
