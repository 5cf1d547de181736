//! `/api/v1/integrations` on both backends, against a fake Graph API on 127.0.0.1:
//! connecting a Facebook page, Graph's refusals and failures, tenants, disconnecting,
//! and the page token never leaving the daemon in clear.

use crate::common;
use crate::fake_graph;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use closer_core::model::IntegrationId;
use closer_core::platform::facebook::MESSAGING_FIELDS;
use closer_core::store::Store;
use closer_core::store::cache::CachedStore;
use closer_daemon::{AppState, Settings};
use common::{Account, TestApp};
use fake_graph::FakeGraph;
use serde_json::{Value, json};

/// Short, so that the slow-Graph test is fast; long enough for a loaded machine.
const GRAPH_TIMEOUT: Duration = Duration::from_millis(500);
const PAGE: &str = "104729581234567";
const TOKEN: &str = "EAAPlainPageTokenThatMustNeverBeStored0123456789";
const FACEBOOK: &str = "/api/v1/integrations/facebook";

/// A test app whose Graph API is the fake.
struct Setup {
    app: TestApp,
    graph: FakeGraph,
}

impl Setup {
    async fn new(app: TestApp) -> Self {
        closer_daemon::crypto::install_crypto_provider();
        let graph = FakeGraph::start().await;
        let mut setup = Self { app, graph };
        setup.point_graph_at(&setup.graph.url());
        setup
    }

    /// Rebuilds the app's state with `graph_api_base = base`.
    fn point_graph_at(&mut self, base: &str) {
        let settings = Settings { graph_api_base: base.to_owned(), ..Settings::default() };
        let mut state =
            AppState::new(Arc::clone(&self.app.cache), Arc::new(self.app.clock.clone()), settings);
        state.graph = state.graph.clone().with_timeout(GRAPH_TIMEOUT);
        self.app.state = state;
    }

    /// Swaps in another store (one whose file or database the test can inspect).
    fn use_store(&mut self, store: Arc<CachedStore>) {
        self.app.store = Arc::clone(&store) as Arc<dyn Store>;
        self.app.cache = store;
        self.point_graph_at(&self.graph.url());
    }

    async fn connect(&self, account: &Account, page_id: &str, token: &str) -> common::Response {
        let body = json!({ "page_id": page_id, "page_access_token": token });
        self.app.call("POST", FACEBOOK, Some(&account.token), Some(body)).await
    }

    async fn status(&self, account: &Account) -> common::Response {
        self.app.call("GET", FACEBOOK, Some(&account.token), None).await
    }

    /// What the store holds for this view, token included.
    async fn stored(&self, account: &Account, view: &Value) -> closer_core::model::Integration {
        let id: IntegrationId = view["id"].as_str().expect("id").parse().expect("an integration id");
        let user = account.id.parse().expect("a user id");
        self.app.store.get_integration(user, id).await.expect("stored")
    }

    fn graph_calls(&self, path_end: &str) -> usize {
        self.graph.requests().iter().filter(|r| r.path.ends_with(path_end)).count()
    }
}

/// Like `both_backends!`, for tests that take a [`Setup`].
macro_rules! with_fake_graph {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let mut setup = super::Setup::new(crate::common::TestApp::sqlite().await).await;
                    super::$test(&mut setup).await;
                    setup.app.finish().await;
                }
            )*
        }
        mod mongodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let mut setup = super::Setup::new(crate::common::TestApp::mongodb().await).await;
                    super::$test(&mut setup).await;
                    setup.app.finish().await;
                }
            )*
        }
    };
}

with_fake_graph![
    connecting_checks_the_token_subscribes_the_page_and_never_shows_the_token,
    connecting_again_updates_the_token_and_keeps_the_integration,
    graph_refusals_are_422_and_store_nothing,
    graph_failures_are_502,
    an_unreachable_graph_is_502_with_a_clear_message,
    a_slow_graph_is_502_within_the_timeout,
    a_token_of_another_page_is_refused,
    a_page_held_by_another_business_is_409,
    bad_bodies_are_refused_before_calling_graph,
    every_route_needs_a_valid_login,
    disconnecting_forgets_the_token_and_frees_the_page,
    connecting_a_second_page_lets_the_first_go,
    another_business_sees_nothing_and_changes_nothing,
];

