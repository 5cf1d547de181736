//! `POST /api/v1/chats/{id}/messages` on both backends, through a fake Graph API on
//! 127.0.0.1: the owner's own messages within Messenger's windows (24 hours as
//! `RESPONSE`, 7 days as `HUMAN_AGENT`, then none), what a refused or failed send
//! leaves behind, and the notice when a chat is handed back to the AI.

use crate::common;
use crate::fake_graph;

use std::time::Duration;

use axum::http::StatusCode;
use closer_core::Clock as _;
use closer_core::model::{Chat, NewChat, Platform, Sender, Timestamp};
use closer_core::platform::RetryPolicy;
use closer_daemon::Settings;
use common::{Account, TestApp, seed_chat, seed_message, start_time};
use fake_graph::{FakeGraph, GraphFailure};
use serde_json::{Value, json};

both_backends![
    the_owner_writes_as_the_window_allows,
    the_window_edges_are_inclusive,
    a_long_message_goes_out_in_parts,
    bad_messages_are_refused_and_nothing_is_sent,
    a_refused_send_does_not_take_the_chat_over,
    a_failed_send_is_kept_as_failed_and_answered_502,
    a_customer_who_cannot_be_reached_is_marked_so,
    handing_back_tells_the_customer_within_the_day,
];

const PAGE: &str = "104729581234567";
const TOKEN: &str = "EAAPageTokenOfAnasBakery";
const CUSTOMER: &str = "2461";

/// Ana's app with its Graph API at the fake, her page connected, and a chat whose
/// customer wrote at the start time.
struct Shop {
    app: TestApp,
    graph: FakeGraph,
    ana: Account,
    chat: Chat,
}

impl Shop {
    async fn open(app: &TestApp) -> Self {
        closer_daemon::crypto::install_crypto_provider();
        let graph = FakeGraph::start().await;
        let settings = Settings {
            graph_api_base: graph.url(),
            send_retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
            },
            // The tests move the clock days ahead; a login must outlive that.
            access_token_ttl: Duration::from_hours(24 * 30),
            ..Settings::default()
        };
        let app = app.with_settings(settings);
        let ana = app.register("ana@bakery.example").await;
        graph.page(TOKEN, PAGE, "Ana's Bakery");
        let body = json!({ "page_id": PAGE, "page_access_token": TOKEN });
        let connected = app.call("POST", "/api/v1/integrations/facebook", Some(&ana.token), Some(body)).await;
        connected.expect(StatusCode::CREATED, None);
        let chat = customer(&app, &ana, CUSTOMER, start_time()).await;
        Self { app, graph, ana, chat }
    }

    async fn send(&self, chat: &Chat, text: &str) -> common::Response {
        let path = format!("/api/v1/chats/{}/messages", chat.id);
        self.app.call("POST", &path, Some(&self.ana.token), Some(json!({ "text": text }))).await
    }

    async fn shown(&self, chat: &Chat) -> Value {
        let path = format!("/api/v1/chats/{}", chat.id);
        self.app.call("GET", &path, Some(&self.ana.token), None).await.expect(StatusCode::OK, None).clone()
    }

    /// The send calls' `(messaging_type, tag)`.
    fn kinds(&self) -> Vec<(Option<String>, Option<String>)> {
        self.graph.sends().into_iter().map(|s| (s.messaging_type, s.tag)).collect()
    }
}

/// A Facebook chat of `customer_id`, who wrote once at `at`.
async fn customer(app: &TestApp, ana: &Account, customer_id: &str, at: Timestamp) -> Chat {
    let new = NewChat {
        user_id: ana.tenant(),
        platform: Platform::Facebook,
        customer_id: customer_id.to_owned(),
        customer_name: "Carla".to_owned(),
        campaign_id: None,
        now: at,
    };
    let chat = seed_chat(app, new).await;
    seed_message(app, &chat, Sender::Customer, "Do you deliver on Sundays?", at).await;
    app.store.get_chat(ana.tenant(), chat.id).await.expect("chat")
}

fn response_kind() -> (Option<String>, Option<String>) {
    (Some("RESPONSE".to_owned()), None)
}

fn human_agent() -> (Option<String>, Option<String>) {
    (Some("MESSAGE_TAG".to_owned()), Some("HUMAN_AGENT".to_owned()))
}

