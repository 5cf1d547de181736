//! A business owner driving a running `closerd` over its REST API, as the CLI and the
//! console do: register, connect a page, set up a campaign, read chats and numbers,
//! and deliver signed Messenger webhooks as Facebook would.

use std::time::Duration;

use serde_json::{Value, json};

use crate::Closerd;

/// The app secret and verify token of the test daemons' Facebook app.
pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const APP_ID: &str = "1234567890";

/// The `[facebook]` section pointing at a fake Graph API, with our test app.
pub fn facebook_config(graph_url: &str) -> String {
    format!(
        "[facebook]\ngraph_api_base = {graph_url:?}\napp_id = {APP_ID:?}\napp_secret = {APP_SECRET:?}\n\
         verify_token = {VERIFY_TOKEN:?}\n"
    )
}

/// One logged-in owner of one daemon.
#[derive(Debug)]
pub struct Owner<'a> {
    pub daemon: &'a Closerd,
    pub token: String,
}

impl<'a> Owner<'a> {
    /// Registers `email` and fills in the business info.
    pub async fn register(daemon: &'a Closerd, email: &str) -> Self {
        let response = daemon
            .http()
            .post(daemon.url("/api/v1/auth/register"))
            .json(&json!({ "email": email, "password": "correct horse battery staple" }))
            .send()
            .await
            .expect("register");
        assert_eq!(response.status(), 201, "register: {}", response.text().await.unwrap_or_default());
        let body: Value = response.json().await.expect("json");
        let owner = Self { daemon, token: body["access_token"].as_str().expect("token").to_owned() };
        owner
            .call(
                "PATCH",
                "/api/v1/onboarding",
                Some(json!({
                    "business_name": "Ana's Bakery", "owner_name": "Ana", "industry": "food",
                    "description": "Sourdough and panettone, baked every morning."
                })),
            )
            .await
            .ok();
        owner
    }

    /// A request with the owner's token; the status and the JSON body (or the text).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.daemon.http().request(method, self.daemon.url(path)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the daemon answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    /// Connects `page_id` (the fake Graph must know `token` as that page).
    pub async fn connect_page(&self, page_id: &str, token: &str) {
        self.call(
            "POST",
            "/api/v1/integrations/facebook",
            Some(json!({ "page_id": page_id, "page_access_token": token })),
        )
        .await
        .ok();
    }

    /// An active default campaign with a price, a question and a closing; its id.
    pub async fn live_campaign(&self) -> String {
        let created = self
            .call(
                "POST",
                "/api/v1/campaigns",
                Some(json!({
                    "name": "Christmas panettone",
                    "product": { "name": "Panettone 1 kg", "price": { "amount_minor": 2490, "currency": "EUR" },
                                 "features": ["Baked to order", "Candied orange"] },
                    "flow": { "greeting": "Hello! Thinking of a panettone for Christmas?",
                              "qualification_questions": [{ "question": "For how many people?", "options": ["2-4", "5-8"] }],
                              "closing_message": "Wonderful! Here is how to order." }
                })),
            )
            .await;
        let id = created.ok()["id"].as_str().expect("campaign id").to_owned();
        self.call("POST", &format!("/api/v1/campaigns/{id}/activate"), None).await.ok();
        self.call("POST", &format!("/api/v1/campaigns/{id}/default"), None).await.ok();
        id
    }

    /// The business's chats (first page).
    pub async fn chats(&self) -> Vec<Value> {
        let list = self.call("GET", "/api/v1/chats?limit=500", None).await;
        list.ok()["chats"].as_array().cloned().unwrap_or_default()
    }

    /// One chat's messages (first 500).
    pub async fn messages(&self, chat_id: &str) -> Vec<Value> {
        let detail = self.call("GET", &format!("/api/v1/chats/{chat_id}?limit=500"), None).await;
        detail.ok()["messages"].as_array().cloned().unwrap_or_default()
    }

    /// Polls `check` every 50 ms until it returns `Some`, at most `timeout`.
    pub async fn eventually<T, F, Fut>(&self, timeout: Duration, what: &str, check: F) -> T
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}:\n{}",
                self.daemon.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Posts a Messenger webhook body as Facebook does: signed with the app secret.
pub async fn post_webhook(daemon: &Closerd, body: &[u8]) -> u16 {
    let (body, signature) = crate::messenger::signed(APP_SECRET, body);
    post_raw_webhook(daemon, body, Some(&signature)).await
}

/// Posts a webhook body with the given signature header (or none).
pub async fn post_raw_webhook(daemon: &Closerd, body: Vec<u8>, signature: Option<&str>) -> u16 {
    let mut request = daemon
        .http()
        .post(daemon.url("/webhooks/facebook"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.expect("the daemon answers").status().as_u16()
}

/// A status and a body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The body of a 2xx answer; panics with the body otherwise.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!((200..300).contains(&self.status), "HTTP {}: {}", self.status, self.body);
        &self.body
    }
}