async fn connecting_checks_the_token_subscribes_the_page_and_never_shows_the_token(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    let response = setup.connect(&ana, PAGE, &format!(" {TOKEN} ")).await;
    let view = response.expect(StatusCode::CREATED, None).clone();
    assert_eq!(view["platform"], "facebook");
    assert_eq!(view["page_id"], PAGE);
    assert_eq!(view["page_name"], "Ana's Bakery");
    assert_eq!(view["status"], "connected");
    assert_eq!(view["connected_at"], "2026-11-20T09:00:00.000Z");
    assert_eq!(view["updated_at"], view["connected_at"]);
    let mut keys: Vec<_> = view.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["connected_at", "id", "page_id", "page_name", "platform", "status", "updated_at"]);

    let requests = setup.graph.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("GET", "/v21.0/me"));
    assert_eq!(requests[0].query("fields"), Some("id,name"));
    assert_eq!(requests[0].query("access_token"), Some(TOKEN));
    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].path, format!("/v21.0/{PAGE}/subscribed_apps"));
    assert_eq!(requests[1].query("subscribed_fields"), Some(MESSAGING_FIELDS));
    assert_eq!(
        MESSAGING_FIELDS,
        "messages,messaging_postbacks,message_echoes,message_deliveries,message_reads"
    );
    assert_eq!(requests[1].query("access_token"), Some(TOKEN));

    let shown = setup.status(&ana).await;
    assert_eq!(shown.expect(StatusCode::OK, None), &view);
    let listed = setup.app.call("GET", "/api/v1/integrations", Some(&ana.token), None).await;
    assert_eq!(listed.expect(StatusCode::OK, None), &json!([view]));
    for body in [&response.body, &shown.body, &listed.body] {
        let text = body.to_string();
        assert!(!text.contains(TOKEN) && !text.contains("v1:") && !text.contains("token"), "{text}");
    }

    // Sealed in the store, and it opens to the token.
    let stored = setup.stored(&ana, &view).await;
    assert!(stored.token.0.starts_with("v1:") && !stored.token.0.contains(TOKEN), "{}", stored.token.0);
    assert_eq!(setup.app.state.sealer.open(&stored.token).expect("opens"), TOKEN);
}

async fn connecting_again_updates_the_token_and_keeps_the_integration(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    let first = setup.connect(&ana, PAGE, TOKEN).await.expect(StatusCode::CREATED, None).clone();
    setup.app.clock.advance(Duration::from_mins(10));
    setup.graph.page("EAANewToken", PAGE, "Ana's Bakery & Café");
    let again = setup.connect(&ana, PAGE, "EAANewToken").await;
    let again = again.expect(StatusCode::OK, None);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["page_name"], "Ana's Bakery & Café");
    assert_eq!(again["connected_at"], first["connected_at"]);
    assert_eq!(again["updated_at"], "2026-11-20T09:10:00.000Z");
    let stored = setup.stored(&ana, again).await;
    assert_eq!(setup.app.state.sealer.open(&stored.token).expect("opens"), "EAANewToken");
}

async fn graph_refusals_are_422_and_store_nothing(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    setup.graph.expired("EAAExpired");
    setup.graph.page("EAANoPermission", PAGE, "Ana's Bakery");
    setup.graph.refuse_subscription("EAANoPermission", 200, "(#200) Permissions error");
    let cases = [
        ("EAAExpired", "token_invalid", "token invalid or expired"),
        ("EAANeverIssued", "token_invalid", "token invalid or expired"),
        ("EAANoPermission", "permission_denied", "pages_messaging"),
    ];
    for (token, code, mention) in cases {
        let response = setup.connect(&ana, PAGE, token).await;
        response.expect(StatusCode::UNPROCESSABLE_ENTITY, Some(code));
        let message = response.body["error"]["message"].as_str().expect("message");
        assert!(message.contains(mention) && !message.contains(token), "{message}");
    }
    assert_eq!(setup.graph_calls("/subscribed_apps"), 1, "only the token Graph accepted got that far");
    setup.status(&ana).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
}

async fn graph_failures_are_502(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    setup.graph.failing("EAAFailing");
    let response = setup.connect(&ana, PAGE, "EAAFailing").await;
    response.expect(StatusCode::BAD_GATEWAY, Some("graph_error"));
    let message = response.body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("Service temporarily unavailable") && message.contains("try again"),
        "{message}"
    );
    setup.status(&ana).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
}

async fn an_unreachable_graph_is_502_with_a_clear_message(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    setup.point_graph_at(&format!("http://{closed}"));
    let response = setup.connect(&ana, PAGE, TOKEN).await;
    response.expect(StatusCode::BAD_GATEWAY, Some("graph_unreachable"));
    let message = response.body["error"]["message"].as_str().expect("message");
    assert!(message.starts_with(&format!("cannot reach the Graph API at http://{closed}: ")), "{message}");
    assert!(!message.contains(TOKEN), "{message}");
    setup.status(&ana).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
}

async fn a_slow_graph_is_502_within_the_timeout(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    setup.graph.slow(TOKEN, Duration::from_secs(30));
    let started = Instant::now();
    let response = setup.connect(&ana, PAGE, TOKEN).await;
    let took = started.elapsed();
    response.expect(StatusCode::BAD_GATEWAY, Some("graph_unreachable"));
    assert!(took >= GRAPH_TIMEOUT && took < GRAPH_TIMEOUT * 6, "took {took:?}");
    let message = response.body["error"]["message"].as_str().expect("message");
    assert!(message.contains("did not answer within 0.5 s"), "{message}");
}

