//! `/api/v1/ai/leo`: the owner asks Leo about their own numbers and chats; the
//! conversation is kept so that a question can follow up on the one before.

use axum::Json;
use axum::extract::State;
use closer_core::ai::leo::{Leo, LeoError, ToolCallRecord};
use closer_core::events::Event;
use closer_core::model::{LeoConversation, LeoConversationId, Problem, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath};
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ask)).routes(routes!(conversation))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AskLeo {
    /// The question, at most 4,000 characters.
    message: String,
    /// The conversation to continue; without it a new one starts.
    #[serde(default)]
    conversation_id: Option<LeoConversationId>,
}

/// Leo's answer, and the facts it was built from.
#[derive(Debug, Serialize, ToSchema)]
struct LeoReply {
    /// Pass it back to continue the conversation.
    conversation_id: LeoConversationId,
    answer: String,
    /// Who worded the answer: `rules` or `openai`.
    provider: String,
    /// The read-only tool calls the figures come from, in order.
    tools: Vec<ToolCallRecord>,
}

/// Asks Leo a question about the business's own data. Without a `conversation_id` a
/// new conversation starts; the question and the answer are kept in it either way.
#[utoipa::path(post, path = "/", tag = "ai", operation_id = "ask_leo",
    security(("bearer" = [])),
    request_body = AskLeo,
    responses(
        (status = 200, body = LeoReply),
        (status = 400, description = "malformed body, wrong type or unknown field", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "no such conversation", body = ErrorBody),
        (status = 422, description = "an empty or over-long message", body = ErrorBody),
    ),
)]
async fn ask(
    State(state): State<AppState>,
    who: Authenticated,
    AppJson(request): AppJson<AskLeo>,
) -> Result<Json<LeoReply>, AppError> {
    let message = request.message.trim();
    if message.is_empty() {
        return Err(ValidationError::new("message", Problem::Empty).into());
    }
    if message.chars().count() > Leo::MAX_QUESTION_CHARS {
        let problem = Problem::TooLong { max_chars: Leo::MAX_QUESTION_CHARS };
        return Err(ValidationError::new("message", problem).into());
    }
    let now = state.clock.now();
    let mut conversation = match request.conversation_id {
        Some(id) => state.store.get_leo_conversation(who.user_id, id).await?,
        None => LeoConversation::new(who.user_id, now),
    };
    let answer = state.leo.ask(&*state.store, who.user_id, &mut conversation, message, now).await.map_err(
        |error| match error {
            LeoError::Invalid(message) => AppError::Unprocessable { code: "invalid", message },
            LeoError::NotFound => AppError::NotFound { what: "Leo conversation" },
            LeoError::Store(error) => error.into(),
        },
    )?;
    state.store.save_leo_conversation(&conversation).await?;
    if let Some(error) = &answer.provider_failed {
        state.events.publish(
            who.user_id,
            Event::AiProviderFailed {
                provider: "openai".to_owned(),
                error: error.clone(),
                chat_id: None,
                fell_back: true,
            },
        );
    }
    Ok(Json(LeoReply {
        conversation_id: conversation.id,
        answer: answer.text,
        provider: answer.provider,
        tools: answer.tools,
    }))
}

/// A conversation with Leo: its turns, oldest first.
#[utoipa::path(get, path = "/{id}", tag = "ai", operation_id = "get_leo_conversation",
    security(("bearer" = [])),
    params(("id" = LeoConversationId, Path, description = "the conversation's id")),
    responses(
        (status = 200, body = LeoConversation),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn conversation(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<LeoConversationId>,
) -> Result<Json<LeoConversation>, AppError> {
    Ok(Json(state.store.get_leo_conversation(who.user_id, id).await?))
}