async fn the_owner_writes_as_the_window_allows(app: &TestApp) {
    let shop = Shop::open(app).await;
    let (app, chat, t) = (&shop.app, &shop.chat, start_time());
    assert_eq!(chat.mode, closer_core::model::ChatMode::Ai);

    app.clock.set(t + Duration::from_hours(1));
    let response = shop.send(chat, "Hi Carla, Ana here: yes, we do!").await;
    let sent = response.expect(StatusCode::CREATED, None).clone();
    assert_eq!((&sent["sender"], &sent["delivery"]), (&json!("business"), &json!("sent")));
    assert_eq!(
        (&sent["text"], &sent["chat_id"]),
        (&json!("Hi Carla, Ana here: yes, we do!"), &json!(chat.id))
    );
    assert_eq!((&sent["platform_message_id"], &sent["error"]), (&json!("m_1"), &Value::Null));
    assert_eq!(sent["sent_at"], "2026-11-20T10:00:00.000Z");
    let call = shop.graph.sends()[0].clone();
    assert_eq!((call.messaging_type.as_deref(), call.tag), (Some("RESPONSE"), None));
    assert_eq!(
        (call.recipient.as_str(), call.text.as_deref()),
        (CUSTOMER, Some("Hi Carla, Ana here: yes, we do!"))
    );
    assert_eq!(
        (call.token.as_str(), call.metadata),
        (TOKEN, Some(format!("closer:{}", sent["id"].as_str().expect("id"))))
    );

    let shown = shop.shown(chat).await;
    assert_eq!(
        (&shown["chat"]["mode"], &shown["chat"]["handoff_requested"]),
        (&json!("human"), &json!(false))
    );
    assert_eq!(shown["messages"][1], sent, "stored as answered");

    app.clock.set(t + Duration::from_hours(72));
    let later = shop.send(chat, "Your order ships tomorrow.").await;
    let later = later.expect(StatusCode::CREATED, None).clone();
    assert_eq!((&later["platform_message_id"], &later["delivery"]), (&json!("m_2"), &json!("sent")));
    assert_eq!(shop.kinds(), [response_kind(), human_agent()]);

    app.clock.set(t + Duration::from_hours(24 * 8));
    let refused = shop.send(chat, "Anyone there?").await;
    refused.expect(StatusCode::CONFLICT, Some("conflict"));
    assert!(
        refused.body["error"]["message"].as_str().is_some_and(|m| m.contains("7 days")),
        "{}",
        refused.body
    );
    assert_eq!(shop.graph.sends().len(), 2, "nothing sent");
    let shown = shop.shown(chat).await;
    assert_eq!(shown["messages"], json!([shown["messages"][0], sent, later]), "nothing stored");

    let range = "/api/v1/analytics?from=2026-11-20&to=2026-11-28";
    let summary = app.call("GET", range, Some(&shop.ana.token), None).await;
    assert_eq!(summary.expect(StatusCode::OK, None)["current"]["totals"]["messages_sent"], 2);
}

async fn the_window_edges_are_inclusive(app: &TestApp) {
    let shop = Shop::open(app).await;
    let (app, chat, t) = (&shop.app, &shop.chat, start_time());
    let ms = Duration::from_millis(1);
    let steps = [
        (t + Duration::from_hours(24), Some(response_kind())),
        (t + Duration::from_hours(24) + ms, Some(human_agent())),
        (t + Duration::from_hours(24 * 7), Some(human_agent())),
        (t + Duration::from_hours(24 * 7) + ms, None),
    ];
    let mut expected = Vec::new();
    for (at, kind) in steps {
        app.clock.set(at);
        let response = shop.send(chat, "Still interested?").await;
        match kind {
            Some(kind) => {
                response.expect(StatusCode::CREATED, None);
                expected.push(kind);
            }
            None => {
                response.expect(StatusCode::CONFLICT, Some("conflict"));
            }
        }
        assert_eq!(shop.kinds(), expected, "at {at:?}");
    }
    // The customer writes again: the 24 hours start over.
    seed_message(app, chat, Sender::Customer, "Yes!", app.clock.now()).await;
    app.clock.advance(Duration::from_hours(23));
    shop.send(chat, "Great, here's the link.").await.expect(StatusCode::CREATED, None);
    assert_eq!(shop.kinds().last(), Some(&response_kind()));
}

async fn a_long_message_goes_out_in_parts(app: &TestApp) {
    let shop = Shop::open(app).await;
    let text = "Our sourdough is baked every morning. ".repeat(70); // 2,660 characters
    let response = shop.send(&shop.chat, &text).await;
    let last = response.expect(StatusCode::CREATED, None).clone();
    let sends = shop.graph.sends();
    assert_eq!(sends.len(), 2, "{sends:#?}");
    let parts: Vec<String> = sends.iter().map(|s| s.text.clone().expect("text")).collect();
    assert!(parts.iter().all(|p| p.chars().count() <= 2_000), "{parts:?}");
    let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(words(&parts.join(" ")), words(&text), "every word, in order");
    assert_eq!((&last["text"], &last["platform_message_id"]), (&json!(parts[1]), &json!("m_2")));

    let shown = shop.shown(&shop.chat).await;
    let stored: Vec<&Value> = shown["messages"].as_array().expect("messages").iter().skip(1).collect();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0]["text"], json!(parts[0]));
    assert_eq!(*stored[1], last);
}

