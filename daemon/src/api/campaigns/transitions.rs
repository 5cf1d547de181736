//! A campaign's status moves (`activate`, `pause`, `resume`, `complete`) and the
//! default mark. Moves carry no version: they apply to the campaign as it is stored
//! now, and an edit racing one makes it decide again rather than fail.

use axum::Json;
use axum::extract::State;
use closer_core::events::Event;
use closer_core::model::{Campaign, CampaignId, CampaignStatus, Transition, TransitionError};
use closer_core::store::StoreError;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::AppPath;
use crate::openapi::ErrorBody;
use crate::state::AppState;

/// How often a move is decided again when an edit lands between its read and write.
const ATTEMPTS: usize = 5;

async fn make_move(
    state: &AppState,
    who: Authenticated,
    id: CampaignId,
    action: Transition,
) -> Result<Campaign, AppError> {
    for _ in 0..ATTEMPTS {
        let mut campaign = state.store.get_campaign(who.user_id, id).await?;
        let from = campaign.status;
        campaign.transition(action, state.clock.now()).map_err(refusal)?;
        match state.store.update_campaign(&campaign).await {
            // Only the version can clash: someone else wrote first. Decide on theirs.
            Err(StoreError::Conflict(_)) => {}
            Ok(saved) => {
                let to = saved.status;
                tracing::info!(user = %who.user_id, campaign = %id, %from, %to, "campaign moved");
                if from == CampaignStatus::Active || to == CampaignStatus::Active {
                    // The AI learns from the active campaigns only.
                    state.knowledge.schedule(state, who.user_id);
                }
                state.events.publish(who.user_id, Event::CampaignUpdated { campaign: saved.clone() });
                return Ok(saved);
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(AppError::Conflict("the campaign kept changing meanwhile: reload and try again".into()))
}

/// An illegal move clashes with the current status (409, naming it); an activation
/// without what it needs is a problem with the campaign's values (422, naming them).
fn refusal(error: TransitionError) -> AppError {
    match error {
        TransitionError::Illegal { .. } => AppError::Conflict(error.to_string()),
        TransitionError::NotReady { missing } => AppError::Unprocessable {
            code: "not_ready",
            message: format!("campaign cannot be activated yet: missing {}", missing.join(", ")),
        },
    }
}

/// Draft → active. Needs a product name, a price and a greeting.
#[utoipa::path(post, path = "/{id}/activate", tag = "campaigns", operation_id = "activate_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    responses(
        (status = 200, body = Campaign),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not a draft; the message names its status", body = ErrorBody),
        (status = 422, description = "product name, price or greeting missing; the message names them",
            body = ErrorBody),
    ),
)]
pub(super) async fn activate(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
) -> Result<Json<Campaign>, AppError> {
    make_move(&state, who, id, Transition::Activate).await.map(Json)
}

/// Active → paused: no new chats join it, and it stops being the default.
#[utoipa::path(post, path = "/{id}/pause", tag = "campaigns", operation_id = "pause_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    responses(
        (status = 200, body = Campaign),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not active; the message names its status", body = ErrorBody),
    ),
)]
pub(super) async fn pause(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
) -> Result<Json<Campaign>, AppError> {
    make_move(&state, who, id, Transition::Pause).await.map(Json)
}

/// Paused → active (the default mark is not given back: set it again).
#[utoipa::path(post, path = "/{id}/resume", tag = "campaigns", operation_id = "resume_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    responses(
        (status = 200, body = Campaign),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not paused; the message names its status", body = ErrorBody),
        (status = 422, description = "product name, price or greeting missing", body = ErrorBody),
    ),
)]
pub(super) async fn resume(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
) -> Result<Json<Campaign>, AppError> {
    make_move(&state, who, id, Transition::Resume).await.map(Json)
}

/// Active or paused → completed, for good.
#[utoipa::path(post, path = "/{id}/complete", tag = "campaigns", operation_id = "complete_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    responses(
        (status = 200, body = Campaign),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "a draft or completed already; the message names its status",
            body = ErrorBody),
    ),
)]
pub(super) async fn complete(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
) -> Result<Json<Campaign>, AppError> {
    make_move(&state, who, id, Transition::Complete).await.map(Json)
}

/// Makes an active campaign its platform's default: chats that arrive without naming a
/// campaign join it. The previous default of that platform loses the mark.
#[utoipa::path(post, path = "/{id}/default", tag = "campaigns", operation_id = "set_default_campaign",
    security(("bearer" = [])),
    params(("id" = CampaignId, Path, description = "the campaign's id")),
    responses(
        (status = 200, body = Campaign),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "not active; the message names its status", body = ErrorBody),
    ),
)]
pub(super) async fn make_default(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<CampaignId>,
) -> Result<Json<Campaign>, AppError> {
    // The default it replaces changes too: consoles hear of both.
    let before: Vec<CampaignId> = state
        .store
        .list_campaigns(who.user_id, Some(CampaignStatus::Active))
        .await?
        .into_iter()
        .filter(|campaign| campaign.is_default && campaign.id != id)
        .map(|campaign| campaign.id)
        .collect();
    let campaign = state.store.set_default_campaign(who.user_id, id, state.clock.now()).await?;
    let platform = campaign.platform;
    tracing::info!(user = %who.user_id, campaign = %id, %platform, "default campaign set");
    for previous in before {
        let previous = state.store.get_campaign(who.user_id, previous).await?;
        if !previous.is_default {
            state.events.publish(who.user_id, Event::CampaignUpdated { campaign: previous });
        }
    }
    state.events.publish(who.user_id, Event::CampaignUpdated { campaign: campaign.clone() });
    Ok(Json(campaign))
}
