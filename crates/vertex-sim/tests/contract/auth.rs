//! §2–§3: registration, login, tokens, the auth failure matrix, rate limits, lockout.

use serde_json::{Value, json};
use vertex_sim::{MissingTokenStatus, RateLimit};

use crate::support::{TestSim, detail};

#[tokio::test]
async fn health_version_root_and_unknown_routes() {
    let sim = TestSim::start().await;
    let (status, body) = detail(sim.public_get("/health").await).await;
    assert_eq!(
        (status, body),
        (200, json!({"status": "healthy", "version": "1.2.0"}))
    );
    assert_eq!(
        detail(sim.public_get("/version").await).await,
        (200, json!({"version": "1.2.0"}))
    );
    assert_eq!(
        detail(sim.public_get("/").await).await,
        (200, json!({"Hello": "Vertex AR (Simplified)"}))
    );
    assert_eq!(
        detail(sim.public_get("/nope").await).await,
        (404, json!({"detail": "Not Found"}))
    );
    assert_eq!(
        detail(sim.http.delete(sim.url("/health")).send().await.unwrap()).await,
        (405, json!({"detail": "Method Not Allowed"}))
    );
}

#[tokio::test]
async fn register_login_logout() {
    let sim = TestSim::start().await;
    let register = |body: Value| sim.http.post(sim.url("/auth/register")).json(&body).send();
    assert_eq!(
        detail(
            register(json!({"username": "admin", "password": "admin"}))
                .await
                .unwrap()
        )
        .await,
        (201, json!({"username": "admin"}))
    );
    assert_eq!(
        detail(
            register(json!({"username": "admin", "password": "x"}))
                .await
                .unwrap()
        )
        .await,
        (409, json!({"detail": "User already exists"}))
    );
    let (status, body) = detail(
        register(json!({"username": "", "password": "x"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], "string_too_short");
    assert_eq!(body["detail"][0]["loc"], json!(["body", "username"]));
    let (status, body) = detail(
        sim.http
            .post(sim.url("/auth/register"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["type"], "json_invalid");

    let response = sim
        .http
        .post(sim.url("/auth/login"))
        .json(&json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(sim.get(&token, "/clients/list").await.status(), 200);

    let logout = sim
        .http
        .post(sim.url("/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert!(logout.bytes().await.unwrap().is_empty());
    assert_eq!(
        detail(sim.get(&token, "/clients/list").await).await,
        (401, json!({"detail": "Token expired or invalid"}))
    );
}

#[tokio::test]
async fn auth_failure_matrix() {
    let sim = TestSim::start().await;
    sim.admin_token().await;
    let response = sim.public_get("/clients/list").await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        detail(response).await,
        (401, json!({"detail": "Not authenticated"}))
    );
    let basic = sim
        .http
        .get(sim.url("/clients/list"))
        .header("authorization", "Basic YWRtaW46YWRtaW4=")
        .send()
        .await
        .unwrap();
    assert_eq!(
        detail(basic).await,
        (401, json!({"detail": "Invalid authentication credentials"}))
    );
    assert_eq!(
        detail(sim.get("made-up-token", "/clients/list").await).await,
        (401, json!({"detail": "Token expired or invalid"}))
    );

    // A user with is_admin = 0 can only come from the database directly.
    let db = rusqlite::Connection::open(sim.dir.path().join("data/app_data.db")).unwrap();
    db.execute(
        "INSERT INTO users (username, hashed_password, is_admin) VALUES ('viewer', ?1, 0)",
        [crate_hash("pw")],
    )
    .unwrap();
    let viewer = sim.login("viewer", "pw").await;
    assert_eq!(
        detail(sim.get(&viewer, "/clients/list").await).await,
        (403, json!({"detail": "Admin access required"}))
    );
    assert_eq!(
        sim.get(&viewer, "/ar/list").await.status(),
        200,
        "/ar/list takes any user"
    );

    let old = TestSim::start_with(|c| c.missing_token_status = MissingTokenStatus::Forbidden).await;
    let response = old.http.get(old.url("/clients/list")).send().await.unwrap();
    assert!(response.headers().get("www-authenticate").is_none());
    assert_eq!(
        detail(response).await,
        (403, json!({"detail": "Not authenticated"}))
    );
}

fn crate_hash(password: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(password.as_bytes()))
}

#[tokio::test]
async fn login_rate_limit_and_lockout() {
    let sim = TestSim::start().await;
    sim.admin_token().await; // one register, one login
    for _ in 0..4 {
        sim.http
            .post(sim.url("/auth/login"))
            .json(&json!({"username": "admin", "password": "admin"}))
            .send()
            .await
            .unwrap();
    }
    let limited = sim
        .http
        .post(sim.url("/auth/login"))
        .json(&json!({"username": "admin", "password": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.headers()["retry-after"], "60");
    assert_eq!(
        detail(limited).await,
        (429, json!({"detail": "Rate limit exceeded"}))
    );

    let sim =
        TestSim::start_with(|c| c.auth_rate_limit = RateLimit::parse("1000/minute").unwrap()).await;
    sim.admin_token().await;
    let attempt = |password: &'static str| {
        sim.http
            .post(sim.url("/auth/login"))
            .json(&json!({"username": "admin", "password": password}))
            .send()
    };
    for _ in 0..4 {
        assert_eq!(
            detail(attempt("wrong").await.unwrap()).await,
            (401, json!({"detail": "Invalid credentials"}))
        );
    }
    assert_eq!(
        detail(attempt("wrong").await.unwrap()).await,
        (
            423,
            json!({"detail": "Account locked due to multiple failed attempts"})
        )
    );
    let (status, body) = detail(attempt("admin").await.unwrap()).await;
    assert_eq!(status, 423, "even the right password while locked");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Account locked until 20"),
        "{body}"
    );
}
