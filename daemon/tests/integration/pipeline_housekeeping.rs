//! `[pipeline] inbox_retention_days` on both backends, with the clock moved by the
//! test: handled webhook events are forgotten once they are older than the retention,
//! and nothing else is — not newer events, not the chat, not its messages.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use closer_core::config::PipelineConfig;
use closer_core::model::InboxStatus;
use closer_core::store::StoreError;
use closer_daemon::Settings;
use common::{TestApp, Workers, priced_campaign, wait_until};
use serde_json::json;

both_backends![handled_events_are_forgotten_after_the_retention];

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
    app.call("POST", "/api/v1/integrations/sandbox", Some(&ana.token), None)
        .await
        .expect(StatusCode::CREATED, None);
    let campaign = priced_campaign(&app, &ana.token, "Cases").await;
    app.call("POST", &format!("/api/v1/campaigns/{campaign}/activate"), Some(&ana.token), None)
        .await
        .expect(StatusCode::OK, None);
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
