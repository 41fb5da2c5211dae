//! [`VertexClient`]: one method per endpoint of the Vertex AR contract, typed requests and
//! responses, on load-engine's instrumented [`Client`] so every call is measured.
//!
//! Written against the contract, not against vertex-sim: it sends a filename and a content
//! type on every file part, percent-encodes query values (a raw `+` would become a space),
//! treats 401 and 403 alike as auth failures, and never logs in more than once per token.

use bytes::Bytes;
use http::{Method, Request};
use load_engine::{Check, Client, MultipartForm, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use report_model::LeftoverKind;

use crate::{ApiError, Ledger};

/// What a JSON call of the contract must answer to count as a successful request, built
/// once for every call.
static JSON_CALL: std::sync::LazyLock<Check> = std::sync::LazyLock::new(Check::json);

/// `ClientResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClientRecord {
    /// UUID.
    pub id: String,
    /// Phone as stored.
    pub phone: String,
    /// Name as stored.
    pub name: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    pub created_at: String,
}

/// `PortraitResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Portrait {
    /// UUID.
    pub id: String,
    /// Owner.
    pub client_id: String,
    /// `{BASE_URL}/portrait/{id}`.
    pub permanent_link: String,
    /// PNG QR code, base64.
    pub qr_code_base64: Option<String>,
    /// Absolute server path of the image.
    pub image_path: String,
    /// Public page views.
    pub view_count: i64,
    /// Creation time.
    pub created_at: String,
}

/// `VideoResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Video {
    /// UUID.
    pub id: String,
    /// Portrait it belongs to.
    pub portrait_id: String,
    /// Absolute server path of the file.
    pub video_path: String,
    /// Whether it is the portrait's active video.
    pub is_active: bool,
    /// Creation time.
    pub created_at: String,
}

/// `OrderResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    /// The (possibly reused) client.
    pub client: ClientRecord,
    /// The new portrait.
    pub portrait: Portrait,
    /// Its first, active video.
    pub video: Video,
}

/// `/portraits/{id}/details`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PortraitDetails {
    /// The portrait.
    pub portrait: Portrait,
    /// Its client.
    pub client: ClientRecord,
    /// Its videos, newest first.
    pub videos: Vec<Video>,
}

/// A file to upload: bytes, filename and content type (all three are required by the service).
#[derive(Debug, Clone)]
pub struct Upload {
    /// The bytes.
    pub bytes: Bytes,
    /// `filename=` of the part.
    pub filename: String,
    /// The part's `Content-Type`.
    pub content_type: String,
}

impl Upload {
    /// Adds this file to `form` as the part `field`, with its filename and content type.
    pub fn attach(&self, form: MultipartForm, field: &str) -> MultipartForm {
        form.file(
            field,
            &self.filename,
            &self.content_type,
            self.bytes.clone(),
        )
    }
}

/// The top-level folders of the service's storage root (its filesystem layout).
const STORAGE_FOLDERS: [&str; 4] = ["clients/", "nft_markers/", "ar_content/", "nft_cache/"];

/// The public URL path of a server file path: `/storage/` plus the path below the storage
/// root. The service reports absolute paths, and the folder it is installed in may itself
/// be called `storage` (`/srv/storage/vertex-ar/storage/clients/…`), so the root is the
/// last `/storage/` followed by one of the root's own folders, or failing that the last
/// `/storage/`.
pub fn storage_url_path(server_path: &str) -> Option<String> {
    const ROOT: &str = "/storage/";
    let roots = server_path
        .match_indices(ROOT)
        .map(|(at, _)| at + ROOT.len());
    let below_root = roots
        .clone()
        .filter(|&at| {
            STORAGE_FOLDERS
                .iter()
                .any(|folder| server_path[at..].starts_with(folder))
        })
        .last()
        .or_else(|| roots.last())?;
    Some(format!("{ROOT}{}", &server_path[below_root..]))
}

/// The longest `Retry-After` a login waits out (once): the service's own window is a
/// minute (`AUTH_RATE_LIMIT` 5/minute).
pub const LOGIN_RETRY_AFTER_CAP: std::time::Duration = std::time::Duration::from_mins(1);

/// A Vertex AR client over an instrumented load-engine client.
pub struct VertexClient<'a> {
    client: &'a mut Client,
    base_url: String,
    token: Option<String>,
    ledger: Option<Ledger>,
    /// Extra attempts of a GET or DELETE that got no answer (cut, reset, timed out), a 5xx
    /// or a 429.
    retries: u32,
}

