//! `/api/v1/chats`: the conversations, newest activity first, with filters; one chat
//! with its messages; and what the owner does in one: take it over from the AI,
//! answer by hand, hand it back, record a sale, close it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use closer_core::events::Event;
use closer_core::model::{
    CampaignStats, Chat, ChatId, ChatMode, ChatQuery, ChatStatus, ChatUpdate, Conversion, Cursor, Message,
    MessageQuery, Metrics, Money, Problem, Timestamp, ValidationError,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::openapi::ErrorBody;
use crate::pipeline;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(takeover))
        .routes(routes!(release))
        .routes(routes!(send))
        .routes(routes!(convert))
        .routes(routes!(close))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    status: Option<ChatStatus>,
    mode: Option<ChatMode>,
    campaign_id: Option<closer_core::model::CampaignId>,
    /// Only chats whose lead score is at least this (0–100).
    min_score: Option<u8>,
    /// Part of the customer's name or id, any case.
    search: Option<String>,
    /// At most this many (default 50, at most 500).
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ChatList {
    chats: Vec<Chat>,
    /// Absent on the last page.
    next_cursor: Option<String>,
}

fn cursor(text: Option<&str>) -> Result<Option<Cursor>, AppError> {
    text.map(|text| {
        Cursor::decode(text).ok_or_else(|| {
            AppError::bad_request("invalid_query", "bad query parameter: cursor is not one this API gave")
        })
    })
    .transpose()
}

