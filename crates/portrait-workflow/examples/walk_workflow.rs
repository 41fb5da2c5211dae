//! Walks the ten-step portrait workflow once against a Vertex AR service on this machine
//! and prints each step; everything it creates is deleted at the end.
//!
//! ```text
//! VERTEX_PASSWORD=... cargo run -p portrait-workflow --example walk_workflow -- http://127.0.0.1:8000 [--register]
//! ```
//! The password is read from `VERTEX_PASSWORD` (default `admin`, the old suite's), never
//! from the arguments; `--register` registers the admin first (a fresh service has none).

use portrait_workflow::{WorkflowConfig, run_workflow};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base_url = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or("http://127.0.0.1:8000", String::as_str);
    let mut config = WorkflowConfig::new(base_url, "example");
    config.register_admin = args.iter().any(|a| a == "--register");
    config.password = std::env::var("VERTEX_PASSWORD").unwrap_or_else(|_| "admin".to_owned());
    let outcome = run_workflow(config).await?;
    for step in &outcome.report.steps {
        println!("{:?} {} ({} µs)", step.status, step.name, step.duration_us);
        if let Some(failure) = &step.failure {
            println!("  {failure:?}");
        }
    }
    println!(
        "{} of {} steps passed; {} left behind",
        outcome.report.passed_steps(),
        outcome.report.steps.len(),
        outcome.leftovers.len()
    );
    Ok(())
}
