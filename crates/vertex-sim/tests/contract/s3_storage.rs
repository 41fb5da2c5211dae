//! The storage-dependent contract with files in S3 instead of a local directory: moto (a
//! second S3 implementation, started by `.ci/run` and named by `VERTEX_PERF_MOTO_ENDPOINT`).

use reqwest::multipart::Form;
use serde_json::Value;

use crate::support::{TestSim, ar_form, detail, file_part, jpeg, order_form, public_path, sha256};

#[tokio::test]
async fn orders_videos_ar_and_admin_with_files_in_s3() {
    let Ok(endpoint) = std::env::var("VERTEX_PERF_MOTO_ENDPOINT") else {
        eprintln!("VERTEX_PERF_MOTO_ENDPOINT not set: the S3 variant is not run here");
        return;
    };
    // moto accepts an unsigned CreateBucket.
    let bucket = format!("vertex-sim-contract-{}", std::process::id());
    let created = crate::support::http_client()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());
    let sim = TestSim::start_with(|c| {
        c.storage_url = Some(format!("s3://{bucket}?endpoint={endpoint}"));
        c.storage_credentials = Some(("testing".to_owned(), "testing".to_owned()));
    })
    .await;
    let token = sim.admin_token().await;

    let (image, video) = (jpeg(800, 600), b"video stored in s3".to_vec());
    let form = order_form("+79990001122", "S3", image.clone(), video.clone());
    let response = sim.post_form(&token, "/orders/create", form).await;
    assert_eq!(response.status(), 200);
    let order: Value = response.json().await.unwrap();
    for (path, sent) in [
        (order["portrait"]["image_path"].as_str().unwrap(), &image),
        (order["video"]["video_path"].as_str().unwrap(), &video),
    ] {
        let public = public_path(path);
        let body = sim.fetch(&public).await;
        assert_eq!(
            sha256(&body),
            sha256(sent),
            "{public} is stored verbatim in S3"
        );
    }
    let pid = order["portrait"]["id"].as_str().unwrap();
    let form = Form::new()
        .text("portrait_id", pid.to_owned())
        .part("video", file_part(b"second".to_vec(), "2.mp4", "video/mp4"));
    let added: Value = sim
        .post_form(&token, "/videos/add", form)
        .await
        .json()
        .await
        .unwrap();
    let public = public_path(added["video_path"].as_str().unwrap());
    assert_eq!(sim.fetch(&public).await.as_ref(), b"second");
    assert_eq!(
        sim.public_get(&format!("/portrait/{pid}")).await.status(),
        200
    );

    let (status, storage) = detail(sim.get(&token, "/admin/storage-info").await).await;
    assert_eq!(status, 200);
    assert!(
        storage["storage_file_count"].as_u64().unwrap() >= 6,
        "{storage}"
    );

    let ar: Value = sim
        .post_form(&token, "/ar/upload", ar_form(true))
        .await
        .json()
        .await
        .unwrap();
    let image_public = public_path(ar["image_path"].as_str().unwrap());
    assert_eq!(sim.public_get(&image_public).await.status(), 200);
    let id = ar["id"].as_str().unwrap();
    assert_eq!(sim.delete(&token, &format!("/ar/{id}")).await.status(), 200);
    assert_eq!(
        sim.public_get(&image_public).await.status(),
        404,
        "the AR directory is gone from S3"
    );
}
