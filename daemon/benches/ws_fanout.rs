//! WebSocket fan-out: the time from an event's creation to its arrival at each of
//! 1,000 consoles of one business.
//!
//! `cargo bench -p closer-daemon --bench ws_fanout` (add `-- CLIENTS RATE…` to change
//! the number of consoles and the event rates, e.g. `-- 1000 100 1000`). The real
//! router is served on 127.0.0.1:0 in this process; the consoles are tokio-tungstenite
//! clients in the same process, so they share its 2 cores with the daemon and the
//! figures are upper bounds. Each event is a `chat.message` of ~700 bytes whose text
//! starts with its creation instant (nanoseconds since the run began); the publisher
//! creates and publishes one every 1/RATE seconds for `SECONDS`.

// Latencies are nanoseconds: far below 2^52, and rates are small counts.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use closer_core::events::Event;
use closer_core::model::{ChatId, DeliveryState, Message, MessageId, Sender, Timestamp, UserId};
use closer_daemon::events::EventHub;
use closer_daemon::{AppState, Settings, router, serve};
use futures_util::StreamExt as _;
use http_body_util::BodyExt as _;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tower::ServiceExt as _;

const SECONDS: u64 = 5;
/// The issue's target for the 99th percentile with 1,000 consoles.
const TARGET_P99: Duration = Duration::from_millis(50);

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let numbers: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let clients = numbers.first().copied().unwrap_or(1_000) as usize;
    let rates = if numbers.len() > 1 { numbers[1..].to_vec() } else { vec![100, 1_000] };
    check_fd_limit(clients);

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = closer_daemon::open_store(&url).await.expect("SQLite");
    let state = AppState::new(store, Arc::new(closer_core::SystemClock), Settings::default());
    let (tenant, token) = register(&state).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let hub = Arc::clone(&state.events);
    tokio::spawn(serve(listener, router(state), std::future::pending()));

    println!(
        "ws fan-out: {clients} consoles of one business, {} worker threads, {SECONDS} s per rate\n",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!(
        "{:>9} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "events/s", "frames/s", "received", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "publish p99"
    );
    let mut worst_p99 = Duration::ZERO;
    for rate in rates {
        let run = Run::start(addr, &token, clients).await;
        while hub.connected() < clients {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // From a task, as the pipeline's workers will.
        let publisher = tokio::spawn(publish(Arc::clone(&hub), tenant, rate, run.epoch));
        let publish_times = publisher.await.expect("publisher");
        let (latencies, closed) = run.finish().await;
        let expected = clients * publish_times.len();
        let p99 = percentile(&latencies, 0.99);
        worst_p99 = worst_p99.max(p99);
        println!(
            "{rate:>9} {:>10.0} {:>10} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.1} µs",
            latencies.len() as f64 / SECONDS as f64,
            format!("{}/{expected}", latencies.len()),
            ms(percentile(&latencies, 0.50)),
            ms(p99),
            ms(percentile(&latencies, 0.999)),
            ms(latencies.last().copied().unwrap_or_default()),
            percentile(&publish_times, 0.99).as_secs_f64() * 1e6,
        );
        if closed > 0 || latencies.len() < expected {
            println!(
                "          {closed} consoles were disconnected; {} frames missing",
                expected - latencies.len()
            );
        }
        while hub.connected() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let verdict = if worst_p99 < TARGET_P99 { "met" } else { "MISSED" };
    let peak = std::fs::read_to_string("/proc/self/status").ok().and_then(|status| {
        status
            .lines()
            .find(|line| line.starts_with("VmHWM"))
            .map(|line| line.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
    });
    println!("\npeak memory of the process (daemon and consoles): {}", peak.as_deref().unwrap_or("unknown"));
    println!("target p99 < {} ms with {clients} consoles: {verdict}", TARGET_P99.as_millis());
}

/// The consoles of one rate's run, each counting what it receives.
struct Run {
    epoch: Instant,
    stop: tokio::sync::watch::Sender<bool>,
    consoles: Vec<tokio::task::JoinHandle<(Vec<Duration>, bool)>>,
}

impl Run {
    async fn start(addr: std::net::SocketAddr, token: &str, clients: usize) -> Self {
        let epoch = Instant::now();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let url = format!("ws://{addr}/api/v1/ws?token={token}");
        // Connected a hundred at a time, so the accept backlog never overflows.
        let sockets: Vec<_> = futures_util::stream::iter(0..clients)
            .map(|_| {
                // tungstenite zero-fills its whole read buffer before each read: the
                // default 128 KiB would make the consoles, not the daemon, the bottleneck.
                let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
                tokio_tungstenite::connect_async_with_config(url.clone(), Some(config), true)
            })
            .buffer_unordered(100)
            .collect()
            .await;
        let consoles = sockets
            .into_iter()
            .map(|socket| {
                let (socket, _) = socket.expect("a console connects");
                tokio::spawn(console(socket, epoch, stopped.clone()))
            })
            .collect();
        Self { epoch, stop, consoles }
    }

    /// Waits a moment for the last frames, then collects every console's latencies,
    /// sorted, and how many consoles were closed by the daemon.
    async fn finish(self) -> (Vec<Duration>, usize) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.stop.send_replace(true);
        let mut latencies = Vec::new();
        let mut closed = 0;
        for console in self.consoles {
            let (mut own, was_closed) = console.await.expect("console task");
            latencies.append(&mut own);
            closed += usize::from(was_closed);
        }
        latencies.sort_unstable();
        (latencies, closed)
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One console: notes the arrival instant of each event before anything else, then
/// reads the creation instant from the text.
async fn console(
    mut socket: Socket,
    epoch: Instant,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> (Vec<Duration>, bool) {
    let mut latencies = Vec::with_capacity(8_192);
    loop {
        let frame = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return (latencies, false),
            frame = socket.next() => frame,
        };
        let arrived = epoch.elapsed();
        match frame {
            Some(Ok(tungstenite::Message::Text(text))) => {
                if let Some(created) = created_at(text.as_str()) {
                    latencies.push(arrived.saturating_sub(created));
                }
            }
            Some(Ok(tungstenite::Message::Close(_)) | Err(_)) | None => return (latencies, true),
            Some(Ok(_)) => {}
        }
    }
}

fn created_at(json: &str) -> Option<Duration> {
    let start = json.find(r#""text":""#)? + r#""text":""#.len();
    let digits = json[start..].split(' ').next()?;
    digits.parse().ok().map(Duration::from_nanos)
}

/// Publishes at `rate` per second for [`SECONDS`]; returns how long each publish took.
async fn publish(hub: Arc<EventHub>, tenant: UserId, rate: u64, epoch: Instant) -> Vec<Duration> {
    let chat_id = ChatId::new();
    let filler = "Hola, ¿tienen la tarta de chocolate para 12 personas? La necesito para el sábado \
                  por la tarde, y quería saber si hacen entregas en el centro y cuánto costaría.";
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate as u32);
    let mut took = Vec::new();
    for _ in 0..rate * SECONDS {
        tick.tick().await;
        let created = Instant::now();
        let message = Message {
            id: MessageId::new(),
            chat_id,
            user_id: tenant,
            sender: Sender::Customer,
            text: format!("{} {filler}", created.duration_since(epoch).as_nanos()),
            platform_message_id: Some(format!("m_{}", MessageId::new())),
            sent_at: Timestamp::now(),
            delivery: DeliveryState::Received,
            error: None,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
        };
        hub.publish(tenant, Event::ChatMessage { chat_id, message });
        took.push(created.elapsed());
    }
    took.sort_unstable();
    took
}

async fn register(state: &AppState) -> (UserId, String) {
    let body = r#"{"email":"bench@shop.example","password":"correct horse battery staple"}"#;
    let request = Request::post("/api/v1/auth/register")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request");
    let response = router(state.clone()).oneshot(request).await.expect("register");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let id = value["account"]["id"].as_str().and_then(|id| id.parse().ok()).expect("account id");
    (id, value["access_token"].as_str().expect("token").to_owned())
}

/// Each console takes two descriptors here (its end and the daemon's).
fn check_fd_limit(clients: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok());
    if let Some(soft) = soft
        && soft < 2 * clients + 64
    {
        eprintln!(
            "open-file limit {soft} is too low for {clients} consoles: run `ulimit -n {}` first",
            2 * clients + 256
        );
        std::process::exit(2);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
