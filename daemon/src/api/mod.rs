//! The REST API under `/api/v1`, one module per area.

mod auth;

use axum::Router;

use crate::state::AppState;

/// Every area's routes, to be nested under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().nest("/auth", auth::routes())
}
