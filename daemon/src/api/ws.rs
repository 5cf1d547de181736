//! `GET /api/v1/ws`: the business's live events, one JSON text frame per event.
//!
//! As in axum's chat example: subscribe first (so nothing published during the upgrade
//! is missed), then one task sends and one receives, and when one ends the other is
//! aborted. A console that falls behind is disconnected with a close frame telling it
//! to reconnect with `last_seq`; it never slows the daemon or the other consoles.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse as _, Response};
use closer_core::events::{EVENTS_VERSION, EVENTS_VERSION_HEADER, LiveEvent};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Deserialize;
use tracing::Instrument as _;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth;
use crate::error::AppError;
use crate::events::{Ended, HubLimits, Subscription};
use crate::extract::AppQuery;
use crate::metrics::WEBSOCKET_CLIENTS;
use crate::openapi::ErrorBody;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live_events))
}

/// Close code for a console that fell behind (4000–4999 are the application's own).
pub const TOO_SLOW: u16 = 4000;
/// Close code for a console that stopped answering pings.
pub const NO_PONG: u16 = 4001;

/// A console that does not take even its close frame within this long is dropped
/// without one.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// At most this many events go into one write; tungstenite also writes as soon as
/// [`WRITE_BUFFER_BYTES`] are buffered.
const MAX_BATCH: usize = 32;
const WRITE_BUFFER_BYTES: usize = 16 * 1024;

/// Consoles only ever send pongs and close frames: anything bigger is refused before it
/// is buffered.
const MAX_INCOMING_BYTES: usize = 64 * 1024;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WsParams {
    /// The access token, for clients that cannot set the `Authorization` header.
    token: Option<String>,
    /// The last `seq` this console received: the events after it are sent first, or a
    /// `resync` event when they are no longer kept.
    last_seq: Option<u64>,
}

/// Live events of the authenticated business (WebSocket).
///
/// One JSON text frame per event, `{"seq", "at", "type", …}`, `seq` increasing by one
/// (see the `LiveEvent` schema). The token goes in the
/// `Authorization: Bearer` header or, for clients that cannot set it, in `?token=`.
/// The server pings every 20 s; a client too slow to keep up is closed with code 4000
/// and should reconnect with `?last_seq=`. At shutdown clients get code 1001.
#[utoipa::path(get, path = "/ws", tag = "events", params(WsParams), security(("bearer" = [])), responses(
    (status = 101, description = "switching to a WebSocket that sends `LiveEvent` frames", body = LiveEvent,
        headers(("x-closer-events-version" = u32, description = "the version of the event contract"))),
    (status = 400, description = "not a WebSocket request, or a bad `last_seq`", body = ErrorBody),
    (status = 401, description = "missing, invalid or expired token", body = ErrorBody),
))]
async fn live_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(params): AppQuery<WsParams>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    // Authenticated before anything else: a refused client never gets an upgrade.
    let token = access_token(&headers, params.token.as_deref())?;
    let tenant = auth::authenticate(&state, token).await?.user_id;
    let upgrade = upgrade.map_err(|rejection| {
        AppError::bad_request(
            "websocket_expected",
            format!("this route speaks WebSocket only: {}", rejection.body_text()),
        )
    })?;
    let subscription = state.events.subscribe(tenant, params.last_seq);
    let limits = state.events.limits().clone();
    let span = tracing::info_span!("console", tenant = %tenant);
    let mut response = upgrade
        // tungstenite zero-fills the whole read buffer before each read, and consoles
        // only send pongs and close frames: a small one is cheaper.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(MAX_INCOMING_BYTES)
        .max_frame_size(MAX_INCOMING_BYTES)
        .on_upgrade(move |socket| serve_console(socket, subscription, limits).instrument(span))
        .into_response();
    response.headers_mut().insert(EVENTS_VERSION_HEADER, HeaderValue::from(EVENTS_VERSION));
    Ok(response)
}

/// The header's bearer token if there is a header (a malformed one is refused, not
/// skipped), else the query's.
fn access_token<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Result<&'a str, AppError> {
    let token = match crate::auth::bearer_token(headers)? {
        Some(token) => token,
        None => query.ok_or_else(|| {
            AppError::unauthorized(
                "unauthorized",
                "missing Authorization: Bearer <access token> (or ?token=<access token>)",
            )
        })?,
    };
    let token = token.trim();
    if token.is_empty() {
        return Err(AppError::unauthorized("unauthorized", "the access token is empty"));
    }
    Ok(token)
}

