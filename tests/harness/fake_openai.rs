//! A fake OpenAI-compatible chat completions server on 127.0.0.1, speaking the real
//! wire format: `POST /v1/chat/completions` (the base URL includes `/v1`), answers
//! with `choices[0].message` content or `tool_calls` (one or several), and OpenAI's `{"error":{…}}`
//! bodies for 401, 429 (`rate_limit_exceeded` with `Retry-After`, or
//! `insufficient_quota`) and 500. Answers come from a script, one per request in
//! order; every request is recorded (headers and JSON body) for assertions.
//!
//! Test support shared by path (`#[path = ".../tests/harness/fake_openai.rs"]`): a
//! failure to set up is a panic, which is what a test wants.

#![allow(dead_code)] // each test binary uses its own part of it

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// One scripted answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `message.content`, `finish_reason: "stop"`.
    Text(String),
    /// One call of function `name` with these raw `arguments` (a JSON text, or not),
    /// `finish_reason: "tool_calls"`.
    ToolCall { name: String, arguments: String },
    /// Several calls at once, `(name, raw arguments)`, with ids `call_fake_1`, `call_fake_2`…
    ToolCalls(Vec<(String, String)>),
    /// 429 `rate_limit_exceeded`, with this `Retry-After` header when given.
    RateLimited { retry_after: Option<String> },
    /// 429 `insufficient_quota`.
    QuotaExceeded,
    /// 401 `invalid_api_key`.
    Unauthorized,
    /// 500 `server_error`.
    ServerError,
    /// HTTP 200 with this body as it is (not JSON, or not a completion).
    RawBody(String),
    /// The answer, after a pause (past the client's timeout, to test it).
    Slow(Duration, Box<Answer>),
}

impl Answer {
    /// The responder's `reply` function called with `arguments`.
    pub fn reply(arguments: &Value) -> Self {
        Self::ToolCall { name: "reply".into(), arguments: arguments.to_string() }
    }

    /// A plain text answer.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// The model calling these functions (`(name, arguments)`) in one turn.
    pub fn tool_calls(calls: Vec<(&str, Value)>) -> Self {
        Self::ToolCalls(calls.into_iter().map(|(name, args)| (name.to_owned(), args.to_string())).collect())
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::RateLimited { retry_after: Some(retry_after_secs.to_string()) }
    }

    pub fn slow(delay: Duration, then: Self) -> Self {
        Self::Slow(delay, Box::new(then))
    }
}

/// The `reply` arguments of a plain, valid greeting.
pub fn greeting_arguments(text: &str) -> Value {
    json!({
        "text": text,
        "quick_replies": [],
        "intent": "greeting",
        "handoff": false,
        "signals": [],
        "next_step": { "step": "greeting", "index": null }
    })
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: Value,
    pub raw: String,
    /// When it arrived, to measure the spacing of retries.
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.as_str())
    }

    pub fn model(&self) -> Option<&str> {
        self.body["model"].as_str()
    }

    pub fn messages(&self) -> &[Value] {
        self.body["messages"].as_array().map_or(&[], Vec::as_slice)
    }

    /// The text of the messages of `role`, in order.
    pub fn contents(&self, role: &str) -> Vec<&str> {
        self.messages().iter().filter(|m| m["role"] == role).filter_map(|m| m["content"].as_str()).collect()
    }

    pub fn system(&self) -> &str {
        self.contents("system").first().copied().unwrap_or("")
    }

    /// The names of the functions offered in `tools`.
    pub fn tools(&self) -> Vec<&str> {
        self.body["tools"]
            .as_array()
            .map(|tools| tools.iter().filter_map(|t| t["function"]["name"].as_str()).collect())
            .unwrap_or_default()
    }

    /// The `tool` messages sent back, as `(tool_call_id, content)`.
    pub fn tool_results(&self) -> Vec<(&str, &str)> {
        self.messages()
            .iter()
            .filter(|m| m["role"] == "tool")
            .map(|m| (m["tool_call_id"].as_str().unwrap_or(""), m["content"].as_str().unwrap_or("")))
            .collect()
    }

    /// The tool calls of the assistant messages sent back, as `(id, name, arguments)`.
    pub fn assistant_tool_calls(&self) -> Vec<(&str, &str, &str)> {
        self.messages()
            .iter()
            .filter(|m| m["role"] == "assistant")
            .flat_map(|m| m["tool_calls"].as_array().map_or(&[][..], Vec::as_slice))
            .map(|c| {
                (
                    c["id"].as_str().unwrap_or(""),
                    c["function"]["name"].as_str().unwrap_or(""),
                    c["function"]["arguments"].as_str().unwrap_or(""),
                )
            })
            .collect()
    }

    /// Every message's text together: what a prompt budget measures.
    pub fn prompt_chars(&self) -> usize {
        self.messages().iter().filter_map(|m| m["content"].as_str()).map(|c| c.chars().count()).sum()
    }
}

