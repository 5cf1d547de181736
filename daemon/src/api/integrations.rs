//! `/api/v1/integrations`: connecting the business's Facebook page (its token checked
//! with the Graph API and sealed before it is stored), its status, disconnecting it.
//!
//! A business has one Facebook page at a time: connecting another lets the first go.
//! No answer ever carries a page token, sealed or not.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use closer_core::events::IntegrationSummary;
use closer_core::model::{
    Integration, IntegrationId, IntegrationStatus, Platform, Problem, SealedToken, Timestamp, UserId,
    ValidationError,
};
use closer_core::platform::facebook::GraphError;
use closer_core::store::StoreError;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::openapi::ErrorBody;
use crate::state::AppState;

// Longer than any page id or token Facebook issues: longer is a paste accident.
const PAGE_ID_MAX: usize = 100;
const TOKEN_MAX: usize = 2_000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(connect_facebook, facebook_status, disconnect_facebook))
        .routes(routes!(connect_sandbox, disconnect_sandbox))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConnectFacebook {
    /// The page's numeric id, as shown in the page's settings.
    page_id: String,
    /// A page access token with `pages_messaging` and `pages_manage_metadata`.
    page_access_token: String,
}

// Never derive Debug here: it would print the token.
impl std::fmt::Debug for ConnectFacebook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectFacebook").field("page_id", &self.page_id).finish_non_exhaustive()
    }
}

/// The business's integrations on every platform, disconnected ones included.
#[utoipa::path(get, path = "/", tag = "integrations", security(("bearer" = [])), responses(
    (status = 200, body = Vec<IntegrationSummary>),
    (status = 401, body = ErrorBody),
))]
async fn list(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<Vec<IntegrationSummary>>, AppError> {
    let integrations = state.store.list_integrations(who.user_id).await?;
    Ok(Json(integrations.iter().map(IntegrationSummary::from).collect()))
}

/// Connects a Facebook page: checks the token with the Graph API (it must be the
/// page's own), subscribes the page to the app's webhook and stores the token
/// encrypted. Connecting again (a new token) updates it: 200 instead of 201.
#[utoipa::path(post, path = "/facebook", tag = "integrations", security(("bearer" = [])),
    request_body = ConnectFacebook,
    responses(
        (status = 201, description = "connected", body = IntegrationSummary),
        (status = 200, description = "connected again with a new token", body = IntegrationSummary),
        (status = 400, description = "missing fields or wrong types", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 409, description = "the page is connected to another business", body = ErrorBody),
        (status = 422, description = "`invalid` field, `token_invalid` (invalid or expired), \
            `wrong_page` (the token is another page's), `permission_denied`, `graph_refused`",
            body = ErrorBody),
        (status = 502, description = "`graph_unreachable` or `graph_error`: try again later", body = ErrorBody),
    ))]
async fn connect_facebook(
    State(state): State<AppState>,
    who: Authenticated,
    AppJson(request): AppJson<ConnectFacebook>,
) -> Result<(StatusCode, Json<IntegrationSummary>), AppError> {
    let page_id = request.page_id.trim();
    let token = request.page_access_token.trim();
    check_page_id(page_id)?;
    check_token(token)?;

    let identity = state.graph.page_identity(token).await.map_err(|e| graph_refusal(&e, page_id))?;
    if identity.id != page_id {
        return Err(AppError::Unprocessable {
            code: "wrong_page",
            message: format!(
                "this token belongs to {:?} (id {}), not to page {page_id}: use page {page_id}'s own \
                 page access token",
                identity.name, identity.id
            ),
        });
    }
    state.graph.subscribe_page(page_id, token).await.map_err(|e| graph_refusal(&e, page_id))?;

    let sealed = state.sealer.seal(token).map_err(|e| AppError::Internal(format!("sealing a token: {e}")))?;
    let now = state.clock.now();
    let new = Integration {
        id: IntegrationId::new(),
        user_id: who.user_id,
        platform: Platform::Facebook,
        page_id: page_id.to_owned(),
        page_name: identity.name,
        token: sealed,
        status: IntegrationStatus::Connected,
        connected_at: now,
        updated_at: now,
    };
    let stored = state.store.upsert_integration(&new).await?;
    for other in facebook_integrations(&state, who.user_id).await? {
        if other.id != stored.id && other.status != IntegrationStatus::Disconnected {
            disconnect(&state, other, now).await?;
        }
    }
    tracing::info!(user = %who.user_id, page_id, "facebook page connected");
    let status = if stored.id == new.id { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(IntegrationSummary::from(&stored))))
}

