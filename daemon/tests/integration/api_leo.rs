//! `/api/v1/ai/leo` on both backends: a conversation kept across questions, figures
//! from the store, the tenant wall (another business's conversation is not found, its
//! numbers never seen), bad input answered with clear statuses, and a configured model
//! used with the rules behind it.

use crate::common;
use crate::fake_openai;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use closer_core::model::{Metrics, Platform, Timestamp, UserId};
use common::{Account, TestApp};
use fake_openai::{Answer, FakeOpenAi};
use serde_json::{Value, json};

both_backends![
    a_conversation_keeps_its_turns_across_questions,
    another_business_gets_404_and_none_of_the_numbers,
    bad_input_gets_clear_statuses,
];

/// `[received, answered, conversations, leads, conversions, revenue_minor]` on a day.
const ANA_DAYS: [(&str, [i64; 6]); 4] = [
    ("2026-11-20T08:00:00Z", [12, 11, 4, 2, 1, 2490]),
    ("2026-11-18T10:00:00Z", [9, 8, 3, 2, 2, 4980]),
    ("2026-11-10T10:00:00Z", [6, 6, 2, 1, 1, 2490]),
    ("2026-11-14T10:00:00Z", [5, 4, 2, 1, 0, 0]),
];

fn delta(v: [i64; 6]) -> Metrics {
    Metrics {
        messages_received: v[0],
        messages_answered: v[1],
        messages_sent: v[1],
        conversations_started: v[2],
        leads: v[3],
        conversions: v[4],
        revenue_minor: v[5],
    }
}

/// The revenue of the seeded days from `from` to `to`, as answers write it.
fn revenue(from: &str, to: &str) -> String {
    let minor: i64 =
        ANA_DAYS.iter().filter(|(at, _)| (from..=to).contains(&&at[..10])).map(|(_, v)| v[5]).sum();
    format!("{}.{:02} EUR", minor / 100, minor % 100)
}

async fn campaign(app: &TestApp, token: &str, name: &str, currency: &str) -> String {
    let created = app
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(token),
            Some(json!({
                "name": name,
                "product": { "name": name, "price": { "amount_minor": 2490, "currency": currency } },
                "flow": { "greeting": "Hello!" }
            })),
        )
        .await;
    created.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned()
}

/// Ana's bakery: one campaign and the days above.
async fn ana(app: &TestApp) -> Account {
    let ana = app.register("ana@bakery.example").await;
    let id = campaign(app, &ana.token, "Christmas panettone", "EUR").await;
    let tenant: UserId = ana.id.parse().expect("user id");
    for (at, values) in ANA_DAYS {
        let at = Timestamp::parse(at).expect("time");
        app.store
            .record_analytics(
                tenant,
                Some(id.parse().expect("campaign id")),
                Platform::Facebook,
                at,
                &delta(values),
            )
            .await
            .expect("analytics");
    }
    ana
}

async fn ask(app: &TestApp, token: &str, body: Value) -> common::Response {
    app.call("POST", "/api/v1/ai/leo", Some(token), Some(body)).await
}

async fn a_conversation_keeps_its_turns_across_questions(app: &TestApp) {
    let ana = ana(app).await;
    let first = ask(app, &ana.token, json!({ "message": "What's our revenue this week?" })).await;
    let first = first.expect(StatusCode::OK, None).clone();
    let id = first["conversation_id"].as_str().expect("conversation id").to_owned();
    assert_eq!(first["provider"], "rules");
    let text = first["answer"].as_str().expect("answer");
    assert!(text.contains(&revenue("2026-11-16", "2026-11-20")), "{text}");
    assert_eq!(first["tools"][0]["name"], "metrics");
    assert_eq!(first["tools"][0]["arguments"]["period"], "this_week");

    let second = ask(app, &ana.token, json!({ "message": "and last week?", "conversation_id": id })).await;
    let second = second.expect(StatusCode::OK, None).clone();
    assert_eq!(second["conversation_id"], id.as_str());
    let text = second["answer"].as_str().expect("answer");
    assert!(text.contains(&revenue("2026-11-09", "2026-11-15")), "a follow-up on the revenue: {text}");

    let stored = app.call("GET", &format!("/api/v1/ai/leo/{id}"), Some(&ana.token), None).await;
    let stored = stored.expect(StatusCode::OK, None);
    let turns = stored["turns"].as_array().expect("turns");
    let said: Vec<(&str, &str)> = turns
        .iter()
        .map(|t| (t["role"].as_str().expect("role"), t["text"].as_str().expect("text")))
        .collect();
    assert_eq!(
        said,
        [
            ("owner", "What's our revenue this week?"),
            ("leo", first["answer"].as_str().expect("answer")),
            ("owner", "and last week?"),
            ("leo", second["answer"].as_str().expect("answer")),
        ]
    );

    // A new question without an id starts another conversation.
    let other = ask(app, &ana.token, json!({ "message": "who are my hottest leads?" })).await;
    assert_ne!(other.expect(StatusCode::OK, None)["conversation_id"], id.as_str());
}

