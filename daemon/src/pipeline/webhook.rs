//! `GET /webhooks/facebook` (the subscription handshake) and `POST /webhooks/facebook`
//! (events): signature checked on the raw bytes, every event written to the inbox,
//! then 200 — no AI and no Graph call before it. Facebook redelivers until it gets a
//! 200, so an answer other than 200 is only for what a retry cannot fix (403) or a
//! store that is down (503, retried by Facebook later: nothing is lost).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use closer_core::model::{Enqueued, IntegrationStatus, Platform, UserId};
use closer_core::platform::facebook::webhook::{SIGNATURE_HEADER, parse_batch, verify_signature};
use serde::Deserialize;

use super::item::InboxItem;
use crate::error::AppError;
use crate::state::AppState;

/// The most a webhook POST may carry. Messenger batches are small (a few KiB); this
/// leaves room for long texts and many events without letting anyone post megabytes.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/facebook", get(handshake).post(receive))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT_BYTES))
}

#[derive(Debug, Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Facebook checks the webhook URL is ours: mode `subscribe` and our verify token get
/// the challenge back as plain text; anything else is 403.
async fn handshake(State(state): State<AppState>, Query(query): Query<Handshake>) -> impl IntoResponse {
    let expected = &state.settings.facebook_verify_token.0;
    let matches = !expected.is_empty()
        && query.mode.as_deref() == Some("subscribe")
        && query
            .verify_token
            .as_deref()
            .is_some_and(|token| constant_time_eq(token.as_bytes(), expected.as_bytes()));
    if matches && let Some(challenge) = query.challenge {
        tracing::info!("Facebook webhook subscription verified");
        return (StatusCode::OK, challenge).into_response();
    }
    if expected.is_empty() {
        tracing::warn!("webhook handshake refused: set [facebook] verify_token to subscribe");
    } else {
        tracing::warn!("webhook handshake refused: wrong mode or verify token");
    }
    AppError::Forbidden { code: "forbidden", message: "verification failed".into() }.into_response()
}

async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<&'static str, AppError> {
    let secret = &state.settings.facebook_app_secret.0;
    if secret.is_empty() {
        tracing::warn!("a webhook was refused: set [facebook] app_secret to receive Messenger events");
        return Err(AppError::Forbidden {
            code: "webhooks_disabled",
            message: "webhooks are not configured on this server".into(),
        });
    }
    let signature = headers.get(SIGNATURE_HEADER).and_then(|value| value.to_str().ok());
    if let Err(error) = verify_signature(secret, &body, signature) {
        tracing::warn!(%error, bytes = body.len(), "a webhook with a bad signature was refused");
        metrics::counter!(crate::metrics::WEBHOOK_EVENTS, "outcome" => "bad_signature").increment(1);
        return Err(AppError::Forbidden { code: "bad_signature", message: error.to_string() });
    }
    let events =
        parse_batch(&body).map_err(|error| AppError::bad_request("malformed_webhook", error.to_string()))?;

    let now = state.clock.now();
    let mut stored = 0;
    for parsed in events {
        let event = match parsed {
            Ok(event) => event,
            Err(error) => {
                tracing::warn!(%error, "a webhook event could not be read; the rest of the batch is kept");
                metrics::counter!(crate::metrics::WEBHOOK_EVENTS, "outcome" => "unreadable").increment(1);
                continue;
            }
        };
        let Some(tenant) = tenant_of(&state, &event.page_id).await? else {
            tracing::warn!(page = %event.page_id, "an event for a page no business has connected was dropped");
            metrics::counter!(crate::metrics::WEBHOOK_EVENTS, "outcome" => "unknown_page").increment(1);
            continue;
        };
        let outcome = state.store.inbox_enqueue(&InboxItem::from_webhook(&event, tenant, now)).await?;
        let new = outcome == Enqueued::New;
        let outcome = if new { "stored" } else { "duplicate" };
        metrics::counter!(crate::metrics::WEBHOOK_EVENTS, "outcome" => outcome).increment(1);
        stored += usize::from(new);
    }
    state.pipeline.wake(stored);
    Ok("EVENT_RECEIVED")
}

/// Compares without leaking, through timing, how much of a secret matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The business whose connected page this is. The store's read cache remembers the
/// lookup, so a burst costs one read, and a page connected or disconnected through
/// this process is seen at once.
async fn tenant_of(state: &AppState, page_id: &str) -> Result<Option<UserId>, AppError> {
    let found = state.store.find_integration_by_page(Platform::Facebook, page_id).await?;
    Ok(found
        .filter(|integration| integration.status != IntegrationStatus::Disconnected)
        .map(|integration| integration.user_id))
}