/// The business's Facebook page and whether it works (`needs_reconnect`: Facebook
/// refused the token; connect again with a new one).
#[utoipa::path(get, path = "/facebook", tag = "integrations", security(("bearer" = [])), responses(
    (status = 200, body = IntegrationSummary),
    (status = 401, body = ErrorBody),
    (status = 404, description = "no page was ever connected", body = ErrorBody),
))]
async fn facebook_status(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<IntegrationSummary>, AppError> {
    let current = current(facebook_integrations(&state, who.user_id).await?)?;
    Ok(Json(IntegrationSummary::from(&current)))
}

/// Disconnects the Facebook page: nothing more is sent or answered there, the token
/// is forgotten, and another business may connect the page. Repeating it is harmless.
#[utoipa::path(delete, path = "/facebook", tag = "integrations", security(("bearer" = [])), responses(
    (status = 200, description = "disconnected", body = IntegrationSummary),
    (status = 401, body = ErrorBody),
    (status = 404, description = "no page was ever connected", body = ErrorBody),
))]
async fn disconnect_facebook(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<IntegrationSummary>, AppError> {
    let now = state.clock.now();
    let mut after = Vec::new();
    for integration in facebook_integrations(&state, who.user_id).await? {
        if integration.status == IntegrationStatus::Disconnected {
            after.push(integration);
        } else {
            tracing::info!(user = %who.user_id, page_id = %integration.page_id, "facebook page disconnected");
            after.push(disconnect(&state, integration, now).await?);
        }
    }
    Ok(Json(IntegrationSummary::from(&current(after)?)))
}

/// Connects the sandbox: a pretend page where the owner plays the customer
/// (`POST /api/v1/sandbox/messages`) and sees the AI answer, with no Facebook app.
/// Connecting again is harmless: 200 with the same integration.
#[utoipa::path(post, path = "/sandbox", tag = "integrations", security(("bearer" = [])),
    responses(
        (status = 201, description = "connected", body = IntegrationSummary),
        (status = 200, description = "it was connected already", body = IntegrationSummary),
        (status = 401, body = ErrorBody),
    ))]
async fn connect_sandbox(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<(StatusCode, Json<IntegrationSummary>), AppError> {
    let now = state.clock.now();
    let existing = state.store.list_integrations(who.user_id).await?;
    if let Some(live) =
        existing.iter().find(|i| i.platform == Platform::Sandbox && i.status == IntegrationStatus::Connected)
    {
        return Ok((StatusCode::OK, Json(IntegrationSummary::from(live))));
    }
    // A sandbox disconnected earlier is the same page: the upsert connects it again.
    let stored =
        state.store.upsert_integration(&crate::pipeline::sandbox::integration(who.user_id, now)).await?;
    tracing::info!(user = %who.user_id, "sandbox connected");
    Ok((StatusCode::CREATED, Json(IntegrationSummary::from(&stored))))
}

/// Disconnects the sandbox: played messages are refused until it is connected again.
#[utoipa::path(delete, path = "/sandbox", tag = "integrations", security(("bearer" = [])), responses(
    (status = 200, description = "disconnected", body = IntegrationSummary),
    (status = 401, body = ErrorBody),
    (status = 404, description = "the sandbox was never connected", body = ErrorBody),
))]
async fn disconnect_sandbox(
    State(state): State<AppState>,
    who: Authenticated,
) -> Result<Json<IntegrationSummary>, AppError> {
    let sandbox = state
        .store
        .list_integrations(who.user_id)
        .await?
        .into_iter()
        .find(|i| i.platform == Platform::Sandbox)
        .ok_or(AppError::NotFound { what: "sandbox integration" })?;
    let now = state.clock.now();
    let released = Integration { status: IntegrationStatus::Disconnected, updated_at: now, ..sandbox };
    let stored = state.store.upsert_integration(&released).await?;
    Ok(Json(IntegrationSummary::from(&stored)))
}