async fn another_business_gets_404_and_none_of_the_numbers(app: &TestApp) {
    let ana = ana(app).await;
    let bob = app.register("bob@shop.example").await;
    campaign(app, &bob.token, "Phone cases", "USD").await;
    let asked = ask(app, &ana.token, json!({ "message": "revenue this week" })).await;
    let id = asked.expect(StatusCode::OK, None)["conversation_id"].as_str().expect("id").to_owned();

    ask(app, &bob.token, json!({ "message": "revenue this week", "conversation_id": id }))
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    app.call("GET", &format!("/api/v1/ai/leo/{id}"), Some(&bob.token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));

    for question in ["revenue this week", "which campaign sold most this month?", "what should I do next?"] {
        let answer = ask(app, &bob.token, json!({ "message": question })).await;
        let seen = answer.expect(StatusCode::OK, None).to_string();
        for secret in ["Christmas panettone", "EUR", &revenue("2026-11-16", "2026-11-20")[..5]] {
            assert!(!seen.contains(secret), "Bob asked {question:?} and saw {secret:?}: {seen}");
        }
    }
    let anas = app.call("GET", &format!("/api/v1/ai/leo/{id}"), Some(&ana.token), None).await;
    assert_eq!(anas.expect(StatusCode::OK, None)["turns"].as_array().expect("turns").len(), 2, "untouched");
}

async fn bad_input_gets_clear_statuses(app: &TestApp) {
    let ana = ana(app).await;
    for empty in ["", "   \n"] {
        ask(app, &ana.token, json!({ "message": empty }))
            .await
            .expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    }
    let long = "revenue ".repeat(1_250);
    let refused = ask(app, &ana.token, json!({ "message": long })).await;
    let refused = refused.expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    assert!(refused["error"]["message"].as_str().expect("message").contains("4000"), "{refused}");
    let nonsense = ask(app, &ana.token, json!({ "message": "x".repeat(4_000) })).await;
    assert!(
        nonsense.expect(StatusCode::OK, None)["answer"].as_str().expect("answer").contains("I can answer")
    );

    let unknown = "0193a4c0-0000-7000-8000-000000000000";
    ask(app, &ana.token, json!({ "message": "hi", "conversation_id": unknown }))
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    app.call("GET", &format!("/api/v1/ai/leo/{unknown}"), Some(&ana.token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    app.call("GET", "/api/v1/ai/leo/nope", Some(&ana.token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    ask(app, &ana.token, json!({ "message": "hi", "conversation_id": "nope" }))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("invalid_body"));
    ask(app, &ana.token, json!({ "question": "hi" }))
        .await
        .expect(StatusCode::BAD_REQUEST, Some("invalid_body"));
    let malformed = Request::builder()
        .method("POST")
        .uri("/api/v1/ai/leo")
        .header(header::AUTHORIZATION, format!("Bearer {}", ana.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"message\": \"hi\""))
        .expect("request");
    app.send(malformed).await.expect(StatusCode::BAD_REQUEST, Some("malformed_json"));
    app.call("POST", "/api/v1/ai/leo", None, Some(json!({ "message": "hi" })))
        .await
        .expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
}

/// The model is the store-independent part: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_model_answers_and_its_failure_falls_back_to_the_rules() {
    closer_daemon::crypto::install_crypto_provider();
    let mut app = TestApp::sqlite().await;
    let model = FakeOpenAi::start().await;
    let config = common::model_config(model.url());
    app.state = app.state.clone().with_leo(closer_daemon::ai::leo(&config).expect("leo"));
    let ana = ana(&app).await;
    let week = revenue("2026-11-16", "2026-11-20");

    model.push(Answer::tool_calls(vec![("metrics", json!({ "period": "this_week" }))]));
    model.push(Answer::text(format!("This week's revenue is {week}.")));
    let answer = ask(&app, &ana.token, json!({ "message": "how much did we make this week?" })).await;
    let answer = answer.expect(StatusCode::OK, None).clone();
    assert_eq!(answer["provider"], "openai", "{answer}");
    assert_eq!(answer["answer"], format!("This week's revenue is {week}."));
    assert_eq!(answer["tools"][0]["result"]["current"]["revenue"], week.as_str());
    let sent = model.last();
    assert!(sent.tool_results()[0].1.contains(&week), "the tool message carries the store's figure");

    model.push(Answer::ServerError);
    let fallback = ask(&app, &ana.token, json!({ "message": "how much did we make this week?" })).await;
    let fallback = fallback.expect(StatusCode::OK, None);
    assert_eq!(fallback["provider"], "rules", "{fallback}");
    assert!(fallback["answer"].as_str().expect("answer").contains(&week), "{fallback}");

    // A refused key is the owner's to mend: the rules answer, and the consoles are told.
    // A passing outage (the 500 above) told them nothing.
    let mut events = app.state.events.subscribe(ana.tenant(), None);
    assert!(events.try_recv().is_none(), "nothing was published for the outage");
    model.push(Answer::Unauthorized);
    let refused = ask(&app, &ana.token, json!({ "message": "how much did we make this week?" })).await;
    assert_eq!(refused.expect(StatusCode::OK, None)["provider"], "rules");
    let frame = events.try_recv().expect("an event").expect("live");
    let event: Value = serde_json::from_str(&frame.json).expect("json");
    assert_eq!(
        (&event["type"], &event["fell_back"]),
        (&json!("ai.provider_failed"), &json!(true)),
        "{event}"
    );
    assert!(event["error"].as_str().is_some_and(|e| e.contains("API key")), "{event}");
    assert!(!frame.json.contains("sk-test"), "the key never reaches a console: {}", frame.json);
    app.finish().await;
}