async fn serve_console(socket: WebSocket, subscription: Subscription, limits: HubLimits) {
    let _counted = Counted::new();
    tracing::info!("console connected");
    let (sink, stream) = socket.split();
    // Set by anything the console sends; the keepalive checks it at each ping.
    let heard = Arc::new(AtomicBool::new(true));
    let mut send =
        tokio::spawn(send_events(sink, subscription, limits, Arc::clone(&heard)).in_current_span());
    let mut receive = tokio::spawn(watch_console(stream, heard).in_current_span());
    let why = tokio::select! {
        why = &mut send => {
            receive.abort();
            why.unwrap_or("the sending task failed")
        }
        _ = &mut receive => {
            send.abort();
            "the console left"
        }
    };
    tracing::info!(why, "console disconnected");
}

/// Counts a console in `closer_websocket_clients` for as long as it lives, however its
/// task ends.
struct Counted;

impl Counted {
    fn new() -> Self {
        metrics::gauge!(WEBSOCKET_CLIENTS).increment(1.0);
        Self
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        metrics::gauge!(WEBSOCKET_CLIENTS).decrement(1.0);
    }
}

/// Sends events and pings until the subscription ends or the console stops taking them;
/// returns why it stopped.
async fn send_events(
    mut sink: SplitSink<WebSocket, Message>,
    mut subscription: Subscription,
    limits: HubLimits,
    heard: Arc<AtomicBool>,
) -> &'static str {
    let first = tokio::time::Instant::now() + limits.ping_every;
    let mut ping = tokio::time::interval_at(first, limits.ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let ended = loop {
        let next = tokio::select! {
            // First, or a steady stream of events would starve it.
            biased;
            _ = ping.tick() => {
                if !heard.swap(false, Ordering::Relaxed) {
                    close(&mut sink, NO_PONG, "no pong: the connection looks dead").await;
                    return "no answer to the last ping";
                }
                Ok(Message::Ping(Bytes::new()))
            }
            next = subscription.recv() => next.map(|frame| Message::Text(frame.json)),
        };
        let first = match next {
            Ok(message) => message,
            Err(ended) => break ended,
        };
        match tokio::time::timeout(limits.send_timeout, write_batch(&mut sink, first, &mut subscription))
            .await
        {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(ended))) => break ended,
            Ok(Err(_)) => return "the connection broke",
            Err(_) => {
                tracing::warn!("console not reading: disconnecting it");
                // Most likely stuck behind the frame that timed out, hence the short wait.
                close(&mut sink, TOO_SLOW, "too slow: reconnect with last_seq").await;
                return "it stopped reading";
            }
        }
    };
    match ended {
        Ended::Lagged { missed } => {
            tracing::warn!(missed, "console too slow: disconnecting it");
            close(&mut sink, TOO_SLOW, "too slow: reconnect with last_seq").await;
            "it fell behind"
        }
        Ended::ShuttingDown => {
            close(&mut sink, close_code::AWAY, "the daemon is shutting down").await;
            "the daemon is shutting down"
        }
    }
}

/// Writes `first` and the events already waiting behind it with one flush, so that a
/// console that is behind catches up in a few writes instead of one per event. Returns
/// how the subscription ended, if it did meanwhile.
async fn write_batch(
    sink: &mut SplitSink<WebSocket, Message>,
    first: Message,
    subscription: &mut Subscription,
) -> Result<Option<Ended>, axum::Error> {
    sink.feed(first).await?;
    let mut ended = None;
    for _ in 1..MAX_BATCH {
        match subscription.try_recv() {
            Some(Ok(frame)) => sink.feed(Message::Text(frame.json)).await?,
            Some(Err(end)) => {
                ended = Some(end);
                break;
            }
            None => break,
        }
    }
    sink.flush().await?;
    Ok(ended)
}

async fn close(sink: &mut SplitSink<WebSocket, Message>, code: u16, reason: &'static str) {
    let frame = Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from_static(reason) }));
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.send(frame)).await;
}

/// Reads until the console closes: its messages are ignored, but reading is what
/// answers its close and pings (tungstenite replies on the next read) and tells the
/// keepalive that it is alive.
async fn watch_console(mut stream: SplitStream<WebSocket>, heard: Arc<AtomicBool>) {
    while let Some(Ok(_)) = stream.next().await {
        heard.store(true, Ordering::Relaxed);
    }
}
