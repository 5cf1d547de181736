//! The pipeline's hourly housekeeping on both backends, with the clock moved by the
//! test: handled webhook events are forgotten once they are older than
//! `[pipeline] inbox_retention_days`, and nothing else is (not newer events, not the
//! chat, not its messages); a send that never finished is marked failed and shown.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use closer_core::Clock;
use closer_core::config::PipelineConfig;
use closer_core::model::{DeliveryState, InboxStatus, NewChat, Platform, Sender};
use closer_core::store::StoreError;
use closer_daemon::Settings;
use common::{TestApp, Workers, open_sandbox_shop, seed_chat, seed_message, wait_until};
use serde_json::{Value, json};

both_backends![handled_events_are_forgotten_after_the_retention, a_send_that_never_finished_is_marked_failed];

const PATIENCE: Duration = Duration::from_secs(10);
const DAY: Duration = Duration::from_hours(24);

/// Plays the customer; answers the inbox key of their message once it is handled.
async fn play_and_wait(app: &TestApp, token: &str, text: &str) -> String {
    let body = json!({ "customer_id": "maria", "text": text });
    let accepted = app.call("POST", "/api/v1/sandbox/messages", Some(token), Some(body)).await;
    let key = accepted.expect(StatusCode::ACCEPTED, None)["key"].as_str().expect("key").to_owned();
    wait_until("the message handled", PATIENCE, || async {
        let event = app.store.inbox_get(&key).await.ok()?;
        (event.status == InboxStatus::Done).then_some(())
    })
    .await;
    key
}

async fn handled_events_are_forgotten_after_the_retention(app: &TestApp) {
    let pipeline = PipelineConfig { workers: 2, inbox_retention_days: 7, ..PipelineConfig::default() };
    // Logins outlast the days this test moves the clock by.
    let settings = Settings { pipeline, access_token_ttl: DAY * 30, ..Settings::default() };
    let app = app.with_settings(settings);
    let workers = Workers::start(&app);
    let ana = app.register("ana@cases.example").await;
    open_sandbox_shop(&app, &ana.token).await;
    let (_, running) = tokio::sync::watch::channel(false);

    let first = play_and_wait(&app, &ana.token, "Hi, how much is a case?").await;
    app.clock.advance(DAY * 3);
    let second = play_and_wait(&app, &ana.token, "And in blue?").await;

    // Six days after the first: within the retention, both are kept.
    app.clock.advance(DAY * 3);
    assert_eq!(closer_daemon::pipeline::forget_handled(&app.state, &running).await.expect("forget"), 0);

    // Eight days after the first, five after the second: only the first goes.
    app.clock.advance(DAY * 2);
    assert_eq!(closer_daemon::pipeline::forget_handled(&app.state, &running).await.expect("forget"), 1);
    assert!(matches!(app.store.inbox_get(&first).await, Err(StoreError::NotFound { .. })));
    assert_eq!(app.store.inbox_get(&second).await.expect("kept").status, InboxStatus::Done);
    assert_eq!(closer_daemon::pipeline::forget_handled(&app.state, &running).await.expect("again"), 0);

    // The conversation itself is whole: both questions and both answers.
    let list = app.call("GET", "/api/v1/chats", Some(&ana.token), None).await;
    let chat = list.expect(StatusCode::OK, None)["chats"][0]["id"].as_str().expect("a chat").to_owned();
    let detail = app.call("GET", &format!("/api/v1/chats/{chat}"), Some(&ana.token), None).await;
    let messages = detail.expect(StatusCode::OK, None)["messages"].as_array().cloned().unwrap_or_default();
    let texts: Vec<_> = messages.iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(texts.contains(&"Hi, how much is a case?") && texts.contains(&"And in blue?"), "{texts:?}");

    // Kept for good when the retention is 0.
    let keep = Settings {
        pipeline: PipelineConfig { inbox_retention_days: 0, ..PipelineConfig::default() },
        ..Settings::default()
    };
    app.clock.advance(DAY * 365);
    let forever = app.with_settings(keep);
    assert_eq!(closer_daemon::pipeline::forget_handled(&forever.state, &running).await.expect("forget"), 0);
    assert_eq!(app.store.inbox_get(&second).await.expect("kept").status, InboxStatus::Done);
    workers.stop().await;
}

async fn a_send_that_never_finished_is_marked_failed(app: &TestApp) {
    let app = app.with_settings(Settings { access_token_ttl: DAY, ..Settings::default() });
    let ana = app.register("ana@cases.example").await;
    let new = NewChat {
        user_id: ana.tenant(),
        platform: Platform::Facebook,
        customer_id: "psid-1".into(),
        customer_name: "Maria".into(),
        campaign_id: None,
        now: app.clock.now(),
    };
    let chat = seed_chat(&app, new).await;
    seed_message(&app, &chat, Sender::Customer, "Are you open?", app.clock.now()).await;
    let answered = seed_message(&app, &chat, Sender::Ai, "We are!", app.clock.now()).await;
    // The owner's messages when closerd was killed: one handed to the platform, one
    // about to be.
    let mut stuck = Vec::new();
    for (text, delivery) in
        [("On my way", DeliveryState::Sending), ("Here's the link", DeliveryState::Pending)]
    {
        let message = seed_message(&app, &chat, Sender::Business, text, app.clock.now()).await;
        app.store.set_message_delivery(ana.tenant(), message.id, delivery, None, None).await.expect("stuck");
        stuck.push(message.id);
        app.clock.advance(Duration::from_secs(1));
    }
    let mut events = app.state.events.subscribe(ana.tenant(), None);
    let (_, running) = tokio::sync::watch::channel(false);
    let settle = || closer_daemon::pipeline::settle_unfinished_sends(&app.state, &running);

    // Half an hour on, they may still be under way: left alone.
    app.clock.advance(Duration::from_mins(30));
    assert_eq!(settle().await.expect("settle"), 0);
    assert!(events.try_recv().is_none(), "nothing to tell yet");

    app.clock.advance(Duration::from_mins(31));
    assert_eq!(settle().await.expect("settle"), 2);
    assert_eq!(settle().await.expect("again"), 0, "settled once");
    let mut told = Vec::new();
    while let Some(frame) = events.try_recv() {
        let event: Value = serde_json::from_str(&frame.expect("live").json).expect("json");
        assert_eq!(
            (&event["type"], &event["error"]),
            (&json!("message.failed"), &json!(closer_daemon::pipeline::UNFINISHED_SEND))
        );
        told.push(event["message_id"].clone());
    }
    assert_eq!(told, stuck.iter().map(|id| json!(id)).collect::<Vec<_>>(), "each told once, oldest first");

    // What the owner sees: the messages failed, and why; the rest as it was.
    let detail = app.call("GET", &format!("/api/v1/chats/{}", chat.id), Some(&ana.token), None).await;
    let messages = detail.expect(StatusCode::OK, None)["messages"].as_array().cloned().unwrap_or_default();
    let by_id = |id: closer_core::model::MessageId| {
        messages.iter().find(|m| m["id"] == json!(id)).cloned().unwrap_or_else(|| panic!("{id} listed"))
    };
    for id in stuck {
        let failed = by_id(id);
        assert_eq!(failed["delivery"], "failed");
        assert!(
            failed["error"].as_str().is_some_and(|e| e.contains("most likely did not get it")),
            "{failed}"
        );
    }
    assert_eq!(by_id(answered.id)["delivery"], "sent");
}
