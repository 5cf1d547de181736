//! The REST API under `/api/v1`, one module per area. Each area registers its
//! handlers through `utoipa_axum::routes!`, so the OpenAPI document is built from the
//! very routes that are served.

mod ai;
mod auth;
mod campaigns;
mod integrations;
mod onboarding;
mod ws;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every area's routes, to be nested under `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .nest("/auth", auth::routes())
        .nest("/ai", ai::routes())
        .nest("/onboarding", onboarding::routes())
        .nest("/campaigns", campaigns::routes())
        .nest("/integrations", integrations::routes())
        .merge(ws::routes())
}
