//! A fake Facebook Graph API on 127.0.0.1, speaking Graph's wire format: `GET /me`,
//! `POST /{page_id}/subscribed_apps`, the Send API (`POST /me/messages` and
//! `POST /{page_id}/messages`), and Graph's `{"error":{…}}` answers. Each page token is
//! scripted (a page, expired, failing, slow, sends failing) and every request is
//! recorded for assertions. Unknown tokens are refused by `/me` and `subscribed_apps`
//! as Graph refuses them (code 190); their sends succeed, so that a test about replies
//! need not script the page first (`expired` and `failing` do fail sends).
//!
//! The Send API checks what Messenger checks (a recipient, a messaging type, the tag
//! with `MESSAGE_TAG`, text ≤ 2,000 characters, ≤ 13 quick replies with titles ≤ 20,
//! a sender action alone) and answers error 100 otherwise, so that a daemon breaking
//! the contract fails its test rather than only failing in production.
//!
//! Test support shared by path (`#[path = ".../tests/harness/fake_graph.rs"]`): a
//! failure to set up is a panic, which is what a test wants.

#![allow(dead_code)] // each test binary uses its own part of it

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use closer_core::model::QuickReply;
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

/// A Send API failure to script: the HTTP status and Graph's error code and subcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphFailure {
    pub status: u16,
    pub code: i64,
    pub subcode: Option<i64>,
}

impl GraphFailure {
    /// Too many calls: back off and retry.
    pub const RATE_LIMITED: Self = Self::new(400, 613, None);
    /// Graph's temporary error: retry.
    pub const TEMPORARY: Self = Self::new(500, 2, None);
    /// The token was invalidated (a password change): the owner must reconnect.
    pub const TOKEN_INVALID: Self = Self::new(400, 190, Some(460));
    /// The person cannot be reached (blocked the page): do not retry.
    pub const PERSON_UNAVAILABLE: Self = Self::new(400, 551, Some(1_545_041));
    /// More than 24 hours since the customer's last message.
    pub const OUTSIDE_WINDOW: Self = Self::new(400, 10, Some(2_018_278));

    pub const fn new(status: u16, code: i64, subcode: Option<i64>) -> Self {
        Self { status, code, subcode }
    }

    /// Graph's words for it, more or less.
    fn message(self) -> &'static str {
        match (self.code, self.subcode) {
            (613, _) => "(#613) Calls to this api have exceeded the rate limit.",
            (4, _) => "(#4) Application request limit reached",
            (1 | 2, _) => "An unexpected error has occurred. Please retry your request later.",
            (190, _) => {
                "Error validating access token: The session has been invalidated because the user \
                 changed their password."
            }
            (551, _) => "(#551) This person isn't available right now.",
            (10, Some(2_018_278)) => "(#10) This message is sent outside of allowed window.",
            (100, _) => "(#100) Invalid parameter",
            (200..=299, _) => "(#200) The user hasn't authorized the application to perform this action",
            _ => "Scripted failure",
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Script {
    /// `None`: a token nobody scripted as a page, expired or failing.
    answer: Option<Answer>,
    /// Waited before answering (past the client's timeout, to test it).
    delay: Duration,
    /// A Graph error `(code, message)` for `subscribed_apps`, answered with HTTP 400.
    subscription_error: Option<(i64, String)>,
    /// The next message sends fail with these, in order.
    send_failures: VecDeque<GraphFailure>,
    /// Every message send fails with this (before `send_failures`).
    send_failing_forever: Option<GraphFailure>,
    /// Waited before answering a send or a sender action, besides `delay`.
    send_delay: Duration,
}

/// One Send API message call (a sender action is a [`SenderActionCall`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendCall {
    pub token: String,
    /// The path's page: `me`, or the page id of `/{page_id}/messages`.
    pub page: String,
    pub recipient: String,
    pub messaging_type: Option<String>,
    pub tag: Option<String>,
    pub text: Option<String>,
    pub quick_replies: Vec<QuickReply>,
    pub metadata: Option<String>,
    /// The whole JSON body (`Null` if it was not JSON), for what the fields leave out.
    pub body: Value,
    /// The `message_id` answered, or the Graph error code of a refused or failed call.
    pub answer: Result<String, i64>,
}

/// One Send API sender action call (`typing_on`, `typing_off`, `mark_seen`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderActionCall {
    pub token: String,
    pub page: String,
    pub recipient: String,
    pub action: String,
    /// `Err(code)` when refused.
    pub answer: Result<(), i64>,
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
    sends: Mutex<Vec<SendCall>>,
    sender_actions: Mutex<Vec<SenderActionCall>>,
    /// For `message_id`s `m_1`, `m_2`…, unique in this fake.
    message_ids: AtomicU64,
    /// Where the echoes of sent messages go, as Facebook delivers them (when set).
    echoes: Mutex<Option<EchoTarget>>,
}

