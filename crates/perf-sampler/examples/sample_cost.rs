//! Measures the CPU cost of one full sample (one process + the host) with [`Collector`].
//!
//! `sample_cost PID SAMPLES [--uss]` prints one JSON line:
//! `{"tool":"perf-sampler","samples":N,"cpu_ms_per_sample":X,"wall_us_per_sample":Y}`.
//! Used by `cargo xtask bench-sampler`, which runs psutil on the same target for comparison.

use std::time::Instant;

use perf_sampler::{Collector, CollectorOptions};

/// CPU time (user + system) this process has used, in seconds.
fn own_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("procfs");
    // Fields after the command name (which is in parentheses and may contain spaces).
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: sample_cost PID SAMPLES [--uss]");
        std::process::exit(2);
    }
    let pid: u32 = args[1].parse().expect("pid");
    let samples: u32 = args[2].parse().expect("samples");
    let options = CollectorOptions {
        include_children: false,
        collect_uss: args.iter().any(|a| a == "--uss"),
    };
    let mut collector = Collector::new(pid, options).unwrap_or_else(|e| {
        eprintln!("sample_cost: {e}");
        std::process::exit(2);
    });
    for _ in 0..100 {
        std::hint::black_box(collector.sample().expect("warm-up sample"));
    }
    let cpu_before = own_cpu_seconds();
    let wall = Instant::now();
    for _ in 0..samples {
        std::hint::black_box(collector.sample().expect("sample"));
    }
    let wall_secs = wall.elapsed().as_secs_f64();
    let cpu_secs = own_cpu_seconds() - cpu_before;
    println!(
        "{{\"tool\":\"perf-sampler\",\"samples\":{samples},\"cpu_ms_per_sample\":{:.5},\"wall_us_per_sample\":{:.2}}}",
        cpu_secs * 1000.0 / f64::from(samples),
        wall_secs * 1e6 / f64::from(samples)
    );
}