async fn facebook_integrations(state: &AppState, tenant: UserId) -> Result<Vec<Integration>, StoreError> {
    let mut all = state.store.list_integrations(tenant).await?;
    all.retain(|integration| integration.platform == Platform::Facebook);
    Ok(all)
}

/// The one to show: a live one before a disconnected one, then the latest changed.
fn current(integrations: Vec<Integration>) -> Result<Integration, AppError> {
    integrations
        .into_iter()
        .max_by_key(|i| (i.status != IntegrationStatus::Disconnected, i.updated_at, i.id))
        .ok_or(AppError::NotFound { what: "facebook integration" })
}

/// Marks it disconnected and drops its token: a page let go keeps no credential.
async fn disconnect(
    state: &AppState,
    integration: Integration,
    now: Timestamp,
) -> Result<Integration, StoreError> {
    let released = Integration {
        status: IntegrationStatus::Disconnected,
        token: SealedToken(String::new()),
        updated_at: now,
        ..integration
    };
    state.store.upsert_integration(&released).await
}

fn check_page_id(page_id: &str) -> Result<(), ValidationError> {
    if page_id.is_empty() {
        return Err(ValidationError::new("page_id", Problem::Empty));
    }
    if page_id.chars().count() > PAGE_ID_MAX {
        return Err(ValidationError::new("page_id", Problem::TooLong { max_chars: PAGE_ID_MAX }));
    }
    if !page_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::new(
            "page_id",
            Problem::Malformed { expected: "the page's numeric id" },
        ));
    }
    Ok(())
}

fn check_token(token: &str) -> Result<(), ValidationError> {
    if token.is_empty() {
        return Err(ValidationError::new("page_access_token", Problem::Empty));
    }
    if token.chars().count() > TOKEN_MAX {
        return Err(ValidationError::new("page_access_token", Problem::TooLong { max_chars: TOKEN_MAX }));
    }
    if token.chars().any(char::is_whitespace) {
        let expected = "a page access token (no spaces)";
        return Err(ValidationError::new("page_access_token", Problem::Malformed { expected }));
    }
    Ok(())
}

/// What the owner can do about a Graph failure decides the answer: fix the token or
/// its permissions (422), or wait (502).
fn graph_refusal(error: &GraphError, page_id: &str) -> AppError {
    let unprocessable = |code, message| AppError::Unprocessable { code, message };
    let bad_gateway = |code, message| AppError::BadGateway { code, message };
    if error.is_token_invalid() {
        tracing::info!(page_id, %error, "page token refused by Graph");
        return unprocessable(
            "token_invalid",
            format!("token invalid or expired ({error}): create a new page access token and connect again"),
        );
    }
    if error.is_permission_denied() {
        tracing::info!(page_id, %error, "page token lacks a permission");
        return unprocessable(
            "permission_denied",
            format!("{error}: the token needs the pages_messaging and pages_manage_metadata permissions"),
        );
    }
    tracing::warn!(page_id, %error, "Graph API call failed");
    match error {
        GraphError::Unreachable(_) => bad_gateway("graph_unreachable", format!("{error}; try again later")),
        GraphError::Api { .. } if !error.is_transient() => {
            unprocessable("graph_refused", format!("Facebook refused the page: {error}"))
        }
        _ => bad_gateway("graph_error", format!("the Graph API failed: {error}; try again later")),
    }
}