async fn a_token_of_another_page_is_refused(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    setup.graph.page(TOKEN, "998877", "Someone Else's Shop");
    let response = setup.connect(&ana, PAGE, TOKEN).await;
    response.expect(StatusCode::UNPROCESSABLE_ENTITY, Some("wrong_page"));
    let message = response.body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("998877") && message.contains("Someone Else's Shop") && message.contains(PAGE),
        "{message}"
    );
    assert_eq!(setup.graph_calls("/subscribed_apps"), 0, "nothing is subscribed");
    setup.status(&ana).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
}

async fn a_page_held_by_another_business_is_409(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    let ben = setup.app.register("ben@bakery.example").await;
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    setup.graph.page("EAABensToken", PAGE, "Ana's Bakery");
    let anas = setup.connect(&ana, PAGE, TOKEN).await.expect(StatusCode::CREATED, None).clone();
    setup.connect(&ben, PAGE, "EAABensToken").await.expect(StatusCode::CONFLICT, Some("conflict"));
    setup.status(&ben).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    assert_eq!(setup.status(&ana).await.expect(StatusCode::OK, None), &anas);
    let stored = setup.stored(&ana, &anas).await;
    assert_eq!(setup.app.state.sealer.open(&stored.token).expect("opens"), TOKEN, "Ana's token is kept");
}

async fn bad_bodies_are_refused_before_calling_graph(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    let malformed = [
        json!("not an object"),
        json!({ "page_id": PAGE }),
        json!({ "page_access_token": TOKEN }),
        json!({ "page_id": 104_729_581, "page_access_token": TOKEN }),
        json!({ "page_id": PAGE, "page_access_token": ["x"] }),
        json!({ "page_id": PAGE, "page_access_token": TOKEN, "status": "connected" }),
    ];
    let invalid = [
        json!({ "page_id": " ", "page_access_token": TOKEN }),
        json!({ "page_id": "my-bakery", "page_access_token": TOKEN }),
        json!({ "page_id": "1".repeat(101), "page_access_token": TOKEN }),
        json!({ "page_id": PAGE, "page_access_token": "" }),
        json!({ "page_id": PAGE, "page_access_token": "two words" }),
    ];
    let cases = malformed.map(|body| (body, StatusCode::BAD_REQUEST, "invalid_body"));
    let cases =
        cases.into_iter().chain(invalid.map(|body| (body, StatusCode::UNPROCESSABLE_ENTITY, "invalid")));
    for (body, status, code) in cases {
        let response = setup.app.call("POST", FACEBOOK, Some(&ana.token), Some(body.clone())).await;
        assert_eq!(response.status, status, "{body} → {}", response.body);
        response.expect(status, Some(code));
        assert!(!response.body.to_string().contains(TOKEN), "{}", response.body);
    }
    assert!(setup.graph.requests().is_empty(), "{:?}", setup.graph.requests());
}

async fn every_route_needs_a_valid_login(setup: &mut Setup) {
    let body = json!({ "page_id": PAGE, "page_access_token": TOKEN });
    for (method, path) in
        [("POST", FACEBOOK), ("GET", FACEBOOK), ("DELETE", FACEBOOK), ("GET", "/api/v1/integrations")]
    {
        for token in [None, Some("not-a-real-token")] {
            let response = setup.app.call(method, path, token, Some(body.clone())).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", response.body);
        }
    }
    assert!(setup.graph.requests().is_empty());
}