/// A daemon's webhook, to which the fake delivers the echo of every message a page
/// sends, signed with the app secret and retried until it is taken, as Facebook does.
#[derive(Debug, Clone)]
struct EchoTarget {
    webhook_url: String,
    app_secret: String,
    app_id: String,
    page_id: String,
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

    /// Delivers the echo of every message a page sends to `webhook_url` (a daemon's
    /// `/webhooks/facebook`), signed with `app_secret` and marked as sent by `app_id`,
    /// retried until taken, as Facebook does. Calling it again retargets echoes not yet
    /// delivered (a daemon restarted on another port).
    pub fn deliver_echoes(&self, webhook_url: &str, app_secret: &str, app_id: &str, page_id: &str) {
        *lock(&self.shared.echoes) = Some(EchoTarget {
            webhook_url: webhook_url.to_owned(),
            app_secret: app_secret.to_owned(),
            app_id: app_id.to_owned(),
            page_id: page_id.to_owned(),
        });
    }

    /// The base URL, to be the daemon's `graph_api_base`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// Every Send API message call so far, oldest first, answered or refused.
    pub fn sends(&self) -> Vec<SendCall> {
        lock(&self.shared.sends).clone()
    }

    /// Every Send API sender action so far, oldest first.
    pub fn sender_actions(&self) -> Vec<SenderActionCall> {
        lock(&self.shared.sender_actions).clone()
    }

