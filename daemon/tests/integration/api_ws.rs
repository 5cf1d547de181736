//! `GET /api/v1/ws` over a real socket: tenant isolation, sequence numbers, replay and
//! resync, refused tokens, slow and silent consoles, shutdown. Events are published
//! straight into the hub, as the pipeline will.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use closer_core::events::Event;
use closer_core::model::{CampaignId, ChatId, UserId};
use closer_daemon::AppState;
use closer_daemon::events::{EventHub, HubLimits};
use common::TestApp;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Console = WebSocketStream<MaybeTlsStream<TcpStream>>;

both_backends![
    each_business_gets_only_its_own_events_in_order,
    a_reconnect_with_last_seq_gets_exactly_what_it_missed,
    a_last_seq_out_of_reach_gets_a_resync,
    refused_tokens_get_a_json_401_and_no_upgrade,
];

/// `state` served on 127.0.0.1:0 until dropped, stopping as `closerd` does.
struct Server {
    addr: SocketAddr,
    events: Arc<EventHub>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(state: AppState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let events = Arc::clone(&state.events);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let hub = Arc::clone(&events);
        let shutdown = async move {
            let _ = stopped.await;
            hub.shut_down();
        };
        let task = tokio::spawn(closer_daemon::serve(listener, closer_daemon::router(state), shutdown));
        Self { addr, events, stop: Some(stop), task }
    }

    async fn connect(&self, query: &str, bearer: Option<&str>) -> Result<Console, tungstenite::Error> {
        let mut request =
            format!("ws://{}/api/v1/ws{query}", self.addr).into_client_request().expect("request");
        if let Some(token) = bearer {
            request
                .headers_mut()
                .insert(header::AUTHORIZATION, format!("Bearer {token}").parse().expect("header"));
        }
        let (console, response) = tokio_tungstenite::connect_async(request).await?;
        assert_eq!(response.headers()["x-closer-events-version"], "1");
        Ok(console)
    }

    async fn console(&self, token: &str) -> Console {
        self.connect("", Some(token)).await.expect("the upgrade is accepted")
    }

    /// Waits until the hub counts `n` connected consoles.
    async fn wait_connected(&self, n: usize) {
        let wait = async {
            while self.events.connected() != n {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("{} consoles connected, expected {n}", self.events.connected()));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn tenant(account: &common::Account) -> UserId {
    account.id.parse().expect("a user id")
}

fn event() -> Event {
    Event::CampaignDeleted { campaign_id: CampaignId::new() }
}

/// The next event frame, skipping pings; fails on anything else or after 5 s.
async fn next_event(console: &mut Console) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), console.next())
            .await
            .expect("an event within 5 s")
            .expect("the socket is open")
            .expect("a frame");
        match frame {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected an event, got {other:?}"),
        }
    }
}

/// Asserts that nothing but pings arrives for a moment.
async fn assert_quiet(console: &mut Console) {
    while let Ok(frame) = tokio::time::timeout(Duration::from_millis(200), console.next()).await {
        let frame = frame.expect("open").expect("frame");
        assert!(matches!(frame, Message::Ping(_) | Message::Pong(_)), "unexpected {frame:?}");
    }
}

/// Reads until the server closes: the close frame, if it got through.
async fn until_closed(console: &mut Console) -> (usize, Option<CloseFrame>) {
    let mut events = 0;
    let read = async {
        loop {
            match console.next().await {
                Some(Ok(Message::Text(_))) => events += 1,
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                // Dropped without a (complete) close frame: closed all the same.
                Some(Err(_)) | None => return None,
            }
        }
    };
    let frame = tokio::time::timeout(Duration::from_secs(20), read).await.expect("closed within 20 s");
    (events, frame)
}

