//! The API under test: `router(state)` called without a socket (`oneshot`), on a real
//! store (a fresh SQLite file, or a fresh database on the MongoDB test server) and a
//! clock the test moves.
//!
//! `both_backends!` turns each `async fn(TestApp)` into one test per backend.

#![allow(dead_code, clippy::missing_panics_doc)]

#[path = "../../../../tests/harness/mongodb.rs"]
pub mod mongodb_server;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use closer_core::ManualClock;
use closer_core::model::Timestamp;
use closer_core::store::Store;
use closer_core::store::cache::CachedStore;
use closer_daemon::{AppState, Settings, router};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub struct TestApp {
    pub store: Arc<dyn Store>,
    /// The same store, as the read cache the daemon's state is built on.
    pub cache: Arc<CachedStore>,
    pub clock: ManualClock,
    pub state: AppState,
    /// The client address requests come from (the login throttle counts by it).
    pub client: SocketAddr,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Mongo(mongodb::Client, String),
    /// Shares another app's store, which cleans it up.
    Shared,
}

/// A fixed start, so that tests speak of known days and hours.
pub fn start_time() -> Timestamp {
    Timestamp::parse("2026-11-20T09:00:00.000Z").expect("valid")
}

impl TestApp {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("closer.db").display());
        Self::with_store(&url, Cleanup::Sqlite(dir)).await
    }

    pub async fn mongodb() -> Self {
        let server = tokio::task::spawn_blocking(mongodb_server::server_uri).await.expect("join");
        let name = format!("closer_api_{}", uuid::Uuid::now_v7().simple());
        let url = mongodb_server::with_database(server, &name);
        let client = mongodb::Client::with_uri_str(&url).await.expect("MongoDB client");
        Self::with_store(&url, Cleanup::Mongo(client, name)).await
    }

    async fn with_store(url: &str, cleanup: Cleanup) -> Self {
        // As the daemon opens it (behind the read cache). Tests that write through
        // `store` behind the API's back share that cache, so the API sees their writes.
        let cache = closer_daemon::open_store(url).await.expect("open the store");
        let clock = ManualClock::new(start_time());
        let state = AppState::new(Arc::clone(&cache), Arc::new(clock.clone()), Settings::default());
        let store = Arc::clone(&cache) as Arc<dyn Store>;
        Self { store, cache, clock, state, client: "127.0.0.1:40000".parse().expect("addr"), cleanup }
    }

    /// The same store and clock behind a daemon configured with `settings`.
    pub fn with_settings(&self, settings: Settings) -> Self {
        let state = AppState::new(Arc::clone(&self.cache), Arc::new(self.clock.clone()), settings);
        Self {
            store: Arc::clone(&self.store),
            cache: Arc::clone(&self.cache),
            clock: self.clock.clone(),
            state,
            client: self.client,
            cleanup: Cleanup::Shared,
        }
    }

    pub async fn finish(self) {
        if let Cleanup::Mongo(client, name) = &self.cleanup {
            client.database(name).drop().await.expect("drop the test database");
        }
    }

    pub fn app(&self) -> Router {
        router(self.state.clone())
    }

    /// Sends a request; `body` is sent as JSON when given. Returns the status and the
    /// body parsed as JSON (`Value::Null` for an empty body).
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => {
                request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string()))
            }
            None => request.body(Body::empty()),
        };
        self.send(request.expect("request")).await
    }

    /// Sends a request built by the test (raw bodies, odd headers).
    pub async fn send(&self, mut request: Request<Body>) -> Response {
        request.extensions_mut().insert(ConnectInfo(self.client));
        let response = self.app().oneshot(request).await.expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Response { status, headers, body }
    }

    /// Registers an account and returns its access token.
    pub async fn register(&self, email: &str) -> Account {
        let response = self
            .call(
                "POST",
                "/api/v1/auth/register",
                None,
                Some(json!({ "email": email, "password": PASSWORD })),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        Account {
            id: response.body["account"]["id"].as_str().expect("id").to_owned(),
            token: response.body["access_token"].as_str().expect("access token").to_owned(),
            refresh_token: response.body["refresh_token"].as_str().expect("refresh token").to_owned(),
        }
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub token: String,
    pub refresh_token: String,
}

#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Response {
    /// Asserts the status and, for errors, the error code; returns the body.
    #[track_caller]
    pub fn expect(&self, status: StatusCode, code: Option<&str>) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        if let Some(code) = code {
            assert_eq!(self.body["error"]["code"], code, "{}", self.body);
            assert!(self.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", self.body);
        }
        &self.body
    }
}

/// One test per backend for each `async fn(&TestApp)` named.
#[macro_export]
macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let app = $crate::common::TestApp::sqlite().await;
                    super::$test(&app).await;
                    app.finish().await;
                }
            )*
        }
        mod mongodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let app = $crate::common::TestApp::mongodb().await;
                    super::$test(&app).await;
                    app.finish().await;
                }
            )*
        }
    };
}

// ── Chats, messages and pipeline workers (api_chats, api_sandbox) ──────────────

impl Account {
    /// The business this account is: the tenant its data is kept under.
    pub fn tenant(&self) -> closer_core::model::UserId {
        self.id.parse().expect("an account id is a user id")
    }
}

