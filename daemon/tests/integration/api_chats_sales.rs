//! `POST /api/v1/chats/{id}/convert` on both backends: a sale is recorded once, with
//! the campaign's currency or the one given, and counted in the analytics and in the
//! campaign's stats; bad sales are refused and count nothing, and neither two owners
//! clicking at once nor an absurd amount can make the numbers wrong.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use closer_core::model::{CampaignId, ChatStatus, ChatUpdate};
use common::{TestApp, priced_campaign as campaign, seed_customer_chat as customer_chat, start_time};
use serde_json::{Value, json};

both_backends![
    a_sale_is_recorded_once_and_counted,
    bad_sales_are_refused_and_count_nothing,
    sales_of_one_chat_at_the_same_moment_count_once,
    an_absurd_amount_cannot_break_the_numbers,
];

const CHATS: &str = "/api/v1/chats";

/// The business's summary of the last 7 days, and the campaign's stats.
async fn numbers(app: &TestApp, token: &str, campaign: CampaignId) -> (Value, Value) {
    let summary = app.call("GET", "/api/v1/analytics", Some(token), None).await;
    let summary = summary.expect(StatusCode::OK, None)["current"].clone();
    let campaign = app.call("GET", &format!("/api/v1/campaigns/{campaign}"), Some(token), None).await;
    (summary, campaign.expect(StatusCode::OK, None)["stats"].clone())
}

async fn a_sale_is_recorded_once_and_counted(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let spring = campaign(app, &ana.token, "Spring").await;
    let active = ChatUpdate::default();
    let chat =
        customer_chat(app, ana.tenant(), ("psid-1", "Ana María"), Some(spring), start_time(), active).await;
    let path = format!("{CHATS}/{}/convert", chat.id);

    app.clock.advance(Duration::from_mins(5));
    let response = app.call("POST", &path, Some(&ana.token), Some(json!({ "amount_minor": 4_990 }))).await;
    let converted = response.expect(StatusCode::OK, None).clone();
    assert_eq!(converted["status"], "converted");
    let conversion = json!({
        "converted": true,
        "order_value": { "amount_minor": 4_990, "currency": "USD" },
        "converted_at": "2026-11-20T09:05:00.000Z",
    });
    assert_eq!(converted["conversion"], conversion, "the currency of the campaign's price");
    let shown = app.call("GET", &format!("{CHATS}/{}", chat.id), Some(&ana.token), None).await;
    assert_eq!(shown.expect(StatusCode::OK, None)["chat"], converted);

    let (summary, stats) = numbers(app, &ana.token, spring).await;
    assert_eq!(summary["totals"]["conversions"], 1);
    assert_eq!(summary["totals"]["revenue_minor"], 4_990);
    assert_eq!(summary["average_order_minor"], 4_990);
    assert_eq!((&stats["conversions"], &stats["revenue_minor"]), (&json!(1), &json!(4_990)));
    let by_campaign = app.call("GET", "/api/v1/analytics/campaigns", Some(&ana.token), None).await;
    let line = by_campaign.expect(StatusCode::OK, None)["campaigns"][0].clone();
    assert_eq!((&line["name"], &line["metrics"]["revenue_minor"]), (&json!("Spring"), &json!(4_990)));

    app.clock.advance(Duration::from_mins(5));
    let again = app.call("POST", &path, Some(&ana.token), Some(json!({ "amount_minor": 100 }))).await;
    again.expect(StatusCode::CONFLICT, Some("conflict"));
    let shown = app.call("GET", &format!("{CHATS}/{}", chat.id), Some(&ana.token), None).await;
    assert_eq!(shown.expect(StatusCode::OK, None)["chat"], converted, "unchanged");
    assert_eq!(numbers(app, &ana.token, spring).await, (summary, stats), "counted once");

    // A chat in no campaign says its currency; lower case is fine.
    let other =
        customer_chat(app, ana.tenant(), ("psid-2", "Bruno"), None, start_time(), ChatUpdate::default())
            .await;
    let body = json!({ "amount_minor": 0, "currency": " usd " });
    let path = format!("{CHATS}/{}/convert", other.id);
    let response = app.call("POST", &path, Some(&ana.token), Some(body)).await;
    let free = response.expect(StatusCode::OK, None);
    assert_eq!(free["conversion"]["order_value"], json!({ "amount_minor": 0, "currency": "USD" }));
    let (summary, _) = numbers(app, &ana.token, spring).await;
    assert_eq!(
        (&summary["totals"]["conversions"], &summary["average_order_minor"]),
        (&json!(2), &json!(2_495))
    );
}

