//! A server per test on an ephemeral loopback port, a client, and test images.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response};
use serde_json::{Value, json};
use vertex_sim::{Sim, SimConfig, SimHandle};

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
            http: Client::new(),
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
        let response = self
            .http
            .post(self.url("/orders/create"))
            .bearer_auth(token)
            .multipart(order_form(
                phone,
                name,
                jpeg(800, 600),
                b"fake video".to_vec(),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }
}

pub fn order_form(phone: &str, name: &str, image: Vec<u8>, video: Vec<u8>) -> Form {
    Form::new()
        .text("phone", phone.to_owned())
        .text("name", name.to_owned())
        .part(
            "image",
            Part::bytes(image)
                .file_name("portrait.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        )
        .part(
            "video",
            Part::bytes(video)
                .file_name("video.mp4")
                .mime_str("video/mp4")
                .unwrap(),
        )
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