/// A chat straight in the store (no pipeline, no analytics), with no messages yet.
pub async fn seed_chat(app: &TestApp, new: closer_core::model::NewChat) -> closer_core::model::Chat {
    let (chat, created) = app.store.find_or_create_chat(&new).await.expect("seed a chat");
    assert!(created, "{} already has a chat", new.customer_id);
    chat
}

/// A message straight in the store: the customer's as received (with a platform id),
/// the AI's or the owner's as sent.
pub async fn seed_message(
    app: &TestApp,
    chat: &closer_core::model::Chat,
    sender: closer_core::model::Sender,
    text: &str,
    at: Timestamp,
) -> closer_core::model::Message {
    use closer_core::model::{DeliveryState, Message, MessageId, Sender};
    let id = MessageId::new();
    let customer = sender == Sender::Customer;
    let message = Message {
        id,
        chat_id: chat.id,
        user_id: chat.user_id,
        sender,
        text: text.to_owned(),
        platform_message_id: customer.then(|| format!("mid.{id}")),
        sent_at: at,
        delivery: if customer { DeliveryState::Received } else { DeliveryState::Sent },
        error: None,
        quick_replies: vec![],
        attachments: vec![],
    };
    app.store.append_message(&message).await.expect("seed a message");
    message
}

/// Polls `probe` until it gives something, for at most `timeout`; panics naming `what`.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "waited {timeout:?} for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The pipeline's workers on `app`'s state, until [`Workers::stop`].
pub struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    running: closer_daemon::pipeline::Running,
}

impl Workers {
    pub fn start(app: &TestApp) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = closer_daemon::pipeline::start(&app.state, &stopped).expect("the pipeline's threads");
        Self { stop, running }
    }

    /// Tells them to stop and waits (a few seconds at most) until they have.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        self.running.finish(std::time::Duration::from_secs(5)).await;
    }
}

/// `[ai]` for a model behind the fake OpenAI server at `url`: no retries, 5 s.
pub fn model_config(url: String) -> closer_core::config::AiConfig {
    closer_core::config::AiConfig {
        provider: closer_core::config::AiProvider::OpenAi,
        api_key: "sk-test".into(),
        base_url: url,
        timeout_secs: 5,
        max_retries: 0,
        ..closer_core::config::AiConfig::default()
    }
}

/// Plays the sandbox customer `maria` writing `text`.
pub async fn play(app: &TestApp, token: &str, text: &str) {
    let body = json!({ "customer_id": "maria", "text": text });
    app.call("POST", "/api/v1/sandbox/messages", Some(token), Some(body))
        .await
        .expect(StatusCode::ACCEPTED, None);
}

/// The messages of `chat`, oldest first.
pub async fn chat_messages(app: &TestApp, token: &str, chat: &str) -> Vec<Value> {
    let detail = app.call("GET", &format!("/api/v1/chats/{chat}?limit=500"), Some(token), None).await;
    detail.expect(StatusCode::OK, None)["messages"].as_array().cloned().unwrap_or_default()
}

/// The sandbox connected and a priced campaign active, through the API: a shop whose
/// customers can be played.
pub async fn open_sandbox_shop(app: &TestApp, token: &str) -> closer_core::model::CampaignId {
    app.call("POST", "/api/v1/integrations/sandbox", Some(token), None)
        .await
        .expect(StatusCode::CREATED, None);
    let campaign = priced_campaign(app, token, "Cases").await;
    app.call("POST", &format!("/api/v1/campaigns/{campaign}/activate"), Some(token), None)
        .await
        .expect(StatusCode::OK, None);
    campaign
}

/// A draft campaign priced 19.99 USD, created through the API.
pub async fn priced_campaign(app: &TestApp, token: &str, name: &str) -> closer_core::model::CampaignId {
    let body = json!({
        "name": name,
        "product": { "name": "Phone case", "price": { "amount_minor": 1_999, "currency": "USD" } },
        "flow": { "greeting": "Hi!" },
    });
    let response = app.call("POST", "/api/v1/campaigns", Some(token), Some(body)).await;
    let id = response.expect(StatusCode::CREATED, None)["id"].as_str().expect("id").to_owned();
    id.parse().expect("a campaign id")
}

/// A Facebook chat created at the start time whose customer wrote once, at `last`;
/// then `update`d (as of the start time).
pub async fn seed_customer_chat(
    app: &TestApp,
    tenant: closer_core::model::UserId,
    (customer_id, name): (&str, &str),
    campaign_id: Option<closer_core::model::CampaignId>,
    last: Timestamp,
    update: closer_core::model::ChatUpdate,
) -> closer_core::model::Chat {
    let new = closer_core::model::NewChat {
        user_id: tenant,
        platform: closer_core::model::Platform::Facebook,
        customer_id: customer_id.to_owned(),
        customer_name: name.to_owned(),
        campaign_id,
        now: start_time(),
    };
    let chat = seed_chat(app, new).await;
    seed_message(app, &chat, closer_core::model::Sender::Customer, "Hello?", last).await;
    app.store.update_chat(tenant, chat.id, &update, start_time()).await.expect("update the chat")
}
