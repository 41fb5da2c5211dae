//! A server per test on an ephemeral loopback port, a client, and test images.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use vertex_sim::{Sim, SimConfig, SimHandle};

/// A plain HTTP client. reqwest's rustls (which object_store's S3 client brings into the
/// build) takes the process-wide crypto provider, so it is installed first.
pub fn http_client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

pub struct TestSim {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
    pub http: Client,
}

impl TestSim {
    pub async fn start() -> TestSim {
        TestSim::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut SimConfig)) -> TestSim {
        let dir = tempfile::tempdir().unwrap();
        let mut config = SimConfig::new(dir.path().join("data"));
        configure(&mut config);
        let sim = Sim::start(config).await.expect("server starts");
        TestSim {
            sim,
            dir,
            http: http_client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    /// Registers `admin`/`admin` and logs in.
    pub async fn admin_token(&self) -> String {
        let response = self
            .http
            .post(self.url("/auth/register"))
            .json(&json!({"username": "admin", "password": "admin"}))
            .send()
            .await
            .unwrap();
        assert!(
            response.status() == 201 || response.status() == 409,
            "{}",
            response.status()
        );
        self.login("admin", "admin").await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .http
            .post(self.url("/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `POST path` with a multipart `form`, as `token`.
    pub async fn post_form(&self, token: &str, path: &str, form: Form) -> Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// An unauthenticated `GET path` (a public page or `/storage/...` file).
    pub async fn public_get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// The body of [`TestSim::public_get`].
    pub async fn fetch(&self, path: &str) -> bytes::Bytes {
        self.public_get(path).await.bytes().await.unwrap()
    }

    pub async fn delete(&self, token: &str, path: &str) -> Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Creates an order with an 800×600 JPEG and a small video; returns the response JSON.
    pub async fn order(&self, token: &str, phone: &str, name: &str) -> Value {
        let form = order_form(phone, name, jpeg(800, 600), b"fake video".to_vec());
        let response = self.post_form(token, "/orders/create", form).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}

pub fn order_form(phone: &str, name: &str, image: Vec<u8>, video: Vec<u8>) -> Form {
    Form::new()
        .text("phone", phone.to_owned())
        .text("name", name.to_owned())
        .part("image", file_part(image, "portrait.jpg", "image/jpeg"))
        .part("video", file_part(video, "video.mp4", "video/mp4"))
}

/// The `/ar/upload` form: a 640×480 JPEG and, optionally, a small video.
pub fn ar_form(with_video: bool) -> Form {
    let form = Form::new().part("image", file_part(jpeg(640, 480), "a.jpg", "image/jpeg"));
    if with_video {
        form.part(
            "video",
            file_part(b"ar video".to_vec(), "a.mp4", "video/mp4"),
        )
    } else {
        form
    }
}

/// A file part with a name and a content type.
pub fn file_part(bytes: Vec<u8>, file_name: &str, content_type: &str) -> Part {
    Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(content_type)
        .unwrap()
}

/// A JPEG of `width`×`height` with a gradient, so it is not trivially compressible.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
        .unwrap();
    out
}

pub async fn detail(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `YYYY-MM-DD HH:MM:SS`.
pub fn is_timestamp(text: &str) -> bool {
    text.len() == 19 && chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok()
}

/// A UUID4 string.
pub fn is_uuid4(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok_and(|u| u.get_version_num() == 4) && text.len() == 36
}

/// The public `/storage/...` URL path of a server file path (`image_path`, `video_path`).
pub fn public_path(server_path: &str) -> String {
    format!(
        "/storage/{}",
        server_path
            .split("/storage/")
            .nth(1)
            .expect("a path under storage/")
    )
}
