//! `/api/v1/chats` on both backends: the list (order, filters, pages), one chat with
//! its transcript and reply window, taking over / handing back / closing, tenants and
//! logins. Sales are in `api_chats_sales.rs`, the owner's own messages in
//! `api_chats_send.rs`.

use crate::common;

use std::cmp::Reverse;
use std::time::Duration;

use axum::http::StatusCode;
use closer_core::Clock as _;
use closer_core::model::{
    CampaignId, Chat, ChatMode, ChatStatus, ChatUpdate, LeadScore, NewChat, Platform, Sender, Timestamp,
    UserId,
};
use common::{
    TestApp, priced_campaign as campaign, seed_chat, seed_customer_chat as customer_chat, seed_message,
    start_time,
};
use serde_json::{Value, json};

both_backends![
    the_list_is_latest_activity_first_and_every_filter_narrows_it,
    pages_follow_each_other_without_gaps_or_repeats,
    bad_filters_are_400,
    a_chat_shows_its_messages_oldest_first_and_the_reply_window,
    takeover_release_and_close_move_the_chat,
    another_business_neither_sees_nor_changes_the_chats,
    every_chat_route_needs_a_token,
];

const CHATS: &str = "/api/v1/chats";

fn minutes(n: u64) -> Timestamp {
    start_time() + Duration::from_mins(n)
}

fn shaped(status: ChatStatus, mode: ChatMode, score: u8) -> ChatUpdate {
    let lead = LeadScore { score, reasons: vec![] };
    ChatUpdate { status: Some(status), mode: Some(mode), lead: Some(lead), ..ChatUpdate::default() }
}

/// Ana's five chats; returned in the order the list must show them.
async fn anas_chats(app: &TestApp, tenant: UserId, spring: CampaignId, summer: CampaignId) -> Vec<Chat> {
    use ChatMode::{Ai, Human};
    use ChatStatus::{Active, Closed, Qualified};
    let specs = [
        (("psid-1", "Ana María"), Some(spring), minutes(2), shaped(Active, Ai, 10)),
        (("psid-2", "Bruno Costa"), Some(spring), minutes(4), shaped(Qualified, Ai, 70)),
        (("psid-3", "Carla Dias"), Some(summer), minutes(1), shaped(Closed, Human, 40)),
        (("psid-4", "Zoë Martins"), None, minutes(5), shaped(Active, Human, 90)),
        // The same last activity as psid-1: the id breaks the tie.
        (("psid-5", "bruno alves"), Some(summer), minutes(2), shaped(Qualified, Ai, 85)),
    ];
    let mut chats = Vec::new();
    for (who, campaign, last, update) in specs {
        chats.push(customer_chat(app, tenant, who, campaign, last, update).await);
    }
    chats.sort_by_key(|c| Reverse((c.last_activity_at, c.id.to_string())));
    chats
}

/// The page's customer ids and its `next_cursor`.
async fn page(app: &TestApp, token: &str, query: &str) -> (Vec<String>, Option<String>) {
    let response = app.call("GET", &format!("{CHATS}{query}"), Some(token), None).await;
    let body = response.expect(StatusCode::OK, None);
    let ids = body["chats"].as_array().expect("chats").iter();
    let ids = ids.map(|c| c["customer_id"].as_str().expect("customer id").to_owned()).collect();
    (ids, body["next_cursor"].as_str().map(str::to_owned))
}

async fn listed(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (ids, next) = page(app, token, query).await;
    assert_eq!(next, None, "{query}: one page");
    ids
}

fn ids<'a>(chats: impl IntoIterator<Item = &'a Chat>) -> Vec<String> {
    chats.into_iter().map(|c| c.customer_id.clone()).collect()
}

