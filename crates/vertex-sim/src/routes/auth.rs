//! `/auth/register`, `/auth/login`, `/auth/logout`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, request::Parts};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::extract::User;
use crate::auth::{client_ip, hash_password};
use crate::problems::{Handled, Problem};
use crate::state::AppState;

/// Parses a JSON body as FastAPI does: malformed JSON is a 422 `json_invalid` before
/// anything else runs.
fn json_body(body: &Bytes) -> Result<Value, Problem> {
    serde_json::from_slice(body).map_err(|err| {
        Problem::Validation(vec![json!({
            "type": "json_invalid",
            "loc": ["body", err.column().saturating_sub(1)],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": "Expecting value"},
        })])
    })
}

/// A string field with pydantic's length rules; `None` bounds mean unchecked.
fn string_field<'a>(
    body: &'a Value,
    name: &str,
    bounds: Option<(usize, usize)>,
    errors: &mut Vec<Value>,
) -> Option<&'a str> {
    match body.get(name) {
        None => {
            errors.push(Problem::missing(&["body", name], body));
            None
        }
        Some(Value::String(value)) => {
            if let Some((min, max)) = bounds {
                let length = value.chars().count();
                if length < min {
                    errors.push(json!({"type": "string_too_short", "loc": ["body", name], "msg": format!("String should have at least {min} character{}", if min == 1 { "" } else { "s" }), "input": value, "ctx": {"min_length": min}}));
                    return None;
                }
                if length > max {
                    errors.push(json!({"type": "string_too_long", "loc": ["body", name], "msg": format!("String should have at most {max} characters"), "input": value, "ctx": {"max_length": max}}));
                    return None;
                }
            }
            Some(value)
        }
        Some(other) => {
            errors.push(json!({"type": "string_type", "loc": ["body", name], "msg": "Input should be a valid string", "input": other}));
            None
        }
    }
}

fn credentials(
    body: &Value,
    bounds: Option<((usize, usize), (usize, usize))>,
) -> Result<(String, String), Problem> {
    if !body.is_object() {
        return Err(Problem::Validation(vec![
            json!({"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": body}),
        ]));
    }
    let mut errors = Vec::new();
    let username = string_field(body, "username", bounds.map(|b| b.0), &mut errors);
    let password = string_field(body, "password", bounds.map(|b| b.1), &mut errors);
    match (username, password) {
        (Some(username), Some(password)) if errors.is_empty() => {
            Ok((username.to_owned(), password.to_owned()))
        }
        _ => Err(Problem::Validation(errors)),
    }
}

pub async fn register(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Handled<Response> {
    let body = json_body(&body)?;
    state.auth.check_rate(
        format!("{}:/auth/register", client_ip(&parts)),
        state.config.auth_rate_limit,
    )?;
    let (username, password) = credentials(&body, Some(((1, 150), (1, 256))))?;
    if !state
        .db()
        .create_user(&username, &hash_password(&password), true)?
    {
        return Err(Problem::detail(StatusCode::CONFLICT, "User already exists"));
    }
    Ok((StatusCode::CREATED, Json(json!({"username": username}))).into_response())
}

pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    body: Bytes,
) -> Handled<Json<Value>> {
    let body = json_body(&body)?;
    state.auth.check_rate(
        format!("{}:/auth/login", client_ip(&parts)),
        state.config.auth_rate_limit,
    )?;
    let (username, password) = credentials(&body, None)?;
    state.auth.check_lockout(&username)?;
    let stored = state.db().user(&username)?;
    match stored {
        Some((hashed, _)) if hashed == hash_password(&password) => {
            state.auth.record_success(&username);
            let token = state.auth.issue(&username);
            Ok(Json(json!({"access_token": token, "token_type": "bearer"})))
        }
        _ => Err(state.auth.record_failure(
            &username,
            state.config.max_login_attempts,
            state.config.lockout,
        )),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    user: User,
    parts: Parts,
) -> Handled<StatusCode> {
    state.auth.check_rate(
        format!("{}:/auth/logout", client_ip(&parts)),
        state.config.auth_rate_limit,
    )?;
    state.auth.revoke(&user.token);
    Ok(StatusCode::NO_CONTENT)
}
