//! The pipeline with a model that fails in a way only the owner can fix: the customer
//! is still answered (by the rules), and the business's consoles get an
//! `ai.provider_failed` event naming the chat.

use crate::common;
use crate::fake_openai;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use closer_core::config::{AiConfig, AiProvider, PipelineConfig};
use closer_core::events::Event;
use closer_daemon::Settings;
use common::{TestApp, Workers, open_sandbox_shop, wait_until};
use fake_openai::{Answer, FakeOpenAi};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_is_reported_to_the_owner_and_the_rules_answer() {
    closer_daemon::crypto::install_crypto_provider();
    let base = TestApp::sqlite().await;
    let mut app = base.with_settings(Settings {
        pipeline: PipelineConfig { workers: 2, ..PipelineConfig::default() },
        ..Settings::default()
    });
    let model = FakeOpenAi::start().await;
    model.otherwise(Answer::Unauthorized);
    let config = AiConfig {
        provider: AiProvider::OpenAi,
        api_key: "sk-revoked".into(),
        base_url: model.url(),
        timeout_secs: 5,
        max_retries: 2,
        ..AiConfig::default()
    };
    let responder =
        closer_daemon::ai::responder(&config, Arc::new(app.clock.clone()), Arc::clone(&app.state.events))
            .expect("a responder");
    app.state = app.state.clone().with_responder(responder);
    let workers = Workers::start(&app);

    let ana = app.register("ana@cases.example").await;
    let mut events = app.state.events.subscribe(ana.tenant(), None);
    open_sandbox_shop(&app, &ana.token).await;
    let body = json!({ "customer_id": "maria", "text": "How much is a case?" });
    app.call("POST", "/api/v1/sandbox/messages", Some(&ana.token), Some(body))
        .await
        .expect(StatusCode::ACCEPTED, None);

    // The customer is answered anyway, by the rules, with the campaign's price.
    let reply = wait_until("the rules to answer", Duration::from_secs(10), || async {
        let list = app.call("GET", "/api/v1/chats", Some(&ana.token), None).await;
        let chat = list.body["chats"][0]["id"].as_str()?.to_owned();
        let detail = app.call("GET", &format!("/api/v1/chats/{chat}"), Some(&ana.token), None).await;
        let messages = detail.body["messages"].as_array()?.clone();
        messages.into_iter().find(|m| m["sender"] == "ai")
    })
    .await;
    assert!(reply["text"].as_str().is_some_and(|t| t.contains("19.99")), "{reply}");
    assert_eq!(model.request_count(), 1, "a refused key is not retried");

    // And the owner is told, about this chat.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let failed = loop {
        let frame = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the owner hears of the failure")
            .expect("live");
        if let Ok(Event::AiProviderFailed { provider, error, chat_id, fell_back }) =
            serde_json::from_str(&frame.json)
        {
            break (provider, error, chat_id, fell_back);
        }
    };
    assert_eq!(failed.0, "openai");
    assert!(failed.1.contains("API key"), "{}", failed.1);
    assert!(failed.2.is_some(), "the event names the chat");
    assert!(failed.3, "the rules answered instead");
    workers.stop().await;
    base.finish().await;
}
