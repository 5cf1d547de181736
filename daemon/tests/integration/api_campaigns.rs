//! `/api/v1/campaigns` on both backends: drafts, edits by version, the status machine,
//! the default mark, and bad input.

use crate::common;

use std::time::Duration;

use axum::http::{StatusCode, header};
use closer_core::Clock as _;
use closer_core::model::{Platform, UserId};
use common::{Response, TestApp};
use serde_json::{Value, json};

both_backends![
    a_campaign_is_created_as_a_draft_and_read_back,
    bad_campaigns_are_refused_and_nothing_is_stored,
    the_list_is_newest_first_and_filters_by_status,
    edits_change_only_what_is_sent_and_need_the_current_version,
    transitions_follow_the_status_machine,
    only_drafts_can_be_deleted,
    one_default_per_platform,
    consoles_hear_of_every_campaign_change,
    campaigns_of_another_business_are_not_found_and_stay_unchanged,
    every_campaign_route_needs_a_token,
];

const CAMPAIGNS: &str = "/api/v1/campaigns";

fn message(response: &Response) -> &str {
    response.body["error"]["message"].as_str().unwrap_or_default()
}

/// A campaign with everything activation needs.
fn ready(name: &str) -> Value {
    json!({
        "name": name,
        "product": {
            "name": "Phone case",
            "description": "Shock-proof",
            "price": { "amount_minor": 1_999, "currency": "USD" },
            "images": ["https://shop.example/case.jpg"],
            "features": ["drop tested", "slim"],
        },
        "flow": {
            "greeting": "Hi! Looking for a case?",
            "qualification_questions": [
                { "question": "Which phone do you have?", "options": ["iPhone", "Android"] },
                { "question": "When do you need it?" },
            ],
            "closing_message": "Thanks!",
        },
    })
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let response = app.call("POST", CAMPAIGNS, Some(token), Some(body)).await;
    response.expect(StatusCode::CREATED, None).clone()
}

fn path_of(campaign: &Value, tail: &str) -> String {
    format!("{CAMPAIGNS}/{}{tail}", campaign["id"].as_str().expect("id"))
}

async fn post(app: &TestApp, token: &str, campaign: &Value, action: &str) -> Response {
    app.call("POST", &path_of(campaign, &format!("/{action}")), Some(token), None).await
}

async fn get(app: &TestApp, token: &str, campaign: &Value) -> Value {
    let response = app.call("GET", &path_of(campaign, ""), Some(token), None).await;
    response.expect(StatusCode::OK, None).clone()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app.call("GET", &format!("{CAMPAIGNS}{query}"), Some(token), None).await;
    response.expect(StatusCode::OK, None)["campaigns"].as_array().expect("campaigns").clone()
}

async fn a_campaign_is_created_as_a_draft_and_read_back(app: &TestApp) {
    let token = app.register("ana@cases.example").await.token;
    let response = app.call("POST", CAMPAIGNS, Some(&token), Some(ready("  Spring cases "))).await;
    let campaign = response.expect(StatusCode::CREATED, None).clone();
    assert_eq!(response.headers[header::LOCATION], path_of(&campaign, "").as_str());
    assert_eq!(campaign["name"], "Spring cases", "trimmed");
    assert_eq!(campaign["status"], "draft");
    assert_eq!(campaign["platform"], "facebook", "the default platform");
    assert_eq!(campaign["is_default"], false);
    assert_eq!(campaign["version"], 1);
    assert_eq!(campaign["created_at"], json!(app.clock.now()));
    assert_eq!(campaign["updated_at"], json!(app.clock.now()));
    assert_eq!(campaign["product"]["price"], json!({ "amount_minor": 1_999, "currency": "USD" }));
    assert_eq!(
        campaign["flow"]["qualification_questions"][1],
        json!({ "question": "When do you need it?", "options": [] })
    );
    assert_eq!(campaign["stats"]["conversations"], 0);
    assert_eq!(get(app, &token, &campaign).await, campaign);
    assert_eq!(list(app, &token, "").await, [campaign]);

    // Only the name is required; the platform can be chosen.
    let bare = create(app, &token, json!({ "name": "Later", "platform": "sandbox" })).await;
    assert_eq!(bare["platform"], "sandbox");
    assert_eq!(bare["product"]["price"], Value::Null);
    assert_eq!(bare["flow"]["greeting"], "");
}

