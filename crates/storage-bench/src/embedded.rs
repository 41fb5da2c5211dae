//! An S3-compatible server on an ephemeral loopback port (s3s + s3s-fs), with generated
//! credentials, so `local vs S3` runs on a fresh machine without Docker or MinIO.
//!
//! Its store is s3s-fs with GET bodies read in 1 MiB chunks (`embedded_fs.rs`; s3s-fs's
//! own 4 KiB chunks held every client to about 110 MiB/s). It keeps metadata files beside
//! objects and creates a missing bucket on put. It is a correctness peer, not a reference
//! for speed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::StorageError;

/// A running embedded S3 server; dropping it stops the server.
pub struct EmbeddedS3 {
    addr: SocketAddr,
    root: PathBuf,
    access_key: String,
    secret_key: String,
    shutdown: Option<oneshot::Sender<()>>,
}

fn random_token(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    hex::encode(bytes)
}

impl EmbeddedS3 {
    /// Serves the directory `root` (created if missing; each sub-directory is a bucket) on
    /// `127.0.0.1:0` with fresh random credentials.
    pub async fn start(root: &Path) -> Result<EmbeddedS3, StorageError> {
        let failed = |message: String| StorageError::Embedded {
            message,
            source: None,
        };
        let caused = |message: String, source: std::io::Error| StorageError::Embedded {
            message,
            source: Some(Box::new(source)),
        };
        std::fs::create_dir_all(root)
            .map_err(|e| caused(format!("cannot create `{}`", root.display()), e))?;
        let access_key = format!("VP{}", random_token(8).to_uppercase());
        let secret_key = random_token(20);
        let fs = crate::embedded_fs::EmbeddedFs::new(root.to_owned())
            .map_err(|e| failed(format!("cannot serve `{}`: {e:?}", root.display())))?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(
            access_key.clone(),
            secret_key.clone(),
        ));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| caused("cannot listen".to_owned(), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| caused("no local address".to_owned(), e))?;
        let (shutdown, mut stop) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let socket = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((socket, _)) => {
                            // With Nagle on, a body's small tail waits for the client's
                            // delayed ACK (~40 ms).
                            let _ = socket.set_nodelay(true);
                            socket
                        }
                        Err(_) => continue,
                    },
                    _ = &mut stop => return,
                };
                let connection = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        Ok(EmbeddedS3 {
            addr,
            root: root.to_owned(),
            access_key,
            secret_key,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The folder it serves.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The generated access key.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The generated secret key (never written to reports).
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// Creates a bucket (a directory under the root).
    pub fn create_bucket(&self, bucket: &str) -> Result<(), StorageError> {
        std::fs::create_dir_all(self.root.join(bucket)).map_err(|e| StorageError::Embedded {
            message: format!("cannot create bucket `{bucket}`"),
            source: Some(Box::new(e)),
        })
    }

    /// Stops the server.
    pub fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Drop for EmbeddedS3 {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl std::fmt::Debug for EmbeddedS3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedS3")
            .field("addr", &self.addr)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}
