//! `/api/v1/sandbox/messages` and `/api/v1/integrations/sandbox` on both backends: the
//! owner plays a customer, the pipeline's workers (started here on the app's state)
//! answer with the rules AI, and the chat shows up like any other.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use closer_core::Clock as _;
use closer_core::config::PipelineConfig;
use closer_core::model::InboxStatus;
use closer_daemon::Settings;
use common::{Account, TestApp, Workers, wait_until};
use serde_json::{Value, json};

both_backends![
    a_played_customer_is_answered_by_the_ai,
    a_tapped_quick_reply_moves_the_flow_on,
    bad_plays_are_refused_and_nothing_is_queued,
    disconnecting_the_sandbox_refuses_later_plays,
    every_sandbox_route_needs_a_token,
];

const PLAY: &str = "/api/v1/sandbox/messages";
const SANDBOX: &str = "/api/v1/integrations/sandbox";
/// Long enough for a loaded machine; a reply takes milliseconds.
const PATIENCE: Duration = Duration::from_secs(10);

/// Two workers are plenty for one played customer.
fn with_few_workers(app: &TestApp) -> TestApp {
    let pipeline = PipelineConfig { workers: 2, ..PipelineConfig::default() };
    app.with_settings(Settings { pipeline, ..Settings::default() })
}

async fn play(app: &TestApp, token: &str, body: Value) -> common::Response {
    app.call("POST", PLAY, Some(token), Some(body)).await
}

async fn connect(app: &TestApp, token: &str) -> Value {
    app.call("POST", SANDBOX, Some(token), None).await.expect(StatusCode::CREATED, None).clone()
}

/// An active campaign selling a phone case for $19.99, asking two questions.
async fn phone_cases(app: &TestApp, token: &str) -> String {
    let body = json!({
        "name": "Phone cases",
        "product": { "name": "Phone case", "price": { "amount_minor": 1_999, "currency": "USD" } },
        "flow": {
            "greeting": "Hi! Looking for a case?",
            "qualification_questions": [
                { "question": "Which phone do you have?", "options": ["iPhone", "Android"] },
                { "question": "When do you need it?", "options": ["This week", "No rush"] },
            ],
            "closing_message": "Thanks!",
        },
    });
    let created = app.call("POST", "/api/v1/campaigns", Some(token), Some(body)).await;
    let id = created.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/campaigns/{id}/activate");
    app.call("POST", &path, Some(token), None).await.expect(StatusCode::OK, None);
    id
}

/// Plays `body` and waits until its inbox event is done and the chat has `replies`
/// AI messages sent; returns the chat and its transcript.
async fn play_and_wait(app: &TestApp, owner: &Account, body: Value, replies: usize) -> (Value, Vec<Value>) {
    let response = play(app, &owner.token, body).await;
    let key = response.expect(StatusCode::ACCEPTED, None)["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("sandbox:mid:sandbox."), "{key}");
    let key = key.as_str();
    wait_until("the inbox event to be done", PATIENCE, || async move {
        let event = app.store.inbox_get(key).await.expect("the played event is in the inbox");
        assert_ne!(event.status, InboxStatus::Failed, "{event:?}");
        (event.status == InboxStatus::Done).then_some(())
    })
    .await;
    let token = owner.token.as_str();
    wait_until("the AI's reply", PATIENCE, || async move {
        let list = app.call("GET", "/api/v1/chats", Some(token), None).await;
        let chats = list.expect(StatusCode::OK, None)["chats"].as_array().expect("chats").clone();
        let chat = chats.first()?;
        let path = format!("/api/v1/chats/{}", chat["id"].as_str().expect("id"));
        let shown = app.call("GET", &path, Some(token), None).await.expect(StatusCode::OK, None).clone();
        let messages = shown["messages"].as_array().expect("messages").clone();
        let sent = messages.iter().filter(|m| m["sender"] == "ai" && m["delivery"] == "sent").count();
        (sent >= replies).then(|| (shown["chat"].clone(), messages))
    })
    .await
}

fn from<'a>(messages: &'a [Value], sender: &str) -> Vec<&'a Value> {
    messages.iter().filter(|m| m["sender"] == sender).collect()
}