async fn the_list_is_latest_activity_first_and_every_filter_narrows_it(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let spring = campaign(app, &ana.token, "Spring").await;
    let summer = campaign(app, &ana.token, "Summer").await;
    let chats = anas_chats(app, ana.tenant(), spring, summer).await;
    let order = ids(&chats);
    assert_eq!(order[..2], ["psid-4", "psid-2"]);
    assert_eq!(order[4], "psid-3");

    let response = app.call("GET", CHATS, Some(&ana.token), None).await;
    let body = response.expect(StatusCode::OK, None);
    assert_eq!(body["chats"], json!(chats), "whole chats, as stored");
    assert_eq!(body["next_cursor"], Value::Null);

    let only = |keep: &dyn Fn(&Chat) -> bool| ids(chats.iter().filter(|c| keep(c)));
    let cases: Vec<(String, Vec<String>)> = vec![
        ("?status=qualified".into(), only(&|c| c.status == ChatStatus::Qualified)),
        ("?status=closed".into(), vec!["psid-3".into()]),
        ("?status=converted".into(), vec![]),
        ("?mode=human".into(), vec!["psid-4".into(), "psid-3".into()]),
        ("?mode=ai".into(), only(&|c| c.mode == ChatMode::Ai)),
        (format!("?campaign_id={spring}"), vec!["psid-2".into(), "psid-1".into()]),
        (format!("?campaign_id={summer}"), only(&|c| c.campaign_id == Some(summer))),
        ("?campaign_id=0193a4c0-0000-7000-8000-000000000000".into(), vec![]),
        ("?min_score=70".into(), only(&|c| c.lead.score >= 70)),
        ("?min_score=0".into(), order.clone()),
        ("?min_score=100".into(), vec![]),
        ("?search=BRUNO".into(), only(&|c| c.customer_id == "psid-2" || c.customer_id == "psid-5")),
        ("?search=%20costa%20".into(), vec!["psid-2".into()]),
        ("?search=PSID-3".into(), vec!["psid-3".into()]),
        ("?search=ZO%C3%8B".into(), vec!["psid-4".into()]),
        // Literal text, not a pattern.
        ("?search=a.a".into(), vec![]),
        ("?search=".into(), order.clone()),
        (format!("?status=qualified&campaign_id={summer}&min_score=80&search=Alves"), vec!["psid-5".into()]),
    ];
    for (query, expected) in cases {
        assert_eq!(listed(app, &ana.token, &query).await, expected, "{query}");
    }
    assert_eq!(only(&|c| c.status == ChatStatus::Qualified).len(), 2);
}

