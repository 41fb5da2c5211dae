//! `vertex-sim`: run the stand-in server until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vertex_sim::{Faults, MissingTokenStatus, RateLimit, Sim, SimConfig};

/// A Vertex AR-compatible stand-in server with fault injection.
#[derive(Debug, Parser)]
#[command(name = "vertex-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Directory for app_data.db and (local storage) storage/.
    #[arg(long)]
    data_dir: PathBuf,
    /// Storage: file:///dir, memory:// or s3://bucket?endpoint=http://127.0.0.1:9000 (keys from
    /// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or MINIO_ACCESS_KEY/MINIO_SECRET_KEY).
    #[arg(long)]
    storage: Option<String>,
    /// Base URL for permanent links (default http://<bound address>).
    #[arg(long)]
    base_url: Option<String>,
    /// Create this admin user at start; the password comes from --admin-password-env.
    #[arg(long)]
    admin: Option<String>,
    /// Environment variable holding the admin password.
    #[arg(long, default_value = "VERTEX_SIM_ADMIN_PASSWORD")]
    admin_password_env: String,
    /// Status for a missing Authorization header: 401 (new FastAPI) or 403 (old).
    #[arg(long, default_value = "401", value_parser = ["401", "403"])]
    missing_token_status: String,
    /// Auth rate limit, like AUTH_RATE_LIMIT.
    #[arg(long, default_value = "5/minute", env = "AUTH_RATE_LIMIT")]
    auth_rate_limit: String,
    /// Upload rate limit on /ar/upload, like UPLOAD_RATE_LIMIT.
    #[arg(long, default_value = "10/minute", env = "UPLOAD_RATE_LIMIT")]
    upload_rate_limit: String,
    /// Answer unusable images with 422 instead of the real service's 500.
    #[arg(long)]
    strict_errors: bool,
    /// Extra CPU work per image pixel, like the real marker generator.
    #[arg(long)]
    marker_cost: bool,
    /// Initial faults as JSON, e.g. '{"leak_kib_per_request":64}'.
    #[arg(long)]
    faults: Option<String>,
    /// Serve /__control/faults to change faults at run time.
    #[arg(long)]
    control: bool,
    /// The connection after a 500: close (as uvicorn does) or keep-alive.
    #[arg(long, default_value = "close", value_parser = ["close", "keep-alive"])]
    after_error: String,
    /// Also write the base URL to this file once listening.
    #[arg(long)]
    ready_file: Option<PathBuf>,
}

fn config(args: &Args) -> Result<SimConfig, String> {
    let mut config = SimConfig::new(&args.data_dir);
    config.listen = args.listen;
    config.storage_url.clone_from(&args.storage);
    config.base_url.clone_from(&args.base_url);
    if let Some(username) = &args.admin {
        let password = std::env::var(&args.admin_password_env).map_err(|_| {
            format!(
                "--admin needs the password in the environment variable `{}`",
                args.admin_password_env
            )
        })?;
        config.admin = Some((username.clone(), password));
    }
    config.missing_token_status = if args.missing_token_status == "403" {
        MissingTokenStatus::Forbidden
    } else {
        MissingTokenStatus::Unauthorized
    };
    config.auth_rate_limit = RateLimit::parse(&args.auth_rate_limit).map_err(|e| e.to_string())?;
    config.upload_rate_limit =
        RateLimit::parse(&args.upload_rate_limit).map_err(|e| e.to_string())?;
    config.strict_errors = args.strict_errors;
    config.marker_cost = args.marker_cost;
    config.control = args.control;
    if args.after_error == "keep-alive" {
        config.after_server_error = vertex_sim::AfterServerError::KeepAlive;
    }
    if let Some(faults) = &args.faults {
        config.faults =
            serde_json::from_str::<Faults>(faults).map_err(|e| format!("invalid --faults: {e}"))?;
    }
    Ok(config)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match config(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("vertex-sim: error: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("vertex-sim: error: cannot start the runtime: {error}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let sim = match Sim::start(config).await {
            Ok(sim) => sim,
            Err(error) => {
                let mut message = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    message.push_str(": ");
                    message.push_str(&cause.to_string());
                    source = cause.source();
                }
                eprintln!("vertex-sim: error: {message}");
                return ExitCode::from(2);
            }
        };
        // The ready file first, then the line: whoever waits for either sees both.
        if let Some(path) = &args.ready_file {
            let temp = path.with_extension("tmp");
            if std::fs::write(&temp, sim.base_url())
                .and_then(|()| std::fs::rename(&temp, path))
                .is_err()
            {
                eprintln!(
                    "vertex-sim: error: cannot write the ready file `{}`",
                    path.display()
                );
                return ExitCode::from(2);
            }
        }
        println!("vertex-sim listening on {}", sim.base_url());
        wait_for_signal().await;
        sim.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