async fn a_played_customer_is_answered_by_the_ai(app: &TestApp) {
    let app = &with_few_workers(app);
    let ana = app.register("ana@cases.example").await;
    let question = json!({ "customer_id": "tess-1", "customer_name": " Tess ", "text": "How much is it?" });
    let refused = play(app, &ana.token, question.clone()).await;
    refused.expect(StatusCode::CONFLICT, Some("conflict"));
    let hint = refused.body["error"]["message"].as_str().expect("message");
    assert!(hint.contains("POST /api/v1/integrations/sandbox"), "{hint}");

    let sandbox = connect(app, &ana.token).await;
    let page = format!("sandbox-{}", ana.id);
    assert_eq!((&sandbox["platform"], &sandbox["status"]), (&json!("sandbox"), &json!("connected")));
    assert_eq!((&sandbox["page_id"], &sandbox["page_name"]), (&json!(page), &json!("Sandbox")));
    app.clock.advance(Duration::from_mins(1));
    let again = app.call("POST", SANDBOX, Some(&ana.token), None).await;
    assert_eq!(again.expect(StatusCode::OK, None), &sandbox, "connected already: the same, unchanged");
    let campaign = phone_cases(app, &ana.token).await;

    let mut events = app.state.events.subscribe(ana.tenant(), None);
    let workers = Workers::start(app);
    let (chat, messages) = play_and_wait(app, &ana, question, 1).await;
    assert_eq!((&chat["platform"], &chat["customer_id"]), (&json!("sandbox"), &json!("tess-1")));
    assert_eq!((&chat["customer_name"], &chat["campaign_id"]), (&json!("Tess"), &json!(campaign)));
    assert_eq!(
        (&chat["mode"], &chat["status"], &chat["message_count"]),
        (&json!("ai"), &json!("active"), &json!(2))
    );
    let asked = from(&messages, "customer");
    assert_eq!((&asked[0]["text"], &asked[0]["delivery"]), (&json!("How much is it?"), &json!("received")));
    let reply = from(&messages, "ai")[0].clone();
    let text = reply["text"].as_str().expect("text");
    assert!(text.contains("$19.99"), "the campaign's price: {text}");
    assert!(reply["platform_message_id"].as_str().is_some_and(|id| id.starts_with("sandbox.")), "{reply}");
    assert!(reply["quick_replies"].as_array().is_some_and(|q| q.len() == 2), "{reply}");

    // The consoles were told, live.
    let shown_live = wait_until("the reply as a live event", PATIENCE, || {
        let mut found = None;
        while let Some(next) = events.try_recv() {
            let frame = next.expect("subscribed");
            let event: Value = serde_json::from_str(&frame.json).expect("json");
            if event["type"] == "chat.message" && event["message"]["sender"] == "ai" {
                found = Some(event);
                break;
            }
        }
        std::future::ready(found)
    })
    .await;
    assert_eq!(shown_live["message"]["text"], reply["text"]);

    // A tapped quick reply and a pressed button are answered too.
    app.clock.advance(Duration::from_mins(1));
    let payload = reply["quick_replies"][0]["payload"].clone();
    let tap = json!({ "customer_id": "tess-1", "quick_reply_payload": payload });
    let (_, messages) = play_and_wait(app, &ana, tap, 2).await;
    assert_eq!(from(&messages, "customer").len(), 2);
    app.clock.advance(Duration::from_mins(1));
    let button = json!({ "customer_id": "tess-1", "postback_payload": "closing:yes" });
    let (chat, messages) = play_and_wait(app, &ana, button, 3).await;
    assert_eq!((from(&messages, "customer").len(), chat["message_count"].as_i64()), (3, Some(6)));
    assert!(from(&messages, "ai").iter().all(|m| m["text"].as_str().is_some_and(|t| !t.is_empty())));
    workers.stop().await;

    let summary = app.call("GET", "/api/v1/analytics?platform=sandbox", Some(&ana.token), None).await;
    let totals = summary.expect(StatusCode::OK, None)["current"]["totals"].clone();
    assert_eq!((&totals["messages_received"], &totals["conversations_started"]), (&json!(3), &json!(1)));
    assert_eq!((&totals["messages_sent"], &totals["messages_answered"]), (&json!(3), &json!(3)));

    // Another business sees none of it.
    let bo = app.register("bo@florist.example").await;
    let listed = app.call("GET", "/api/v1/chats", Some(&bo.token), None).await;
    assert_eq!(listed.expect(StatusCode::OK, None)["chats"], json!([]));
    let path = format!("/api/v1/chats/{}", chat["id"].as_str().expect("id"));
    app.call("GET", &path, Some(&bo.token), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    play(app, &bo.token, json!({ "customer_id": "tess-1", "text": "Hi" }))
        .await
        .expect(StatusCode::CONFLICT, Some("conflict"));
}

/// Tapping an option the AI offered answers its question, as it does on Messenger:
/// the next question comes, not the same one again.
async fn a_tapped_quick_reply_moves_the_flow_on(app: &TestApp) {
    let app = &with_few_workers(app);
    let ana = app.register("ana@cases.example").await;
    connect(app, &ana.token).await;
    phone_cases(app, &ana.token).await;
    let workers = Workers::start(app);
    let hello = json!({ "customer_id": "tess-1", "text": "Hello" });
    let (_, messages) = play_and_wait(app, &ana, hello, 1).await;
    let first = from(&messages, "ai")[0].clone();
    assert!(first["text"].as_str().is_some_and(|t| t.contains("Which phone do you have?")), "{first}");
    assert_eq!(first["quick_replies"][0]["title"], "iPhone");

    app.clock.advance(Duration::from_mins(1));
    let payload = first["quick_replies"][0]["payload"].clone();
    let tap = json!({ "customer_id": "tess-1", "quick_reply_payload": payload });
    let (chat, messages) = play_and_wait(app, &ana, tap, 2).await;
    workers.stop().await;
    let second = from(&messages, "ai")[1].clone();
    let text = second["text"].as_str().expect("text");
    assert!(text.contains("When do you need it?"), "the tapped option was not taken as an answer: {text}");
    assert_eq!(chat["flow_step"], json!({ "step": "qualification", "index": 1 }));
}

async fn bad_plays_are_refused_and_nothing_is_queued(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    connect(app, &ana.token).await;
    let long = "x".repeat(20_001);
    let unprocessable = [
        (json!({ "customer_id": "tess" }), "exactly one of text, quick_reply_payload or postback_payload"),
        (json!({ "customer_id": "tess", "text": "Hi", "quick_reply_payload": "A" }), "exactly one"),
        (json!({ "customer_id": "tess", "text": "Hi", "postback_payload": "B" }), "exactly one"),
        (
            json!({ "customer_id": "tess", "quick_reply_payload": "A", "postback_payload": "B" }),
            "exactly one",
        ),
        (
            json!({ "customer_id": "t", "text": "Hi", "quick_reply_payload": "A", "postback_payload": "B" }),
            "one",
        ),
        (json!({ "customer_id": "", "text": "Hi" }), "customer_id must not be empty"),
        (json!({ "customer_id": "   ", "text": "Hi" }), "customer_id must not be empty"),
        (json!({ "customer_id": "x".repeat(101), "text": "Hi" }), "customer_id must be at most 100"),
        (json!({ "customer_id": "tess", "customer_name": "y".repeat(101), "text": "Hi" }), "customer_name"),
        (json!({ "customer_id": "tess", "text": long }), "text must be at most 20000"),
        (json!({ "customer_id": "tess", "text": "  " }), "text must not be empty"),
        (json!({ "customer_id": "tess", "quick_reply_payload": "" }), "text must not be empty"),
    ];
    for (body, mention) in unprocessable {
        let response = play(app, &ana.token, body.clone()).await;
        response.expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
        let message = response.body["error"]["message"].as_str().expect("message");
        assert!(message.contains(mention), "{body}: {message}");
    }
    let malformed = [
        json!({ "customer_id": "tess", "text": "Hi", "platform": "facebook" }),
        json!({ "text": "Hi" }),
        json!({ "customer_id": 7, "text": "Hi" }),
        json!({ "customer_id": "tess", "text": ["Hi"] }),
        json!("Hi"),
    ];
    for body in malformed {
        let response = play(app, &ana.token, body.clone()).await;
        response.expect(StatusCode::BAD_REQUEST, Some("invalid_body"));
    }
    let now = app.clock.now();
    let queued = app.store.inbox_claim("probe", now, Duration::from_secs(1), 25).await.expect("claim");
    assert!(queued.is_none(), "nothing refused reached the inbox: {queued:?}");

    let longest = json!({ "customer_id": "x".repeat(100), "text": "y".repeat(20_000) });
    play(app, &ana.token, longest).await.expect(StatusCode::ACCEPTED, None);
}

async fn disconnecting_the_sandbox_refuses_later_plays(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let hello = json!({ "customer_id": "tess", "text": "Hello" });
    app.call("DELETE", SANDBOX, Some(&ana.token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    let connected = connect(app, &ana.token).await;
    play(app, &ana.token, hello.clone()).await.expect(StatusCode::ACCEPTED, None);

    app.clock.advance(Duration::from_mins(1));
    let response = app.call("DELETE", SANDBOX, Some(&ana.token), None).await;
    let gone = response.expect(StatusCode::OK, None).clone();
    assert_eq!((&gone["id"], &gone["status"]), (&connected["id"], &json!("disconnected")));
    assert_eq!(gone["updated_at"], json!(app.clock.now()));
    play(app, &ana.token, hello.clone()).await.expect(StatusCode::CONFLICT, Some("conflict"));
    let again = app.call("DELETE", SANDBOX, Some(&ana.token), None).await;
    assert_eq!(again.expect(StatusCode::OK, None)["status"], "disconnected", "harmless");
    let listed = app.call("GET", "/api/v1/integrations", Some(&ana.token), None).await;
    let listed = listed.expect(StatusCode::OK, None).as_array().expect("list").clone();
    assert_eq!((listed.len(), &listed[0]["status"]), (1, &json!("disconnected")));

    let back = connect(app, &ana.token).await;
    assert_eq!((&back["status"], &back["page_id"]), (&json!("connected"), &connected["page_id"]));
    play(app, &ana.token, hello).await.expect(StatusCode::ACCEPTED, None);
}

async fn every_sandbox_route_needs_a_token(app: &TestApp) {
    let body = json!({ "customer_id": "tess", "text": "Hello" });
    for (method, path) in [("POST", PLAY), ("POST", SANDBOX), ("DELETE", SANDBOX)] {
        let response = app.call(method, path, None, Some(body.clone())).await;
        response.expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
        let response = app.call(method, path, Some("forged"), Some(body.clone())).await;
        response.expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    }
    let now = app.clock.now();
    let queued = app.store.inbox_claim("probe", now, Duration::from_secs(1), 25).await.expect("claim");
    assert!(queued.is_none(), "{queued:?}");
}
