//! Error responses in the service's exact shapes: `{"detail": "..."}` for handler errors,
//! pydantic-v2 style lists for 422, and `text/plain` `Internal Server Error` for unhandled
//! exceptions, after which the connection is closed as uvicorn closes it.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A failed request.
#[derive(Debug)]
pub enum Problem {
    /// `{"detail": "<message>"}` with this status.
    Detail(StatusCode, String),
    /// A detail response with extra headers (401 `WWW-Authenticate`, 429 `Retry-After`).
    DetailWithHeader(StatusCode, String, header::HeaderName, String),
    /// 422 with pydantic-style errors.
    Validation(Vec<Value>),
    /// 500 `Internal Server Error` as text, like an unhandled exception in FastAPI.
    Internal,
}

impl Problem {
    pub fn detail(status: StatusCode, message: &str) -> Problem {
        Problem::Detail(status, message.to_owned())
    }

    pub fn not_found(message: &str) -> Problem {
        Problem::detail(StatusCode::NOT_FOUND, message)
    }

    pub fn bad_request(message: &str) -> Problem {
        Problem::detail(StatusCode::BAD_REQUEST, message)
    }

    /// A pydantic `missing` error at `loc`.
    pub fn missing(loc: &[&str], input: &Value) -> Value {
        json!({"type": "missing", "loc": loc, "msg": "Field required", "input": input})
    }
}

impl From<rusqlite::Error> for Problem {
    fn from(_: rusqlite::Error) -> Problem {
        // Database errors are unhandled in the service (e.g. a UNIQUE violation): 500.
        Problem::Internal
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        match self {
            Problem::Detail(status, message) => {
                (status, Json(json!({"detail": message}))).into_response()
            }
            Problem::DetailWithHeader(status, message, name, value) => {
                let mut response = (status, Json(json!({"detail": message}))).into_response();
                if let Ok(value) = HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
                response
            }
            Problem::Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({"detail": errors})),
            )
                .into_response(),
            Problem::Internal => internal_error(),
        }
    }
}

/// `500 Internal Server Error`, `text/plain`.
pub fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Internal Server Error",
    )
        .into_response()
}

/// Result type of handlers.
pub type Handled<T> = Result<T, Problem>;

/// Closes the connection after a `500`, as uvicorn does after an unhandled exception, so a
/// client must reconnect; [`crate::AfterServerError::KeepAlive`] keeps it open instead.
pub async fn close_after_server_error(
    State(policy): State<crate::AfterServerError>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && policy == crate::AfterServerError::Close
    {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
