//! `/clients/*`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::extract::Admin;
use crate::db::Client;
use crate::problems::{Handled, Problem};
use crate::state::AppState;

pub async fn search(
    State(state): State<AppState>,
    _admin: Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Handled<Json<Vec<Client>>> {
    let phone = query.get("phone").ok_or_else(|| {
        Problem::Validation(vec![Problem::missing(&["query", "phone"], &Value::Null)])
    })?;
    Ok(Json(state.db().search_clients(phone)?))
}

pub async fn list(State(state): State<AppState>, _admin: Admin) -> Handled<Json<Vec<Client>>> {
    Ok(Json(state.db().clients()?))
}

pub async fn get_one(
    State(state): State<AppState>,
    _admin: Admin,
    Path(client_id): Path<String>,
) -> Handled<Json<Client>> {
    state
        .db()
        .client(&client_id)?
        .map(Json)
        .ok_or_else(|| Problem::not_found("Client not found"))
}

/// `ClientUpdate`: optional `phone` (1..20) and `name` (1..150).
fn field<'a>(body: &'a Value, name: &str, max: usize, errors: &mut Vec<Value>) -> Option<&'a str> {
    match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(value)) => {
            let length = value.chars().count();
            if length == 0 {
                errors.push(json!({"type": "string_too_short", "loc": ["body", name], "msg": "String should have at least 1 character", "input": value, "ctx": {"min_length": 1}}));
                None
            } else if length > max {
                errors.push(json!({"type": "string_too_long", "loc": ["body", name], "msg": format!("String should have at most {max} characters"), "input": value, "ctx": {"max_length": max}}));
                None
            } else {
                Some(value)
            }
        }
        Some(other) => {
            errors.push(json!({"type": "string_type", "loc": ["body", name], "msg": "Input should be a valid string", "input": other}));
            None
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    admin: Result<Admin, Problem>,
    body: Bytes,
) -> Handled<Json<Client>> {
    // The JSON body is parsed before dependencies (auth) run.
    let body: Value = serde_json::from_slice(&body).map_err(|err| {
        Problem::Validation(vec![json!({"type": "json_invalid", "loc": ["body", err.column().saturating_sub(1)], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting value"}})])
    })?;
    admin?;
    let mut errors = Vec::new();
    let phone = field(&body, "phone", 20, &mut errors);
    let name = field(&body, "name", 150, &mut errors);
    if !errors.is_empty() {
        return Err(Problem::Validation(errors));
    }
    let db = state.db();
    db.client(&client_id)?
        .ok_or_else(|| Problem::not_found("Client not found"))?;
    // A phone that collides with another client's violates UNIQUE: unhandled, 500.
    db.update_client(&client_id, phone, name)?;
    Ok(Json(
        db.client(&client_id)?
            .ok_or_else(|| Problem::not_found("Client not found"))?,
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    _admin: Admin,
    Path(client_id): Path<String>,
) -> Handled<Json<Value>> {
    if state.db().delete_client(&client_id)? {
        Ok(Json(json!({"message": "Client deleted successfully"})))
    } else {
        Err(Problem::not_found("Client not found"))
    }
}