async fn each_business_gets_only_its_own_events_in_order(app: &TestApp) {
    let (ana, bo) = (app.register("ana@bakery.example").await, app.register("bo@bikes.example").await);
    let server = Server::start(app.state.clone()).await;
    let mut ana_console = server.console(&ana.token).await;
    // The query-string token, for clients that cannot set headers.
    let mut bo_console = server.connect(&format!("?token={}", bo.token), None).await.expect("upgrade");
    server.wait_connected(2).await;
    // What a console sends is ignored.
    ana_console.send(Message::text("hello?")).await.expect("send");
    // Counted for Prometheus (other tests' consoles too: the recorder is per process).
    let metrics = app.call("GET", "/metrics", None, None).await;
    let text = metrics.body.as_str().expect("text");
    assert!(text.lines().any(|line| line.starts_with("closer_websocket_clients ")), "{text}");

    let hub = &app.state.events;
    let mut ana_seqs = Vec::new();
    let mut bo_seqs = Vec::new();
    for n in 0..6 {
        if n % 3 == 2 {
            bo_seqs.push(hub.publish(tenant(&bo), event()));
        } else {
            ana_seqs.push(hub.publish(tenant(&ana), event()));
        }
    }
    let chat_id = ChatId::new();
    let reason = "asked for a person".to_owned();
    ana_seqs.push(hub.publish(tenant(&ana), Event::HandoffRequested { chat_id, reason }));

    for (console, seqs) in [(&mut ana_console, &ana_seqs), (&mut bo_console, &bo_seqs)] {
        for expected in seqs {
            let value = next_event(console).await;
            assert_eq!(value["seq"], *expected, "{value}");
            assert!(value["at"].is_string(), "{value}");
        }
        assert_quiet(console).await;
    }
    assert!(ana_seqs.windows(2).all(|pair| pair[1] == pair[0] + 1), "{ana_seqs:?}");
    assert!(bo_seqs.windows(2).all(|pair| pair[1] == pair[0] + 1), "{bo_seqs:?}");

    // The shape on the wire.
    let seq = hub.publish(tenant(&bo), Event::HandoffRequested { chat_id, reason: "¿precio? 🚲".into() });
    let value = next_event(&mut bo_console).await;
    assert_eq!(value["seq"], seq);
    assert_eq!(value["type"], "chat.handoff_requested");
    assert_eq!(value["chat_id"], chat_id.to_string());
    assert_eq!(value["reason"], "¿precio? 🚲");
}

async fn a_reconnect_with_last_seq_gets_exactly_what_it_missed(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    let server = Server::start(app.state.clone()).await;
    let hub = &app.state.events;
    let mut console = server.console(&ana.token).await;
    server.wait_connected(1).await;
    let seen = [hub.publish(tenant(&ana), event()), hub.publish(tenant(&ana), event())];
    for seq in seen {
        assert_eq!(next_event(&mut console).await["seq"], seq);
    }
    console.close(None).await.expect("close");
    server.wait_connected(0).await;

    let missed: Vec<u64> = (0..3).map(|_| hub.publish(tenant(&ana), event())).collect();
    let mut console = server.console(&ana.token).await;
    // Without last_seq: only what comes next.
    let mut fresh = server.connect("", Some(&ana.token)).await.expect("upgrade");
    let mut resumed =
        server.connect(&format!("?last_seq={}", seen[1]), Some(&ana.token)).await.expect("upgrade");
    server.wait_connected(3).await;
    for seq in &missed {
        assert_eq!(next_event(&mut resumed).await["seq"], *seq);
    }
    let live = hub.publish(tenant(&ana), event());
    for console in [&mut resumed, &mut fresh, &mut console] {
        assert_eq!(next_event(console).await["seq"], live);
        assert_quiet(console).await;
    }

    // A bad last_seq is a clear 400, not a silent full stream.
    let response = app.call("GET", "/api/v1/ws?last_seq=yesterday", Some(&ana.token), None).await;
    response.expect(StatusCode::BAD_REQUEST, Some("invalid_query"));
}

async fn a_last_seq_out_of_reach_gets_a_resync(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    let server = Server::start(app.state.clone()).await;
    let hub = &app.state.events;
    let limit = HubLimits::default().replay_events;
    let first = hub.publish(tenant(&ana), event());
    let mut latest = first;
    for _ in 0..limit + 4 {
        latest = hub.publish(tenant(&ana), event());
    }
    for (last_seq, reason) in [(first, "too_old"), (1, "too_old"), (latest + 10, "unknown")] {
        let mut console =
            server.connect(&format!("?last_seq={last_seq}"), Some(&ana.token)).await.expect("upgrade");
        let value = next_event(&mut console).await;
        assert_eq!(value["type"], "resync", "{value}");
        assert_eq!(value["reason"], reason, "{value}");
        // Numbered as the latest event: a console that keeps it resumes at the next one.
        assert_eq!(value["seq"], latest);
        let next = hub.publish(tenant(&ana), event());
        assert_eq!(next_event(&mut console).await["seq"], next);
        latest = next;
    }
    // The oldest event still kept is replayed, not resynced.
    let mut console = server
        .connect(&format!("?last_seq={}", latest - limit as u64), Some(&ana.token))
        .await
        .expect("upgrade");
    assert_eq!(next_event(&mut console).await["seq"], latest - limit as u64 + 1);
}

