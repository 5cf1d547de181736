//! `/api/v1/ai/preview` on both backends: the rules answer from the campaign and the
//! documents with no API key; a configured model is used, and its failure falls back.

use crate::common;
use crate::fake_openai;

use std::sync::Arc;

use axum::http::StatusCode;
use common::TestApp;
use fake_openai::{Answer, FakeOpenAi};
use serde_json::{Value, json};

both_backends![
    the_rules_answer_from_the_campaign_without_an_api_key,
    previews_refuse_bad_input_clearly,
    another_business_campaign_is_not_found,
];

async fn live_campaign(app: &TestApp, token: &str) -> String {
    let created = app
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(token),
            Some(json!({
                "name": "Christmas panettone",
                "product": { "name": "Panettone 1 kg", "price": { "amount_minor": 2490, "currency": "EUR" },
                             "features": ["Baked to order"] },
                "flow": { "greeting": "Hello! Thinking of a panettone for Christmas?",
                          "qualification_questions": [{ "question": "For how many people?", "options": ["2-4", "5-8"] }],
                          "closing_message": "Wonderful! Here is how to order." }
            })),
        )
        .await;
    let id = created.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    app.call("POST", &format!("/api/v1/campaigns/{id}/activate"), Some(token), None)
        .await
        .expect(StatusCode::OK, None);
    id
}

async fn preview(app: &TestApp, token: &str, body: Value) -> common::Response {
    app.call("POST", "/api/v1/ai/preview", Some(token), Some(body)).await
}

async fn the_rules_answer_from_the_campaign_without_an_api_key(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    let campaign = live_campaign(app, &ana.token).await;
    let doc = json!({ "filename": "hours.md", "content": "# Opening hours\nEvery day from 7:00 to 19:00." });
    app.call("POST", "/api/v1/onboarding/documents", Some(&ana.token), Some(doc))
        .await
        .expect(StatusCode::CREATED, None);

    let hello = preview(app, &ana.token, json!({ "campaign_id": campaign, "message": "Olá!" })).await;
    let hello = hello.expect(StatusCode::OK, None);
    assert_eq!(hello["provider"], "rules");
    assert_eq!(hello["intent"], "greeting");
    assert!(hello["text"].as_str().expect("text").contains("Thinking of a panettone"), "{hello}");

    let price = preview(
        app,
        &ana.token,
        json!({ "campaign_id": campaign, "message": "how much is it??",
        "history": [{ "from": "ai", "text": "Hello! Thinking of a panettone for Christmas?" }] }),
    )
    .await;
    let price = price.expect(StatusCode::OK, None);
    assert_eq!(price["intent"], "price");
    assert!(price["text"].as_str().expect("text").contains("24.90"), "{price}");

    let hours = preview(
        app,
        &ana.token,
        json!({ "campaign_id": campaign, "message": "what time do you open?",
        "step": { "step": "done" } }),
    )
    .await;
    let hours = hours.expect(StatusCode::OK, None);
    assert!(hours["text"].as_str().expect("text").contains("7:00"), "answers from the document: {hours}");

    // A document added now is known to the next preview.
    let doc = json!({ "filename": "parking.md", "content": "# Parking\nFree parking behind the bakery, on Rua Verde." });
    app.call("POST", "/api/v1/onboarding/documents", Some(&ana.token), Some(doc))
        .await
        .expect(StatusCode::CREATED, None);
    let parking = preview(
        app,
        &ana.token,
        json!({ "campaign_id": campaign, "message": "is there parking?",
        "step": { "step": "done" } }),
    )
    .await;
    let parking = parking.expect(StatusCode::OK, None);
    assert!(parking["text"].as_str().expect("text").contains("Rua Verde"), "{parking}");
}

async fn previews_refuse_bad_input_clearly(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    let campaign = live_campaign(app, &ana.token).await;
    preview(app, &ana.token, json!({ "campaign_id": campaign, "message": "   " }))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    let long = "x".repeat(20_001);
    preview(app, &ana.token, json!({ "campaign_id": campaign, "message": long }))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    let ten_thousand = "panettone ".repeat(1_000);
    preview(app, &ana.token, json!({ "campaign_id": campaign, "message": ten_thousand }))
        .await
        .expect(StatusCode::OK, None);
    let history: Vec<Value> = (0..51).map(|_| json!({ "from": "customer", "text": "hi" })).collect();
    preview(app, &ana.token, json!({ "campaign_id": campaign, "message": "hi", "history": history }))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    preview(app, &ana.token, json!({ "campaign_id": campaign }))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("invalid_body"));
    preview(app, &ana.token, json!({ "campaign_id": "nope", "message": "hi" }))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("invalid_body"));
    app.call("POST", "/api/v1/ai/preview", None, Some(json!({ "campaign_id": campaign, "message": "hi" })))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
}

async fn another_business_campaign_is_not_found(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    let bob = app.register("bob@shop.example").await;
    let campaign = live_campaign(app, &ana.token).await;
    preview(app, &bob.token, json!({ "campaign_id": campaign, "message": "hi" }))
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    let unknown = "0193a4c0-0000-7000-8000-000000000000";
    preview(app, &ana.token, json!({ "campaign_id": unknown, "message": "hi" }))
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
}

/// The model is the store-independent part: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_model_answers_and_its_failure_falls_back() {
    closer_daemon::crypto::install_crypto_provider();
    let mut app = TestApp::sqlite().await;
    let model = FakeOpenAi::start().await;
    let config = common::model_config(model.url());
    let responder =
        closer_daemon::ai::responder(&config, Arc::new(app.clock.clone()), Arc::clone(&app.state.events))
            .expect("a responder");
    app.state = app.state.clone().with_responder(responder);
    let app_with_model = &app;
    let ana = app_with_model.register("ana@bakery.example").await;
    let campaign = live_campaign(app_with_model, &ana.token).await;

    model.push(Answer::reply(&fake_openai::greeting_arguments(
        "Hello from the model! A panettone for Christmas?",
    )));
    let from_model =
        preview(app_with_model, &ana.token, json!({ "campaign_id": campaign, "message": "hi" })).await;
    let from_model = from_model.expect(StatusCode::OK, None);
    assert_eq!(from_model["provider"], "openai", "{from_model}");
    assert!(from_model["text"].as_str().expect("text").contains("Hello from the model"));
    let prompt = model.last();
    assert!(prompt.system().contains("Panettone 1 kg"), "the prompt carries the campaign");

    model.push(Answer::ServerError);
    let fallback =
        preview(app_with_model, &ana.token, json!({ "campaign_id": campaign, "message": "hi" })).await;
    let fallback = fallback.expect(StatusCode::OK, None);
    assert_eq!(fallback["provider"], "rules", "{fallback}");
}
