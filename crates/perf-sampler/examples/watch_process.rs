//! Watches one process for a few seconds and prints what psutil users look at: CPU, RSS,
//! open files and threads.
//!
//! ```text
//! cargo run -p perf-sampler --example watch_process -- 1234 3
//! ```
//! Arguments: the pid (default: this process) and seconds (default 2).

use std::time::Duration;

use perf_sampler::{ProcessTarget, Sampler, SamplerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let pid = args.next().map_or(Ok(std::process::id()), |p| p.parse())?;
    let seconds: u64 = args.next().map_or(Ok(2), |s| s.parse())?;
    let mut config = SamplerConfig::new(ProcessTarget::Pid(pid));
    config.interval = Duration::from_millis(100);
    config.duration = Some(Duration::from_secs(seconds));
    let handle = Sampler::start(config)?;
    std::thread::sleep(Duration::from_secs(seconds));
    let report = handle.stop()?;
    let Some(process) = &report.process else {
        return Err("the process was not sampled".into());
    };
    println!(
        "pid {pid}: CPU mean {:.1}% of a core, RSS max {:.0} bytes, {:.0} fds, {:.0} threads",
        process.cpu_percent.mean, process.rss_bytes.max, process.fds.max, process.threads.max
    );
    Ok(())
}
