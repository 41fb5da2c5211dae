//! One method per endpoint of the Vertex AR contract, on [`VertexClient`]'s measured
//! calls: auth, orders and videos, clients, portraits, admin, AR content and stored files.

use bytes::Bytes;
use http::Method;
use load_engine::MultipartForm;
use percent_encoding::utf8_percent_encode;
use serde::Deserialize;
use serde_json::{Value, json};

use report_model::leftovers::LeftoverKind;

use super::{
    Body, ClientRecord, ESCAPED, LOGIN_RETRY_AFTER_CAP, Order, Portrait, PortraitDetails, Upload,
    VertexClient, Video, segment, storage_url_path,
};
use crate::ApiError;

impl VertexClient<'_> {
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
            .and_then(report_model::leftovers::parse_service_size)
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