async fn refused_tokens_get_a_json_401_and_no_upgrade(app: &TestApp) {
    let ana = app.register("ana@bakery.example").await;
    let server = Server::start(app.state.clone()).await;

    // Over a real socket the upgrade is refused with 401.
    let refusals = [
        (String::new(), None),
        ("?token=not-a-token".to_owned(), None),
        (String::new(), Some("not-a-token")),
        // A bad header is not rescued by a good query token.
        (format!("?token={}", ana.token), Some("not-a-token")),
    ];
    for (query, bearer) in refusals {
        match server.connect(&query, bearer).await {
            Err(tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{query} {bearer:?}");
            }
            other => panic!("{query} {bearer:?}: expected a 401, got {:?}", other.map(|_| "an upgrade")),
        }
    }
    assert_eq!(server.events.connected(), 0);

    // The body is the API's JSON error, whichever way the token came.
    let upgrade = |uri: &str, authorization: Option<&str>| {
        let mut request = Request::get(uri)
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_VERSION, "13")
            .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        request.body(Body::empty()).expect("request")
    };
    let cases = [
        (upgrade("/api/v1/ws", None), "unauthorized"),
        (upgrade("/api/v1/ws", Some("Basic YW5hOnB3")), "unauthorized"),
        (upgrade("/api/v1/ws", Some("Bearer ")), "unauthorized"),
        (upgrade("/api/v1/ws?token=", None), "unauthorized"),
        (upgrade("/api/v1/ws", Some("Bearer not-a-token")), "invalid_token"),
        (upgrade("/api/v1/ws?token=not-a-token", None), "invalid_token"),
    ];
    for (request, code) in cases {
        let uri = request.uri().clone();
        let response = app.send(request).await;
        response.expect(StatusCode::UNAUTHORIZED, Some(code));
        assert!(!response.body.to_string().contains("not-a-token"), "{uri}: {}", response.body);
    }

    // A good token on a plain GET: not a WebSocket.
    let response = app.call("GET", "/api/v1/ws", Some(&ana.token), None).await;
    response.expect(StatusCode::BAD_REQUEST, Some("websocket_expected"));

    // Expired: refused with its own code, both ways.
    app.clock.advance(Duration::from_mins(16));
    let response = app.send(upgrade(&format!("/api/v1/ws?token={}", ana.token), None)).await;
    response.expect(StatusCode::UNAUTHORIZED, Some("token_expired"));
    match server.connect("", Some(&ana.token)).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), StatusCode::UNAUTHORIZED),
        other => panic!("expected a 401, got {:?}", other.map(|_| "an upgrade")),
    }
}

