//! Backends by URL: `file:///dir`, `memory://`, `s3://bucket?endpoint=...&region=...`,
//! `s3+embedded://` (the embedded server), each opened as an object_store and probed, so an
//! unreachable endpoint, wrong keys or a missing bucket are found before measuring; and
//! `vertex+http://host:port`, through the service, whose store the caller supplies.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use object_store::ObjectStore;
use object_store::path::Path as StorePath;
use report_model::redact_url;

use crate::errors::BoxError;
use crate::{EmbeddedS3, StorageError};

/// A parsed backend URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendSpec {
    /// A local directory.
    File(PathBuf),
    /// In-memory (a baseline without I/O).
    Memory,
    /// An S3-compatible endpoint.
    S3 {
        /// Bucket name.
        bucket: String,
        /// `http://host:port`; `None` for AWS.
        endpoint: Option<String>,
        /// Region (default `us-east-1`).
        region: String,
    },
    /// The embedded S3 server (started by the caller).
    EmbeddedS3,
    /// Through the Vertex AR service at this base URL (`vertex+http://host:port`): the caller
    /// supplies the store (see [`Backend::service`]), so this crate knows nothing of the API.
    Service {
        /// `http://host:port`.
        base_url: String,
    },
}

impl FromStr for BackendSpec {
    type Err = StorageError;

    fn from_str(url: &str) -> Result<BackendSpec, StorageError> {
        let invalid = |message: &str| StorageError::Config {
            message: format!("backend `{}`: {message}", redact_url(url)),
        };
        if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(invalid("a file URL needs an absolute path: file:///dir"));
            }
            return Ok(BackendSpec::File(PathBuf::from(path)));
        }
        if url == "memory://" {
            return Ok(BackendSpec::Memory);
        }
        if url == "s3+embedded://" {
            return Ok(BackendSpec::EmbeddedS3);
        }
        if let Some(rest) = url.strip_prefix("vertex+") {
            if !(rest.starts_with("http://") || rest.starts_with("https://")) {
                return Err(invalid("expected vertex+http://host:port"));
            }
            return Ok(BackendSpec::Service {
                base_url: rest.trim_end_matches('/').to_owned(),
            });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
            let bucket = bucket.trim_end_matches('/');
            if bucket.is_empty() {
                return Err(invalid(
                    "no bucket name: s3://bucket?endpoint=http://127.0.0.1:9000",
                ));
            }
            let param = |key: &str| {
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(&format!("{key}=")).map(str::to_owned))
            };
            return Ok(BackendSpec::S3 {
                bucket: bucket.to_owned(),
                endpoint: param("endpoint"),
                region: param("region").unwrap_or_else(|| "us-east-1".to_owned()),
            });
        }
        Err(invalid(
            "expected file:///dir, memory://, s3://bucket?endpoint=..., s3+embedded:// or vertex+http://host:port",
        ))
    }
}

impl BackendSpec {
    /// The short name used in reports: `local`, `memory`, `s3`, `embedded-s3`.
    pub fn short_name(&self) -> &'static str {
        match self {
            BackendSpec::File(_) => "local",
            BackendSpec::Memory => "memory",
            BackendSpec::S3 { .. } => "s3",
            BackendSpec::EmbeddedS3 => "embedded-s3",
            BackendSpec::Service { .. } => "service",
        }
    }
}

