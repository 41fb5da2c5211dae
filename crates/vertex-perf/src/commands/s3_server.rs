//! `vertex-perf s3-server`: the embedded S3 server as its own process, for a service under
//! test to keep its files in (as the real one keeps them in MinIO) and for the suite to
//! watch. The endpoint and the generated keys go to a file readable only by its owner, never
//! to the command line or the terminal.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use storage_bench::EmbeddedS3;

use crate::PerfExitCode;
use crate::cli::S3ServerArgs;
use crate::output::Output;

/// Serves until SIGTERM or Ctrl-C.
pub fn run(args: &S3ServerArgs, output: &mut Output) -> Result<u8> {
    let runtime = crate::runtime::new()?;
    runtime.block_on(async {
        let server = EmbeddedS3::start(&args.dir).await?;
        server.create_bucket(&args.bucket)?;
        write_env_file(
            &args.env_file,
            &format!(
                "S3_ENDPOINT={}\nS3_BUCKET={}\nAWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\n",
                server.endpoint(),
                args.bucket,
                server.access_key(),
                server.secret_key()
            ),
        )?;
        output.note(&format!(
            "S3 server on {} (bucket `{}`, keys in {})",
            server.endpoint(),
            args.bucket,
            args.env_file.display()
        ));
        // SIGTERM or Ctrl-C, through the handler every command shares.
        crate::interrupt::cancel_on_signal(tokio_util::sync::CancellationToken::new()).await;
        server.stop();
        Ok(PerfExitCode::OK)
    })
}

/// Writes `contents` to a new file of mode 0600, then renames it into place.
fn write_env_file(path: &Path, contents: &str) -> Result<()> {
    let temp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temp)
        .with_context(|| format!("cannot write `{}`", temp.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write `{}`", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot write `{}`", path.display()))
}