#[derive(Debug, Default)]
struct Shared {
    script: Mutex<VecDeque<Answer>>,
    /// Answered when the script is empty: a greeting through `reply`.
    otherwise: Mutex<Option<Answer>>,
    requests: Mutex<Vec<Recorded>>,
}

/// The running fake. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeOpenAi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeOpenAi {
    pub async fn start() -> Self {
        let listener =
            tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind the fake OpenAI server");
        let addr = listener.local_addr().expect("the fake OpenAI server's address");
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(handle).with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake OpenAI server serves");
        });
        Self { addr, shared, server }
    }

    /// The base URL, `/v1` included: the `[ai] base_url`.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Answers the next request not yet scripted with `answer`.
    pub fn push(&self, answer: Answer) -> &Self {
        lock(&self.shared.script).push_back(answer);
        self
    }

    /// What every request answers once the script has run out.
    pub fn otherwise(&self, answer: Answer) {
        *lock(&self.shared.otherwise) = Some(answer);
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    pub fn request_count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// The latest request; panics when there is none.
    pub fn last(&self) -> Recorded {
        lock(&self.shared.requests).last().cloned().expect("the fake OpenAI server got a request")
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
    let raw = String::from_utf8_lossy(&body).into_owned();
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned())
            })
            .collect(),
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        raw,
        at: Instant::now(),
    };
    lock(&shared.requests).push(recorded.clone());

    if method != Method::POST || recorded.path != "/v1/chat/completions" {
        let message = format!("Unknown request URL: {method} {}.", recorded.path);
        return error(StatusCode::NOT_FOUND, "invalid_request_error", Some("unknown_url"), &message, None);
    }
    let next = lock(&shared.script).pop_front();
    let answer = next
        .or_else(|| lock(&shared.otherwise).clone())
        .unwrap_or_else(|| Answer::reply(&greeting_arguments("Hello from the fake model.")));
    answer_with(answer, recorded.model().unwrap_or("unknown").to_owned()).await
}

async fn answer_with(mut answer: Answer, model: String) -> Response {
    while let Answer::Slow(delay, then) = answer {
        tokio::time::sleep(delay).await;
        answer = *then;
    }
    match answer {
        Answer::Text(text) => completion(&model, &json!({ "role": "assistant", "content": text }), "stop"),
        Answer::ToolCall { name, arguments } => tool_calls(&model, vec![(name, arguments)]),
        Answer::ToolCalls(calls) => tool_calls(&model, calls),
        Answer::RateLimited { retry_after } => error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            Some("rate_limit_exceeded"),
            "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again later.",
            retry_after,
        ),
        Answer::QuotaExceeded => error(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            Some("insufficient_quota"),
            "You exceeded your current quota, please check your plan and billing details.",
            None,
        ),
        Answer::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            Some("invalid_api_key"),
            "Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys.",
            None,
        ),
        Answer::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            None,
            "The server had an error while processing your request. Sorry about that!",
            None,
        ),
        Answer::RawBody(body) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Answer::Slow(..) => unreachable!("unwrapped above"),
    }
}

fn tool_calls(model: &str, calls: Vec<(String, String)>) -> Response {
    let calls: Vec<Value> = calls
        .into_iter()
        .enumerate()
        .map(|(i, (name, arguments))| {
            json!({
                "id": format!("call_fake_{}", i + 1),
                "type": "function",
                "function": { "name": name, "arguments": arguments }
            })
        })
        .collect();
    completion(model, &json!({ "role": "assistant", "content": null, "tool_calls": calls }), "tool_calls")
}

fn completion(model: &str, message: &Value, finish_reason: &str) -> Response {
    let body = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": model,
        "choices": [{ "index": 0, "message": message, "logprobs": null, "finish_reason": finish_reason }],
        "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 }
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
    retry_after: Option<String>,
) -> Response {
    let body = json!({ "error": { "message": message, "type": kind, "param": null, "code": code } });
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(value) = retry_after.and_then(|v| v.parse().ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