/// The business's chats, the latest activity first.
#[utoipa::path(get, path = "/", tag = "chats", operation_id = "list_chats",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = ChatList),
        (status = 400, description = "a bad filter or cursor", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ),
)]
async fn list(
    State(state): State<AppState>,
    who: Authenticated,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<Json<ChatList>, AppError> {
    if query.min_score.is_some_and(|score| score > 100) {
        return Err(AppError::bad_request("invalid_query", "bad query parameter: min_score must be 0-100"));
    }
    let search = query.search.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let chat_query = ChatQuery {
        status: query.status,
        mode: query.mode,
        campaign_id: query.campaign_id,
        min_score: query.min_score,
        search,
        limit: query.limit,
        after: cursor(query.cursor.as_deref())?,
    };
    let page = state.store.list_chats(who.user_id, &chat_query).await?;
    Ok(Json(ChatList { chats: page.items, next_cursor: page.next.map(|c| c.encode()) }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct MessagesQuery {
    /// Messages per page, oldest first (default 50, at most 500).
    limit: Option<usize>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// How the owner may still write to this customer.
#[derive(Debug, Serialize, ToSchema)]
struct ReplyWindow {
    /// Automated replies (and the owner's, as `RESPONSE`) until then.
    automated_until: Option<Timestamp>,
    /// The owner's replies (`HUMAN_AGENT`) until then.
    human_until: Option<Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
struct ChatDetail {
    chat: Chat,
    window: ReplyWindow,
    /// Oldest first.
    messages: Vec<Message>,
    next_cursor: Option<String>,
}

/// One chat with a page of its messages and the reply window.
#[utoipa::path(get, path = "/{id}", tag = "chats", operation_id = "get_chat",
    security(("bearer" = [])),
    params(("id" = ChatId, Path, description = "the chat's id"), MessagesQuery),
    responses(
        (status = 200, body = ChatDetail),
        (status = 400, description = "a bad cursor", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
)]
async fn show(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<ChatId>,
    AppQuery(query): AppQuery<MessagesQuery>,
) -> Result<Json<ChatDetail>, AppError> {
    let chat = state.store.get_chat(who.user_id, id).await?;
    let messages_query = MessageQuery { limit: query.limit, after: cursor(query.cursor.as_deref())? };
    let page = state.store.list_messages(who.user_id, id, &messages_query).await?;
    let window = ReplyWindow {
        automated_until: chat.last_customer_message_at.map(|t| t + std::time::Duration::from_hours(24)),
        human_until: chat.last_customer_message_at.map(|t| t + std::time::Duration::from_hours(24 * 7)),
    };
    Ok(Json(ChatDetail { chat, window, messages: page.items, next_cursor: page.next.map(|c| c.encode()) }))
}

/// Takes the chat over: the AI stays silent in it (even mid-answer) until handed back.
#[utoipa::path(post, path = "/{id}/takeover", tag = "chats", operation_id = "take_over_chat",
    security(("bearer" = [])),
    params(("id" = ChatId, Path, description = "the chat's id")),
    responses((status = 200, body = Chat), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
)]
async fn takeover(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<ChatId>,
) -> Result<Json<Chat>, AppError> {
    let update =
        ChatUpdate { mode: Some(ChatMode::Human), handoff_requested: Some(false), ..ChatUpdate::default() };
    let chat = change(&state, who, id, &update).await?;
    tracing::info!(user = %who.user_id, chat = %id, "the owner took the chat over");
    Ok(Json(chat))
}

/// Hands the chat back to the AI. Where `[pipeline] disclose_bot_on_release` asks for
/// it (the default), the customer is told they are with the assistant again.
#[utoipa::path(post, path = "/{id}/release", tag = "chats", operation_id = "release_chat",
    security(("bearer" = [])),
    params(("id" = ChatId, Path, description = "the chat's id")),
    responses((status = 200, body = Chat), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
)]
async fn release(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<ChatId>,
) -> Result<Json<Chat>, AppError> {
    let before = state.store.get_chat(who.user_id, id).await?;
    let update =
        ChatUpdate { mode: Some(ChatMode::Ai), handoff_requested: Some(false), ..ChatUpdate::default() };
    let chat = change(&state, who, id, &update).await?;
    tracing::info!(user = %who.user_id, chat = %id, "the chat was handed back to the AI");
    if before.mode == ChatMode::Human && state.pipeline.config.disclose_bot_on_release {
        pipeline::tell_back_with_the_assistant(&state, &chat).await;
    }
    Ok(Json(chat))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OwnerMessage {
    /// What to send; over 2,000 characters it goes out in several messages.
    text: String,
}

/// Sends the owner's own message: `RESPONSE` within 24 hours of the customer's last
/// message, `HUMAN_AGENT` up to 7 days, refused after (409). Writing by hand takes
/// the chat over, so the AI does not answer on top of the owner.
#[utoipa::path(post, path = "/{id}/messages", tag = "chats", operation_id = "send_chat_message",
    security(("bearer" = [])),
    params(("id" = ChatId, Path, description = "the chat's id")),
    request_body = OwnerMessage,
    responses(
        (status = 201, description = "sent (the last part, when split)", body = Message),
        (status = 400, description = "malformed body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "outside the 7-day window, no connected page, or the customer \
            cannot be reached", body = ErrorBody),
        (status = 422, description = "empty or over-long text", body = ErrorBody),
        (status = 502, description = "the platform refused or failed; the message is kept as failed",
            body = ErrorBody),
    ),
)]
async fn send(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<ChatId>,
    AppJson(body): AppJson<OwnerMessage>,
) -> Result<(StatusCode, Json<Message>), AppError> {
    let text = body.text.trim();
    if text.is_empty() {
        return Err(ValidationError::new("text", Problem::Empty).into());
    }
    if text.chars().count() > Message::MAX_TEXT {
        return Err(ValidationError::new("text", Problem::TooLong { max_chars: Message::MAX_TEXT }).into());
    }
    let mut chat = state.store.get_chat(who.user_id, id).await?;
    // Refused before anything changes: a message that cannot go out takes nothing over.
    pipeline::check_owner_can_send(&state, &chat).await?;
    if chat.mode == ChatMode::Ai {
        let update = ChatUpdate {
            mode: Some(ChatMode::Human),
            handoff_requested: Some(false),
            ..ChatUpdate::default()
        };
        chat = change(&state, who, id, &update).await?;
    }
    let message = pipeline::send_by_hand(&state, &chat, text).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// The largest order value taken: ten billion in major units, far above any chat sale,
/// far below what the counters can hold.
const MAX_ORDER_MINOR: i64 = 1_000_000_000_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConvertRequest {
    /// The order's value in minor units (cents): 4990 for 49.90.
    amount_minor: i64,
    /// ISO 4217; by default the currency of the chat's campaign price.
    currency: Option<String>,
}

/// Records a sale: the chat is converted and its value counted in the analytics and
/// the campaign's stats. Once per chat (409 after).
#[utoipa::path(post, path = "/{id}/convert", tag = "chats", operation_id = "convert_chat",
    security(("bearer" = [])),
    params(("id" = ChatId, Path, description = "the chat's id")),
    request_body = ConvertRequest,
    responses(
        (status = 200, body = Chat),
        (status = 400, description = "malformed body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "already converted", body = ErrorBody),
        (status = 422, description = "a negative value, or no currency known", body = ErrorBody),
    ),
)]
async fn convert(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<ChatId>,
    AppJson(body): AppJson<ConvertRequest>,
) -> Result<Json<Chat>, AppError> {
    let chat = state.store.get_chat(who.user_id, id).await?;
    if chat.conversion.converted {
        return Err(AppError::Conflict("this chat is already converted".into()));
    }
    if body.amount_minor > MAX_ORDER_MINOR {
        return Err(ValidationError::new(
            "amount_minor",
            Problem::NotAllowed { reason: format!("must be at most {MAX_ORDER_MINOR} (minor units)") },
        )
        .into());
    }
    let currency = match body.currency {
        Some(currency) => currency.trim().to_uppercase(),
        None => campaign_currency(&state, &chat).await?.ok_or_else(|| {
            ValidationError::new(
                "currency",
                Problem::NotAllowed {
                    reason: "is needed: the chat's campaign has no price to take it from".into(),
                },
            )
        })?,
    };
    let value = Money { amount_minor: body.amount_minor, currency };
    value.validate("order_value")?;
    let now = state.clock.now();
    let conversion =
        Conversion { converted: true, order_value: Some(value.clone()), converted_at: Some(now) };
    // Atomic in the store: of two clicks at once, one records the sale, one gets 409.
    let chat = state.store.convert_chat(who.user_id, id, &conversion, now).await?;
    state.events.publish(who.user_id, Event::ChatUpdated { chat: chat.clone() });
    let sale = Metrics { conversions: 1, revenue_minor: value.amount_minor, ..Metrics::default() };
    pipeline::count(&state, &chat, now, &sale).await;
    if let Some(campaign) = chat.campaign_id {
        let won =
            CampaignStats { conversions: 1, revenue_minor: value.amount_minor, ..CampaignStats::default() };
        state.store.add_campaign_stats(who.user_id, campaign, &won).await?;
    }
    tracing::info!(user = %who.user_id, chat = %id, amount_minor = value.amount_minor, "a sale was recorded");
    Ok(Json(chat))
}

/// Closes the chat: the conversation is over (a new message opens it again).
#[utoipa::path(post, path = "/{id}/close", tag = "chats", operation_id = "close_chat",
    security(("bearer" = [])),
    params(("id" = ChatId, Path, description = "the chat's id")),
    responses((status = 200, body = Chat), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
)]
async fn close(
    State(state): State<AppState>,
    who: Authenticated,
    AppPath(id): AppPath<ChatId>,
) -> Result<Json<Chat>, AppError> {
    let update = ChatUpdate {
        status: Some(ChatStatus::Closed),
        handoff_requested: Some(false),
        ..ChatUpdate::default()
    };
    Ok(Json(change(&state, who, id, &update).await?))
}

/// Applies an update and tells the consoles.
async fn change(
    state: &AppState,
    who: Authenticated,
    id: ChatId,
    update: &ChatUpdate,
) -> Result<Chat, AppError> {
    let chat = state.store.update_chat(who.user_id, id, update, state.clock.now()).await?;
    state.events.publish(who.user_id, Event::ChatUpdated { chat: chat.clone() });
    Ok(chat)
}

async fn campaign_currency(state: &AppState, chat: &Chat) -> Result<Option<String>, AppError> {
    let Some(id) = chat.campaign_id else { return Ok(None) };
    match state.store.get_campaign(chat.user_id, id).await {
        Ok(campaign) => Ok(campaign.product.price.map(|price| price.currency)),
        Err(closer_core::store::StoreError::NotFound { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}