async fn disconnecting_forgets_the_token_and_frees_the_page(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    let ben = setup.app.register("ben@bakery.example").await;
    setup
        .app
        .call("DELETE", FACEBOOK, Some(&ana.token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    let connected = setup.connect(&ana, PAGE, TOKEN).await.expect(StatusCode::CREATED, None).clone();

    setup.app.clock.advance(Duration::from_mins(1));
    let response = setup.app.call("DELETE", FACEBOOK, Some(&ana.token), None).await;
    let gone = response.expect(StatusCode::OK, None).clone();
    assert_eq!((&gone["id"], &gone["status"]), (&connected["id"], &json!("disconnected")));
    assert_eq!(gone["updated_at"], "2026-11-20T09:01:00.000Z");
    assert_eq!(setup.status(&ana).await.expect(StatusCode::OK, None), &gone);
    assert_eq!(setup.stored(&ana, &gone).await.token.0, "", "a disconnected page keeps no token");
    let again = setup.app.call("DELETE", FACEBOOK, Some(&ana.token), None).await;
    assert_eq!(again.expect(StatusCode::OK, None), &gone, "disconnecting twice is harmless");

    setup.graph.page("EAABensToken", PAGE, "Ana's Bakery");
    let bens = setup.connect(&ben, PAGE, "EAABensToken").await;
    assert_eq!(bens.expect(StatusCode::CREATED, None)["status"], "connected");
    let anas = setup.app.call("GET", "/api/v1/integrations", Some(&ana.token), None).await;
    let anas = anas.expect(StatusCode::OK, None).as_array().expect("list").clone();
    assert!(anas.iter().all(|i| i["status"] != "connected"), "{anas:?}");
}

async fn connecting_a_second_page_lets_the_first_go(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    let ben = setup.app.register("ben@bakery.example").await;
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    setup.graph.page("EAASecondPage", "555", "Ana's Café");
    setup.connect(&ana, PAGE, TOKEN).await.expect(StatusCode::CREATED, None);
    setup.app.clock.advance(Duration::from_mins(1));
    let second = setup.connect(&ana, "555", "EAASecondPage").await.expect(StatusCode::CREATED, None).clone();
    assert_eq!(setup.status(&ana).await.expect(StatusCode::OK, None), &second);

    let listed = setup.app.call("GET", "/api/v1/integrations", Some(&ana.token), None).await;
    let statuses: Vec<_> = listed
        .expect(StatusCode::OK, None)
        .as_array()
        .expect("list")
        .iter()
        .map(|i| {
            (
                i["page_id"].as_str().expect("page id").to_owned(),
                i["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [(PAGE.to_owned(), "disconnected".to_owned()), ("555".to_owned(), "connected".to_owned())]
    );
    setup.graph.page("EAABensToken", PAGE, "Ana's Bakery");
    setup.connect(&ben, PAGE, "EAABensToken").await.expect(StatusCode::CREATED, None);
}

async fn another_business_sees_nothing_and_changes_nothing(setup: &mut Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    let ben = setup.app.register("ben@bakery.example").await;
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    let anas = setup.connect(&ana, PAGE, TOKEN).await.expect(StatusCode::CREATED, None).clone();
    setup.status(&ben).await.expect(StatusCode::NOT_FOUND, Some("not_found"));
    let bens = setup.app.call("GET", "/api/v1/integrations", Some(&ben.token), None).await;
    assert_eq!(bens.expect(StatusCode::OK, None), &json!([]));
    setup
        .app
        .call("DELETE", FACEBOOK, Some(&ben.token), None)
        .await
        .expect(StatusCode::NOT_FOUND, Some("not_found"));
    assert_eq!(setup.status(&ana).await.expect(StatusCode::OK, None), &anas);
}

// ── At rest: the bytes the backends write ──────────────────────────────────────

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_file_never_holds_the_plaintext_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("closer.db").display());
    let mut setup = Setup::new(TestApp::sqlite().await).await;
    setup.use_store(closer_daemon::open_store(&url).await.expect("open the store"));
    connect_for_the_record(&setup).await;

    // The database and its WAL: the page id is there (so this reads the right bytes),
    // the token is not.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("list the store's files") {
        bytes.extend(std::fs::read(entry.expect("entry").path()).expect("read a store file"));
    }
    assert!(contains(&bytes, PAGE.as_bytes()), "the page id should be in the store's files");
    assert!(!contains(&bytes, TOKEN.as_bytes()), "the plaintext token is in the SQLite files");
    setup.app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mongodb_collection_never_holds_the_plaintext_token() {
    let server = tokio::task::spawn_blocking(common::mongodb_server::server_uri).await.expect("join");
    let name = format!("closer_at_rest_{}", uuid::Uuid::now_v7().simple());
    let url = common::mongodb_server::with_database(server, &name);
    let mut setup = Setup::new(TestApp::mongodb().await).await;
    setup.use_store(closer_daemon::open_store(&url).await.expect("open the store"));
    connect_for_the_record(&setup).await;

    let client = ::mongodb::Client::with_uri_str(&url).await.expect("MongoDB client");
    let database = client.database(&name);
    let integrations = database.collection::<::mongodb::bson::Document>("integrations");
    let record = integrations.find_one(::mongodb::bson::doc! {}).await.expect("query").expect("a record");
    let text = record.to_string();
    assert!(text.contains(PAGE), "{text}");
    assert!(!text.contains(TOKEN), "the plaintext token is in the collection: {text}");
    database.drop().await.expect("drop the test database");
    setup.app.finish().await;
}

async fn connect_for_the_record(setup: &Setup) {
    let ana = setup.app.register("ana@bakery.example").await;
    setup.graph.page(TOKEN, PAGE, "Ana's Bakery");
    setup.connect(&ana, PAGE, TOKEN).await.expect(StatusCode::CREATED, None);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}