async fn pages_follow_each_other_without_gaps_or_repeats(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let spring = campaign(app, &ana.token, "Spring").await;
    let summer = campaign(app, &ana.token, "Summer").await;
    let chats = anas_chats(app, ana.tenant(), spring, summer).await;
    let ai = ids(chats.iter().filter(|c| c.mode == ChatMode::Ai));
    for (filter, expected) in [("", ids(&chats)), ("&mode=ai", ai)] {
        for limit in 1..=5 {
            let mut seen = Vec::new();
            let mut pages = 0;
            let mut query = format!("?limit={limit}{filter}");
            loop {
                let (ids, next) = page(app, &ana.token, &query).await;
                assert!(ids.len() <= limit && !ids.is_empty(), "{query}: {ids:?}");
                seen.extend(ids);
                pages += 1;
                match next {
                    Some(cursor) => query = format!("?limit={limit}{filter}&cursor={cursor}"),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "limit {limit}{filter}");
            assert_eq!(pages, expected.len().div_ceil(limit), "limit {limit}{filter}");
        }
    }
}

async fn bad_filters_are_400(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let bad = [
        "?status=nope",
        "?status=",
        "?mode=robot",
        "?min_score=101",
        "?min_score=-1",
        "?min_score=high",
        "?cursor=garbage",
        "?cursor=1700000000000_",
        "?campaign_id=42",
        "?limit=many",
        "?colour=red",
    ];
    for query in bad {
        let response = app.call("GET", &format!("{CHATS}{query}"), Some(&ana.token), None).await;
        response.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
    }
    let response = app.call("GET", &format!("{CHATS}?min_score=101"), Some(&ana.token), None).await;
    let message = response.body["error"]["message"].as_str().expect("message");
    assert!(message.contains("min_score") && message.contains("0-100"), "{message}");
}

async fn a_chat_shows_its_messages_oldest_first_and_the_reply_window(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let t = start_time();
    let new = NewChat {
        user_id: ana.tenant(),
        platform: Platform::Facebook,
        customer_id: "psid-7".into(),
        customer_name: "Dora".into(),
        campaign_id: None,
        now: t,
    };
    let chat = seed_chat(app, new.clone()).await;
    let hours = |n| t + Duration::from_hours(n);
    let mut messages = vec![
        seed_message(app, &chat, Sender::Customer, "Hi", t).await,
        seed_message(app, &chat, Sender::Ai, "Hello! How can I help?", t + Duration::from_secs(1)).await,
        seed_message(app, &chat, Sender::Customer, "How much?", hours(2)).await,
        seed_message(app, &chat, Sender::Customer, "And shipping?", hours(2)).await,
        seed_message(app, &chat, Sender::Business, "19.99, shipping free", hours(3)).await,
        // Delivered late: listed by when it was sent; the window does not move back.
        seed_message(app, &chat, Sender::Customer, "Are you there?", t - Duration::from_hours(1)).await,
    ];
    messages.sort_by_key(|m| (m.sent_at, m.id.to_string()));
    let path = format!("{CHATS}/{}", chat.id);

    let response = app.call("GET", &path, Some(&ana.token), None).await;
    let body = response.expect(StatusCode::OK, None);
    let stored = app.store.get_chat(ana.tenant(), chat.id).await.expect("chat");
    assert_eq!(body["chat"], json!(stored));
    assert_eq!(body["chat"]["message_count"], 6);
    assert_eq!(body["chat"]["last_customer_message_at"], "2026-11-20T11:00:00.000Z");
    assert_eq!(body["window"]["automated_until"], "2026-11-21T11:00:00.000Z", "+ 24 hours");
    assert_eq!(body["window"]["human_until"], "2026-11-27T11:00:00.000Z", "+ 7 days");
    assert_eq!(body["messages"], json!(messages));
    assert_eq!(body["messages"][0]["text"], "Are you there?");
    assert_eq!(body["next_cursor"], Value::Null);

    for limit in [1, 2, 4] {
        let (mut seen, mut query) = (Vec::new(), format!("?limit={limit}"));
        loop {
            let response = app.call("GET", &format!("{path}{query}"), Some(&ana.token), None).await;
            let body = response.expect(StatusCode::OK, None).clone();
            let page = body["messages"].as_array().expect("messages").clone();
            assert!(!page.is_empty() && page.len() <= limit, "{body}");
            assert_eq!(body["window"]["automated_until"], "2026-11-21T11:00:00.000Z");
            seen.extend(page);
            match body["next_cursor"].as_str() {
                Some(cursor) => query = format!("?limit={limit}&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(json!(seen), json!(messages), "limit {limit}");
    }

    // A chat whose customer has not written: no window, no messages.
    let quiet = seed_chat(app, NewChat { customer_id: "psid-8".into(), ..new }).await;
    let response = app.call("GET", &format!("{CHATS}/{}", quiet.id), Some(&ana.token), None).await;
    let body = response.expect(StatusCode::OK, None);
    assert_eq!(body["window"], json!({ "automated_until": null, "human_until": null }));
    assert_eq!(body["messages"], json!([]));

    let bad_cursor = app.call("GET", &format!("{path}?cursor=nope"), Some(&ana.token), None).await;
    bad_cursor.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
    for id in ["0193a4c0-0000-7000-8000-000000000000", "not-a-uuid"] {
        let missing = app.call("GET", &format!("{CHATS}/{id}"), Some(&ana.token), None).await;
        missing.expect(StatusCode::NOT_FOUND, Some("not_found"));
    }
}

async fn takeover_release_and_close_move_the_chat(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let handoff = ChatUpdate { handoff_requested: Some(true), ..ChatUpdate::default() };
    let chat = customer_chat(app, ana.tenant(), ("psid-1", "Ana María"), None, start_time(), handoff).await;
    assert!(chat.handoff_requested);
    let path = |action: &str| format!("{CHATS}/{}/{action}", chat.id);
    let mut events = app.state.events.subscribe(ana.tenant(), None);

    app.clock.advance(Duration::from_mins(1));
    let response = app.call("POST", &path("takeover"), Some(&ana.token), None).await;
    let taken = response.expect(StatusCode::OK, None).clone();
    assert_eq!((&taken["mode"], &taken["handoff_requested"]), (&json!("human"), &json!(false)));
    assert_eq!((&taken["status"], &taken["id"]), (&json!("active"), &json!(chat.id)));
    assert_eq!(taken["updated_at"], json!(app.clock.now()));
    let stored = app.store.get_chat(ana.tenant(), chat.id).await.expect("chat");
    assert_eq!(json!(stored), taken);
    let frame = events.try_recv().expect("an event").expect("live");
    let event: Value = serde_json::from_str(&frame.json).expect("json");
    assert_eq!((&event["type"], &event["chat"]), (&json!("chat.updated"), &taken));

    // Handed back within the 24 hours: the customer is told, on the page it came from;
    // with no page connected, that notice is kept as failed for the owner to see.
    app.clock.advance(Duration::from_mins(1));
    let response = app.call("POST", &path("release"), Some(&ana.token), None).await;
    let released = response.expect(StatusCode::OK, None).clone();
    assert_eq!((&released["mode"], &released["handoff_requested"]), (&json!("ai"), &json!(false)));
    let transcript = app.call("GET", &format!("{CHATS}/{}", chat.id), Some(&ana.token), None).await;
    let messages = transcript.expect(StatusCode::OK, None)["messages"].as_array().expect("list").clone();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!((&messages[1]["sender"], &messages[1]["delivery"]), (&json!("ai"), &json!("failed")));
    assert!(messages[1]["text"].as_str().is_some_and(|t| t.contains("automated assistant")));

    // Releasing a chat the AI has already tells nobody anything.
    app.call("POST", &path("release"), Some(&ana.token), None).await.expect(StatusCode::OK, None);
    let count = app.store.get_chat(ana.tenant(), chat.id).await.expect("chat").message_count;
    assert_eq!(count, 2);

    let response = app.call("POST", &path("close"), Some(&ana.token), None).await;
    let closed = response.expect(StatusCode::OK, None).clone();
    assert_eq!((&closed["status"], &closed["mode"]), (&json!("closed"), &json!("ai")));
    let retaken = app.call("POST", &path("takeover"), Some(&ana.token), None).await;
    let retaken = retaken.expect(StatusCode::OK, None);
    assert_eq!((&retaken["status"], &retaken["mode"]), (&json!("closed"), &json!("human")));

    for action in ["takeover", "release", "close"] {
        let unknown = format!("{CHATS}/0193a4c0-0000-7000-8000-000000000000/{action}");
        let response = app.call("POST", &unknown, Some(&ana.token), None).await;
        response.expect(StatusCode::NOT_FOUND, Some("not_found"));
    }
}

async fn another_business_neither_sees_nor_changes_the_chats(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let bo = app.register("bo@florist.example").await;
    let spring = campaign(app, &ana.token, "Spring").await;
    let summer = campaign(app, &ana.token, "Summer").await;
    let chats = anas_chats(app, ana.tenant(), spring, summer).await;
    // Bo's customer has the same id as one of Ana's, and wrote last of all.
    let bos = customer_chat(
        app,
        bo.tenant(),
        ("psid-1", "Bo's customer"),
        None,
        minutes(30),
        ChatUpdate::default(),
    );
    let bos = bos.await;

    assert_eq!(listed(app, &bo.token, "").await, ["psid-1"]);
    assert_eq!(listed(app, &bo.token, &format!("?campaign_id={spring}")).await, Vec::<String>::new());
    assert_eq!(listed(app, &bo.token, "?search=bruno").await, Vec::<String>::new());
    assert_eq!(listed(app, &ana.token, "").await, ids(&chats), "not Bo's");
    let anas = app.call("GET", &format!("{CHATS}/{}", bos.id), Some(&ana.token), None).await;
    anas.expect(StatusCode::NOT_FOUND, Some("not_found"));

    for chat in &chats {
        let path = format!("{CHATS}/{}", chat.id);
        app.call("GET", &path, Some(&bo.token), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
        for action in ["takeover", "release", "close"] {
            let response = app.call("POST", &format!("{path}/{action}"), Some(&bo.token), None).await;
            response.expect(StatusCode::NOT_FOUND, Some("not_found"));
        }
        let sale = json!({ "amount_minor": 100, "currency": "USD" });
        let response = app.call("POST", &format!("{path}/convert"), Some(&bo.token), Some(sale)).await;
        response.expect(StatusCode::NOT_FOUND, Some("not_found"));
        let text = json!({ "text": "Hi, this is Bo" });
        let response = app.call("POST", &format!("{path}/messages"), Some(&bo.token), Some(text)).await;
        response.expect(StatusCode::NOT_FOUND, Some("not_found"));
        let stored = app.store.get_chat(ana.tenant(), chat.id).await.expect("chat");
        assert_eq!(&stored, chat, "unchanged");
    }
}

async fn every_chat_route_needs_a_token(app: &TestApp) {
    let ana = app.register("ana@cases.example").await;
    let chat =
        customer_chat(app, ana.tenant(), ("psid-1", "Ana María"), None, start_time(), ChatUpdate::default());
    let chat = chat.await;
    let path = format!("{CHATS}/{}", chat.id);
    let routes = [
        ("GET", CHATS.to_owned(), None),
        ("GET", path.clone(), None),
        ("POST", format!("{path}/takeover"), None),
        ("POST", format!("{path}/release"), None),
        ("POST", format!("{path}/close"), None),
        ("POST", format!("{path}/convert"), Some(json!({ "amount_minor": 1, "currency": "USD" }))),
        ("POST", format!("{path}/messages"), Some(json!({ "text": "Hi" }))),
    ];
    for (method, path, body) in routes {
        let response = app.call(method, &path, None, body.clone()).await;
        response.expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
        let response = app.call(method, &path, Some("forged"), body).await;
        response.expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    }
    assert_eq!(app.store.get_chat(ana.tenant(), chat.id).await.expect("chat"), chat, "unchanged");
}
