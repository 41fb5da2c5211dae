//! Starting and stopping the server: [`Sim::start`] and [`SimHandle`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::hash_password;
use crate::db::Db;
use crate::state::AppState;
use crate::{SimConfig, SimError};

/// The stand-in server.
pub struct Sim;

/// A running server; dropping it stops the server.
pub struct SimHandle {
    addr: SocketAddr,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sim {
    /// Prepares the data directory, database and storage, binds the listener and starts
    /// serving on the current tokio runtime.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        config.faults.validate()?;
        let data_dir_error = |message: String| SimError::DataDir {
            path: config.data_dir.display().to_string(),
            message,
        };
        std::fs::create_dir_all(&config.data_dir).map_err(|e| data_dir_error(e.to_string()))?;
        let data_dir =
            std::fs::canonicalize(&config.data_dir).map_err(|e| data_dir_error(e.to_string()))?;
        let storage_root = data_dir.join("storage");
        let store = open_store(
            config.storage_url.as_deref(),
            config.storage_credentials.as_ref(),
            &storage_root,
        )?;
        let db = Db::open(&data_dir).map_err(|e| data_dir_error(format!("database: {e}")))?;
        if let Some((username, password)) = &config.admin {
            db.create_user(username, &hash_password(password), true)
                .map_err(|e| data_dir_error(format!("database: {e}")))?;
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.listen.to_string(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.listen.to_string(),
            source,
        })?;
        let base_url = config
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        let state = AppState::new(config, db, store, storage_root, base_url.clone());
        let app = crate::routes::router(state).into_make_service_with_connect_info::<SocketAddr>();
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.await;
                })
                .await;
        });
        Ok(SimHandle {
            addr,
            base_url,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }
}

fn open_store(
    url: Option<&str>,
    credentials: Option<&(String, String)>,
    default_root: &std::path::Path,
) -> Result<Arc<dyn ObjectStore>, SimError> {
    let storage_error = |url: &str, message: String| SimError::Storage {
        url: redact(url),
        message,
    };
    let local = |dir: PathBuf, url: &str| -> Result<Arc<dyn ObjectStore>, SimError> {
        std::fs::create_dir_all(&dir).map_err(|e| storage_error(url, e.to_string()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
            .map_err(|e| storage_error(url, e.to_string()))?;
        Ok(Arc::new(store))
    };
    match url {
        None => local(default_root.to_owned(), "file://"),
        Some(url) if url.starts_with("file://") => {
            local(PathBuf::from(&url["file://".len()..]), url)
        }
        Some("memory://") => Ok(Arc::new(object_store::memory::InMemory::new())),
        Some(url) if url.starts_with("s3://") => {
            let rest = &url["s3://".len()..];
            let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
            let bucket = bucket.trim_end_matches('/');
            if bucket.is_empty() {
                return Err(storage_error(url, "no bucket name".to_owned()));
            }
            let param = |key: &str| {
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(&format!("{key}=")).map(str::to_owned))
            };
            let env = |names: &[&str]| names.iter().find_map(|name| std::env::var(name).ok());
            // object_store's HTTP client takes rustls's process-wide provider (ring only here);
            // installing it twice is a no-op that reports the first.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut builder = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region(
                    param("region")
                        .or_else(|| env(&["AWS_REGION", "AWS_DEFAULT_REGION"]))
                        .unwrap_or_else(|| "us-east-1".to_owned()),
                )
                .with_virtual_hosted_style_request(false);
            if let Some(endpoint) = param("endpoint") {
                builder = builder
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint);
            }
            let given = credentials.cloned();
            let key = given
                .as_ref()
                .map(|(key, _)| key.clone())
                .or_else(|| env(&["AWS_ACCESS_KEY_ID", "MINIO_ACCESS_KEY"]))
                .ok_or_else(|| {
                    storage_error(
                        url,
                        "no access key (set AWS_ACCESS_KEY_ID or MINIO_ACCESS_KEY)".to_owned(),
                    )
                })?;
            let secret = given
                .map(|(_, secret)| secret)
                .or_else(|| env(&["AWS_SECRET_ACCESS_KEY", "MINIO_SECRET_KEY"]))
                .ok_or_else(|| {
                    storage_error(
                        url,
                        "no secret key (set AWS_SECRET_ACCESS_KEY or MINIO_SECRET_KEY)".to_owned(),
                    )
                })?;
            let store = builder
                .with_access_key_id(key)
                .with_secret_access_key(secret)
                .build()
                .map_err(|e| storage_error(url, e.to_string()))?;
            Ok(Arc::new(store))
        }
        Some(url) => Err(storage_error(
            url,
            "expected file:///dir, memory:// or s3://bucket?endpoint=...".to_owned(),
        )),
    }
}

/// Drops secret-looking query parameters from a storage URL for messages.
fn redact(url: &str) -> String {
    match url.split_once('?') {
        Some((head, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    !pair.to_ascii_lowercase().contains("secret")
                        && !pair.to_ascii_lowercase().contains("key")
                })
                .collect();
            format!("{head}?{}", kept.join("&"))
        }
        None => url.to_owned(),
    }
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>` (or the configured base URL).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
