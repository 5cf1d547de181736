//! Store throughput, each operation beside a raw baseline measured in the same run.
//!
//! `cargo bench -p closer-core --bench store` (add `-- 5000` for more operations per
//! figure). For each backend it measures, sequentially from one task:
//!
//! - chat find-or-create (each call creates a chat) and message appends, against a raw
//!   single-row insert through the driver (rusqlite `INSERT`, MongoDB `insert_one`);
//! - the inbox cycle (enqueue, claim, complete) against the same work done
//!   raw: an insert, a claiming update and a completing update.
//!
//! SQLite runs on a file on the project's disk, with the settings the store uses
//! (WAL, `synchronous = FULL`). MongoDB uses `CLOSER_TEST_MONGODB_URI` or the server
//! `scripts/mongodb-test-server.sh start` provides.

// Rates are counts over seconds: a count past 2^52 is not a benchmark we run.
#![allow(clippy::cast_precision_loss)]

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use closer_core::model::{
    ChatId, DeliveryState, Email, Message, MessageId, NewChat, NewInboxEvent, PasswordHash, Platform, Sender,
    Timestamp, User, UserId,
};
use closer_core::store::Store;
use mongodb::bson::doc;

// The benchmark starts the server itself and reports when it cannot.
#[allow(dead_code)]
#[path = "../../tests/harness/mongodb.rs"]
mod mongodb_server;

/// Rounds per backend: raw and store measurements alternate, so that a burst of
/// load from elsewhere on the machine hits both sides alike; medians are reported.
const ROUNDS: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2_000);
    println!("store benchmark: {n} operations per figure in {ROUNDS} alternating rounds, one task\n");

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let store = closer_core::store::open(&format!("sqlite://{}", dir.path().join("bench.db").display()))
        .await
        .expect("SQLite");
    let raw = RawSqlite::open(&dir.path().join("raw.db"));
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let baselines = raw.measure(n / ROUNDS);
        rounds.push((measure(Arc::clone(&store), n / ROUNDS).await, baselines));
    }
    report("sqlite", &rounds);

    match mongodb_server::start_server() {
        Ok(server) => {
            let database = format!("closer_bench_{}", uuid::Uuid::now_v7().simple());
            let url = mongodb_server::with_database(&server, &database);
            let store = closer_core::store::open(&url).await.expect("MongoDB");
            let client = mongodb::Client::with_uri_str(&url).await.expect("MongoDB client");
            let db = client.database(&database);
            let mut rounds = Vec::new();
            for _ in 0..ROUNDS {
                let baselines = mongodb_baselines(&db, n / ROUNDS).await;
                rounds.push((measure(Arc::clone(&store), n / ROUNDS).await, baselines));
            }
            report("mongodb", &rounds);
            db.drop().await.expect("drop the bench database");
        }
        Err(why) => println!("mongodb: not measured ({why})"),
    }
}

/// Operations per second: chat find-or-create, message append, inbox cycle.
type Ours = [f64; 3];
/// Raw operations per second: single-row insert, inbox cycle done raw.
type Baselines = (f64, f64);

async fn measure(store: Arc<dyn Store>, n: usize) -> Ours {
    let email = format!("bench-{}@closer.example", uuid::Uuid::now_v7().simple());
    let owner = User::new(Email::parse(&email).expect("email"), PasswordHash("x".into()), now());
    store.create_user(&owner).await.expect("user");
    let tenant = owner.id;

    let chats = rate(n, |i| {
        let store = Arc::clone(&store);
        async move {
            store.find_or_create_chat(&new_chat(tenant, i)).await.expect("find or create");
        }
    })
    .await;

    let (chat, _) = store.find_or_create_chat(&new_chat(tenant, usize::MAX)).await.expect("chat");
    let appends = rate(n, |i| {
        let store = Arc::clone(&store);
        async move {
            store.append_message(&message(tenant, chat.id, i)).await.expect("append");
        }
    })
    .await;

    let cycles = rate(n, |i| {
        let store = Arc::clone(&store);
        async move {
            let event = inbox_event(tenant, i);
            store.inbox_enqueue(&event).await.expect("enqueue");
            let claim = store.inbox_claim("bench", now(), Duration::from_secs(30), 10).await.expect("claim");
            let claim = claim.expect("the event just enqueued");
            for e in &claim.events {
                store.inbox_complete(claim.lease, &e.key).await.expect("complete");
            }
            // Completing the last event ended the lease.
        }
    })
    .await;
    [chats, appends, cycles]
}

