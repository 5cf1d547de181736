//! The REST API under `/api/v1`, one module per area. Each area registers its
//! handlers through `utoipa_axum::routes!`, so the OpenAPI document is built from the
//! very routes that are served.

mod ai;
mod analytics;
mod auth;
mod campaigns;
mod chats;
mod integrations;
mod leo;
mod onboarding;
mod sandbox;
mod ws;

use utoipa_axum::router::OpenApiRouter;

pub(crate) use self::campaigns::encoded::EncodedLists;
use crate::state::AppState;

/// Every area's routes, to be nested under `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .nest("/auth", auth::routes())
        .nest("/ai", ai::routes())
        .nest("/ai/leo", leo::routes())
        .nest("/onboarding", onboarding::routes())
        .nest("/campaigns", campaigns::routes())
        .nest("/integrations", integrations::routes())
        .nest("/chats", chats::routes())
        .nest("/analytics", analytics::routes())
        .nest("/sandbox", sandbox::routes())
        .merge(ws::routes())
}