    /// The message calls once there are at least `count`; panics (with what there is)
    /// after `timeout`. For the daemon, which sends in the background.
    pub async fn wait_for_sends(&self, count: usize, timeout: Duration) -> Vec<SendCall> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let sends = self.sends();
            if sends.len() >= count {
                return sends;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} sends after {timeout:?}, not {count}: {sends:#?}",
                sends.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `token` is page `id`'s access token.
    pub fn page(&self, token: &str, id: &str, name: &str) {
        self.script(token, |script| {
            script.answer = Some(Answer::Page { id: id.to_owned(), name: name.to_owned() });
        });
    }

    /// `token` is refused with code 190 (as unknown tokens are; this says it aloud),
    /// sends included.
    pub fn expired(&self, token: &str) {
        self.script(token, |script| script.answer = Some(Answer::TokenInvalid));
    }

    /// Calls with `token` fail with HTTP 500, sends included.
    pub fn failing(&self, token: &str) {
        self.script(token, |script| script.answer = Some(Answer::ServerError));
    }

    /// The next message sends with `token` fail with `failures`, one each, in order
    /// (after any scripted before); then they succeed again. Sender actions are not
    /// affected, so a typing indicator cannot use up a failure meant for a reply.
    pub fn fail_next_sends(&self, token: &str, failures: Vec<GraphFailure>) {
        self.script(token, |script| script.send_failures.extend(failures));
    }

    /// Every message send with `token` fails with `failure`, until
    /// [`FakeGraph::stop_failing_sends`].
    pub fn fail_sends_forever(&self, token: &str, failure: GraphFailure) {
        self.script(token, |script| script.send_failing_forever = Some(failure));
    }

    /// Forgets the send failures scripted for `token`.
    pub fn stop_failing_sends(&self, token: &str) {
        self.script(token, |script| {
            script.send_failures.clear();
            script.send_failing_forever = None;
        });
    }

    /// Sends and sender actions with `token` answer only after `delay`.
    pub fn slow_sends(&self, token: &str, delay: Duration) {
        self.script(token, |script| script.send_delay = delay);
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
        change(scripts.entry(token.to_owned()).or_default());
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
    let segments: Vec<&str> = recorded.path.trim_matches('/').split('/').collect();
    if let (&Method::POST, [version, page, "messages"]) = (&method, segments.as_slice())
        && version.starts_with('v')
    {
        return send_api(&shared, token, page, &body).await;
    }

    let script = lock(&shared.scripts).get(token).cloned().unwrap_or_default();
    if !script.delay.is_zero() {
        tokio::time::sleep(script.delay).await;
    }
    let page = match script.answer {
        None => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                190,
                "Invalid OAuth access token - Cannot parse access token",
            );
        }
        Some(Answer::TokenInvalid) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                190,
                "Error validating access token: The session has been invalidated because the user \
                 changed their password or Facebook has changed the session for security reasons.",
            );
        }
        Some(Answer::ServerError) => {
            return graph_error(StatusCode::INTERNAL_SERVER_ERROR, 2, "Service temporarily unavailable");
        }
        Some(Answer::Page { id, name }) => (id, name),
    };

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
    graph_error_with(status, code, None, message)
}

fn graph_error_with(status: StatusCode, code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut error = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AFakeTraceId0123",
    });
    if let Some(subcode) = subcode {
        error["error_subcode"] = json!(subcode);
    }
    (status, axum::Json(json!({ "error": error }))).into_response()
}

