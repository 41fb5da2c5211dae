//! The `vertex-perf` binary: everything lives in the library half of this crate.

fn main() -> std::process::ExitCode {
    vertex_perf::main()
}