/// Operations per second of `op`, run `n` times after a short warm-up.
async fn rate<F, Fut>(n: usize, mut op: F) -> f64
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    // Warm-up calls are numbered apart from the measured ones, so they never collide.
    for i in 0..n / 20 {
        op(usize::MAX / 2 + i).await;
    }
    let start = Instant::now();
    for i in 0..n {
        op(i).await;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn report(backend: &str, rounds: &[(Ours, Baselines)]) {
    let median = |pick: &dyn Fn(&(Ours, Baselines)) -> f64| {
        let mut values: Vec<f64> = rounds.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let figures = [
        ("chat find-or-create", median(&|r| r.0[0]), median(&|r| r.1.0)),
        ("message append", median(&|r| r.0[1]), median(&|r| r.1.0)),
        ("inbox enqueue+claim+done", median(&|r| r.0[2]), median(&|r| r.1.1)),
    ];
    println!("{backend} (medians of {} rounds)", rounds.len());
    println!("  {:<26} {:>10} {:>12} {:>7}", "operation", "ops/s", "raw ops/s", "ratio");
    for (name, ours, raw) in figures {
        println!("  {name:<26} {ours:>10.0} {raw:>12.0} {:>6.0}%", 100.0 * ours / raw);
    }
    println!();
}

/// A bare rusqlite connection with the store's settings, for the raw figures.
struct RawSqlite {
    conn: rusqlite::Connection,
    payload: String,
}

impl RawSqlite {
    fn open(path: &std::path::Path) -> Self {
        let conn = rusqlite::Connection::open(path).expect("raw SQLite");
        conn.pragma_update(None, "journal_mode", "WAL").expect("WAL");
        conn.pragma_update(None, "synchronous", "FULL").expect("FULL");
        conn.execute_batch(
            "CREATE TABLE rows (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
             CREATE TABLE queue (key TEXT PRIMARY KEY, status TEXT NOT NULL, occurred_at INTEGER NOT NULL,
                                 doc TEXT NOT NULL);
             CREATE INDEX queue_waiting ON queue (occurred_at) WHERE status = 'pending';",
        )
        .expect("raw schema");
        let payload = serde_json::to_string(&message(UserId::new(), ChatId::new(), 0)).expect("json");
        Self { conn, payload }
    }

    fn measure(&self, n: usize) -> Baselines {
        let timed = |work: &mut dyn FnMut()| {
            let start = Instant::now();
            for _ in 0..n {
                work();
            }
            n as f64 / start.elapsed().as_secs_f64()
        };
        let insert = timed(&mut || {
            self.conn
                .prepare_cached("INSERT INTO rows (id, doc) VALUES (?1, ?2)")
                .and_then(|mut s| s.execute((MessageId::new().to_string(), &self.payload)))
                .expect("raw insert");
        });
        let inbox = timed(&mut || {
            let key = MessageId::new().to_string();
            self.conn
                .prepare_cached(
                    "INSERT INTO queue (key, status, occurred_at, doc) VALUES (?1, 'pending', ?2, ?3)",
                )
                .and_then(|mut s| s.execute((&key, now().as_millis(), &self.payload)))
                .expect("raw enqueue");
            self.conn
                .prepare_cached(
                    "UPDATE queue SET status = 'leased' WHERE key = \
                     (SELECT key FROM queue WHERE status = 'pending' ORDER BY occurred_at LIMIT 1) RETURNING key",
                )
                .and_then(|mut s| s.query_row([], |row| row.get::<_, String>(0)))
                .expect("raw claim");
            self.conn
                .prepare_cached("UPDATE queue SET status = 'done' WHERE key = ?1")
                .and_then(|mut s| s.execute([&key]))
                .expect("raw done");
        });
        (insert, inbox)
    }
}

async fn mongodb_baselines(db: &mongodb::Database, n: usize) -> Baselines {
    let rows = db.collection::<mongodb::bson::Document>("raw_rows");
    let queue = db.collection::<mongodb::bson::Document>("raw_queue");
    queue
        .create_index(mongodb::IndexModel::builder().keys(doc! { "status": 1, "occurred_at": 1 }).build())
        .await
        .expect("index");
    let payload =
        mongodb::bson::serialize_to_document(&message(UserId::new(), ChatId::new(), 0)).expect("bson");
    rows.insert_one(doc! { "warm": uuid::Uuid::now_v7().to_string() }).await.expect("warm up");

    let start = Instant::now();
    for _ in 0..n {
        let mut row = payload.clone();
        row.insert("_id", MessageId::new().to_string());
        rows.insert_one(row).await.expect("raw insert_one");
    }
    let insert = n as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    for _ in 0..n {
        let key = MessageId::new().to_string();
        queue
            .insert_one(
                doc! { "_id": &key, "status": "pending", "occurred_at": now().as_millis(), "doc": payload.clone() },
            )
            .await
            .expect("raw enqueue");
        queue
            .find_one_and_update(doc! { "status": "pending" }, doc! { "$set": { "status": "leased" } })
            .sort(doc! { "occurred_at": 1 })
            .await
            .expect("raw claim");
        queue
            .update_one(doc! { "_id": &key }, doc! { "$set": { "status": "done" } })
            .await
            .expect("raw done");
    }
    (insert, n as f64 / start.elapsed().as_secs_f64())
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn new_chat(tenant: UserId, i: usize) -> NewChat {
    NewChat {
        user_id: tenant,
        platform: Platform::Facebook,
        customer_id: format!("psid-{i}"),
        customer_name: format!("Customer {i}"),
        campaign_id: None,
        now: now(),
    }
}

fn message(tenant: UserId, chat: ChatId, i: usize) -> Message {
    Message {
        id: MessageId::new(),
        chat_id: chat,
        user_id: tenant,
        sender: Sender::Customer,
        text: "Hi! Do you have this case for the new phone, and how much is shipping?".into(),
        platform_message_id: Some(format!("m_{i}_{}", uuid::Uuid::now_v7().simple())),
        sent_at: now(),
        delivery: DeliveryState::Received,
        error: None,
        quick_replies: Vec::new(),
        attachments: Vec::new(),
    }
}

fn inbox_event(tenant: UserId, i: usize) -> NewInboxEvent {
    NewInboxEvent {
        key: format!("facebook:m_{i}_{}", uuid::Uuid::now_v7().simple()),
        user_id: tenant,
        platform: Platform::Facebook,
        conversation: format!("page:psid-{i}"),
        occurred_at: now(),
        payload: serde_json::json!({ "sender": { "id": format!("psid-{i}") }, "message": { "text": "hello" } }),
        received_at: now(),
    }
}
