//! The router: every endpoint of the contract (§6), then the fallbacks.

mod admin;
mod ar;
mod auth;
mod clients;
mod control;
mod extract;
mod orders;
mod portraits;
mod public;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post, put};

use crate::problems::Problem;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/health", get(public::health))
        .route("/version", get(public::version))
        .route("/", get(public::root))
        .route("/metrics", get(public::metrics))
        .route("/storage/{*path}", get(public::storage))
        .route("/portrait/{portrait_id}", get(public::portrait_page))
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/orders/create", post(orders::create_order))
        .route("/videos/add", post(orders::add_video))
        .route("/videos/list/{portrait_id}", get(orders::list_videos))
        .route("/videos/{video_id}/activate", put(orders::activate_video))
        .route(
            "/videos/{video_id}",
            axum::routing::delete(orders::delete_video),
        )
        .route("/clients/search", get(clients::search))
        .route("/clients/list", get(clients::list))
        .route(
            "/clients/{client_id}",
            get(clients::get_one)
                .put(clients::update)
                .delete(clients::delete),
        )
        .route("/portraits/list", get(portraits::list))
        .route("/portraits/{portrait_id}/details", get(portraits::details))
        .route(
            "/portraits/{portrait_id}",
            axum::routing::delete(portraits::delete),
        )
        .route("/admin/system-info", get(admin::system_info))
        .route("/admin/storage-info", get(admin::storage_info))
        .route("/admin/content-stats", get(admin::content_stats))
        .route("/ar/upload", post(ar::upload))
        .route("/ar/list", get(ar::list))
        .route("/ar/{content_id}", get(ar::page).delete(ar::delete))
        .route("/nft-marker/list", get(ar::nft_marker_list));
    if state.config.control {
        router = router.route(
            "/__control/faults",
            get(control::get_faults).post(control::set_faults),
        );
    }
    router
        .fallback(|| async { Problem::not_found("Not Found") })
        .method_not_allowed_fallback(|| async {
            Problem::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state.faults),
            crate::faults::apply,
        ))
        .layer(middleware::from_fn_with_state(
            state.config.after_server_error,
            crate::problems::close_after_server_error,
        ))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state.metrics),
            crate::metrics::record,
        ))
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}
