//! `/api/v1/sandbox`: play a customer against your own AI, with no Facebook app.
//! A played message goes through the same inbox and workers as a Messenger webhook;
//! the AI's answers arrive as live events (`chat.message`) and in the chat's
//! transcript.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use closer_core::model::{IntegrationStatus, Message, Platform, Problem, ValidationError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticated;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::openapi::ErrorBody;
use crate::pipeline::sandbox::{self, Played};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(play))
}

/// The most characters of a played customer id or name.
const ID_MAX: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PlayedMessage {
    /// Who you are playing: any id; the same id continues the same chat.
    customer_id: String,
    customer_name: Option<String>,
    /// What the customer writes…
    text: Option<String>,
    /// …or the payload of a quick reply they tap…
    quick_reply_payload: Option<String>,
    /// …or of a button they press. Exactly one of the three.
    postback_payload: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct Accepted {
    /// The inbox event: the message is handled as soon as a worker is free.
    key: String,
}

/// Plays one customer message. Answered 202 once it is in the inbox; the reply
/// follows on the live events and in `GET /api/v1/chats`.
#[utoipa::path(post, path = "/messages", tag = "sandbox", operation_id = "play_sandbox_message",
    security(("bearer" = [])),
    request_body = PlayedMessage,
    responses(
        (status = 202, description = "in the inbox", body = Accepted),
        (status = 400, description = "malformed body", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 409, description = "the sandbox is not connected: POST /api/v1/integrations/sandbox",
            body = ErrorBody),
        (status = 422, description = "no customer id, not exactly one of text / quick_reply_payload / \
            postback_payload, or too long", body = ErrorBody),
    ),
)]
async fn play(
    State(state): State<AppState>,
    who: Authenticated,
    AppJson(body): AppJson<PlayedMessage>,
) -> Result<(StatusCode, Json<Accepted>), AppError> {
    let customer_id = body.customer_id.trim();
    closer_core::model::validate::required("customer_id", customer_id, ID_MAX)?;
    let customer_name = body.customer_name.map(|name| name.trim().to_owned()).filter(|name| !name.is_empty());
    if let Some(name) = &customer_name {
        closer_core::model::validate::optional("customer_name", name, ID_MAX)?;
    }
    let played = match (body.text, body.quick_reply_payload, body.postback_payload) {
        (Some(text), None, None) => Played::Text(text),
        (None, Some(payload), None) => Played::QuickReply(payload),
        (None, None, Some(payload)) => Played::Postback(payload),
        _ => {
            return Err(ValidationError::new(
                "text",
                Problem::NotAllowed {
                    reason: "send exactly one of text, quick_reply_payload or postback_payload".into(),
                },
            )
            .into());
        }
    };
    let content = match &played {
        Played::Text(text) | Played::QuickReply(text) | Played::Postback(text) => text,
    };
    closer_core::model::validate::required("text", content, Message::MAX_TEXT)?;

    let connected = state.store.list_integrations(who.user_id).await?.into_iter().any(|integration| {
        integration.platform == Platform::Sandbox && integration.status == IntegrationStatus::Connected
    });
    if !connected {
        return Err(AppError::Conflict(
            "the sandbox is not connected: POST /api/v1/integrations/sandbox (or `closer connect sandbox`) first"
                .into(),
        ));
    }
    let event = sandbox::event(who.user_id, customer_id, customer_name, played, state.clock.now());
    state.store.inbox_enqueue(&event).await?;
    state.pipeline.wake(1);
    Ok((StatusCode::ACCEPTED, Json(Accepted { key: event.key })))
}