async fn bad_campaigns_are_refused_and_nothing_is_stored(app: &TestApp) {
    let token = app.register("ana@cases.example").await.token;
    let with = |edit: fn(&mut Value)| {
        let mut body = ready("Spring");
        edit(&mut body);
        body
    };
    let cases = [
        (json!({ "platform": "facebook" }), StatusCode::BAD_REQUEST, "invalid_body", "name"),
        (json!({ "name": 7 }), StatusCode::BAD_REQUEST, "invalid_body", "name"),
        (json!({ "name": "x", "platform": "myspace" }), StatusCode::BAD_REQUEST, "invalid_body", "myspace"),
        (json!({ "name": "x", "status": "active" }), StatusCode::BAD_REQUEST, "invalid_body", "status"),
        (with(|b| b["product"]["colour"] = json!("red")), StatusCode::BAD_REQUEST, "invalid_body", "colour"),
        (
            with(|b| b["product"]["price"]["amount_minor"] = json!(19.99)),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "amount_minor",
        ),
        (
            with(|b| b["product"]["price"] = json!({ "amount_minor": 100 })),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "currency",
        ),
        (
            with(|b| b["product"]["features"] = json!("slim")),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "features",
        ),
        (json!({ "name": "   " }), StatusCode::UNPROCESSABLE_ENTITY, "invalid", "name must not be empty"),
        (
            json!({ "name": "x".repeat(201) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "name must be at most 200",
        ),
        (
            with(|b| b["product"]["price"]["amount_minor"] = json!(-1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "product.price.amount_minor must not be negative",
        ),
        (
            with(|b| b["product"]["price"]["currency"] = json!("dollars")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "product.price.currency",
        ),
        (
            with(|b| b["product"]["description"] = json!("x".repeat(5_001))),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "product.description",
        ),
        (
            with(|b| b["product"]["features"] = json!(["slim", " "])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "product.features[1]",
        ),
        (
            with(|b| b["flow"]["qualification_questions"][0]["options"] = json!(["x".repeat(21)])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "flow.qualification_questions[0].options[0]",
        ),
        (
            with(|b| b["flow"]["qualification_questions"] = json!(vec![json!({ "question": "?" }); 21])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "flow.qualification_questions",
        ),
    ];
    for (body, status, code, mention) in cases {
        let response = app.call("POST", CAMPAIGNS, Some(&token), Some(body.clone())).await;
        response.expect(status, Some(code));
        assert!(message(&response).contains(mention), "{body}: {}", response.body);
    }
    assert_eq!(list(app, &token, "").await, Vec::<Value>::new());
}

async fn the_list_is_newest_first_and_filters_by_status(app: &TestApp) {
    let token = app.register("ana@cases.example").await.token;
    let first = create(app, &token, ready("First")).await;
    app.clock.advance(Duration::from_secs(1));
    let second = create(app, &token, ready("Second")).await;
    app.clock.advance(Duration::from_secs(1));
    let third = create(app, &token, json!({ "name": "Third" })).await;
    post(app, &token, &second, "activate").await.expect(StatusCode::OK, None);
    post(app, &token, &first, "activate").await.expect(StatusCode::OK, None);
    post(app, &token, &first, "pause").await.expect(StatusCode::OK, None);

    let names = |campaigns: Vec<Value>| -> Vec<String> {
        campaigns.iter().map(|c| c["name"].as_str().expect("name").to_owned()).collect()
    };
    assert_eq!(names(list(app, &token, "").await), ["Third", "Second", "First"]);
    assert_eq!(names(list(app, &token, "?status=active").await), ["Second"]);
    assert_eq!(names(list(app, &token, "?status=paused").await), ["First"]);
    assert_eq!(names(list(app, &token, "?status=draft").await), ["Third"]);
    assert_eq!(list(app, &token, "?status=completed").await, Vec::<Value>::new());
    assert_eq!(list(app, &token, "?status=draft").await[0], third);

    for bad in ["?status=running", "?status=", "?colour=red"] {
        let response = app.call("GET", &format!("{CAMPAIGNS}{bad}"), Some(&token), None).await;
        response.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
    }
}

async fn edits_change_only_what_is_sent_and_need_the_current_version(app: &TestApp) {
    let token = app.register("ana@cases.example").await.token;
    let campaign = create(app, &token, ready("Spring")).await;
    let path = path_of(&campaign, "");

    app.clock.advance(Duration::from_mins(5));
    let edit = json!({
        "version": 1,
        "name": "Spring sale",
        "product": { "price": { "amount_minor": 1_499, "currency": "eur" } },
        "flow": { "closing_message": "See you!" },
    });
    let response = app.call("PATCH", &path, Some(&token), Some(edit)).await;
    let edited = response.expect(StatusCode::OK, None).clone();
    assert_eq!(edited["version"], 2);
    assert_eq!(edited["name"], "Spring sale");
    assert_eq!(edited["product"]["price"], json!({ "amount_minor": 1_499, "currency": "EUR" }));
    assert_eq!(edited["product"]["name"], "Phone case", "not sent, not changed");
    assert_eq!(edited["product"]["features"], campaign["product"]["features"]);
    assert_eq!(edited["flow"]["greeting"], campaign["flow"]["greeting"]);
    assert_eq!(edited["flow"]["closing_message"], "See you!");
    assert_eq!(edited["updated_at"], json!(app.clock.now()));
    assert_eq!(edited["created_at"], campaign["created_at"]);
    assert_eq!(get(app, &token, &campaign).await, edited);

    // A second editor still holding version 1 is told to reload, and changes nothing.
    let stale = app.call("PATCH", &path, Some(&token), Some(json!({ "version": 1, "name": "Mine" }))).await;
    stale.expect(StatusCode::CONFLICT, Some("conflict"));
    assert!(message(&stale).contains("reload"), "{}", stale.body);
    assert_eq!(get(app, &token, &campaign).await, edited);

    // `null` removes the price; lists are replaced whole.
    let edit = json!({ "version": 2, "product": { "price": null, "images": [] } });
    let response = app.call("PATCH", &path, Some(&token), Some(edit)).await;
    let edited = response.expect(StatusCode::OK, None).clone();
    assert_eq!(edited["product"]["price"], Value::Null);
    assert_eq!(edited["product"]["images"], json!([]));
    assert_eq!(edited["version"], 3);

    let cases = [
        (json!({ "name": "No version" }), StatusCode::BAD_REQUEST, "invalid_body", "version"),
        (json!({ "version": "3" }), StatusCode::BAD_REQUEST, "invalid_body", "version"),
        (json!({ "version": 3, "is_default": true }), StatusCode::BAD_REQUEST, "invalid_body", "is_default"),
        (
            json!({ "version": 3, "flow": { "greting": "Hi" } }),
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "greting",
        ),
        (
            json!({ "version": 3, "status": "active" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "/activate",
        ),
        (json!({ "version": 3, "name": "" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid", "name"),
        (
            json!({ "version": 3, "product": { "price": { "amount_minor": -5, "currency": "USD" } } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "product.price.amount_minor",
        ),
        (
            json!({ "version": 3, "product": { "price": { "amount_minor": 5, "currency": "US" } } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "product.price.currency",
        ),
        (json!({ "version": 2, "name": "Stale" }), StatusCode::CONFLICT, "conflict", "version 3 is stored"),
    ];
    for (body, status, code, mention) in cases {
        let response = app.call("PATCH", &path, Some(&token), Some(body.clone())).await;
        response.expect(status, Some(code));
        assert!(message(&response).contains(mention), "{body}: {}", response.body);
    }
    assert_eq!(get(app, &token, &campaign).await, edited, "no refused edit changed anything");
}

async fn transitions_follow_the_status_machine(app: &TestApp) {
    let token = app.register("ana@cases.example").await.token;
    let campaign = create(app, &token, json!({ "name": "Empty" })).await;

    let not_ready = post(app, &token, &campaign, "activate").await;
    not_ready.expect(StatusCode::UNPROCESSABLE_ENTITY, Some("not_ready"));
    for field in ["product.name", "product.price", "flow.greeting"] {
        assert!(message(&not_ready).contains(field), "{}", not_ready.body);
    }
    for action in ["pause", "resume", "complete"] {
        let refused = post(app, &token, &campaign, action).await;
        refused.expect(StatusCode::CONFLICT, Some("conflict"));
        assert!(message(&refused).contains("draft"), "{action}: {}", refused.body);
    }

    let fill = json!({
        "version": 1,
        "product": { "name": "Case", "price": { "amount_minor": 0, "currency": "USD" } },
        "flow": { "greeting": "Hello" },
    });
    app.call("PATCH", &path_of(&campaign, ""), Some(&token), Some(fill)).await.expect(StatusCode::OK, None);

    app.clock.advance(Duration::from_mins(1));
    let steps = [
        ("activate", "active"),
        ("pause", "paused"),
        ("resume", "active"),
        ("pause", "paused"),
        ("resume", "active"),
        ("complete", "completed"),
    ];
    let mut version = 2;
    for (action, status) in steps {
        let response = post(app, &token, &campaign, action).await;
        let moved = response.expect(StatusCode::OK, None);
        assert_eq!(moved["status"], status, "{action}");
        version += 1;
        assert_eq!(
            moved["version"], version,
            "a move is a write: editors holding the old version must reload"
        );
        assert_eq!(moved["updated_at"], json!(app.clock.now()));
        let illegal = if status == "active" { "activate" } else { "pause" };
        let refused = post(app, &token, &campaign, illegal).await;
        refused.expect(StatusCode::CONFLICT, Some("conflict"));
        assert!(message(&refused).contains(status), "{illegal} when {status}: {}", refused.body);
    }
    for action in ["activate", "pause", "resume", "complete"] {
        let refused = post(app, &token, &campaign, action).await;
        refused.expect(StatusCode::CONFLICT, Some("conflict"));
        assert!(message(&refused).contains("completed"), "{}", refused.body);
    }
    assert_eq!(get(app, &token, &campaign).await["status"], "completed");

    // An active campaign keeps what activation needed.
    let live = create(app, &token, ready("Live")).await;
    post(app, &token, &live, "activate").await.expect(StatusCode::OK, None);
    let before = get(app, &token, &live).await;
    let strip =
        json!({ "version": before["version"], "product": { "price": null }, "flow": { "greeting": "" } });
    let refused = app.call("PATCH", &path_of(&live, ""), Some(&token), Some(strip)).await;
    refused.expect(StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"));
    assert!(message(&refused).contains("product.price") && message(&refused).contains("flow.greeting"));
    assert_eq!(get(app, &token, &live).await, before);

    let unknown = format!("{CAMPAIGNS}/0193a4c0-0000-7000-8000-000000000000/activate");
    app.call("POST", &unknown, Some(&token), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
}

async fn only_drafts_can_be_deleted(app: &TestApp) {
    let token = app.register("ana@cases.example").await.token;
    let draft = create(app, &token, json!({ "name": "Draft" })).await;
    let active = create(app, &token, ready("Active")).await;
    post(app, &token, &active, "activate").await.expect(StatusCode::OK, None);
    let done = create(app, &token, ready("Done")).await;
    post(app, &token, &done, "activate").await.expect(StatusCode::OK, None);
    post(app, &token, &done, "complete").await.expect(StatusCode::OK, None);

    for (campaign, status) in [(&active, "active"), (&done, "completed")] {
        let refused = app.call("DELETE", &path_of(campaign, ""), Some(&token), None).await;
        refused.expect(StatusCode::CONFLICT, Some("conflict"));
        assert!(message(&refused).contains(status), "{}", refused.body);
        assert_eq!(get(app, &token, campaign).await["status"], status);
    }
    app.call("DELETE", &path_of(&draft, ""), Some(&token), None).await.expect(StatusCode::NO_CONTENT, None);
    let gone = app.call("GET", &path_of(&draft, ""), Some(&token), None).await;
    gone.expect(StatusCode::NOT_FOUND, Some("not_found"));
    let again = app.call("DELETE", &path_of(&draft, ""), Some(&token), None).await;
    again.expect(StatusCode::NOT_FOUND, Some("not_found"));
    assert_eq!(list(app, &token, "").await.len(), 2);
}

async fn one_default_per_platform(app: &TestApp) {
    let account = app.register("ana@cases.example").await;
    let token = account.token;
    let user: UserId = account.id.parse().expect("user id");
    let first = create(app, &token, ready("First")).await;
    let second = create(app, &token, ready("Second")).await;
    let mut sandbox = ready("Sandbox");
    sandbox["platform"] = json!("sandbox");
    let sandbox = create(app, &token, sandbox).await;
    let draft = create(app, &token, ready("Draft")).await;
    for campaign in [&first, &second, &sandbox] {
        post(app, &token, campaign, "activate").await.expect(StatusCode::OK, None);
    }

    let refused = post(app, &token, &draft, "default").await;
    refused.expect(StatusCode::CONFLICT, Some("conflict"));
    assert!(message(&refused).contains("draft"), "{}", refused.body);

    let marked = post(app, &token, &first, "default").await;
    assert_eq!(marked.expect(StatusCode::OK, None)["is_default"], true);
    let marked = post(app, &token, &second, "default").await;
    assert_eq!(marked.expect(StatusCode::OK, None)["is_default"], true);
    assert_eq!(get(app, &token, &first).await["is_default"], false, "the previous default lost the mark");
    post(app, &token, &sandbox, "default").await.expect(StatusCode::OK, None);
    assert_eq!(get(app, &token, &second).await["is_default"], true, "other platforms have their own default");

    let facebook = app.store.default_campaign(user, Platform::Facebook).await.expect("store");
    assert_eq!(facebook.map(|c| c.id.to_string()), second["id"].as_str().map(str::to_owned));

    // An edit keeps the mark; pausing drops it, and resuming does not give it back.
    let version = get(app, &token, &second).await["version"].clone();
    let edit = json!({ "version": version, "name": "Second, renamed" });
    let edited = app.call("PATCH", &path_of(&second, ""), Some(&token), Some(edit)).await;
    assert_eq!(edited.expect(StatusCode::OK, None)["is_default"], true);
    let paused = post(app, &token, &second, "pause").await;
    assert_eq!(paused.expect(StatusCode::OK, None)["is_default"], false);
    assert!(app.store.default_campaign(user, Platform::Facebook).await.expect("store").is_none());
    let refused = post(app, &token, &second, "default").await;
    refused.expect(StatusCode::CONFLICT, Some("conflict"));
    assert!(message(&refused).contains("paused"), "{}", refused.body);
    let resumed = post(app, &token, &second, "resume").await;
    assert_eq!(resumed.expect(StatusCode::OK, None)["is_default"], false);
    assert_eq!(get(app, &token, &sandbox).await["is_default"], true);
}

async fn campaigns_of_another_business_are_not_found_and_stay_unchanged(app: &TestApp) {
    let ana = app.register("ana@cases.example").await.token;
    let bo = app.register("bo@florist.example").await.token;
    let draft = create(app, &ana, ready("Ana's draft")).await;
    let active = create(app, &ana, ready("Ana's live one")).await;
    post(app, &ana, &active, "activate").await.expect(StatusCode::OK, None);
    let paused = create(app, &ana, ready("Ana's paused one")).await;
    post(app, &ana, &paused, "activate").await.expect(StatusCode::OK, None);
    post(app, &ana, &paused, "pause").await.expect(StatusCode::OK, None);
    let before = list(app, &ana, "").await;

    for campaign in [&draft, &active, &paused] {
        let path = path_of(campaign, "");
        let edit = json!({ "version": 1, "name": "Bo's now" });
        app.call("GET", &path, Some(&bo), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
        app.call("PATCH", &path, Some(&bo), Some(edit))
            .await
            .expect(StatusCode::NOT_FOUND, Some("not_found"));
        app.call("DELETE", &path, Some(&bo), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
        for action in ["activate", "pause", "resume", "complete", "default"] {
            post(app, &bo, campaign, action).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
        }
    }
    assert_eq!(list(app, &bo, "").await, Vec::<Value>::new());
    assert_eq!(list(app, &bo, "?status=active").await, Vec::<Value>::new());
    assert_eq!(list(app, &ana, "").await, before, "Ana's campaigns are untouched");

    for id in ["0193a4c0-0000-7000-8000-000000000000", "not-a-uuid", "42"] {
        let path = format!("{CAMPAIGNS}/{id}");
        app.call("GET", &path, Some(&ana), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
        app.call("DELETE", &path, Some(&ana), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
        let edit = json!({ "version": 1 });
        app.call("PATCH", &path, Some(&ana), Some(edit))
            .await
            .expect(StatusCode::NOT_FOUND, Some("not_found"));
        let pause = format!("{path}/pause");
        app.call("POST", &pause, Some(&ana), None).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    }
}

async fn every_campaign_route_needs_a_token(app: &TestApp) {
    let token = app.register("ana@cases.example").await.token;
    let campaign = create(app, &token, ready("Spring")).await;
    let mut routes = vec![
        ("GET", CAMPAIGNS.to_owned()),
        ("POST", CAMPAIGNS.to_owned()),
        ("GET", path_of(&campaign, "")),
        ("PATCH", path_of(&campaign, "")),
        ("DELETE", path_of(&campaign, "")),
    ];
    for action in ["activate", "pause", "resume", "complete", "default"] {
        routes.push(("POST", path_of(&campaign, &format!("/{action}"))));
    }
    for (method, path) in &routes {
        let body = Some(ready("Intruder"));
        app.call(method, path, None, body.clone())
            .await
            .expect(StatusCode::UNAUTHORIZED, Some("unauthorized"));
        app.call(method, path, Some("forged"), body)
            .await
            .expect(StatusCode::UNAUTHORIZED, Some("invalid_token"));
    }
    assert_eq!(list(app, &token, "").await, [get(app, &token, &campaign).await]);
    assert_eq!(get(app, &token, &campaign).await, campaign);
}

async fn consoles_hear_of_every_campaign_change(app: &TestApp) {
    let account = app.register("ana@cases.example").await;
    let token = account.token.clone();
    let mut events = app.state.events.subscribe(account.tenant(), None);
    let first = create(app, &token, ready("First")).await;
    let second = create(app, &token, ready("Second")).await;
    let draft = create(app, &token, ready("Draft")).await;
    for campaign in [&first, &second] {
        post(app, &token, campaign, "activate").await.expect(StatusCode::OK, None);
    }
    post(app, &token, &first, "default").await.expect(StatusCode::OK, None);
    post(app, &token, &second, "default").await.expect(StatusCode::OK, None);
    post(app, &token, &draft, "default").await.expect(StatusCode::CONFLICT, None);
    app.call("DELETE", &path_of(&draft, ""), Some(&token), None).await.expect(StatusCode::NO_CONTENT, None);

    // Published before each answer: all are there now, in order, and nothing for the refusal.
    let mut heard = Vec::new();
    while let Some(frame) = events.try_recv() {
        let event: Value = serde_json::from_str(&frame.expect("live").json).expect("json");
        let campaign = &event["campaign"];
        let name = campaign["name"].as_str().map_or_else(|| event["campaign_id"].to_string(), str::to_owned);
        let state = format!("{} {}", campaign["status"].as_str().unwrap_or("-"), campaign["is_default"]);
        heard.push(format!("{} {name} {state}", event["type"].as_str().unwrap_or_default()));
    }
    let draft_id = draft["id"].to_string();
    let expected = [
        "campaign.updated First draft false".to_owned(),
        "campaign.updated Second draft false".to_owned(),
        "campaign.updated Draft draft false".to_owned(),
        "campaign.updated First active false".to_owned(),
        "campaign.updated Second active false".to_owned(),
        "campaign.updated First active true".to_owned(),
        "campaign.updated First active false".to_owned(),
        "campaign.updated Second active true".to_owned(),
        format!("campaign.deleted {draft_id} - null"),
    ];
    assert_eq!(heard, expected);
}