/// S3 credentials. `Debug` never shows the secret.
#[derive(Clone)]
pub struct S3Credentials {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

impl S3Credentials {
    /// From `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, else the old suite's
    /// `MINIO_ACCESS_KEY`/`MINIO_SECRET_KEY`.
    pub fn from_env() -> Option<S3Credentials> {
        let pair = |key: &str, secret: &str| {
            Some(S3Credentials {
                access_key: std::env::var(key).ok()?,
                secret_key: std::env::var(secret).ok()?,
            })
        };
        pair("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
            .or_else(|| pair("MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"))
    }
}

/// The old suite's MinIO settings as an `s3://` backend URL: `MINIO_ENDPOINT` (host:port,
/// `http(s)://` stripped), `MINIO_SECURE`, bucket `test-storage`.
pub fn minio_url_from_env() -> Option<String> {
    let endpoint = std::env::var("MINIO_ENDPOINT").ok()?;
    let host = endpoint
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let secure = std::env::var("MINIO_SECURE").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    Some(format!(
        "s3://test-storage?endpoint={}://{host}",
        if secure { "https" } else { "http" }
    ))
}

/// An opened backend.
#[derive(Clone)]
pub struct Backend {
    /// Short name for reports.
    pub name: String,
    /// URL, credentials removed.
    pub url: String,
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// Upload big objects in parts (S3). A local directory or memory gains nothing from
    /// parts and only pays for them.
    pub multipart: bool,
    /// What the backend keeps on this machine's disk, tidied after the run's deletions.
    pub(crate) disk: Option<crate::tidy::DiskTidy>,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("name", &self.name)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The bucket `s3+embedded://` writes to.
const EMBEDDED_BUCKET: &str = "vertex-perf";

impl Backend {
    /// True for a local directory: a get reads what the put just wrote from this machine's
    /// page cache, so its figure is memory speed, not the disk's.
    pub fn page_cache_reads(&self) -> bool {
        matches!(self.disk, Some(crate::tidy::DiskTidy::Folder(_)))
    }

    /// Wraps any store (tests use this to inject faults).
    pub fn from_store(name: &str, url: &str, store: Arc<dyn ObjectStore>) -> Backend {
        Backend {
            name: name.to_owned(),
            url: redact_url(url),
            store,
            multipart: false,
            disk: None,
        }
    }

    /// The service backend (`vertex+http://...`) over a store the caller built for it (in
    /// vertex-perf, `portrait_workflow::ServiceStore`, logged in already, which is its probe).
    pub fn service(url: &str, store: Arc<dyn ObjectStore>) -> Result<Backend, StorageError> {
        match url.parse()? {
            BackendSpec::Service { .. } => Ok(Backend::from_store("service", url, store)),
            _ => Err(StorageError::Config {
                message: format!("`{}` is not a vertex+http:// URL", redact_url(url)),
            }),
        }
    }

