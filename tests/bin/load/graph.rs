//! A minimal fake Graph API for load: what closerd calls to connect a page (`GET /me`,
//! `POST /{page}/subscribed_apps`) and the Send API (`POST /me/messages` or
//! `/{page}/messages`), answered at once. Each message (not sender action) is
//! reported with its recipient and the instant it arrived, for the end-to-end
//! latency. Unlike the test suite's fake it records nothing else, so it costs little
//! and keeps no memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

/// A reply closerd sent: to whom, and when it arrived.
#[derive(Debug)]
pub struct Arrival {
    pub recipient: String,
    pub at: Instant,
}

#[derive(Debug)]
struct Graph {
    page: String,
    replies: Option<UnboundedSender<Arrival>>,
    sent: AtomicU64,
}

/// Serves the fake on `listener` until `stop` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    page: String,
    replies: Option<UnboundedSender<Arrival>>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let graph = Arc::new(Graph { page, replies, sent: AtomicU64::new(0) });
    let app = Router::new()
        .route("/{version}/me", get(me))
        .route("/{version}/me/messages", post(send))
        .route("/{version}/{page}/messages", post(send))
        .route("/{version}/{page}/subscribed_apps", post(|| async { Json(json!({ "success": true })) }))
        .with_state(graph);
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).with_graceful_shutdown(stop).await.map_err(|e| e.to_string())
}

async fn me(State(graph): State<Arc<Graph>>) -> Json<Value> {
    Json(json!({ "id": graph.page, "name": "Load Test Bakery" }))
}

async fn send(State(graph): State<Arc<Graph>>, Json(body): Json<Value>) -> Json<Value> {
    let at = Instant::now();
    let recipient = body["recipient"]["id"].as_str().unwrap_or_default().to_owned();
    if body.get("sender_action").is_some() {
        return Json(json!({ "recipient_id": recipient }));
    }
    let n = graph.sent.fetch_add(1, Ordering::Relaxed);
    if let Some(replies) = &graph.replies {
        let _ = replies.send(Arrival { recipient: recipient.clone(), at });
    }
    Json(json!({ "recipient_id": recipient, "message_id": format!("m_load_reply_{n}") }))
}
