//! `FacebookChannel` over real HTTP, against a small fake Send API on 127.0.0.1: the
//! bodies it sends, and what it does with each kind of failure (retry with backoff,
//! give up at once, give up after the last attempt) without ever showing the token.
//!
//! The fake is written here rather than taken from the end-to-end harness, which
//! depends on this crate.

#![cfg(feature = "facebook")]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use closer_core::model::{Platform, QuickReply};
use closer_core::platform::facebook::{FacebookChannel, GraphClient};
use closer_core::platform::{Channel, OutgoingMessage, RetryPolicy, SendFailure, SenderAction};
use serde_json::{Value, json};

const TOKEN: &str = "EAASecretPageToken0123456789";
const PSID: &str = "2461918723456789";

/// One call as the fake received it.
#[derive(Debug, Clone)]
struct Call {
    path: String,
    token: Option<String>,
    body: Value,
}

#[derive(Debug, Default)]
struct Fake {
    calls: Vec<Call>,
    /// Answered first, one per call: `(HTTP status, Graph code, subcode)`.
    failures: VecDeque<(u16, i64, Option<i64>)>,
    forever: Option<(u16, i64, Option<i64>)>,
    delay: Duration,
}

struct Server {
    addr: SocketAddr,
    fake: Arc<Mutex<Fake>>,
}

impl Server {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let fake = Arc::new(Mutex::new(Fake::default()));
        let app = Router::new().fallback(answer).with_state(Arc::clone(&fake));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self { addr, fake }
    }

    fn channel(&self, retry: RetryPolicy) -> FacebookChannel {
        // A test binary's process has no TLS provider until one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client =
            GraphClient::new(format!("http://{}", self.addr), "v21.0").with_timeout(Duration::from_secs(5));
        FacebookChannel::new(client, TOKEN).with_retry(retry)
    }

    fn fake(&self) -> std::sync::MutexGuard<'_, Fake> {
        self.fake.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn calls(&self) -> Vec<Call> {
        self.fake().calls.clone()
    }
}

async fn answer(State(fake): State<Arc<Mutex<Fake>>>, uri: Uri, body: Bytes) -> Response {
    let token = uri.query().and_then(|query| {
        query.split('&').find_map(|pair| pair.strip_prefix("access_token=")).map(str::to_owned)
    });
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (failure, delay, count) = {
        let mut fake = fake.lock().unwrap_or_else(PoisonError::into_inner);
        fake.calls.push(Call { path: uri.path().to_owned(), token, body: body.clone() });
        let failure = fake.forever.or_else(|| fake.failures.pop_front());
        (failure, fake.delay, fake.calls.len())
    };
    tokio::time::sleep(delay).await;
    if let Some((status, code, subcode)) = failure {
        let error = json!({
            "error": {
                "message": format!("(#{code}) scripted failure"),
                "type": "OAuthException",
                "code": code,
                "error_subcode": subcode,
                "fbtrace_id": "ATraceId42",
            }
        });
        let status = StatusCode::from_u16(status).expect("a status");
        return (status, axum::Json(error)).into_response();
    }
    let recipient = body["recipient"]["id"].clone();
    if body.get("sender_action").is_some() {
        return axum::Json(json!({ "recipient_id": recipient })).into_response();
    }
    axum::Json(json!({ "recipient_id": recipient, "message_id": format!("m_{count}") })).into_response()
}

fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy { max_attempts, base_delay: Duration::from_millis(1), max_delay: Duration::from_millis(5) }
}

#[tokio::test]
async fn a_reply_goes_to_me_messages_with_the_token_and_messengers_body() {
    let server = Server::start().await;
    let channel = server.channel(RetryPolicy::default());
    assert_eq!(channel.platform(), Platform::Facebook);
    assert_eq!(channel.max_text_chars(), 2000);
    let message = OutgoingMessage::response(PSID, "Our cakes start at 12 €. Which size?")
        .with_quick_replies(vec![
            QuickReply { title: "Small".to_owned(), payload: "size:small".to_owned() },
            QuickReply { title: "Large".to_owned(), payload: "size:large".to_owned() },
        ])
        .with_metadata("closer:0192");
    let sent = channel.send(&message).await.expect("sent");
    assert_eq!(sent.message_id, "m_1");

    let calls = server.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/v21.0/me/messages");
    assert_eq!(calls[0].token.as_deref(), Some(TOKEN));
    assert_eq!(
        calls[0].body,
        json!({
            "recipient": { "id": PSID },
            "messaging_type": "RESPONSE",
            "message": {
                "text": "Our cakes start at 12 €. Which size?",
                "quick_replies": [
                    { "content_type": "text", "title": "Small", "payload": "size:small" },
                    { "content_type": "text", "title": "Large", "payload": "size:large" },
                ],
                "metadata": "closer:0192",
            },
        })
    );
}