    /// Opens and probes a backend. `embedded` serves `s3+embedded://`; `credentials` are
    /// used for `s3://` (default: from the environment). With `create_bucket`, a missing
    /// bucket is created with a signed CreateBucket request.
    pub async fn open(
        url: &str,
        embedded: Option<&EmbeddedS3>,
        credentials: Option<S3Credentials>,
        create_bucket: bool,
    ) -> Result<Backend, StorageError> {
        let spec: BackendSpec = url.parse()?;
        let failed = |message: String| StorageError::Backend {
            backend: redact_url(url),
            message,
            source: None,
        };
        let caused = |message: String, source: BoxError| StorageError::Backend {
            backend: redact_url(url),
            message,
            source: Some(source),
        };
        let store: Arc<dyn ObjectStore> = match &spec {
            BackendSpec::File(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| caused(format!("cannot create `{}`", dir.display()), e.into()))?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(dir)
                        .map_err(|e| caused("cannot open the directory".to_owned(), e.into()))?,
                )
            }
            BackendSpec::Memory => Arc::new(object_store::memory::InMemory::new()),
            BackendSpec::EmbeddedS3 => {
                let server = embedded
                    .ok_or_else(|| failed("the embedded S3 server is not running".to_owned()))?;
                server.create_bucket(EMBEDDED_BUCKET)?;
                s3_store(
                    EMBEDDED_BUCKET,
                    Some(&server.endpoint()),
                    "us-east-1",
                    &S3Credentials {
                        access_key: server.access_key().to_owned(),
                        secret_key: server.secret_key().to_owned(),
                    },
                )
                .map_err(&failed)?
            }
            BackendSpec::Service { .. } => {
                return Err(failed(
                    "the service backend needs a store from the caller (Backend::service)"
                        .to_owned(),
                ));
            }
            BackendSpec::S3 {
                bucket,
                endpoint,
                region,
            } => {
                let credentials = credentials
                    .or_else(S3Credentials::from_env)
                    .ok_or_else(|| failed("no credentials\n(hint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or MINIO_ACCESS_KEY and MINIO_SECRET_KEY)".to_owned()))?;
                if create_bucket {
                    let endpoint = endpoint
                        .as_deref()
                        .ok_or_else(|| failed("--create-bucket needs an endpoint".to_owned()))?;
                    create_bucket_signed(endpoint, bucket, region, &credentials)
                        .await
                        .map_err(&failed)?;
                }
                s3_store(bucket, endpoint.as_deref(), region, &credentials).map_err(&failed)?
            }
        };
        probe(store.as_ref()).await.map_err(failed)?;
        let multipart = matches!(spec, BackendSpec::S3 { .. } | BackendSpec::EmbeddedS3);
        let disk = match &spec {
            BackendSpec::File(dir) => Some(crate::tidy::DiskTidy::Folder(dir.clone())),
            BackendSpec::EmbeddedS3 => embedded.map(|server| crate::tidy::DiskTidy::EmbeddedS3 {
                root: server.root().to_owned(),
                bucket: EMBEDDED_BUCKET.to_owned(),
            }),
            _ => None,
        };
        Ok(Backend {
            name: spec.short_name().to_owned(),
            url: redact_url(url),
            store,
            multipart,
            disk,
        })
    }
}

fn s3_store(
    bucket: &str,
    endpoint: Option<&str>,
    region: &str,
    credentials: &S3Credentials,
) -> Result<Arc<dyn ObjectStore>, String> {
    // object_store's HTTP client takes rustls's process-wide provider (the workspace builds
    // rustls on ring only); installing it twice is a no-op that reports the first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(region)
        .with_access_key_id(&credentials.access_key)
        .with_secret_access_key(&credentials.secret_key)
        .with_virtual_hosted_style_request(false)
        .with_retry(object_store::RetryConfig {
            max_retries: 1,
            retry_timeout: Duration::from_secs(5),
            ..Default::default()
        });
    if let Some(endpoint) = endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    builder
        .build()
        .map(|store| Arc::new(store) as Arc<dyn ObjectStore>)
        .map_err(|e| e.to_string())
}

/// Lists a prefix that does not exist: cheap, and fails for a dead endpoint, wrong keys or a
/// missing bucket.
async fn probe(store: &dyn ObjectStore) -> Result<(), String> {
    let probe = StorePath::from("vertex-perf-probe");
    match tokio::time::timeout(
        Duration::from_secs(15),
        store.list_with_delimiter(Some(&probe)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(explain(&error.to_string())),
        Err(_) => Err("no answer within 15 s".to_owned()),
    }
}

/// Turns object_store's messages into one line with a hint.
fn explain(message: &str) -> String {
    let lower = message.to_lowercase();
    let hint = if lower.contains("connect")
        || lower.contains("refused")
        || lower.contains("dns")
        || lower.contains("error sending request")
    {
        "\n(hint: is the S3 endpoint running? check the endpoint URL)"
    } else if lower.contains("403")
        || lower.contains("signature")
        || lower.contains("accessdenied")
        || lower.contains("invalidaccesskeyid")
    {
        "\n(hint: check the access key and secret)"
    } else if lower.contains("nosuchbucket") || lower.contains("bucket") && lower.contains("not") {
        "\n(hint: create it with --create-bucket)"
    } else {
        ""
    };
    let first_line = message.lines().next().unwrap_or(message);
    format!("{}{hint}", first_line.chars().take(300).collect::<String>())
}

/// Sends a signed CreateBucket (object_store cannot create buckets); an existing bucket
/// owned by us is fine.
async fn create_bucket_signed(
    endpoint: &str,
    bucket: &str,
    region: &str,
    credentials: &S3Credentials,
) -> Result<(), String> {
    let endpoint_url: url::Url = endpoint
        .parse()
        .map_err(|e| format!("bad endpoint `{endpoint}`: {e}"))?;
    if endpoint_url.scheme() != "http" {
        return Err("--create-bucket supports http:// endpoints".to_owned());
    }
    let s3_bucket = rusty_s3::Bucket::new(
        endpoint_url,
        rusty_s3::UrlStyle::Path,
        bucket.to_owned(),
        region.to_owned(),
    )
    .map_err(|e| e.to_string())?;
    let keys = rusty_s3::Credentials::new(
        credentials.access_key.clone(),
        credentials.secret_key.clone(),
    );
    let signed = rusty_s3::S3Action::sign(&s3_bucket.create_bucket(&keys), Duration::from_mins(1));
    let host = signed.host_str().ok_or("no host")?.to_owned();
    let port = signed.port_or_known_default().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("connect to {endpoint}: {e}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let path = match signed.query() {
        Some(query) => format!("{}?{query}", signed.path()),
        None => signed.path().to_owned(),
    };
    let request = http::Request::put(path)
        .header(http::header::HOST, format!("{host}:{port}"))
        .header(http::header::CONTENT_LENGTH, "0")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    match response.status().as_u16() {
        200..=299 | 409 => Ok(()),
        status => Err(format!("CreateBucket `{bucket}` returned {status}")),
    }
}

/// Opens every backend in `urls` with `open`, in order. One that cannot be opened is kept
/// as its URL and the reason, which [`run`](crate::run) reports as a skipped backend.
pub async fn open_all(
    urls: &[String],
    open: impl AsyncFn(&str) -> Result<Backend, StorageError>,
) -> Vec<Result<Backend, (String, StorageError)>> {
    let mut backends = Vec::with_capacity(urls.len());
    for url in urls {
        backends.push(open(url).await.map_err(|error| (url.clone(), error)));
    }
    backends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_to_specs_or_clear_errors() {
        let parse = |url: &str| url.parse::<BackendSpec>();
        assert_eq!(
            parse("file:///tmp/x").unwrap(),
            BackendSpec::File("/tmp/x".into())
        );
        assert_eq!(parse("memory://").unwrap(), BackendSpec::Memory);
        assert_eq!(
            parse("vertex+http://127.0.0.1:8000/").unwrap(),
            BackendSpec::Service {
                base_url: "http://127.0.0.1:8000".to_owned()
            }
        );
        assert_eq!(
            parse("s3://b?endpoint=http://127.0.0.1:9000&region=eu").unwrap(),
            BackendSpec::S3 {
                bucket: "b".to_owned(),
                endpoint: Some("http://127.0.0.1:9000".to_owned()),
                region: "eu".to_owned()
            }
        );
        for (url, needle) in [
            ("file://relative", "absolute path"),
            ("vertex+ftp://host", "vertex+http://"),
            ("s3://?endpoint=x", "no bucket"),
            ("gopher://x", "expected file:///dir"),
        ] {
            let error = parse(url).unwrap_err().to_string();
            assert!(error.contains(needle), "{url}: {error}");
        }
    }

    #[tokio::test]
    async fn the_service_backend_needs_a_store_from_the_caller() {
        let error = Backend::open("vertex+http://127.0.0.1:1", None, None, false)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("Backend::service"), "{error}");
        let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
        let backend = Backend::service("vertex+http://127.0.0.1:1", Arc::clone(&store)).unwrap();
        assert_eq!(
            (backend.name.as_str(), backend.multipart),
            ("service", false)
        );
        assert!(Backend::service("memory://", store).is_err());
    }
}
