//! `/api/v1/campaigns`: create, list, read, edit and delete campaigns; their status
//! moves and the default mark are in [`transitions`].

mod changes;
pub(crate) mod encoded;
mod transitions;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use closer_core::events::Event;
use closer_core::model::{Campaign, CampaignId, CampaignStatus, Platform, Problem, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::changes::{CampaignChanges, NewCampaign};
use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, update, delete))
        .routes(routes!(transitions::activate))
        .routes(routes!(transitions::pause))
        .routes(routes!(transitions::resume))
        .routes(routes!(transitions::complete))
        .routes(routes!(transitions::make_default))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only campaigns with this status.
    status: Option<CampaignStatus>,
}

/// The business's campaigns, newest first.
#[derive(Debug, Serialize, ToSchema)]
struct CampaignList {
    campaigns: Vec<Campaign>,
}

/// Where a campaign can be read.
fn location(campaign: &Campaign) -> [(header::HeaderName, String); 1] {
    [(header::LOCATION, format!("/api/v1/campaigns/{}", campaign.id))]
}

/// Creates a draft campaign. Only `name` is required; the product, its price and the
/// greeting can follow, but activation needs them.
#[utoipa::path(post, path = "/", tag = "campaigns", operation_id = "create_campaign",
    security(("bearer" = [])),
    request_body = NewCampaign,
    responses(
        (status = 201, body = Campaign, headers(("Location" = String, description = "the new campaign"))),
        (status = 400, description = "malformed body, wrong type or unknown field", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, description = "a value the model refuses, naming the field", body = ErrorBody),
    ),
)]
async fn create(
    State(state): State<AppState>,
    who: Authenticated,
    AppJson(new): AppJson<NewCampaign>,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<Campaign>), AppError> {
    let platform = new.platform.unwrap_or(Platform::Facebook);
    let mut campaign = Campaign::draft(who.user_id, new.name.trim(), platform, state.clock.now());
    new.apply(&mut campaign);
    campaign.validate()?;
    state.store.create_campaign(&campaign).await?;
    tracing::info!(user = %who.user_id, campaign = %campaign.id, "campaign created");
    state.events.publish(who.user_id, Event::CampaignUpdated { campaign: campaign.clone() });
    Ok((StatusCode::CREATED, location(&campaign), Json(campaign)))
}

/// The business's campaigns, newest first; `?status=` keeps those with that status.
#[utoipa::path(get, path = "/", tag = "campaigns", operation_id = "list_campaigns",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = CampaignList),
        (status = 400, description = "unknown status or query parameter", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
)]
async fn list(
    State(state): State<AppState>,
    who: Authenticated,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<([(header::HeaderName, HeaderValue); 1], Bytes), AppError> {
    let campaigns = state.cache.shared_campaigns(who.user_id).await?;
    let body = state
        .campaign_lists
        .body(who.user_id, query.status, &campaigns)
        .map_err(|e| AppError::Internal(format!("cannot encode the campaign list: {e}")))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body))
}

/// One campaign.
#[utoipa::path(get, path = "/{id}", tag = "campaigns", operation_id = "get_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    responses(
        (status = 200, body = Campaign),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn show(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
) -> Result<Json<Campaign>, AppError> {
    Ok(Json(state.store.get_campaign(who.user_id, id).await?))
}

/// Changes the fields sent, if `version` is still the stored one (else 409: reload and
/// apply the change again). The status is changed by the transition routes, not here;
/// an active campaign cannot lose its product name, price or greeting.
#[utoipa::path(patch, path = "/{id}", tag = "campaigns", operation_id = "update_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    request_body = CampaignChanges,
    responses(
        (status = 200, body = Campaign),
        (status = 400, description = "malformed body, no version, wrong type or unknown field",
            body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the campaign changed since that version", body = ErrorBody),
        (status = 422, description = "a value the model refuses, or a status change", body = ErrorBody),
    ),
)]
async fn update(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
    AppJson(changes): AppJson<CampaignChanges>,
) -> Result<Json<Campaign>, AppError> {
    let mut campaign = state.store.get_campaign(who.user_id, id).await?;
    // Checked before the values, so a stale client is told to reload rather than about
    // a problem that may be gone in the current version. The store checks again, in
    // the same write.
    if changes.version != campaign.version {
        return Err(AppError::Conflict(format!(
            "the campaign was changed meanwhile (version {} is stored, this edit is of version {}): \
             reload and retry",
            campaign.version, changes.version
        )));
    }
    changes.apply(&mut campaign)?;
    campaign.validate()?;
    if campaign.status == CampaignStatus::Active {
        let missing = campaign.missing_for_activation();
        if !missing.is_empty() {
            return Err(ValidationError::new(
                missing.join(", "),
                Problem::NotAllowed { reason: "cannot be removed while the campaign is active".into() },
            )
            .into());
        }
    }
    campaign.updated_at = state.clock.now();
    let saved = state.store.update_campaign(&campaign).await?;
    if saved.status == CampaignStatus::Active {
        state.knowledge.schedule(&state, who.user_id);
    }
    state.events.publish(who.user_id, Event::CampaignUpdated { campaign: saved.clone() });
    Ok(Json(saved))
}

/// Deletes a draft. A campaign that was ever activated has chats and numbers that
/// refer to it: complete it instead (409).
#[utoipa::path(delete, path = "/{id}", tag = "campaigns", operation_id = "delete_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not a draft; the message names its status", body = ErrorBody),
    ),
)]
async fn delete(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
) -> Result<StatusCode, AppError> {
    state.store.delete_campaign(who.user_id, id).await?;
    tracing::info!(user = %who.user_id, campaign = %id, "campaign deleted");
    state.events.publish(who.user_id, Event::CampaignDeleted { campaign_id: id });
    Ok(StatusCode::NO_CONTENT)
}