#[tokio::test]
async fn a_persons_reply_is_tagged_human_agent_and_a_plain_one_has_no_extras() {
    let server = Server::start().await;
    let channel = server.channel(RetryPolicy::default());
    channel.send(&OutgoingMessage::human_agent(PSID, "Hi, Ana here.")).await.expect("sent");
    channel.send(&OutgoingMessage::response(PSID, "Thanks!")).await.expect("sent");
    let calls = server.calls();
    assert_eq!(
        calls[0].body,
        json!({
            "recipient": { "id": PSID },
            "messaging_type": "MESSAGE_TAG",
            "tag": "HUMAN_AGENT",
            "message": { "text": "Hi, Ana here." },
        })
    );
    assert_eq!(
        calls[1].body,
        json!({ "recipient": { "id": PSID }, "messaging_type": "RESPONSE", "message": { "text": "Thanks!" } })
    );
}

#[tokio::test]
async fn a_sender_action_is_sent_alone() {
    let server = Server::start().await;
    let channel = server.channel(RetryPolicy::default());
    for action in [SenderAction::MarkSeen, SenderAction::TypingOn, SenderAction::TypingOff] {
        channel.sender_action(PSID, action).await.expect("accepted");
    }
    let bodies: Vec<Value> = server.calls().into_iter().map(|call| call.body).collect();
    assert_eq!(
        bodies,
        [
            json!({ "recipient": { "id": PSID }, "sender_action": "mark_seen" }),
            json!({ "recipient": { "id": PSID }, "sender_action": "typing_on" }),
            json!({ "recipient": { "id": PSID }, "sender_action": "typing_off" }),
        ]
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_and_the_message_sent() {
    let server = Server::start().await;
    server.fake().failures.extend([(400, 613, None), (400, 613, None)]);
    let sent = server.channel(quick_retries(5)).send(&OutgoingMessage::response(PSID, "Hi")).await;
    assert_eq!(sent.expect("sent on the third attempt").message_id, "m_3");
    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|call| call.body == calls[0].body), "the same message each time");
}

#[tokio::test]
async fn failures_that_waiting_cannot_fix_are_not_retried() {
    for (failure, kind) in [
        ((400, 190, Some(460)), SendFailure::TokenInvalid),
        ((400, 551, Some(1_545_041)), SendFailure::Unreachable),
        ((400, 10, Some(2_018_278)), SendFailure::OutsideWindow),
        ((400, 100, None), SendFailure::Rejected),
        ((403, 200, None), SendFailure::Rejected),
    ] {
        let server = Server::start().await;
        server.fake().failures.push_back(failure);
        let error = server
            .channel(quick_retries(5))
            .send(&OutgoingMessage::response(PSID, "Hi"))
            .await
            .expect_err("refused");
        assert_eq!(error.kind, kind, "{failure:?}: {error}");
        assert!(!error.is_retryable());
        assert_eq!(server.calls().len(), 1, "{failure:?} was retried");
        assert!(error.message.contains("ATraceId42"), "the trace id is kept for support: {error}");
        assert!(!error.message.contains(TOKEN) && !format!("{error:?}").contains(TOKEN));
    }
}

#[tokio::test]
async fn a_graph_down_for_good_is_given_up_on_after_the_last_attempt() {
    let server = Server::start().await;
    server.fake().forever = Some((503, 2, None));
    let error = server
        .channel(quick_retries(4))
        .send(&OutgoingMessage::response(PSID, "Hi"))
        .await
        .expect_err("never sent");
    assert_eq!(error.kind, SendFailure::Temporary);
    assert_eq!(server.calls().len(), 4);
    assert!(error.message.starts_with("the platform failed for a moment: Graph API error 2"), "{error}");
    assert!(!error.message.contains(TOKEN) && !error.message.contains("access_token"), "{error}");
}

#[tokio::test]
async fn no_answer_at_all_is_temporary_and_names_no_token() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed = listener.local_addr().expect("address");
    drop(listener);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let channel = FacebookChannel::new(GraphClient::new(format!("http://{closed}"), "v21.0"), TOKEN)
        .with_retry(quick_retries(2));
    let error = channel.send(&OutgoingMessage::response(PSID, "Hi")).await.expect_err("nobody listens");
    assert_eq!(error.kind, SendFailure::Temporary);
    assert!(!error.message.contains(TOKEN) && !error.message.contains("access_token"), "{error}");

    let server = Server::start().await;
    server.fake().delay = Duration::from_secs(2);
    let client =
        GraphClient::new(format!("http://{}", server.addr), "v21.0").with_timeout(Duration::from_millis(200));
    let slow = FacebookChannel::new(client, TOKEN).with_retry(quick_retries(2));
    let error = slow.send(&OutgoingMessage::response(PSID, "Hi")).await.expect_err("too slow");
    assert_eq!(error.kind, SendFailure::Temporary);
    assert!(error.message.contains("did not answer within"), "{error}");
    assert_eq!(server.calls().len(), 2);
}

#[tokio::test]
async fn a_sender_action_gets_one_attempt_even_when_a_retry_might_help() {
    let server = Server::start().await;
    server.fake().forever = Some((500, 2, None));
    let error = server
        .channel(quick_retries(5))
        .sender_action(PSID, SenderAction::TypingOn)
        .await
        .expect_err("failed");
    assert_eq!(error.kind, SendFailure::Temporary);
    assert_eq!(server.calls().len(), 1);
}
