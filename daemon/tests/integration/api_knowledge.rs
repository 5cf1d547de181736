//! The knowledge base on both backends: `POST /api/v1/onboarding/train` and
//! `GET /api/v1/onboarding/knowledge`, versions in the store, retraining by itself
//! (debounced) after documents and campaigns change, and never blocking other requests.

use crate::common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use closer_core::events::Event;
use closer_core::model::UserId;
use closer_daemon::Settings;
use common::TestApp;
use serde_json::{Value, json};

both_backends![
    training_is_recorded_with_a_version,
    changes_retrain_once_after_the_debounce,
    training_does_not_hold_up_other_requests,
    knowledge_needs_a_token,
];

const KNOWLEDGE: &str = "/api/v1/onboarding/knowledge";
const TRAIN: &str = "/api/v1/onboarding/train";

async fn knowledge(app: &TestApp, token: &str) -> Value {
    app.call("GET", KNOWLEDGE, Some(token), None).await.expect(StatusCode::OK, None).clone()
}

async fn upload(app: &TestApp, token: &str, filename: &str, content: &str) {
    let doc = json!({ "filename": filename, "content": content });
    app.call("POST", "/api/v1/onboarding/documents", Some(token), Some(doc))
        .await
        .expect(StatusCode::CREATED, None);
}

/// Polls the knowledge view until `done` holds, for at most ten seconds.
async fn wait_for(app: &TestApp, token: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let view = knowledge(app, token).await;
        if done(&view) {
            return view;
        }
        assert!(Instant::now() < deadline, "the knowledge base never got there: {view}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn training_is_recorded_with_a_version(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    let before = knowledge(app, &ana.token).await;
    assert_eq!(before["trained"], false);
    assert_eq!(before["up_to_date"], false);
    assert_eq!(before["last_training"], Value::Null);

    let first = app.call("POST", TRAIN, Some(&ana.token), None).await;
    let first = first.expect(StatusCode::OK, None);
    assert_eq!(first["trained"], true);
    assert_eq!(first["up_to_date"], true);
    assert_eq!(first["last_training"]["version"], 1);
    assert_eq!(first["last_training"]["documents"], 0);

    upload(app, &ana.token, "hours.md", "# Opening hours\nEvery day from 7:00 to 19:00.").await;
    let stale = knowledge(app, &ana.token).await;
    assert_eq!(stale["up_to_date"], false, "a new document makes the last training stale: {stale}");
    assert_eq!(stale["retrain_pending"], true, "and schedules a retrain: {stale}");

    let second = app.call("POST", TRAIN, Some(&ana.token), None).await;
    let second = second.expect(StatusCode::OK, None);
    assert_eq!(second["last_training"]["version"], 2);
    assert_eq!(second["last_training"]["documents"], 1);
    assert!(second["last_training"]["passages"].as_u64().is_some_and(|n| n >= 1), "{second}");
    assert_eq!(second["last_training"]["last_trained_at"], json!(closer_core::Clock::now(&app.clock)));

    // Another business's knowledge base is its own.
    let ben = app.register("ben@phones.example").await;
    assert_eq!(knowledge(app, &ben.token).await["trained"], false);
}

async fn changes_retrain_once_after_the_debounce(app: &TestApp) {
    let app = app.with_settings(Settings { retrain_debounce: Duration::from_secs(1), ..Settings::default() });
    let ana = app.register("ana@bakery.example").await;
    let tenant: UserId = ana.id.parse().expect("user id");
    let mut events = app.state.events.subscribe(tenant, None);

    for n in 0..3 {
        upload(&app, &ana.token, &format!("notes-{n}.md"), &format!("Fact number {n}: we bake at dawn."))
            .await;
    }
    let view = wait_for(&app, &ana.token, |v| v["up_to_date"] == true).await;
    assert_eq!(view["last_training"]["version"], 1, "three quick uploads train once: {view}");
    assert_eq!(view["last_training"]["documents"], 3);
    assert_eq!(view["retrain_pending"], false);
    // The record is written just before the event goes out: wait for it.
    let frame = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("the consoles hear of the training")
        .expect("live");
    let event: Value = serde_json::from_str(&frame.json).expect("json");
    assert_eq!(event["type"], "knowledge.trained");
    assert_eq!(event["knowledge"]["version"], 1);

    // Activating a campaign changes what the AI knows: it retrains by itself.
    let created = app
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(&ana.token),
            Some(json!({
                "name": "Panettone",
                "product": { "name": "Panettone 1 kg", "price": { "amount_minor": 2490, "currency": "EUR" } },
                "flow": { "greeting": "Hello!" }
            })),
        )
        .await;
    let id = created.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    app.call("POST", &format!("/api/v1/campaigns/{id}/activate"), Some(&ana.token), None)
        .await
        .expect(StatusCode::OK, None);
    let view = wait_for(&app, &ana.token, |v| v["last_training"]["campaigns"] == 1).await;
    assert_eq!(view["last_training"]["version"], 2);
    assert_eq!(view["up_to_date"], true);
    // The record is written just before the event goes out: wait for it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let frame = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the consoles hear of the second training")
            .expect("live");
        if matches!(serde_json::from_str(&frame.json), Ok(Event::KnowledgeTrained { knowledge }) if knowledge.version == 2)
        {
            break;
        }
    }
}

async fn training_does_not_hold_up_other_requests(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    // Eight documents of nearly 1 MiB of varied prose: a training that takes a while.
    let paragraph = "Our sourdough rests for thirty six hours before baking in a stone oven. ";
    for n in 0..8 {
        let content = format!("# Notes {n}\n{}", paragraph.repeat(14_000));
        upload(app, &ana.token, &format!("notes-{n}.md"), &content).await;
    }

    let state = app.state.clone();
    let tenant: UserId = ana.id.parse().expect("user id");
    let training = tokio::spawn(async move { state.knowledge.train(&state, tenant).await });
    // While it trains, other requests of the same business are answered.
    let mut answered_while_training = 0;
    while !training.is_finished() {
        app.call("GET", "/api/v1/onboarding", Some(&ana.token), None).await.expect(StatusCode::OK, None);
        answered_while_training += 1;
    }
    let status = training.await.expect("join").expect("trained");
    assert_eq!(status.documents, 8);
    assert!(answered_while_training >= 3, "only {answered_while_training} requests answered while training");
}

async fn knowledge_needs_a_token(app: &TestApp) {
    for (method, path) in [("GET", KNOWLEDGE), ("POST", TRAIN)] {
        app.call(method, path, None, None).await.expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
        app.call(method, path, Some("clo_at_forged"), None)
            .await
            .expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    }
}
