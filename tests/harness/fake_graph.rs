//! A fake Facebook Graph API on 127.0.0.1, speaking Graph's wire format: `GET /me`,
//! `POST /{page_id}/subscribed_apps`, and Graph's `{"error":{…}}` answers. Each page
//! token is scripted (a page, expired, failing, slow) and every request is recorded
//! for assertions. Unknown tokens are refused as Graph refuses them (code 190).
//!
//! Test support shared by path (`#[path = ".../tests/harness/fake_graph.rs"]`): a
//! failure to set up is a panic, which is what a test wants.

#![allow(dead_code)] // each test binary uses its own part of it

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// How a token behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A valid page access token of this page.
    Page { id: String, name: String },
    /// Graph's code 190 with HTTP 400: expired, revoked, or never valid.
    TokenInvalid,
    /// HTTP 500 with Graph's temporary error (code 2).
    ServerError,
}

#[derive(Debug, Clone)]
struct Script {
    answer: Answer,
    /// Waited before answering (past the client's timeout, to test it).
    delay: Duration,
    /// A Graph error `(code, message)` for `subscribed_apps`, answered with HTTP 400.
    subscription_error: Option<(i64, String)>,
}

/// One request as the fake received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Without the query: `/v21.0/me`.
    pub path: String,
    /// Decoded, in order.
    pub query: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, Default)]
struct Shared {
    scripts: Mutex<HashMap<String, Script>>,
    requests: Mutex<Vec<Recorded>>,
}

/// The running fake. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeGraph {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGraph {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// On a chosen port of 127.0.0.1 (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind the fake Graph API");
        let addr = listener.local_addr().expect("the fake Graph API's address");
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(handle).with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake Graph API serves");
        });
        Self { addr, shared, server }
    }

    /// The base URL, to be the daemon's `graph_api_base`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// `token` is page `id`'s access token.
    pub fn page(&self, token: &str, id: &str, name: &str) {
        self.script(token, |script| {
            script.answer = Answer::Page { id: id.to_owned(), name: name.to_owned() }
        });
    }

    /// `token` is refused with code 190 (as unknown tokens are; this says it aloud).
    pub fn expired(&self, token: &str) {
        self.script(token, |script| script.answer = Answer::TokenInvalid);
    }

    /// Calls with `token` fail with HTTP 500.
    pub fn failing(&self, token: &str) {
        self.script(token, |script| script.answer = Answer::ServerError);
    }

    /// Calls with `token` answer only after `delay`.
    pub fn slow(&self, token: &str, delay: Duration) {
        self.script(token, |script| script.delay = delay);
    }

    /// `subscribed_apps` with `token` fails with Graph error `code` (e.g. 200,
    /// a missing permission), though `/me` works.
    pub fn refuse_subscription(&self, token: &str, code: i64, message: &str) {
        self.script(token, |script| script.subscription_error = Some((code, message.to_owned())));
    }

    fn script(&self, token: &str, change: impl FnOnce(&mut Script)) {
        let mut scripts = lock(&self.shared.scripts);
        let script = scripts.entry(token.to_owned()).or_insert_with(|| Script {
            answer: Answer::TokenInvalid,
            delay: Duration::ZERO,
            subscription_error: None,
        });
        change(script);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A test that panicked while holding it leaves usable data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = Query::<Vec<(String, String)>>::try_from_uri(&uri).map(|q| q.0).unwrap_or_default();
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    lock(&shared.requests).push(recorded.clone());

    // Graph takes the token from the query, or from `Authorization: Bearer`.
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let Some(token) = recorded.query("access_token").or(bearer) else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            "An active access token must be used to query information about the current user.",
        );
    };
    let script = lock(&shared.scripts).get(token).cloned();
    let Some(script) = script else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            190,
            "Invalid OAuth access token - Cannot parse access token",
        );
    };
    if !script.delay.is_zero() {
        tokio::time::sleep(script.delay).await;
    }
    let page = match script.answer {
        Answer::TokenInvalid => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                190,
                "Error validating access token: The session has been invalidated because the user \
                 changed their password or Facebook has changed the session for security reasons.",
            );
        }
        Answer::ServerError => {
            return graph_error(StatusCode::INTERNAL_SERVER_ERROR, 2, "Service temporarily unavailable");
        }
        Answer::Page { id, name } => (id, name),
    };

    let segments: Vec<&str> = recorded.path.trim_matches('/').split('/').collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, [version, "me"]) if version.starts_with('v') => {
            axum::Json(json!({ "id": page.0, "name": page.1 })).into_response()
        }
        (&Method::POST, [version, page_id, "subscribed_apps"]) if version.starts_with('v') => {
            if *page_id != page.0 {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    210,
                    "(#210) A page access token is required to request this resource.",
                );
            }
            if recorded.query("subscribed_fields").is_none_or(str::is_empty) {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    100,
                    "(#100) The parameter subscribed_fields is required",
                );
            }
            if let Some((code, message)) = script.subscription_error {
                return graph_error(StatusCode::BAD_REQUEST, code, &message);
            }
            axum::Json(json!({ "success": true })).into_response()
        }
        _ => {
            graph_error(StatusCode::BAD_REQUEST, 2500, &format!("Unknown path components: {}", recorded.path))
        }
    }
}

/// Graph's error shape, `fbtrace_id` included.
fn graph_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body: Value = json!({
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "AFakeTraceId0123",
        }
    });
    (status, axum::Json(body)).into_response()
}
