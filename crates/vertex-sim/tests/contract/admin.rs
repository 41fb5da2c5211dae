//! §6.7–§6.9: admin figures, legacy AR content, NFT markers, metrics.

use reqwest::multipart::Form;
use serde_json::{Value, json};

use crate::support::{TestSim, ar_form, detail};

#[tokio::test]
async fn admin_endpoints_have_their_shapes() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    sim.order(&token, "+79995550000", "Stats").await;
    let (status, system) = detail(sim.get(&token, "/admin/system-info").await).await;
    assert_eq!(status, 200);
    for key in ["total", "used", "free"] {
        let text = system["disk_info"][key].as_str().unwrap();
        assert!(
            text.ends_with(" GB") || text.ends_with(" TB") || text.ends_with(" MB"),
            "{key}: {text}"
        );
    }
    assert!(system["disk_info"]["used_percent"].is_f64());
    assert_eq!(system["storage_info"]["path"], "storage/");
    assert!(
        system["storage_info"]["file_count"].as_u64().unwrap() >= 5,
        "image, video, preview and markers: {system}"
    );

    let (status, storage) = detail(sim.get(&token, "/admin/storage-info").await).await;
    assert_eq!(status, 200);
    let keys: Vec<&String> = storage.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "disk_total",
            "disk_used",
            "disk_free",
            "disk_used_percent",
            "storage_total_size",
            "storage_file_count",
            "storage_path"
        ]
    );
    assert_eq!(
        detail(sim.get(&token, "/admin/content-stats").await).await,
        (200, json!([]))
    );
}

#[tokio::test]
async fn ar_content_upload_list_page_delete_and_rate_limit() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    let upload = |form: Form| sim.post_form(&token, "/ar/upload", form);
    let (status, body) = detail(upload(ar_form(true)).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "id",
            "ar_url",
            "qr_code_base64",
            "image_path",
            "video_path",
            "created_at"
        ]
    );
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body["ar_url"], format!("{}/ar/{id}", sim.sim.base_url()));

    let (status, missing) = detail(upload(ar_form(false)).await).await;
    assert_eq!(
        (status, &missing["detail"][0]["loc"]),
        (422, &json!(["body", "video"]))
    );

    let list: Value = sim.get(&token, "/ar/list").await.json().await.unwrap();
    let row = &list[0];
    for key in [
        "id",
        "username",
        "image_path",
        "video_path",
        "image_preview_path",
        "video_preview_path",
        "marker_fset",
        "marker_fset3",
        "marker_iset",
        "ar_url",
        "qr_code",
        "view_count",
        "click_count",
        "created_at",
    ] {
        assert!(row.get(key).is_some(), "{key} missing from {row}");
    }
    let page = sim
        .http
        .get(sim.url(&format!("/ar/{id}")))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("html")
    );
    let stats: Value = sim
        .get(&token, "/admin/content-stats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            stats[0]["id"].as_str().unwrap(),
            stats[0]["views"].as_i64().unwrap()
        ),
        (id.as_str(), 1)
    );
    assert_eq!(
        detail(sim.public_get("/ar/nope").await).await,
        (404, json!({"detail": "AR content not found"}))
    );

    // 10 per minute, counted before validation: 2 used, 8 more, then 429.
    for _ in 0..8 {
        assert_eq!(upload(ar_form(false)).await.status(), 422);
    }
    let limited = upload(ar_form(true)).await;
    assert_eq!(limited.headers()["retry-after"], "60");
    assert_eq!(
        detail(limited).await,
        (429, json!({"detail": "Rate limit exceeded"}))
    );

    let delete = |id: String| {
        sim.http
            .delete(sim.url(&format!("/ar/{id}")))
            .bearer_auth(&token)
            .send()
    };
    let (status, body) = detail(delete(id.clone()).await.unwrap()).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"status": "success", "message": format!("AR content {id} deleted successfully")})
        )
    );
    assert_eq!(
        detail(delete(id).await.unwrap()).await,
        (404, json!({"detail": "AR content not found"}))
    );
}

#[tokio::test]
async fn nft_marker_list_and_metrics() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    sim.order(&token, "+79996660000", "Markers").await;
    assert_eq!(
        detail(sim.get(&token, "/nft-marker/list").await).await,
        (200, json!([])),
        "hyphen vs underscore: empty, as in the service"
    );
    for _ in 0..3 {
        sim.public_get("/health").await;
    }
    let metrics = sim
        .http
        .get(sim.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .contains("http_requests_total{handler=\"/health\",method=\"GET\",status=\"2xx\"} 3.0"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "http_requests_total{handler=\"/orders/create\",method=\"POST\",status=\"2xx\"} 1.0"
        ),
        "{metrics}"
    );
}
