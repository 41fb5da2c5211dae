//! Public routes: health, version, the AR page of a portrait, stored files, metrics.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use crate::VERSION;
use crate::problems::{Handled, Problem};
use crate::state::AppState;

pub async fn health() -> Json<Value> {
    Json(json!({"status": "healthy", "version": VERSION}))
}

pub async fn version() -> Json<Value> {
    Json(json!({"version": VERSION}))
}

pub async fn root() -> Json<Value> {
    Json(json!({"Hello": "Vertex AR (Simplified)"}))
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// `/storage/<key>`: the stored bytes, verbatim.
pub async fn storage(State(state): State<AppState>, Path(key): Path<String>) -> Handled<Response> {
    if key.split('/').any(|segment| segment == "..") {
        return Err(Problem::not_found("Not Found"));
    }
    let bytes = state
        .get(&key)
        .await
        .ok_or_else(|| Problem::not_found("Not Found"))?;
    let content_type = match key.rsplit('.').next() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `/portrait/{id}`: the public AR page; counts a view.
pub async fn portrait_page(
    State(state): State<AppState>,
    Path(portrait_id): Path<String>,
) -> Handled<Html<String>> {
    let db = state.db();
    db.portrait(&portrait_id)?
        .ok_or_else(|| Problem::not_found("Portrait not found"))?;
    let active = db.videos(&portrait_id)?.into_iter().find(|v| v.is_active);
    let video =
        active.ok_or_else(|| Problem::not_found("No active video found for this portrait"))?;
    db.count_portrait_view(&portrait_id)?;
    Ok(Html(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Vertex AR</title>\
         <script src=\"https://aframe.io/releases/1.6.0/aframe.min.js\"></script>\
         <script src=\"https://raw.githack.com/AR-js-org/AR.js/3.4.2/aframe/build/aframe-ar-nft.js\"></script></head>\
         <body><a-scene embedded arjs=\"trackingMethod: best; sourceType: webcam;\">\
         <a-nft type=\"nft\" url=\"/storage/nft_markers/{portrait_id}/{portrait_id}\"><a-video src=\"#v\"></a-video></a-nft>\
         <a-entity camera></a-entity></a-scene><video id=\"v\" src=\"/{}\" loop></video></body></html>\n",
        video.video_path
    )))
}
