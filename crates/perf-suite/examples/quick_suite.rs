//! Runs the quick suite against a Vertex AR service on this machine, watching the process
//! that listens on its port, prints each event as it comes and then the verdict of every
//! threshold; Ctrl-C stops it gracefully (what it created is deleted).
//!
//! ```text
//! VERTEX_PASSWORD=... cargo run -p perf-suite --example quick_suite -- http://127.0.0.1:8000 [--register]
//! ```
//! The password is read from `VERTEX_PASSWORD` (default `admin`), never from the arguments;
//! `--register` registers the admin first (a fresh service has none).

use perf_suite::{
    CancellationToken, Profile, RunMeta, Suite, SuiteConfig, SuiteEvent, local_server,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base_url = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or("http://127.0.0.1:8000", String::as_str);
    let mut config = SuiteConfig::load(None, Profile::Quick)?;
    config.target.url = base_url.to_owned();
    config.target.register_admin = args.iter().any(|a| a == "--register");
    let password = std::env::var("VERTEX_PASSWORD").unwrap_or_else(|_| "admin".to_owned());
    let mut suite = Suite::new(config, password);
    if let Some(server) = local_server(base_url) {
        suite = suite.watch_server(server);
    }

    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let meta = RunMeta::start("example", perf_sampler::host_info(), Some(base_url));
    let mut report = suite
        .run(meta, cancel, &|event| match event {
            SuiteEvent::PhaseStarted(phase) => println!("== {phase}"),
            SuiteEvent::Note(text) => println!("{text}"),
            // Progress arrives about once a second; a frontend would redraw a line.
            _ => {}
        })
        .await;
    report.judge(&suite.gate()?, None);
    for threshold in &report.thresholds {
        println!(
            "{:?} {} {}",
            threshold.verdict, threshold.expression, threshold.message
        );
    }
    println!("outcome {:?}, verdict {}", report.outcome, report.verdict);
    Ok(())
}
