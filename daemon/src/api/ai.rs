//! `/api/v1/ai`: what the AI would answer, so the owner can try a campaign before it
//! goes live.

use axum::Json;
use axum::extract::State;
use closer_core::ai::{Conversation, FlowStep, Reply, Turn};
use closer_core::model::{CampaignId, Message, Problem, Sender, ValidationError};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview))
}

/// The most earlier turns a preview may carry: a chat's recent past, not its archive.
const MAX_HISTORY: usize = 50;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewRequest {
    campaign_id: CampaignId,
    /// What the customer writes.
    message: String,
    /// Earlier turns of the conversation, oldest first.
    #[serde(default)]
    history: Vec<PreviewTurn>,
    /// Where the chat flow stands; by default the start when there is no history.
    step: Option<FlowStep>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewTurn {
    from: Sender,
    text: String,
}

/// What the AI would answer a customer of this campaign, with what it understood:
/// nothing is sent and nothing is stored.
#[utoipa::path(post, path = "/preview", tag = "ai", operation_id = "preview_reply",
    security(("bearer" = [])),
    request_body = PreviewRequest,
    responses(
        (status = 200, body = Reply),
        (status = 400, description = "malformed body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "no such campaign", body = ErrorBody),
        (status = 422, description = "an empty or over-long message, or too much history", body = ErrorBody),
    ),
)]
async fn preview(
    State(state): State<AppState>,
    who: Authenticated,
    AppJson(request): AppJson<PreviewRequest>,
) -> Result<Json<Reply>, AppError> {
    let message = request.message.trim();
    if message.is_empty() {
        return Err(ValidationError::new("message", Problem::Empty).into());
    }
    for (field, text) in std::iter::once(("message", message))
        .chain(request.history.iter().map(|t| ("history", t.text.as_str())))
    {
        if text.chars().count() > Message::MAX_TEXT {
            return Err(ValidationError::new(field, Problem::TooLong { max_chars: Message::MAX_TEXT }).into());
        }
    }
    if request.history.len() > MAX_HISTORY {
        return Err(ValidationError::new("history", Problem::TooMany { max_items: MAX_HISTORY }).into());
    }

    let campaign = state.store.get_campaign(who.user_id, request.campaign_id).await?;
    let user = state.store.get_user(who.user_id).await?;
    let knowledge = state.knowledge.current(&state, who.user_id).await?;
    let history: Vec<Turn> =
        request.history.into_iter().map(|t| Turn { from: t.from, text: t.text }).collect();
    let step = request.step.unwrap_or(if history.is_empty() { FlowStep::Greeting } else { FlowStep::Done });
    let incoming = [message.to_owned()];
    let conversation = Conversation {
        business: &user.business,
        campaign: Some(&campaign),
        knowledge: &knowledge,
        history: &history,
        incoming: &incoming,
        step,
    };
    let reply = state.ai.reply(&conversation).await.map_err(|error| {
        // The daemon's responder falls back to the rules, which do not fail: this is
        // a model configured without a fallback.
        AppError::BadGateway { code: "ai_unavailable", message: format!("the AI could not answer: {error}") }
    })?;
    Ok(Json(reply))
}
