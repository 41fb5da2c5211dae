//! §5–§6.6: multipart rules, orders, videos, clients, portraits, the public page, storage.

use reqwest::multipart::Form;
use serde_json::{Value, json};

use crate::support::{
    TestSim, detail, file_part, is_timestamp, is_uuid4, jpeg, order_form, public_path, sha256,
};

#[tokio::test]
async fn order_shape_client_reuse_and_verbatim_storage() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    let image = jpeg(800, 600);
    let video = b"Video content for Ivan".to_vec();
    let form = order_form("+79991112233", "Иван Петров", image.clone(), video.clone());
    let response = sim.post_form(&token, "/orders/create", form).await;
    assert_eq!(response.status(), 200);
    let order: Value = response.json().await.unwrap();
    let (client, portrait, first_video) = (&order["client"], &order["portrait"], &order["video"]);
    assert_eq!(
        client.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "phone", "name", "created_at"]
    );
    assert_eq!(
        (
            client["phone"].as_str().unwrap(),
            client["name"].as_str().unwrap()
        ),
        ("+79991112233", "Иван Петров")
    );
    assert!(
        is_uuid4(client["id"].as_str().unwrap())
            && is_timestamp(client["created_at"].as_str().unwrap())
    );
    assert_eq!(
        portrait.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "id",
            "client_id",
            "permanent_link",
            "qr_code_base64",
            "image_path",
            "view_count",
            "created_at"
        ]
    );
    let pid = portrait["id"].as_str().unwrap();
    assert_eq!(
        portrait["permanent_link"],
        format!("{}/portrait/{pid}", sim.sim.base_url())
    );
    assert_eq!(portrait["view_count"], 0);
    let qr = base64_decode(portrait["qr_code_base64"].as_str().unwrap());
    assert!(qr.starts_with(b"\x89PNG"), "a PNG QR code");
    assert_eq!(first_video["is_active"], true);
    assert_eq!(first_video["portrait_id"], pid);

    let image_path = portrait["image_path"].as_str().unwrap();
    assert!(
        image_path.starts_with('/')
            && image_path.ends_with(&format!(
                "/storage/clients/{}/{pid}/{pid}.jpg",
                client["id"].as_str().unwrap()
            )),
        "{image_path}"
    );
    for (path, sent) in [
        (image_path, &image),
        (first_video["video_path"].as_str().unwrap(), &video),
    ] {
        let public = public_path(path);
        let body = sim.fetch(&public).await;
        assert_eq!(sha256(&body), sha256(sent), "{public} is stored verbatim");
    }
    let preview = sim
        .http
        .get(sim.url(&format!(
            "/storage/clients/{}/{pid}/{pid}_preview.jpg",
            client["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    let preview = image::load_from_memory(&preview.bytes().await.unwrap()).unwrap();
    assert_eq!((preview.width(), preview.height()), (200, 200));
    let fset = sim
        .fetch(&format!("/storage/nft_markers/{pid}/{pid}.fset"))
        .await;
    assert!(fset.starts_with(b"ARJS"));

    // Same phone: the client is reused and its name is not updated.
    let again = sim.order(&token, "+79991112233", "Someone Else").await;
    assert_eq!(again["client"]["id"], client["id"]);
    assert_eq!(again["client"]["name"], "Иван Петров");
    assert_ne!(again["portrait"]["id"], portrait["id"]);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn multipart_rules() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    let post = |form: Form| sim.post_form(&token, "/orders/create", form);

    let (status, body) = detail(post(Form::new().text("phone", "")).await).await;
    assert_eq!(status, 422);
    let locs: Vec<&Value> = body["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["loc"])
        .collect();
    assert_eq!(
        locs,
        [
            &json!(["body", "phone"]),
            &json!(["body", "name"]),
            &json!(["body", "image"]),
            &json!(["body", "video"])
        ]
    );
    assert!(
        body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] == "missing" && e["msg"] == "Field required")
    );

    let no_filename = Form::new()
        .text("phone", "+1")
        .text("name", "n")
        .text("image", "not a file")
        .part("video", file_part(b"v".to_vec(), "v.mp4", "video/mp4"));
    let (status, body) = detail(post(no_filename).await).await;
    assert_eq!(
        (status, &body["detail"][0]["loc"]),
        (422, &json!(["body", "image"]))
    );

    let wrong_image_type = Form::new()
        .text("phone", "+2")
        .text("name", "n")
        .part("image", file_part(jpeg(800, 600), "p.jpg", "text/plain"))
        .part("video", file_part(b"v".to_vec(), "v.mp4", "text/plain"));
    assert_eq!(
        detail(post(wrong_image_type).await).await,
        (400, json!({"detail": "Invalid image file"}))
    );
    let wrong_video_type = Form::new()
        .text("phone", "+2")
        .text("name", "n")
        .part("image", file_part(jpeg(800, 600), "p.jpg", "image/jpeg"))
        .part(
            "video",
            file_part(b"v".to_vec(), "v.mp4", "application/octet-stream"),
        );
    assert_eq!(
        detail(post(wrong_video_type).await).await,
        (400, json!({"detail": "Invalid video file"}))
    );

    // A 300×300 image: the marker generator raises, the service answers a text/plain 500,
    // and the client row is already written.
    let small = post(order_form(
        "+70000000300",
        "Small",
        jpeg(300, 300),
        b"v".to_vec(),
    ))
    .await;
    assert_eq!(small.status(), 500);
    assert!(
        small.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(small.text().await.unwrap(), "Internal Server Error");
    let orphans: Value = sim
        .get(&token, "/clients/search?phone=%2B70000000300")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        orphans.as_array().unwrap().len(),
        1,
        "the client row was written before the failure"
    );
    let garbage = post(order_form(
        "+70000000301",
        "Noise",
        vec![7; 1000],
        b"v".to_vec(),
    ))
    .await;
    assert_eq!(garbage.status(), 500);

    let strict = TestSim::start_with(|c| c.strict_errors = true).await;
    let token = strict.admin_token().await;
    let form = order_form("+1", "n", jpeg(300, 300), b"v".to_vec());
    let response = strict.post_form(&token, "/orders/create", form).await;
    let (status, body) = detail(response).await;
    assert_eq!(
        (status, &body["detail"][0]["loc"]),
        (422, &json!(["body", "image"]))
    );
}

#[tokio::test]
async fn videos_add_list_activate_delete() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    let order = sim.order(&token, "+79992223344", "Мария").await;
    let pid = order["portrait"]["id"].as_str().unwrap().to_owned();
    let first = order["video"]["id"].as_str().unwrap().to_owned();
    let add = |portrait_id: String, mime: &'static str| {
        let form = Form::new()
            .text("portrait_id", portrait_id)
            .part("video", file_part(b"second video".to_vec(), "2.mp4", mime));
        sim.post_form(&token, "/videos/add", form)
    };
    assert_eq!(
        detail(add("no-such".into(), "image/png").await).await,
        (400, json!({"detail": "Invalid video file"})),
        "type before lookup"
    );
    assert_eq!(
        detail(add("no-such".into(), "video/mp4").await).await,
        (404, json!({"detail": "Portrait not found"}))
    );
    let (status, second) = detail(add(pid.clone(), "video/mp4").await).await;
    assert_eq!(status, 200);
    assert_eq!(second["is_active"], false);
    assert!(
        second["video_path"]
            .as_str()
            .unwrap()
            .contains(&format!("/{pid}/")),
        "stored beside the portrait image"
    );
    let second_id = second["id"].as_str().unwrap().to_owned();

    let list: Value = sim
        .get(&token, &format!("/videos/list/{pid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        detail(sim.get(&token, "/videos/list/unknown").await).await,
        (200, json!([]))
    );

    let activated = sim
        .http
        .put(sim.url(&format!("/videos/{second_id}/activate")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, body) = detail(activated).await;
    assert_eq!((status, &body["is_active"]), (200, &json!(true)));
    let list: Value = sim
        .get(&token, &format!("/videos/list/{pid}"))
        .await
        .json()
        .await
        .unwrap();
    let active: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["is_active"] == true)
        .collect();
    assert_eq!(active.len(), 1, "exactly one active after activate");
    assert_eq!(active[0]["id"], second_id.as_str());
    let missing = sim
        .http
        .put(sim.url("/videos/nope/activate"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        detail(missing).await,
        (404, json!({"detail": "Video not found"}))
    );

    let delete = |id: String| {
        sim.http
            .delete(sim.url(&format!("/videos/{id}")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        detail(delete(first.clone()).await.unwrap()).await,
        (200, json!({"message": "Video deleted successfully"}))
    );
    assert_eq!(
        detail(delete(second_id.clone()).await.unwrap()).await,
        (
            400,
            json!({"detail": "Cannot delete the last active video"})
        )
    );
    assert_eq!(
        detail(delete(first).await.unwrap()).await,
        (404, json!({"detail": "Video not found"}))
    );
}

#[tokio::test]
async fn clients_search_list_update_delete() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    let order = sim.order(&token, "+79993334455", "Алексей").await;
    sim.order(&token, "+79990000000", "Other").await;
    let cid = order["client"]["id"].as_str().unwrap().to_owned();

    let found: Value = sim
        .get(&token, "/clients/search?phone=%2B7999333")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1);
    let raw_plus: Value = sim
        .get(&token, "/clients/search?phone=+7999333")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        raw_plus,
        json!([]),
        "a raw + decodes to a space and matches nothing"
    );
    let everyone: Value = sim
        .get(&token, "/clients/search?phone=")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(everyone.as_array().unwrap().len(), 2);
    let (status, body) = detail(sim.get(&token, "/clients/search").await).await;
    assert_eq!(
        (status, &body["detail"][0]["loc"]),
        (422, &json!(["query", "phone"]))
    );

    let list: Value = sim.get(&token, "/clients/list").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(
        detail(sim.get(&token, &format!("/clients/{cid}")).await)
            .await
            .1["id"],
        cid.as_str()
    );
    assert_eq!(
        detail(sim.get(&token, "/clients/nope").await).await,
        (404, json!({"detail": "Client not found"}))
    );

    let put = |id: String, body: Value| {
        sim.http
            .put(sim.url(&format!("/clients/{id}")))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let (status, body) = detail(
        put(cid.clone(), json!({"name": "Алексей Сидоров"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            status,
            body["name"].as_str().unwrap(),
            body["phone"].as_str().unwrap()
        ),
        (200, "Алексей Сидоров", "+79993334455")
    );
    assert_eq!(
        detail(put(cid.clone(), json!({})).await.unwrap()).await.0,
        200
    );
    let (status, body) = detail(
        put(cid.clone(), json!({"phone": "x".repeat(21)}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, &body["detail"][0]["type"]),
        (422, &json!("string_too_long"))
    );
    assert_eq!(
        put(cid.clone(), json!({"phone": "+79990000000"}))
            .await
            .unwrap()
            .status(),
        500,
        "UNIQUE collision is unhandled"
    );
    assert_eq!(
        detail(put("nope".into(), json!({"name": "x"})).await.unwrap()).await,
        (404, json!({"detail": "Client not found"}))
    );

    let delete = |id: String| {
        sim.http
            .delete(sim.url(&format!("/clients/{id}")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        detail(delete(cid.clone()).await.unwrap()).await,
        (200, json!({"message": "Client deleted successfully"}))
    );
    assert_eq!(
        detail(delete(cid).await.unwrap()).await,
        (404, json!({"detail": "Client not found"}))
    );
    let portraits: Value = sim
        .get(&token, "/portraits/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        portraits.as_array().unwrap().len(),
        2,
        "no cascade: the portrait stays"
    );
}

#[tokio::test]
async fn portraits_details_public_page_and_delete() {
    let sim = TestSim::start().await;
    let token = sim.admin_token().await;
    let order = sim.order(&token, "+79991230000", "A").await;
    sim.order(&token, "+79991230001", "B").await;
    let (pid, cid) = (
        order["portrait"]["id"].as_str().unwrap().to_owned(),
        order["client"]["id"].as_str().unwrap().to_owned(),
    );

    let all: Value = sim
        .get(&token, "/portraits/list")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let mine: Value = sim
        .get(&token, &format!("/portraits/list?client_id={cid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (status, details) =
        detail(sim.get(&token, &format!("/portraits/{pid}/details")).await).await;
    assert_eq!(status, 200);
    assert!(
        details["client"].is_object()
            && details["portrait"].is_object()
            && details["videos"].is_array()
    );
    assert_eq!(
        detail(sim.get(&token, "/portraits/nope/details").await).await,
        (404, json!({"detail": "Portrait not found"}))
    );

    for expected_views in 1..=2 {
        let page = sim.public_get(&format!("/portrait/{pid}")).await;
        assert_eq!(page.status(), 200);
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("html")
        );
        let details: Value = sim
            .get(&token, &format!("/portraits/{pid}/details"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(details["portrait"]["view_count"], expected_views);
    }
    assert_eq!(
        detail(sim.public_get("/portrait/nope").await).await,
        (404, json!({"detail": "Portrait not found"}))
    );

    // With a second video, deleting the active one is allowed and leaves no active video.
    let form = Form::new()
        .text("portrait_id", pid.clone())
        .part("video", file_part(b"2".to_vec(), "2.mp4", "video/mp4"));
    sim.post_form(&token, "/videos/add", form).await;
    let first_video = order["video"]["id"].as_str().unwrap();
    assert_eq!(
        sim.delete(&token, &format!("/videos/{first_video}"))
            .await
            .status(),
        200
    );
    let page = sim
        .http
        .get(sim.url(&format!("/portrait/{pid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        detail(page).await,
        (
            404,
            json!({"detail": "No active video found for this portrait"})
        )
    );

    let delete = |id: String| {
        sim.http
            .delete(sim.url(&format!("/portraits/{id}")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        detail(delete(pid.clone()).await.unwrap()).await,
        (200, json!({"message": "Portrait deleted successfully"}))
    );
    assert_eq!(
        detail(delete(pid).await.unwrap()).await,
        (404, json!({"detail": "Portrait not found"}))
    );
}
