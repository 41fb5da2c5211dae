//! The extractors that authenticate a request against the server's state: [`User`] (a
//! valid bearer token, `HTTPBearer` plus the token lookup) and [`Admin`] (`require_admin`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};

use crate::config::MissingTokenStatus;
use crate::problems::Problem;
use crate::state::AppState;

/// A request with a valid bearer token: `HTTPBearer` + token lookup.
pub struct User {
    pub username: String,
    pub token: String,
}

/// A request by an admin: `require_admin`.
pub struct Admin {
    pub username: String,
}

fn missing(state: &AppState, message: &str) -> Problem {
    match state.config.missing_token_status {
        MissingTokenStatus::Unauthorized => Problem::DetailWithHeader(
            StatusCode::UNAUTHORIZED,
            message.to_owned(),
            header::WWW_AUTHENTICATE,
            "Bearer".to_owned(),
        ),
        MissingTokenStatus::Forbidden => Problem::detail(StatusCode::FORBIDDEN, message),
    }
}

impl FromRequestParts<AppState> for User {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<User, Problem> {
        let Some(value) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(missing(state, "Not authenticated"));
        };
        let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        if scheme.is_empty() {
            return Err(missing(state, "Not authenticated"));
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(missing(state, "Invalid authentication credentials"));
        }
        let token = credentials.trim();
        if token.is_empty() {
            return Err(missing(state, "Not authenticated"));
        }
        match state.auth.verify(token, state.config.session_timeout) {
            Some(username) => Ok(User {
                username,
                token: token.to_owned(),
            }),
            None => Err(Problem::detail(
                StatusCode::UNAUTHORIZED,
                "Token expired or invalid",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, Problem> {
        let user = User::from_request_parts(parts, state).await?;
        let is_admin = state
            .db()
            .user(&user.username)?
            .is_some_and(|(_, admin)| admin);
        if is_admin {
            Ok(Admin {
                username: user.username,
            })
        } else {
            Err(Problem::detail(
                StatusCode::FORBIDDEN,
                "Admin access required",
            ))
        }
    }
}
