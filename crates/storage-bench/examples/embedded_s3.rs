//! Runs the embedded S3 server until killed (at most an hour), for bench scripts: creates
//! bucket `vertex-perf`, writes `endpoint access_key secret_key` to the file named by the first
//! argument (mode 0600), then prints `ready`.

use std::io::Write as _;
use std::time::Duration;

fn main() {
    let Some(credentials_file) = std::env::args().nth(1) else {
        eprintln!("usage: embedded_s3 CREDENTIALS_FILE [ROOT]");
        std::process::exit(2);
    };
    let root = std::env::args().nth(2).map_or_else(
        || std::env::temp_dir().join("vertex-perf-embedded-s3"),
        Into::into,
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let server = storage_bench::EmbeddedS3::start(&root)
            .await
            .expect("embedded S3 starts");
        server.create_bucket("vertex-perf").expect("bucket");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&credentials_file).expect("credentials file");
        writeln!(
            file,
            "{} {} {}",
            server.endpoint(),
            server.access_key(),
            server.secret_key()
        )
        .expect("write");
        println!("ready");
        tokio::time::sleep(Duration::from_hours(1)).await;
        drop(server);
    });
}
