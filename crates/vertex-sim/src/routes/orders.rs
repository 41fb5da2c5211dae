//! `/orders/create` and the `/videos/*` routes.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use serde_json::{Value, json};

use super::extract::Admin;
use crate::db::{NewPortrait, Video};
use crate::media;
use crate::problems::{Handled, Problem};
use crate::state::AppState;
use crate::uploads::{Expect, FilePart, Form};

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What the image work produced.
pub(super) struct Processed {
    pub(super) preview: Option<Vec<u8>>,
    /// `None` when the marker generator would reject the image.
    pub(super) markers: Option<[Vec<u8>; 3]>,
}

/// Decodes, previews and builds markers on a blocking thread: real CPU, as in the service.
pub(super) async fn process_image(bytes: bytes::Bytes, marker_cost: bool) -> Processed {
    tokio::task::spawn_blocking(move || {
        let Some(image) = media::decode(&bytes) else {
            return Processed {
                preview: None,
                markers: None,
            };
        };
        let preview = Some(media::preview_jpeg(&image));
        let markers = media::acceptable(&image).then(|| media::markers(&image, marker_cost));
        Processed { preview, markers }
    })
    .await
    .unwrap_or(Processed {
        preview: None,
        markers: None,
    })
}

/// The service's reaction to an image the marker generator rejects: an unhandled
/// `ValueError` (500 text), or with `--strict-errors` a documented 422.
pub(super) fn rejected_image(state: &AppState) -> Problem {
    if state.config.strict_errors {
        Problem::Validation(vec![json!({
            "type": "value_error",
            "loc": ["body", "image"],
            "msg": format!("Value error, Image validation failed: the image must decode and be {}-{} px in both dimensions", media::MIN_SIDE, media::MAX_SIDE),
            "input": null,
        })])
    } else {
        Problem::Internal
    }
}

pub(super) fn check_types(image: Option<&FilePart>, video: &FilePart) -> Result<(), Problem> {
    if let Some(image) = image
        && !image.has_type("image/")
    {
        return Err(Problem::bad_request("Invalid image file"));
    }
    if !video.has_type("video/") {
        return Err(Problem::bad_request("Invalid video file"));
    }
    Ok(())
}

pub async fn create_order(
    State(state): State<AppState>,
    _admin: Admin,
    multipart: Result<Multipart, MultipartRejection>,
) -> Handled<Json<Value>> {
    let form = Form::read(multipart).await?;
    form.validate(&[
        Expect::Text("phone"),
        Expect::Text("name"),
        Expect::File("image"),
        Expect::File("video"),
    ])?;
    let (image, video) = (
        form.file("image").expect("validated"),
        form.file("video").expect("validated"),
    );
    check_types(Some(image), video)?;
    let (phone, name) = (form.text("phone"), form.text("name"));

    // Find-or-create under one lock: concurrent orders with the same new phone share the
    // client, as under the service's single worker.
    let client = {
        let db = state.db();
        match db.client_by_phone(phone)? {
            Some(client) => client,
            None => db.insert_client(&new_id(), phone, name)?,
        }
    };
    let (portrait_id, video_id) = (new_id(), new_id());
    let dir = format!("clients/{}/{portrait_id}", client.id);
    let image_key = format!("{dir}/{portrait_id}.jpg");
    let video_key = format!("{dir}/{video_id}.mp4");
    state.put(&image_key, image.bytes.clone()).await?;
    state.put(&video_key, video.bytes.clone()).await?;

    let processed = process_image(image.bytes.clone(), state.config.marker_cost).await;
    let preview_key = format!("{dir}/{portrait_id}_preview.jpg");
    if let Some(preview) = processed.preview {
        state.put(&preview_key, preview.into()).await?;
    }
    // Files (and a new client row) are already written, as in the service: orphans stay.
    let markers = processed.markers.ok_or_else(|| rejected_image(&state))?;
    let marker_keys = ["fset", "fset3", "iset"]
        .map(|ext| format!("nft_markers/{portrait_id}/{portrait_id}.{ext}"));
    for (key, bytes) in marker_keys.iter().zip(markers) {
        state.put(key, bytes.into()).await?;
    }
    let permanent_link = format!("{}/portrait/{portrait_id}", state.base_url);
    let qr_code = media::qr_png_base64(&permanent_link);
    let marker_paths = marker_keys.map(|k| state.path_of(&k));
    let db = state.db();
    let portrait = db.insert_portrait(&NewPortrait {
        id: &portrait_id,
        client_id: &client.id,
        image_path: &state.path_of(&image_key),
        image_preview_path: Some(&state.path_of(&preview_key)),
        markers: [&marker_paths[0], &marker_paths[1], &marker_paths[2]],
        permanent_link: &permanent_link,
        qr_code: &qr_code,
    })?;
    let video = db.insert_video(&video_id, &portrait_id, &state.path_of(&video_key), true)?;
    Ok(Json(
        json!({"client": client, "portrait": portrait, "video": video}),
    ))
}

pub async fn add_video(
    State(state): State<AppState>,
    _admin: Admin,
    multipart: Result<Multipart, MultipartRejection>,
) -> Handled<Json<Video>> {
    let form = Form::read(multipart).await?;
    form.validate(&[Expect::Text("portrait_id"), Expect::File("video")])?;
    let video = form.file("video").expect("validated");
    check_types(None, video)?;
    let portrait = state
        .db()
        .portrait(form.text("portrait_id"))?
        .ok_or_else(|| Problem::not_found("Portrait not found"))?;
    let video_id = new_id();
    let image_key = state
        .key_of(&portrait.image_path)
        .ok_or(Problem::Internal)?;
    let dir = image_key.rsplit_once('/').map_or("", |(dir, _)| dir);
    let video_key = format!("{dir}/{video_id}.mp4");
    state.put(&video_key, video.bytes.clone()).await?;
    Ok(Json(state.db().insert_video(
        &video_id,
        &portrait.id,
        &state.path_of(&video_key),
        false,
    )?))
}

pub async fn list_videos(
    State(state): State<AppState>,
    _admin: Admin,
    Path(portrait_id): Path<String>,
) -> Handled<Json<Vec<Video>>> {
    Ok(Json(state.db().videos(&portrait_id)?))
}

pub async fn activate_video(
    State(state): State<AppState>,
    _admin: Admin,
    Path(video_id): Path<String>,
) -> Handled<Json<Video>> {
    let mut db = state.db();
    let video = db
        .video(&video_id)?
        .ok_or_else(|| Problem::not_found("Video not found"))?;
    db.activate_video(&video)?;
    Ok(Json(
        db.video(&video_id)?
            .ok_or_else(|| Problem::not_found("Video not found"))?,
    ))
}

pub async fn delete_video(
    State(state): State<AppState>,
    _admin: Admin,
    Path(video_id): Path<String>,
) -> Handled<Json<Value>> {
    let db = state.db();
    let video = db
        .video(&video_id)?
        .ok_or_else(|| Problem::not_found("Video not found"))?;
    if video.is_active && db.videos(&video.portrait_id)?.len() == 1 {
        return Err(Problem::bad_request("Cannot delete the last active video"));
    }
    db.delete_video(&video_id)?;
    Ok(Json(json!({"message": "Video deleted successfully"})))
}
