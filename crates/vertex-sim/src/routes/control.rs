//! `/__control/faults` (only with `--control`): read or replace the injected faults.

use axum::Json;
use axum::extract::State;

use crate::config::Faults;
use crate::problems::{Handled, Problem};
use crate::state::AppState;

pub async fn get_faults(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(
        serde_json::json!({"faults": state.faults.get(), "leaked_bytes": state.faults.leaked_bytes()}),
    )
}

pub async fn set_faults(
    State(state): State<AppState>,
    body: bytes::Bytes,
) -> Handled<Json<Faults>> {
    let faults: Faults = serde_json::from_slice(&body).map_err(|err| {
        Problem::detail(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &format!("invalid faults: {err}"),
        )
    })?;
    faults.validate().map_err(|err| {
        Problem::detail(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &err.to_string(),
        )
    })?;
    state.faults.set(faults.clone());
    Ok(Json(faults))
}
