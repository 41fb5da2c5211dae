//! The legacy AR content routes: `/ar/upload`, `/ar/list`, `/ar/{id}`, and `/nft-marker/list`.

use std::collections::HashSet;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::request::Parts;
use axum::response::Html;
use serde_json::{Value, json};

use super::extract::{Admin, User};
use super::orders::{check_types, process_image, rejected_image};
use crate::auth::client_ip;
use crate::db::ArContent;
use crate::media;
use crate::problems::{Handled, Problem};
use crate::state::AppState;
use crate::uploads::{Expect, Form};

pub async fn upload(
    State(state): State<AppState>,
    admin: Admin,
    parts: Parts,
    multipart: Result<Multipart, MultipartRejection>,
) -> Handled<Json<Value>> {
    state.auth.check_rate(
        format!("{}:/ar/upload", client_ip(&parts)),
        state.config.upload_rate_limit,
    )?;
    let form = Form::read(multipart).await?;
    form.validate(&[Expect::File("image"), Expect::File("video")])?;
    let (image, video) = (
        form.file("image").expect("validated"),
        form.file("video").expect("validated"),
    );
    check_types(Some(image), video)?;
    let id = uuid::Uuid::new_v4().to_string();
    let dir = format!("ar_content/{}/{id}", admin.username);
    let (image_key, video_key) = (format!("{dir}/{id}.jpg"), format!("{dir}/{id}.mp4"));
    state.put(&image_key, image.bytes.clone()).await?;
    state.put(&video_key, video.bytes.clone()).await?;
    let processed = process_image(image.bytes.clone(), state.config.marker_cost).await;
    let preview_key = format!("{dir}/{id}_preview.jpg");
    let has_preview = processed.preview.is_some();
    if let Some(preview) = processed.preview {
        state.put(&preview_key, preview.into()).await?;
    }
    let markers = processed.markers.ok_or_else(|| rejected_image(&state))?;
    let marker_keys = ["fset", "fset3", "iset"].map(|ext| format!("nft_markers/{id}/{id}.{ext}"));
    for (key, bytes) in marker_keys.iter().zip(markers) {
        state.put(key, bytes.into()).await?;
    }
    let ar_url = format!("{}/ar/{id}", state.base_url);
    let qr_code = media::qr_png_base64(&ar_url);
    let row = state.db().insert_ar_content(&ArContent {
        id: id.clone(),
        username: admin.username,
        image_path: state.path_of(&image_key),
        video_path: state.path_of(&video_key),
        image_preview_path: has_preview.then(|| state.path_of(&preview_key)),
        video_preview_path: None,
        marker_fset: Some(state.path_of(&marker_keys[0])),
        marker_fset3: Some(state.path_of(&marker_keys[1])),
        marker_iset: Some(state.path_of(&marker_keys[2])),
        ar_url: ar_url.clone(),
        qr_code: Some(qr_code.clone()),
        view_count: 0,
        click_count: 0,
        created_at: String::new(),
    })?;
    Ok(Json(json!({
        "id": row.id,
        "ar_url": row.ar_url,
        "qr_code_base64": row.qr_code,
        "image_path": row.image_path,
        "video_path": row.video_path,
        "created_at": row.created_at,
    })))
}

pub async fn list(State(state): State<AppState>, user: User) -> Handled<Json<Vec<ArContent>>> {
    let db = state.db();
    let is_admin = db.user(&user.username)?.is_some_and(|(_, admin)| admin);
    Ok(Json(db.ar_contents(
        (!is_admin).then_some(user.username.as_str()),
    )?))
}

pub async fn page(
    State(state): State<AppState>,
    Path(content_id): Path<String>,
) -> Handled<Html<String>> {
    let db = state.db();
    db.ar_content(&content_id)?
        .ok_or_else(|| Problem::not_found("AR content not found"))?;
    db.count_ar_view(&content_id)?;
    Ok(Html(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>AR</title></head><body>\
         <a-scene><a-nft url=\"/ar/markers/{content_id}\"><a-video src=\"/ar/video/{content_id}\"></a-video></a-nft></a-scene>\
         <img src=\"/ar/image/{content_id}\"></body></html>\n"
    )))
}

pub async fn delete(
    State(state): State<AppState>,
    _admin: Admin,
    Path(content_id): Path<String>,
) -> Handled<Json<Value>> {
    let row = state
        .db()
        .ar_content(&content_id)?
        .ok_or_else(|| Problem::not_found("AR content not found"))?;
    if let Some(key) = state.key_of(&row.image_path)
        && let Some((dir, _)) = key.rsplit_once('/')
    {
        state.delete_prefix(dir).await?;
    }
    if !state.db().delete_ar_content(&content_id)? {
        return Err(Problem::Detail(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "Не удалось удалить контент из базы данных".to_owned(),
        ));
    }
    Ok(Json(
        json!({"status": "success", "message": format!("AR content {content_id} deleted successfully")}),
    ))
}

/// Names present under both `nft-markers/` (hyphen) and `nft_markers/` (underscore, with all
/// three files): in practice `[]`, as in the service.
pub async fn nft_marker_list(
    State(state): State<AppState>,
    _user: User,
) -> Handled<Json<Vec<Value>>> {
    let hyphen: HashSet<String> = state
        .list(Some("nft-markers"))
        .await
        .into_iter()
        .filter_map(|(key, _)| {
            key.strip_prefix("nft-markers/")
                .and_then(|rest| rest.split('/').next().map(str::to_owned))
        })
        .collect();
    let mut markers = Vec::new();
    for name in hyphen {
        let files = state.list(Some(&format!("nft_markers/{name}"))).await;
        let size = |ext: &str| {
            files
                .iter()
                .find(|(key, _)| key.ends_with(&format!("{name}.{ext}")))
                .map(|(_, size)| *size)
        };
        if let (Some(fset), Some(fset3), Some(iset)) = (size("fset"), size("fset3"), size("iset")) {
            let path = |ext: &str| state.path_of(&format!("nft_markers/{name}/{name}.{ext}"));
            markers.push(json!({"name": name, "fset_path": path("fset"), "fset3_path": path("fset3"), "iset_path": path("iset"), "fset_size": fset, "fset3_size": fset3, "iset_size": iset}));
        }
    }
    Ok(Json(markers))
}