async fn bad_sales_are_refused_and_count_nothing(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let spring = campaign(app, &ana.token, "Spring").await;
    let (in_spring, in_none) = (("psid-1", "Ana María"), ("psid-2", "Bruno"));
    let chat_in_spring =
        customer_chat(app, ana.tenant(), in_spring, Some(spring), start_time(), ChatUpdate::default());
    let chat_in_spring = chat_in_spring.await;
    let chat_in_none =
        customer_chat(app, ana.tenant(), in_none, None, start_time(), ChatUpdate::default()).await;
    let before = numbers(app, &ana.token, spring).await;

    let cases = [
        (
            &chat_in_spring,
            json!({ "amount_minor": -1 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "negative",
        ),
        (
            &chat_in_spring,
            json!({ "amount_minor": 5, "currency": "dollars" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "currency",
        ),
        (
            &chat_in_none,
            json!({ "amount_minor": 5 }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "currency",
        ),
        (
            &chat_in_spring,
            json!({ "amount_minor": 5, "discount": 1 }),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "discount",
        ),
        (
            &chat_in_spring,
            json!({ "amount_minor": "49.90" }),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "amount_minor",
        ),
        (
            &chat_in_spring,
            json!({ "amount_minor": 49.9 }),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "amount_minor",
        ),
        (
            &chat_in_spring,
            json!({ "currency": "USD" }),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "amount_minor",
        ),
    ];
    for (chat, body, status, code, mention) in cases {
        let path = format!("{CHATS}/{}/convert", chat.id);
        let response = app.call("POST", &path, Some(&ana.token), Some(body.clone())).await;
        response.expect(status, Some(code));
        let message = response.body["error"]["message"].as_str().expect("message");
        assert!(message.contains(mention), "{body}: {message}");
    }
    let malformed = axum::http::Request::builder()
        .method("POST")
        .uri(format!("{CHATS}/{}/convert", chat_in_spring.id))
        .header("authorization", format!("Bearer {}", ana.token))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"amount_minor\": 49"))
        .expect("request");
    app.send(malformed).await.expect(StatusCode::BAD_REQUEST, Some("malformed_json"));

    for chat in [&chat_in_spring, &chat_in_none] {
        let stored = app.store.get_chat(ana.tenant(), chat.id).await.expect("chat");
        assert_eq!((stored.status, stored.conversion.converted), (ChatStatus::Active, false));
    }
    assert_eq!(numbers(app, &ana.token, spring).await, before, "nothing counted");
    assert_eq!(before.0["totals"]["conversions"], 0);
}

/// Two consoles (or a double click) recording the sale at once: one wins, the other
/// is told it is converted already, and the sale is counted once.
async fn sales_of_one_chat_at_the_same_moment_count_once(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let spring = campaign(app, &ana.token, "Spring").await;
    let chat = customer_chat(
        app,
        ana.tenant(),
        ("psid-1", "Ana"),
        Some(spring),
        start_time(),
        ChatUpdate::default(),
    );
    let chat = chat.await;
    let path = format!("{CHATS}/{}/convert", chat.id);
    let sales =
        (0..8).map(|n| app.call("POST", &path, Some(&ana.token), Some(json!({ "amount_minor": 100 + n }))));
    let answers = futures_util::future::join_all(sales).await;
    let won: Vec<&Value> = answers.iter().filter(|a| a.status == StatusCode::OK).map(|a| &a.body).collect();
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
    assert_eq!(won.len(), 1, "{statuses:?}");
    assert!(answers.iter().all(|a| a.status == StatusCode::OK || a.status == StatusCode::CONFLICT));
    let amount = won[0]["conversion"]["order_value"]["amount_minor"].clone();
    let stored = app.store.get_chat(ana.tenant(), chat.id).await.expect("chat");
    assert_eq!(json!(stored.conversion.order_value.map(|v| v.amount_minor)), amount);
    let (summary, stats) = numbers(app, &ana.token, spring).await;
    assert_eq!(
        (&summary["totals"]["conversions"], &summary["totals"]["revenue_minor"]),
        (&json!(1), &amount)
    );
    assert_eq!((&stats["conversions"], &stats["revenue_minor"]), (&json!(1), &amount));
}

/// A typo of a few digits too many (or `i64::MAX`) must be refused, or at least leave
/// the analytics readable and every sale counted.
async fn an_absurd_amount_cannot_break_the_numbers(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let shape = ChatUpdate::default();
    let first = customer_chat(app, ana.tenant(), ("psid-1", "Ana"), None, start_time(), shape.clone()).await;
    let second = customer_chat(app, ana.tenant(), ("psid-2", "Bo"), None, start_time(), shape).await;
    let mut recorded = 0;
    for (chat, amount) in [(&first, i64::MAX), (&second, 1)] {
        let body = json!({ "amount_minor": amount, "currency": "USD" });
        let response =
            app.call("POST", &format!("{CHATS}/{}/convert", chat.id), Some(&ana.token), Some(body)).await;
        assert!(matches!(response.status.as_u16(), 200 | 422), "{}", response.body);
        recorded += usize::from(response.status == StatusCode::OK);
    }
    for route in ["", "/daily", "/campaigns"] {
        let response = app.call("GET", &format!("/api/v1/analytics{route}"), Some(&ana.token), None).await;
        response.expect(StatusCode::OK, None);
    }
    let summary = app.call("GET", "/api/v1/analytics", Some(&ana.token), None).await;
    assert_eq!(summary.body["current"]["totals"]["conversions"], json!(recorded), "{}", summary.body);
}