impl<'a> VertexClient<'a> {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8000`), without a token.
    pub fn new(client: &'a mut Client, base_url: &str) -> VertexClient<'a> {
        VertexClient {
            client,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: None,
            ledger: None,
            retries: 0,
        }
    }

    /// Sends a GET or DELETE that got no answer, a 5xx or a 429 up to `retries` more times
    /// (cleanup and verification, where an answer matters more than a measurement).
    #[must_use]
    pub fn with_retries(mut self, retries: u32) -> VertexClient<'a> {
        self.retries = retries;
        self
    }

    /// Records every row this client creates or deletes in `ledger`.
    #[must_use]
    pub fn with_ledger(mut self, ledger: Ledger) -> VertexClient<'a> {
        self.ledger = Some(ledger);
        self
    }

    /// `DELETE path` of the row `id`, its outcome told to the ledger.
    async fn delete(
        &mut self,
        kind: LeftoverKind,
        id: &str,
        path: &str,
        label: &str,
    ) -> Result<(), ApiError> {
        let result = self
            .call(Method::DELETE, path, label, Body::Empty, true)
            .await
            .map(|_| ());
        if let Some(ledger) = &self.ledger {
            ledger.deletion(kind, id, &result);
        }
        result
    }

    /// Uses an existing token (log in once, share the token).
    #[must_use]
    pub fn with_token(mut self, token: Option<String>) -> VertexClient<'a> {
        self.token = token;
        self
    }

    /// The current token.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    async fn call(
        &mut self,
        method: Method,
        path: &str,
        label: &str,
        body: Body,
        authenticated: bool,
    ) -> Result<Response, ApiError> {
        self.call_checked(method, path, label, body, authenticated, &Check::success())
            .await
    }

    /// Sends one call; `check` decides whether the load engine records it as a success
    /// (a JSON endpoint answering HTML with 200 is a failed request, not an ok one).
    async fn call_checked(
        &mut self,
        method: Method,
        path: &str,
        label: &str,
        body: Body,
        authenticated: bool,
        check: &Check,
    ) -> Result<Response, ApiError> {
        let call = format!("{method} {path}");
        // Only reads and deletions are idempotent enough to send again.
        let attempts = if method == Method::GET || method == Method::DELETE {
            1 + self.retries
        } else {
            1
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_url));
        if authenticated && let Some(token) = &self.token {
            builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Body::Empty => Bytes::new(),
            Body::Json(value) => {
                builder = builder.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(&value).unwrap_or_default())
            }
            Body::Multipart(form) => {
                let (bytes, content_type) = form.encode();
                builder = builder.header(http::header::CONTENT_TYPE, content_type);
                bytes
            }
        };
        let request = builder.body(body).map_err(|err| ApiError::Shape {
            call: call.clone(),
            message: err.to_string(),
        })?;
        // Earlier attempts send a copy and are retried on a lost answer, a 5xx or a 429
        // (as passing as a lost answer); the last one sends the request itself.
        let mut answered = None;
        for _ in 1..attempts {
            match self
                .client
                .send_checked(label, request.clone(), check)
                .await
            {
                Ok(response) if response.status >= 500 || response.status == 429 => {}
                Ok(response) => {
                    answered = Some(response);
                    break;
                }
                Err(_) => {}
            }
        }
        let response = match answered {
            Some(response) => response,
            None => self
                .client
                .send_checked(label, request, check)
                .await
                .map_err(|failure| ApiError::Transport {
                    call: call.clone(),
                    class: failure.class,
                    message: failure.message,
                })?,
        };
        if response.status >= 400 {
            let content_type = response.content_type().to_owned();
            let detail = serde_json::from_slice::<Value>(&response.body)
                .ok()
                .and_then(|v| {
                    v.get("detail")
                        .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned))
                })
                .unwrap_or_else(|| {
                    String::from_utf8_lossy(&response.body)
                        .chars()
                        .take(300)
                        .collect()
                });
            let retry_after_secs = response
                .headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            return Err(ApiError::Http {
                call,
                status: response.status,
                content_type,
                detail,
                retry_after_secs,
            });
        }
        Ok(response)
    }

    async fn json<T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        label: &str,
        body: Body,
        authenticated: bool,
    ) -> Result<T, ApiError> {
        let call = format!("{method} {path}");
        let response = self
            .call_checked(method, path, label, body, authenticated, &JSON_CALL)
            .await?;
        if !response.content_type().contains("json") {
            return Err(ApiError::NotJson {
                call,
                status: response.status,
                content_type: response.content_type().to_owned(),
                preview: String::from_utf8_lossy(&response.body[..response.body.len().min(120)])
                    .into_owned(),
            });
        }
        serde_json::from_slice(&response.body).map_err(|err| ApiError::Shape {
            call,
            message: err.to_string(),
        })
    }

    /// `GET /health`: `status` must be `healthy`.
    pub async fn health(&mut self) -> Result<Value, ApiError> {
        let health: Value = self
            .json(Method::GET, "/health", "GET /health", Body::Empty, false)
            .await?;
        if health.get("status").and_then(Value::as_str) == Some("healthy") {
            Ok(health)
        } else {
            Err(ApiError::Shape {
                call: "GET /health".to_owned(),
                message: format!("status is not `healthy`: {health}"),
            })
        }
    }

    /// `GET /version`.
    pub async fn version(&mut self) -> Result<Value, ApiError> {
        self.json(Method::GET, "/version", "GET /version", Body::Empty, false)
            .await
    }

    /// `POST /auth/register` (always creates an admin; 409 when the user exists).
    pub async fn register(&mut self, username: &str, password: &str) -> Result<(), ApiError> {
        let body = Body::Json(json!({"username": username, "password": password}));
        self.json::<Value>(
            Method::POST,
            "/auth/register",
            "POST /auth/register",
            body,
            false,
        )
        .await
        .map(|_| ())
    }

    /// `POST /auth/login`; keeps the token for later calls. A `429` whose `Retry-After`
    /// is at most [`LOGIN_RETRY_AFTER_CAP`] is waited out once and the login tried again
    /// (the service limits `/auth/*` to 5 a minute); a longer wait, or a second 429, fails.
    pub async fn login(&mut self, username: &str, password: &str) -> Result<String, ApiError> {
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
        }
        let attempt = async |api: &mut Self| {
            let body = Body::Json(json!({"username": username, "password": password}));
            api.json::<Token>(Method::POST, "/auth/login", "POST /auth/login", body, false)
                .await
        };
        let token = match attempt(self).await {
            Err(ApiError::Http {
                status: 429,
                retry_after_secs: Some(wait),
                ..
            }) if wait <= LOGIN_RETRY_AFTER_CAP.as_secs() => {
                tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
                attempt(self).await?
            }
            other => other?,
        };
        self.token = Some(token.access_token.clone());
        Ok(token.access_token)
    }

    /// `POST /auth/logout`: revokes the current token.
    pub async fn logout(&mut self) -> Result<(), ApiError> {
        self.call(
            Method::POST,
            "/auth/logout",
            "POST /auth/logout",
            Body::Empty,
            true,
        )
        .await?;
        self.token = None;
        Ok(())
    }

    /// `POST /orders/create`.
    pub async fn create_order(
        &mut self,
        phone: &str,
        name: &str,
        image: &Upload,
        video: &Upload,
    ) -> Result<Order, ApiError> {
        let form = MultipartForm::new().text("phone", phone).text("name", name);
        let form = video.attach(image.attach(form, "image"), "video");
        let order: Order = self
            .json(
                Method::POST,
                "/orders/create",
                "POST /orders/create",
                Body::Multipart(form),
                true,
            )
            .await?;
        if let Some(ledger) = &self.ledger {
            ledger.created_order(&order);
        }
        Ok(order)
    }

    /// `POST /videos/add` (the new video is inactive).
    pub async fn add_video(
        &mut self,
        portrait_id: &str,
        video: &Upload,
    ) -> Result<Video, ApiError> {
        let form = video.attach(
            MultipartForm::new().text("portrait_id", portrait_id),
            "video",
        );
        let video: Video = self
            .json(
                Method::POST,
                "/videos/add",
                "POST /videos/add",
                Body::Multipart(form),
                true,
            )
            .await?;
        if let Some(ledger) = &self.ledger {
            ledger.created_video(&video);
        }
        Ok(video)
    }

    /// `GET /videos/list/{portrait_id}`.
    pub async fn list_videos(&mut self, portrait_id: &str) -> Result<Vec<Video>, ApiError> {
        self.json(
            Method::GET,
            &format!("/videos/list/{}", segment(portrait_id)),
            "GET /videos/list/{portrait_id}",
            Body::Empty,
            true,
        )
        .await
    }

    /// `PUT /videos/{id}/activate`.
    pub async fn activate_video(&mut self, video_id: &str) -> Result<Video, ApiError> {
        self.json(
            Method::PUT,
            &format!("/videos/{}/activate", segment(video_id)),
            "PUT /videos/{id}/activate",
            Body::Empty,
            true,
        )
        .await
    }

    /// `DELETE /videos/{id}`.
    pub async fn delete_video(&mut self, video_id: &str) -> Result<(), ApiError> {
        let path = format!("/videos/{}", segment(video_id));
        self.delete(LeftoverKind::Video, video_id, &path, "DELETE /videos/{id}")
            .await
    }

    /// `GET /clients/search?phone=...` (the value is percent-encoded, `+` included).
    pub async fn search_clients(&mut self, phone: &str) -> Result<Vec<ClientRecord>, ApiError> {
        let path = format!(
            "/clients/search?phone={}",
            utf8_percent_encode(phone, ESCAPED)
        );
        self.json(Method::GET, &path, "GET /clients/search", Body::Empty, true)
            .await
    }

    /// `GET /clients/list`.
    pub async fn list_clients(&mut self) -> Result<Vec<ClientRecord>, ApiError> {
        self.json(
            Method::GET,
            "/clients/list",
            "GET /clients/list",
            Body::Empty,
            true,
        )
        .await
    }

    /// `GET /clients/{id}`.
    pub async fn get_client(&mut self, client_id: &str) -> Result<ClientRecord, ApiError> {
        self.json(
            Method::GET,
            &format!("/clients/{}", segment(client_id)),
            "GET /clients/{id}",
            Body::Empty,
            true,
        )
        .await
    }

    /// `PUT /clients/{id}`.
    pub async fn update_client(
        &mut self,
        client_id: &str,
        phone: Option<&str>,
        name: Option<&str>,
    ) -> Result<ClientRecord, ApiError> {
        let body = Body::Json(json!({"phone": phone, "name": name}));
        self.json(
            Method::PUT,
            &format!("/clients/{}", segment(client_id)),
            "PUT /clients/{id}",
            body,
            true,
        )
        .await
    }

    /// `DELETE /clients/{id}` (portraits are not deleted with it).
    pub async fn delete_client(&mut self, client_id: &str) -> Result<(), ApiError> {
        let path = format!("/clients/{}", segment(client_id));
        self.delete(
            LeftoverKind::Client,
            client_id,
            &path,
            "DELETE /clients/{id}",
        )
        .await
    }

    /// `GET /portraits/list[?client_id=...]`.
    pub async fn list_portraits(
        &mut self,
        client_id: Option<&str>,
    ) -> Result<Vec<Portrait>, ApiError> {
        let path = client_id.map_or_else(
            || "/portraits/list".to_owned(),
            |id| {
                format!(
                    "/portraits/list?client_id={}",
                    utf8_percent_encode(id, ESCAPED)
                )
            },
        );
        self.json(Method::GET, &path, "GET /portraits/list", Body::Empty, true)
            .await
    }

    /// `GET /portraits/{id}/details`.
    pub async fn portrait_details(
        &mut self,
        portrait_id: &str,
    ) -> Result<PortraitDetails, ApiError> {
        self.json(
            Method::GET,
            &format!("/portraits/{}/details", segment(portrait_id)),
            "GET /portraits/{id}/details",
            Body::Empty,
            true,
        )
        .await
    }

    /// `DELETE /portraits/{id}` (videos are not deleted with it).
    pub async fn delete_portrait(&mut self, portrait_id: &str) -> Result<(), ApiError> {
        let path = format!("/portraits/{}", segment(portrait_id));
        self.delete(
            LeftoverKind::Portrait,
            portrait_id,
            &path,
            "DELETE /portraits/{id}",
        )
        .await
    }

    /// `GET /portrait/{id}` without a token: `(status, content type)` of the public page.
    pub async fn public_portrait(&mut self, portrait_id: &str) -> Result<(u16, String), ApiError> {
        let response = self
            .call(
                Method::GET,
                &format!("/portrait/{}", segment(portrait_id)),
                "GET /portrait/{id}",
                Body::Empty,
                false,
            )
            .await?;
        Ok((response.status, response.content_type().to_owned()))
    }

    /// `GET /admin/system-info`.
    pub async fn system_info(&mut self) -> Result<Value, ApiError> {
        self.json(
            Method::GET,
            "/admin/system-info",
            "GET /admin/system-info",
            Body::Empty,
            true,
        )
        .await
    }

    /// `GET /admin/storage-info`.
    pub async fn storage_info(&mut self) -> Result<Value, ApiError> {
        self.json(
            Method::GET,
            "/admin/storage-info",
            "GET /admin/storage-info",
            Body::Empty,
            true,
        )
        .await
    }

    /// The service's storage as `(files, bytes)`, from `GET /admin/storage-info`
    /// (`storage_file_count`, `storage_total_size` such as `"93.12 GB"`).
    pub async fn storage_usage(&mut self) -> Result<(u64, u64), ApiError> {
        let info = self.storage_info().await?;
        let shape = |message: &str| ApiError::Shape {
            call: "GET /admin/storage-info".to_owned(),
            message: message.to_owned(),
        };
        let files = info
            .get("storage_file_count")
            .and_then(Value::as_u64)
            .ok_or_else(|| shape("no `storage_file_count` count"))?;
        let bytes = info
            .get("storage_total_size")
            .and_then(Value::as_str)
            .and_then(report_model::parse_service_size)
            .ok_or_else(|| shape("no `storage_total_size` like `1.50 MB`"))?;
        Ok((files, bytes))
    }

    /// `GET /admin/content-stats`.
    pub async fn content_stats(&mut self) -> Result<Value, ApiError> {
        self.json(
            Method::GET,
            "/admin/content-stats",
            "GET /admin/content-stats",
            Body::Empty,
            true,
        )
        .await
    }

    /// `POST /ar/upload` (10 per minute per client IP).
    pub async fn ar_upload(&mut self, image: &Upload, video: &Upload) -> Result<Value, ApiError> {
        let form = video.attach(image.attach(MultipartForm::new(), "image"), "video");
        self.json(
            Method::POST,
            "/ar/upload",
            "POST /ar/upload",
            Body::Multipart(form),
            true,
        )
        .await
    }

    /// `GET /ar/list`.
    pub async fn ar_list(&mut self) -> Result<Value, ApiError> {
        self.json(Method::GET, "/ar/list", "GET /ar/list", Body::Empty, true)
            .await
    }

    /// `DELETE /ar/{id}`.
    pub async fn ar_delete(&mut self, content_id: &str) -> Result<(), ApiError> {
        self.call(
            Method::DELETE,
            &format!("/ar/{}", segment(content_id)),
            "DELETE /ar/{id}",
            Body::Empty,
            true,
        )
        .await
        .map(|_| ())
    }

    /// `GET /nft-marker/list`.
    pub async fn nft_markers(&mut self) -> Result<Value, ApiError> {
        self.json(
            Method::GET,
            "/nft-marker/list",
            "GET /nft-marker/list",
            Body::Empty,
            true,
        )
        .await
    }

    /// Downloads a stored file by its server path (`image_path`, `video_path`).
    pub async fn download(&mut self, server_path: &str) -> Result<Bytes, ApiError> {
        let path = storage_url_path(server_path).ok_or_else(|| ApiError::Shape {
            call: "GET /storage/...".to_owned(),
            message: format!("`{server_path}` is not under a storage directory"),
        })?;
        Ok(self
            .call(Method::GET, &path, "GET /storage/...", Body::Empty, false)
            .await?
            .body)
    }
}

enum Body {
    Empty,
    Json(Value),
    Multipart(MultipartForm),
}

/// What is escaped in path segments and query values: all but RFC 3986 unreserved
/// characters, so `+` always travels as `%2B`.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A path segment, percent-encoded.
fn segment(value: &str) -> String {
    utf8_percent_encode(value, ESCAPED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_paths_map_to_public_urls() {
        assert_eq!(
            storage_url_path("/srv/vertex-ar/storage/clients/a/b/b.jpg").as_deref(),
            Some("/storage/clients/a/b/b.jpg")
        );
        assert_eq!(storage_url_path("/elsewhere/b.jpg"), None);
    }

    #[test]
    fn an_install_folder_named_storage_is_not_the_storage_root() {
        assert_eq!(
            storage_url_path("/storage/vertex-ar/storage/clients/a/b/b.jpg").as_deref(),
            Some("/storage/clients/a/b/b.jpg")
        );
        assert_eq!(
            storage_url_path("/srv/storage/apps/vertex-ar/storage/nft_markers/p/p.fset").as_deref(),
            Some("/storage/nft_markers/p/p.fset")
        );
        // A user called `storage` below the root does not move the root.
        assert_eq!(
            storage_url_path("/opt/storage/vertex-ar/storage/ar_content/storage/c1/c1.jpg")
                .as_deref(),
            Some("/storage/ar_content/storage/c1/c1.jpg")
        );
        // An unknown layout falls back to the last `/storage/`.
        assert_eq!(
            storage_url_path("/storage/app/storage/other/x.jpg").as_deref(),
            Some("/storage/other/x.jpg")
        );
    }

    #[test]
    fn plus_is_encoded() {
        assert_eq!(utf8_percent_encode("+7999", ESCAPED).to_string(), "%2B7999");
        assert_eq!(segment("3f2a-b_c"), "3f2a-b_c");
    }
}
