//! `/portraits/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::{Value, json};

use super::extract::Admin;
use crate::db::Portrait;
use crate::problems::{Handled, Problem};
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Handled<Json<Vec<Portrait>>> {
    let client_id = query
        .get("client_id")
        .map(String::as_str)
        .filter(|id| !id.is_empty());
    Ok(Json(state.db().portraits(client_id)?))
}

pub async fn details(
    State(state): State<AppState>,
    _admin: Admin,
    Path(portrait_id): Path<String>,
) -> Handled<Json<Value>> {
    let db = state.db();
    let portrait = db
        .portrait(&portrait_id)?
        .ok_or_else(|| Problem::not_found("Portrait not found"))?;
    let client = db
        .client(&portrait.client_id)?
        .ok_or_else(|| Problem::not_found("Client not found"))?;
    let videos = db.videos(&portrait_id)?;
    Ok(Json(
        json!({"portrait": portrait, "client": client, "videos": videos}),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    _admin: Admin,
    Path(portrait_id): Path<String>,
) -> Handled<Json<Value>> {
    if state.db().delete_portrait(&portrait_id)? {
        Ok(Json(json!({"message": "Portrait deleted successfully"})))
    } else {
        Err(Problem::not_found("Portrait not found"))
    }
}
