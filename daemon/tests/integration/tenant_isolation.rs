//! The tenant wall, route by route: for every documented operation whose path takes
//! an id, business B using business A's id gets 404, and A's data is unchanged.
//!
//! The routes come from the OpenAPI document, so a new route with an id is covered
//! the day it is added (and fails here if no id of A's is known for it yet).

use crate::common;

use axum::http::StatusCode;
use closer_core::Clock as _;
use closer_core::model::{NewChat, Platform, UserId};
use common::TestApp;
use serde_json::{Value, json};

both_backends![business_b_cannot_reach_business_a_by_id];

async fn business_b_cannot_reach_business_a_by_id(app: &TestApp) {
    let ana = app.register("ana@shop.example").await;
    let bob = app.register("bob@shop.example").await;
    let ids = seed(app, &ana.token).await;
    let before = snapshot(app, &ana.token).await;

    let document = app.call("GET", "/api/v1/openapi.json", None, None).await.body.clone();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.contains('{') {
            continue;
        }
        let concrete = fill(path, &ids);
        for method in item.as_object().expect("operations").keys() {
            let method = method.to_uppercase();
            // A body that would be accepted, so that only the tenant check can refuse.
            let body = acceptable_body(&method, path);
            let response = app.call(&method, &concrete, Some(&bob.token), body).await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{method} {concrete} as B: {}", response.body);
            assert_eq!(response.body["error"]["code"], "not_found");
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} operations with ids were checked");
    assert_eq!(snapshot(app, &ana.token).await, before, "A's data changed");
}

/// A's records, one of each kind a path can name.
async fn seed(app: &TestApp, token: &str) -> Vec<(&'static str, String)> {
    let campaign = app
        .call(
            "POST",
            "/api/v1/campaigns",
            Some(token),
            Some(json!({
                "name": "Ana's",
                "product": { "name": "Bread", "price": { "amount_minor": 450, "currency": "EUR" } },
                "flow": { "greeting": "Hello!" }
            })),
        )
        .await;
    let campaign = campaign.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    let document = app
        .call(
            "POST",
            "/api/v1/onboarding/documents",
            Some(token),
            Some(json!({ "filename": "recipe.md", "content": "A's secret recipe" })),
        )
        .await;
    let document = document.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    let leo = app
        .call("POST", "/api/v1/ai/leo", Some(token), Some(json!({ "message": "revenue this week" })))
        .await;
    let leo = leo.expect(StatusCode::OK, None)["conversation_id"].as_str().expect("id").to_owned();
    let tenant = ana_id(app, token).await;
    let new = NewChat {
        user_id: tenant,
        platform: Platform::Sandbox,
        customer_id: "maria".into(),
        customer_name: "Maria".into(),
        campaign_id: None,
        now: app.clock.now(),
    };
    let (chat, _) = app.store.find_or_create_chat(&new).await.expect("A's chat");
    vec![
        ("/campaigns/", campaign),
        ("/documents/", document),
        ("/leo/", leo),
        ("/chats/", chat.id.to_string()),
    ]
}

async fn ana_id(app: &TestApp, token: &str) -> UserId {
    let me = app.call("GET", "/api/v1/auth/me", Some(token), None).await;
    me.expect(StatusCode::OK, None)["id"].as_str().expect("id").parse().expect("a user id")
}

/// A body the route would take from its owner.
fn acceptable_body(method: &str, path: &str) -> Option<Value> {
    match method {
        "PATCH" | "PUT" => Some(json!({ "version": 1, "name": "Bob's now" })),
        "POST" if path.ends_with("/messages") => Some(json!({ "text": "Hi, Bob here" })),
        "POST" if path.ends_with("/convert") => Some(json!({ "amount_minor": 100, "currency": "EUR" })),
        _ => None,
    }
}

/// `path` with its `{id}` replaced by A's id of the kind the path names.
fn fill(path: &str, ids: &[(&str, String)]) -> String {
    let (_, id) = ids
        .iter()
        .find(|(kind, _)| path.contains(&format!("{kind}{{")))
        .unwrap_or_else(|| panic!("no id of business A is known for {path}: add one to seed()"));
    let open = path.find('{').expect("a parameter");
    let close = path[open..].find('}').expect("closed") + open;
    format!("{}{id}{}", &path[..open], &path[close + 1..])
}

/// Everything A can read, to compare before and after B's attempts.
async fn snapshot(app: &TestApp, token: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        "/api/v1/campaigns",
        "/api/v1/onboarding",
        "/api/v1/onboarding/documents",
        "/api/v1/integrations",
        "/api/v1/chats",
    ] {
        seen.push(app.call("GET", path, Some(token), None).await.expect(StatusCode::OK, None).clone());
    }
    seen
}