/// `POST /{me|page_id}/messages`: a message or a sender action, checked as Messenger
/// checks it, answered as scripted, recorded either way (before any delay, so that a
/// call the client gave up on is still seen).
async fn send_api(shared: &Arc<Shared>, token: &str, page: &str, body: &[u8]) -> Response {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let recipient = text_at(&body, "/recipient/id").unwrap_or_default();
    let (refusal, delay) = send_answer(shared, token, page, &body);
    let is_action = body.get("sender_action").is_some();
    // Only messages get an id: `m_1` is the first message, whatever was typed before.
    let answer = match &refusal {
        Some((failure, _)) => Err(failure.code),
        None if is_action => Ok(String::new()),
        None => Ok(format!("m_{}", shared.message_ids.fetch_add(1, Ordering::Relaxed) + 1)),
    };

    if is_action {
        lock(&shared.sender_actions).push(SenderActionCall {
            token: token.to_owned(),
            page: page.to_owned(),
            recipient: recipient.clone(),
            action: text_at(&body, "/sender_action").unwrap_or_default(),
            answer: answer.clone().map(drop),
        });
    } else {
        let quick_replies = body
            .pointer("/message/quick_replies")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|quick| QuickReply {
                        title: text_at(quick, "/title").unwrap_or_default(),
                        payload: text_at(quick, "/payload").unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        lock(&shared.sends).push(SendCall {
            token: token.to_owned(),
            page: page.to_owned(),
            recipient: recipient.clone(),
            messaging_type: text_at(&body, "/messaging_type"),
            tag: text_at(&body, "/tag"),
            text: text_at(&body, "/message/text"),
            quick_replies,
            metadata: text_at(&body, "/message/metadata"),
            body: body.clone(),
            answer: answer.clone(),
        });
        if let (None, Ok(mid)) = (&refusal, &answer) {
            echo_later(shared, &recipient, mid, &body);
        }
    }

    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match (refusal, answer) {
        (Some((failure, message)), _) => {
            let status =
                StatusCode::from_u16(failure.status).expect("a scripted failure has a valid HTTP status");
            graph_error_with(status, failure.code, failure.subcode, &message)
        }
        (None, Ok(message_id)) if !is_action => {
            axum::Json(json!({ "recipient_id": recipient, "message_id": message_id })).into_response()
        }
        (None, _) => axum::Json(json!({ "recipient_id": recipient })).into_response(),
    }
}

/// How to refuse a Send API call (if at all), and how long to wait first: the token's
/// own answer (expired, failing, another page's), then Messenger's checks, then the
/// scripted send failures (which message calls use up, in order).
fn send_answer(
    shared: &Shared,
    token: &str,
    page: &str,
    body: &Value,
) -> (Option<(GraphFailure, String)>, Duration) {
    let mut scripts = lock(&shared.scripts);
    let script = scripts.entry(token.to_owned()).or_default();
    let delay = script.delay + script.send_delay;
    let scripted = |failure: GraphFailure| Some((failure, failure.message().to_owned()));
    let refusal = match &script.answer {
        Some(Answer::TokenInvalid) => scripted(GraphFailure::TOKEN_INVALID),
        Some(Answer::ServerError) => scripted(GraphFailure::TEMPORARY),
        Some(Answer::Page { id, .. }) if page != "me" && page != id => Some((
            GraphFailure::new(400, 210, None),
            "(#210) A page access token is required to request this resource.".to_owned(),
        )),
        _ => match messenger_check(body) {
            Err(message) => Some((GraphFailure::new(400, 100, None), message)),
            Ok(()) if body.get("sender_action").is_some() => None,
            Ok(()) => {
                script.send_failing_forever.or_else(|| script.send_failures.pop_front()).and_then(scripted)
            }
        },
    };
    (refusal, delay)
}

/// What Messenger refuses with error 100, with (about) its words.
fn messenger_check(body: &Value) -> Result<(), String> {
    if !body.is_object() {
        return Err("(#100) The request body must be a JSON object".to_owned());
    }
    if text_at(body, "/recipient/id").is_none_or(|id| id.is_empty()) {
        return Err("(#100) The parameter recipient is required".to_owned());
    }
    if let Some(action) = body.get("sender_action") {
        if body.get("message").is_some() {
            return Err("(#100) sender_action cannot be sent with a message".to_owned());
        }
        return match action.as_str() {
            Some("typing_on" | "typing_off" | "mark_seen") => Ok(()),
            _ => Err(format!(
                "(#100) Param sender_action must be one of typing_on, typing_off, mark_seen: {action}"
            )),
        };
    }
    match (text_at(body, "/messaging_type").as_deref(), text_at(body, "/tag").as_deref()) {
        (Some("RESPONSE" | "UPDATE"), None) | (Some("MESSAGE_TAG"), Some(_)) => {}
        (Some("MESSAGE_TAG"), None) => {
            return Err("(#100) Tag is required for MESSAGE_TAG messaging type".to_owned());
        }
        (Some("RESPONSE" | "UPDATE"), Some(_)) => {
            return Err("(#100) A tag needs messaging_type MESSAGE_TAG".to_owned());
        }
        (other, _) => return Err(format!("(#100) Param messaging_type is invalid: {other:?}")),
    }
    let Some(message) = body.get("message").filter(|message| message.is_object()) else {
        return Err("(#100) The parameter message is required".to_owned());
    };
    match text_at(message, "/text") {
        Some(text) if text.chars().count() > 2000 => {
            return Err("(#100) Length of param message[text] must be less than or equal to 2000".to_owned());
        }
        Some(text) if text.trim().is_empty() => {
            return Err("(#100) Param message[text] must be non-empty".to_owned());
        }
        Some(_) => {}
        None if message.get("attachment").is_some() => {}
        None => return Err("(#100) Must send either message text or an attachment".to_owned()),
    }
    if let Some(quick_replies) = message.get("quick_replies") {
        let list = quick_replies.as_array().filter(|list| !list.is_empty() && list.len() <= 13);
        let Some(list) = list else {
            return Err("(#100) param message[quick_replies] must have between 1 and 13 elements".to_owned());
        };
        for quick in list {
            let title = text_at(quick, "/title").unwrap_or_default();
            let payload = text_at(quick, "/payload").unwrap_or_default();
            if text_at(quick, "/content_type").as_deref() != Some("text")
                || title.is_empty()
                || title.chars().count() > 20
                || payload.is_empty()
                || payload.chars().count() > 1000
            {
                return Err(format!("(#100) Invalid quick reply: {quick}"));
            }
        }
    }
    Ok(())
}

fn text_at(value: &Value, pointer: &str) -> Option<String> {
    value.pointer(pointer).and_then(Value::as_str).map(str::to_owned)
}

/// Delivers the echo of a sent message to the configured webhook, in the background,
/// retrying (every 100 ms, for a minute) until the daemon answers 200 — also across
/// its restart, since the target is read again at each attempt.
fn echo_later(shared: &Arc<Shared>, recipient: &str, mid: &str, sent: &Value) {
    let Some(target) = lock(&shared.echoes).clone() else { return };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut message = json!({ "is_echo": true, "app_id": target.app_id, "mid": mid });
    if let Some(text) = sent.pointer("/message/text") {
        message["text"] = text.clone();
    }
    if let Some(metadata) = sent.pointer("/message/metadata") {
        message["metadata"] = metadata.clone();
    }
    let event = json!({
        "sender": { "id": target.page_id }, "recipient": { "id": recipient },
        "timestamp": now_ms, "message": message,
    });
    let body = json!({ "object": "page", "entry": [{ "id": target.page_id, "time": now_ms, "messaging": [event] }] })
        .to_string();
    let shared = Arc::clone(shared);
    tokio::spawn(async move {
        for _ in 0..600 {
            let Some(target) = lock(&shared.echoes).clone() else { return };
            if post_signed(&target.webhook_url, &target.app_secret, &body).await == Some(200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

/// POSTs `body` signed with `secret` over a plain HTTP/1.1 connection (no client
/// crate: this file is also compiled into test crates that have none); the status.
async fn post_signed(url: &str, secret: &str, body: &str) -> Option<u16> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rest = url.strip_prefix("http://")?;
    let (authority, path) =
        rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let signature = closer_core::platform::facebook::webhook::sign(secret, body.as_bytes());
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         X-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(authority).await.ok()?;
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    let status_line = String::from_utf8_lossy(&answer);
    status_line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    //! The fake's Send API against core's own client, so that the two agree on the wire.

    use closer_core::platform::facebook::{FacebookChannel, GraphClient, GraphError};
    use closer_core::platform::{Channel, OutgoingMessage, RetryPolicy, SendFailure, SenderAction};

    use super::*;

    async fn start() -> (FakeGraph, GraphClient) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let graph = FakeGraph::start().await;
        let client = GraphClient::new(graph.url(), "v21.0").with_timeout(Duration::from_secs(5));
        (graph, client)
    }

    fn quick_retries() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    #[tokio::test]
    async fn sends_and_sender_actions_are_recorded_apart_and_unknown_tokens_may_send() {
        let (graph, client) = start().await;
        let channel = FacebookChannel::new(client, "EAAUnscripted");
        channel.sender_action("2461", SenderAction::TypingOn).await.expect("typing");
        let message = OutgoingMessage::human_agent("2461", "Ana here")
            .with_quick_replies(vec![QuickReply { title: "Ok".to_owned(), payload: "ok".to_owned() }])
            .with_metadata("closer:1");
        assert_eq!(channel.send(&message).await.expect("sent").message_id, "m_1");

        let sends = graph.sends();
        assert_eq!(sends.len(), 1);
        let send = &sends[0];
        assert_eq!(
            (send.token.as_str(), send.page.as_str(), send.recipient.as_str()),
            ("EAAUnscripted", "me", "2461")
        );
        assert_eq!(send.messaging_type.as_deref(), Some("MESSAGE_TAG"));
        assert_eq!(send.tag.as_deref(), Some("HUMAN_AGENT"));
        assert_eq!(send.text.as_deref(), Some("Ana here"));
        assert_eq!(send.quick_replies, [QuickReply { title: "Ok".to_owned(), payload: "ok".to_owned() }]);
        assert_eq!(send.metadata.as_deref(), Some("closer:1"));
        assert_eq!(send.answer, Ok("m_1".to_owned()));
        let actions = graph.sender_actions();
        assert_eq!(actions.len(), 1);
        assert_eq!((actions[0].recipient.as_str(), actions[0].action.as_str()), ("2461", "typing_on"));
        assert_eq!(graph.wait_for_sends(1, Duration::from_secs(1)).await.len(), 1);
    }

    #[tokio::test]
    async fn scripted_failures_are_used_up_in_order_by_message_sends_only() {
        let (graph, client) = start().await;
        graph.page("EAAPage", "104", "Ana's Bakery");
        graph.fail_next_sends("EAAPage", vec![GraphFailure::RATE_LIMITED, GraphFailure::RATE_LIMITED]);
        let channel = FacebookChannel::new(client, "EAAPage").with_retry(quick_retries());
        channel.sender_action("2461", SenderAction::MarkSeen).await.expect("not affected");
        let sent = channel.send(&OutgoingMessage::response("2461", "Hi")).await.expect("third time");
        assert_eq!(sent.message_id, "m_1");
        let answers: Vec<Result<String, i64>> = graph.sends().into_iter().map(|send| send.answer).collect();
        assert_eq!(answers, [Err(613), Err(613), Ok("m_1".to_owned())]);

        graph.fail_sends_forever("EAAPage", GraphFailure::OUTSIDE_WINDOW);
        let error = channel.send(&OutgoingMessage::response("2461", "Hi")).await.expect_err("window");
        assert_eq!(error.kind, SendFailure::OutsideWindow);
        graph.stop_failing_sends("EAAPage");
        channel.send(&OutgoingMessage::response("2461", "Hi")).await.expect("sent again");

        graph.expired("EAAPage");
        let error = channel.send(&OutgoingMessage::response("2461", "Hi")).await.expect_err("expired");
        assert_eq!(error.kind, SendFailure::TokenInvalid);
    }

    #[tokio::test]
    async fn what_messenger_refuses_the_fake_refuses_with_code_100() {
        let (graph, client) = start().await;
        let too_long = OutgoingMessage::response("2461", "x".repeat(2001));
        let error = client.send_message("EAAAny", &too_long).await.expect_err("too long");
        assert!(matches!(error, GraphError::Api { code: 100, .. }), "{error}");
        let no_recipient = OutgoingMessage::response("", "Hi");
        let error = client.send_message("EAAAny", &no_recipient).await.expect_err("no recipient");
        assert!(matches!(error, GraphError::Api { code: 100, .. }), "{error}");
        assert_eq!(
            graph.sends().iter().map(|send| send.answer.clone()).collect::<Vec<_>>(),
            [Err(100), Err(100)]
        );
    }

    #[tokio::test]
    async fn a_slow_send_is_recorded_even_when_the_client_gives_up() {
        let (graph, _) = start().await;
        graph.slow_sends("EAASlow", Duration::from_secs(2));
        let client = GraphClient::new(graph.url(), "v21.0").with_timeout(Duration::from_millis(100));
        let channel = FacebookChannel::new(client, "EAASlow").with_retry(RetryPolicy::once());
        let error = channel.send(&OutgoingMessage::response("2461", "Hi")).await.expect_err("timed out");
        assert_eq!(error.kind, SendFailure::Temporary);
        assert_eq!(graph.sends().len(), 1);
    }
}