async fn bad_messages_are_refused_and_nothing_is_sent(app: &TestApp) {
    let shop = Shop::open(app).await;
    let path = format!("/api/v1/chats/{}/messages", shop.chat.id);
    let cases = [
        (json!({ "text": "" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid", "text must not be empty"),
        (json!({ "text": " \n " }), StatusCode::UNPROCESSABLE_ENTITY, "invalid", "text must not be empty"),
        (json!({ "text": "x".repeat(20_001) }), StatusCode::UNPROCESSABLE_ENTITY, "invalid", "20000"),
        (json!({}), StatusCode::BAD_REQUEST, "invalid_body", "text"),
        (json!({ "text": 7 }), StatusCode::BAD_REQUEST, "invalid_body", "text"),
        (json!({ "text": "Hi", "tag": "HUMAN_AGENT" }), StatusCode::BAD_REQUEST, "invalid_body", "tag"),
    ];
    for (body, status, code, mention) in cases {
        let response = shop.app.call("POST", &path, Some(&shop.ana.token), Some(body)).await;
        response.expect(status, Some(code));
        let message = response.body["error"]["message"].as_str().expect("message");
        assert!(message.contains(mention), "{message}");
    }
    let malformed = axum::http::Request::builder()
        .method("POST")
        .uri(&path)
        .header("authorization", format!("Bearer {}", shop.ana.token))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"text\": \"Hi"))
        .expect("request");
    shop.app.send(malformed).await.expect(StatusCode::BAD_REQUEST, Some("malformed_json"));
    let unknown = "/api/v1/chats/0193a4c0-0000-7000-8000-000000000000/messages";
    let response = shop.app.call("POST", unknown, Some(&shop.ana.token), Some(json!({ "text": "Hi" }))).await;
    response.expect(StatusCode::NOT_FOUND, Some("not_found"));

    // A customer who never wrote cannot be written to first; a business without a
    // connected page has nowhere to send from.
    let bo = shop.app.register("bo@florist.example").await;
    let bos = customer(&shop.app, &bo, "9001", start_time()).await;
    let path = format!("/api/v1/chats/{}/messages", bos.id);
    let response = shop.app.call("POST", &path, Some(&bo.token), Some(json!({ "text": "Hi" }))).await;
    response.expect(StatusCode::CONFLICT, Some("conflict"));
    assert!(response.body["error"]["message"].as_str().is_some_and(|m| m.contains("connect")));

    assert!(shop.graph.sends().is_empty(), "{:?}", shop.graph.sends());
    let stored = shop.app.store.get_chat(shop.ana.tenant(), shop.chat.id).await.expect("chat");
    assert_eq!(stored, shop.chat, "no message stored, the chat unchanged");
    assert_eq!(shop.app.store.get_chat(bo.tenant(), bos.id).await.expect("chat").message_count, 1);
}

/// A send the window (or the missing page) refuses must not silence the AI: the chat
/// stays the AI's, so that it answers when the customer writes again.
async fn a_refused_send_does_not_take_the_chat_over(app: &TestApp) {
    let shop = Shop::open(app).await;
    let never_wrote = seed_chat(
        &shop.app,
        NewChat {
            user_id: shop.ana.tenant(),
            platform: Platform::Facebook,
            customer_id: "77".into(),
            customer_name: "Quiet".into(),
            campaign_id: None,
            now: start_time(),
        },
    )
    .await;
    shop.app.clock.set(start_time() + Duration::from_hours(24 * 8));
    for chat in [&shop.chat, &never_wrote] {
        shop.send(chat, "Hello again!").await.expect(StatusCode::CONFLICT, Some("conflict"));
        let stored = shop.app.store.get_chat(shop.ana.tenant(), chat.id).await.expect("chat");
        assert_eq!(&stored, chat, "a refused send changed the chat");
    }
    assert!(shop.graph.sends().is_empty());
}

async fn a_failed_send_is_kept_as_failed_and_answered_502(app: &TestApp) {
    let shop = Shop::open(app).await;
    shop.graph.fail_sends_forever(TOKEN, GraphFailure::TEMPORARY);
    let response = shop.send(&shop.chat, "Are you still there?").await;
    response.expect(StatusCode::BAD_GATEWAY, Some("send_failed"));
    let message = response.body["error"]["message"].as_str().expect("message");
    assert!(message.starts_with("the message was not sent") && !message.contains(TOKEN), "{message}");
    let answers: Vec<_> = shop.graph.sends().into_iter().map(|s| s.answer).collect();
    assert_eq!(answers, [Err(2), Err(2)], "retried as the policy says, then given up");
    let shown = shop.shown(&shop.chat).await;
    let kept = &shown["messages"][1];
    assert_eq!((&kept["sender"], &kept["delivery"]), (&json!("business"), &json!("failed")));
    assert_eq!((&kept["text"], &kept["platform_message_id"]), (&json!("Are you still there?"), &Value::Null));
    assert!(kept["error"].as_str().is_some_and(|e| !e.is_empty() && !e.contains(TOKEN)), "{kept}");
    let summary = shop.app.call("GET", "/api/v1/analytics", Some(&shop.ana.token), None).await;
    assert_eq!(summary.expect(StatusCode::OK, None)["current"]["totals"]["messages_sent"], 0);

    shop.graph.stop_failing_sends(TOKEN);
    let response = shop.send(&shop.chat, "Sorry, trying again.").await;
    assert_eq!(response.expect(StatusCode::CREATED, None)["delivery"], "sent");

    // A token Facebook no longer takes: the page needs a new connection, and until
    // then there is nothing to send on.
    shop.graph.expired(TOKEN);
    shop.send(&shop.chat, "Hello?").await.expect(StatusCode::BAD_GATEWAY, Some("send_failed"));
    let page = shop.app.call("GET", "/api/v1/integrations/facebook", Some(&shop.ana.token), None).await;
    assert_eq!(page.expect(StatusCode::OK, None)["status"], "needs_reconnect");
    let sends = shop.graph.sends().len();
    shop.send(&shop.chat, "Hello??").await.expect(StatusCode::CONFLICT, Some("conflict"));
    assert_eq!(shop.graph.sends().len(), sends);
}

/// Messenger says the person cannot be reached (551): the chat is marked so, as the
/// AI's own sends mark it, and nothing more is tried.
async fn a_customer_who_cannot_be_reached_is_marked_so(app: &TestApp) {
    let shop = Shop::open(app).await;
    shop.graph.fail_next_sends(TOKEN, vec![GraphFailure::PERSON_UNAVAILABLE]);
    shop.send(&shop.chat, "Your cake is ready").await.expect(StatusCode::BAD_GATEWAY, Some("send_failed"));
    assert_eq!(shop.graph.sends().len(), 1, "not retried");
    let shown = shop.shown(&shop.chat).await;
    assert_eq!(shown["chat"]["unreachable"], true, "{}", shown["chat"]);
    shop.send(&shop.chat, "Hello?").await.expect(StatusCode::CONFLICT, Some("conflict"));
    assert_eq!(shop.graph.sends().len(), 1);
}

async fn handing_back_tells_the_customer_within_the_day(app: &TestApp) {
    let shop = Shop::open(app).await;
    let (app, token) = (&shop.app, Some(shop.ana.token.as_str()));
    let path = |action: &str| format!("/api/v1/chats/{}/{action}", shop.chat.id);
    app.call("POST", &path("takeover"), token, None).await.expect(StatusCode::OK, None);
    app.clock.advance(Duration::from_hours(2));
    let released = app.call("POST", &path("release"), token, None).await;
    assert_eq!(released.expect(StatusCode::OK, None)["mode"], "ai");
    let sends = shop.graph.sends();
    assert_eq!(sends.len(), 1);
    assert_eq!(
        (sends[0].messaging_type.as_deref(), sends[0].recipient.as_str()),
        (Some("RESPONSE"), CUSTOMER)
    );
    let notice = sends[0].text.clone().expect("text");
    assert!(notice.contains("automated assistant again"), "{notice}");
    let shown = shop.shown(&shop.chat).await;
    let stored = &shown["messages"][1];
    assert_eq!(
        (&stored["sender"], &stored["delivery"], &stored["text"]),
        (&json!("ai"), &json!("sent"), &json!(notice))
    );

    // Released again (the AI has it already), or after the 24 hours: nothing is sent.
    app.call("POST", &path("release"), token, None).await.expect(StatusCode::OK, None);
    app.call("POST", &path("takeover"), token, None).await.expect(StatusCode::OK, None);
    app.clock.set(start_time() + Duration::from_hours(25));
    app.call("POST", &path("release"), token, None).await.expect(StatusCode::OK, None);
    assert_eq!(shop.graph.sends().len(), 1);
    assert_eq!(shop.shown(&shop.chat).await["messages"].as_array().map(Vec::len), Some(2));
}