/// A state whose hub has `limits`, on the app's clock and store.
fn with_limits(app: &TestApp, limits: HubLimits) -> AppState {
    let mut state = app.state.clone();
    state.events = Arc::new(EventHub::with_limits(Arc::new(app.clock.clone()), limits));
    state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_that_never_reads_is_dropped_while_the_others_get_everything() {
    // Far more than the kernel buffers between the daemon and a console that never reads.
    const EVENTS: usize = 400;
    let app = TestApp::sqlite().await;
    let ana = app.register("ana@bakery.example").await;
    let state = with_limits(&app, HubLimits { send_timeout: Duration::from_secs(1), ..HubLimits::default() });
    let hub = Arc::clone(&state.events);
    let server = Server::start(state).await;
    let mut sleeper = server.console(&ana.token).await;
    let mut reader = server.console(&ana.token).await;
    server.wait_connected(2).await;

    let reading = tokio::spawn(async move {
        let mut seqs = Vec::with_capacity(EVENTS);
        for _ in 0..EVENTS {
            seqs.push(next_event(&mut reader).await["seq"].as_u64().expect("seq"));
        }
        (seqs, reader)
    });
    let big = "x".repeat(32 * 1024);
    let published: Vec<u64> = (0..EVENTS)
        .map(|_| {
            hub.publish(tenant(&ana), Event::HandoffRequested { chat_id: ChatId::new(), reason: big.clone() })
        })
        .collect();

    server.wait_connected(1).await;
    let (seqs, mut reader) = reading.await.expect("the reader");
    assert_eq!(seqs, published, "the reading console got every event, in order");

    let (got, frame) = until_closed(&mut sleeper).await;
    assert!(got < EVENTS, "the sleeper was cut off, after {got} events");
    if let Some(frame) = frame {
        assert_eq!(
            (u16::from(frame.code), frame.reason.as_str()),
            (4000, "too slow: reconnect with last_seq")
        );
    }
    // And the survivor still gets what comes next.
    let seq = hub.publish(tenant(&ana), event());
    assert_eq!(next_event(&mut reader).await["seq"], seq);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_that_falls_behind_is_told_so_and_resumes_with_last_seq() {
    let app = TestApp::sqlite().await;
    let ana = app.register("ana@bakery.example").await;
    let limits = HubLimits {
        lag_events: 16,
        replay_bytes: 64 * 1024 * 1024,
        send_timeout: Duration::from_secs(30),
        ..HubLimits::default()
    };
    let state = with_limits(&app, limits);
    let hub = Arc::clone(&state.events);
    let server = Server::start(state).await;
    let mut console = server.console(&ana.token).await;
    server.wait_connected(1).await;

    // While the console does not read, the daemon's writes stall once the kernel
    // buffers are full (a few MB) and the rest piles up in the hub, far past 16.
    let big = "x".repeat(32 * 1024);
    let published: Vec<u64> = (0..400)
        .map(|_| {
            hub.publish(tenant(&ana), Event::HandoffRequested { chat_id: ChatId::new(), reason: big.clone() })
        })
        .collect();

    let mut received = Vec::new();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), console.next()).await.expect("a frame") {
            Some(Ok(Message::Text(text))) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("JSON");
                received.push(value["seq"].as_u64().expect("seq"));
            }
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame with a reason"),
            other => panic!("expected events then a close frame, got {other:?}"),
        }
    };
    assert_eq!((u16::from(close.code), close.reason.as_str()), (4000, "too slow: reconnect with last_seq"));
    assert!(!received.is_empty() && received.len() < published.len(), "{} received", received.len());
    assert_eq!(received, published[..received.len()], "in order, nothing skipped before the close");

    // Reconnecting with the last seq it saw, it gets exactly the rest.
    let last = received.last().copied().expect("some");
    let mut console = server.connect(&format!("?last_seq={last}"), Some(&ana.token)).await.expect("upgrade");
    for seq in &published[received.len()..] {
        assert_eq!(next_event(&mut console).await["seq"], *seq);
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keepalive_pings_and_drops_a_console_that_never_answers() {
    let app = TestApp::sqlite().await;
    let ana = app.register("ana@bakery.example").await;
    let state =
        with_limits(&app, HubLimits { ping_every: Duration::from_millis(300), ..HubLimits::default() });
    let server = Server::start(state).await;
    let mut silent = server.console(&ana.token).await;
    let mut alive = server.console(&ana.token).await;
    server.wait_connected(2).await;

    // Reading is what makes tungstenite answer the pings.
    let mut pings = 0;
    let listen = async {
        while let Some(Ok(frame)) = alive.next().await {
            pings += usize::from(matches!(frame, Message::Ping(_)));
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), listen).await;
    assert!(pings >= 3, "{pings} pings in 2 s");
    server.wait_connected(1).await;

    let (_, frame) = until_closed(&mut silent).await;
    let frame = frame.expect("a close frame");
    assert_eq!(u16::from(frame.code), 4001, "{frame:?}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_consoles_with_going_away() {
    let app = TestApp::sqlite().await;
    let ana = app.register("ana@bakery.example").await;
    let mut server = Server::start(app.state.clone()).await;
    let mut consoles = [server.console(&ana.token).await, server.console(&ana.token).await];
    server.wait_connected(2).await;

    server.stop.take().expect("running").send(()).expect("stop");
    for console in &mut consoles {
        let (_, frame) = until_closed(console).await;
        let frame = frame.expect("a close frame");
        assert_eq!(u16::from(frame.code), 1001, "{frame:?}");
    }
    tokio::time::timeout(Duration::from_secs(5), server.events.closed()).await.expect("all closed");
    let stopped = tokio::time::timeout(Duration::from_secs(5), &mut server.task).await;
    stopped.expect("serve returns").expect("joined").expect("served cleanly");
    app.finish().await;
}
