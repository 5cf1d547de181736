//! Durability of the embedded store: a process writing through the SQLite backend is
//! killed with SIGKILL mid-stream; reopened, every write it had been told succeeded is
//! there, and the file passes SQLite's integrity check.
//!
//! The writer is this same test binary, run again as a child with
//! `CLOSER_DURABILITY_CHILD` naming the database file.
#![cfg(feature = "sqlite")]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use closer_core::model::{
    AnalyticsQuery, ChatQuery, DeliveryState, Email, Message, MessageId, MessageQuery, Metrics, NewChat,
    NewInboxEvent, PasswordHash, Platform, Sender, Timestamp, User, UserId,
};
use closer_core::store::Store;
use closer_core::store::sqlite::SqliteStore;

const CHILD_ENV: &str = "CLOSER_DURABILITY_CHILD";
const TEST_NAME: &str = "sigkill_loses_no_acknowledged_write";
/// How many acknowledged writes to wait for before the kill.
const ACKS_BEFORE_KILL: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_write() {
    match std::env::var(CHILD_ENV) {
        Ok(path) => write_until_killed(&path).await,
        Err(_) => kill_a_writer_and_check().await,
    }
}

fn owner_id() -> UserId {
    UserId::from(uuid::Uuid::from_u128(0x00c1_05e4))
}

/// The child: writes forever, printing `ack <id>` after each write returns.
async fn write_until_killed(path: &str) {
    let store = SqliteStore::open(path.as_ref()).await.expect("open");
    let now = Timestamp::now();
    let owner = User {
        id: owner_id(),
        ..User::new(Email::parse("d@closer.example").expect("email"), PasswordHash("x".into()), now)
    };
    store.create_user(&owner).await.expect("user");
    let new = NewChat {
        user_id: owner.id,
        platform: Platform::Sandbox,
        customer_id: "psid-durable".into(),
        customer_name: String::new(),
        campaign_id: None,
        now,
    };
    let (chat, _) = store.find_or_create_chat(&new).await.expect("chat");
    let mut out = std::io::stdout().lock();
    for i in 0u64.. {
        let message = Message {
            id: MessageId::new(),
            chat_id: chat.id,
            user_id: owner.id,
            sender: Sender::Customer,
            text: format!("message {i}"),
            platform_message_id: Some(format!("m_{i}")),
            sent_at: Timestamp::now(),
            delivery: DeliveryState::Received,
            error: None,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
        };
        store.append_message(&message).await.expect("append");
        let event = NewInboxEvent {
            key: format!("sandbox:m_{i}"),
            user_id: owner.id,
            platform: Platform::Sandbox,
            conversation: "psid-durable".into(),
            occurred_at: message.sent_at,
            payload: serde_json::json!({ "i": i }),
            received_at: message.sent_at,
        };
        store.inbox_enqueue(&event).await.expect("enqueue");
        let one = Metrics { messages_received: 1, ..Metrics::default() };
        store
            .record_analytics(owner.id, None, Platform::Sandbox, message.sent_at, &one)
            .await
            .expect("count");
        writeln!(out, "ack {i} {}", message.id).expect("stdout");
        out.flush().expect("flush");
    }
}

/// The parent: starts the writer, kills it mid-stream, and checks what survived.
async fn kill_a_writer_and_check() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let path = dir.path().join("closer.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the writer");

    let mut acked: Vec<(u64, MessageId)> = Vec::new();
    let started = Instant::now();
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    for line in lines {
        let line = line.expect("read the writer");
        let Some(ack) = line.strip_prefix("ack ") else { continue };
        let (i, id) = ack.split_once(' ').expect("ack i id");
        acked.push((i.parse().expect("i"), id.parse().expect("id")));
        if acked.len() >= ACKS_BEFORE_KILL {
            break;
        }
        assert!(started.elapsed() < Duration::from_mins(1), "the writer is too slow: {} acks", acked.len());
    }
    assert_eq!(acked.len(), ACKS_BEFORE_KILL, "the writer stopped early");
    child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    child.wait().expect("reap");

    let integrity: String = rusqlite::Connection::open(&path)
        .and_then(|c| c.query_row("PRAGMA integrity_check", [], |row| row.get(0)))
        .expect("integrity check");
    assert_eq!(integrity, "ok");

    let store = SqliteStore::open(&path).await.expect("reopen after the kill");
    let tenant = owner_id();
    let chat =
        store.list_chats(tenant, &ChatQuery::default()).await.expect("chats").items.pop().expect("the chat");
    let mut stored = HashSet::new();
    let mut query = MessageQuery { limit: Some(500), after: None };
    loop {
        let page = store.list_messages(tenant, chat.id, &query).await.expect("messages");
        stored.extend(page.items.iter().map(|m| m.id));
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    for (i, id) in &acked {
        assert!(stored.contains(id), "acknowledged message {i} was lost");
        store.inbox_get(&format!("sandbox:m_{i}")).await.expect("acknowledged inbox event");
    }
    assert!(chat.message_count >= ACKS_BEFORE_KILL as i64);
    let today = Timestamp::now().date();
    let days = AnalyticsQuery {
        from: today.pred_opt().expect("yesterday"),
        to: today,
        campaign_id: None,
        platform: None,
    };
    let counted: i64 = store
        .analytics(tenant, &days)
        .await
        .expect("analytics")
        .iter()
        .map(|d| d.totals.messages_received)
        .sum();
    assert!(counted >= ACKS_BEFORE_KILL as i64, "counted {counted}");
    // The kill may fall between a message and its count, never further apart.
    assert!(
        (0..=1).contains(&(chat.message_count - counted)),
        "{} messages, {counted} counted",
        chat.message_count
    );
}
