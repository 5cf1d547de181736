//! What only this backend has: URLs and connecting, the indexes, the BSON mapping of
//! awkward values. The trait's behaviour is the conformance suite's
//! (`core/tests/store_conformance`). Tests that need a server use the test server of
//! `tests/harness/mongodb.rs`.

use std::time::{Duration, Instant};

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ClientOptions;

use super::MongoStore;

#[path = "../../../../tests/harness/mongodb.rs"]
mod mongodb_server;
use super::connect::{
    DEFAULT_DATABASE, SERVER_SELECTION_TIMEOUT, database_of, scrub_password, with_defaults,
};
use crate::model::{
    Campaign, ChatMode, ChatQuery, ChatUpdate, DeliveryState, Email, FlowStep, InboxStatus, Message,
    MessageId, NewChat, NewInboxEvent, PasswordHash, Platform, Sender, Timestamp, User, UserId,
};
use crate::store::{Store, StoreError};

/// A store in a database of its own on the test server (started by the repository's
/// script when `CLOSER_TEST_MONGODB_URI` is unset; no server fails the test).
async fn fresh() -> MongoStore {
    let server = tokio::task::spawn_blocking(mongodb_server::server_uri).await.expect("join");
    let name = format!("closer_unit_{}", uuid::Uuid::now_v7().simple());
    let url = mongodb_server::with_database(server, &name);
    MongoStore::open(&url).await.expect("open the test database")
}

#[tokio::test]
async fn urls_name_the_database_and_defaults_fill_the_gaps() {
    let named = ClientOptions::parse("mongodb://127.0.0.1:1/shop?appName=mine").await.expect("parses");
    assert_eq!(database_of(&named), "shop");
    let named = with_defaults(named);
    assert_eq!(named.app_name.as_deref(), Some("mine"), "the URL's choice stays");
    assert_eq!(named.server_selection_timeout, Some(SERVER_SELECTION_TIMEOUT));

    for bare in ["mongodb://127.0.0.1:1", "mongodb://127.0.0.1:1/", "mongodb://127.0.0.1:1/?replicaSet=rs0"] {
        let options = ClientOptions::parse(bare).await.expect("parses");
        assert_eq!(database_of(&options), DEFAULT_DATABASE, "{bare}");
    }
    let patient = ClientOptions::parse("mongodb://h/?serverSelectionTimeoutMS=45000").await.expect("parses");
    assert_eq!(with_defaults(patient).server_selection_timeout, Some(Duration::from_secs(45)));
}

#[test]
fn passwords_are_scrubbed_from_messages() {
    let url = "mongodb://ana:s3cret@db.example:27017/closer";
    assert_eq!(scrub_password("auth as ana:s3cret failed", url), "auth as ana:**** failed");
    assert_eq!(scrub_password("no secret here", "mongodb://db/closer"), "no secret here");
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_naming_the_host_not_the_password() {
    // Port 1 on loopback refuses at once; the short timeout keeps the test quick.
    let url = "mongodb://ana:s3cret@127.0.0.1:1/closer?serverSelectionTimeoutMS=300";
    let started = Instant::now();
    let err = MongoStore::open(url).await.expect_err("nothing listens there");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    let StoreError::Unavailable(message) = &err else { panic!("expected Unavailable, got {err:?}") };
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(message.contains("unreachable"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");

    let err = MongoStore::open("mongodb://ana:s3cret@/closer").await.expect_err("no host");
    assert!(matches!(&err, StoreError::Unavailable(m) if !m.contains("s3cret")), "{err:?}");
}

#[tokio::test]
async fn opening_twice_keeps_the_indexes() {
    let store = fresh().await;
    let again = super::Collections::new(&store.db);
    super::indexes::create(&again).await.expect("creating the same indexes again is a no-op");
    let names = store.c.chats.list_index_names().await.expect("list");
    for index in ["customer_unique", "by_user_status_activity", "by_user_activity"] {
        assert!(names.iter().any(|n| n == index), "{index} missing from {names:?}");
    }
    let names = store.c.messages.list_index_names().await.expect("list");
    assert!(names.iter().any(|n| n == "platform_message_unique"), "{names:?}");
    let names = store.c.inbox.list_index_names().await.expect("list");
    for index in ["one_hold_per_conversation", "hold_by_lease", "claim_waiting"] {
        assert!(names.iter().any(|n| n == index), "{index} missing from {names:?}");
    }
    store.drop_database().await.expect("drop");
}

#[tokio::test]
async fn an_index_an_earlier_version_made_is_dropped_when_opened() {
    let store = fresh().await;
    // What earlier versions created for their claims.
    let old = |name: &str, keys| {
        let options = mongodb::options::IndexOptions::builder().name(name.to_owned()).build();
        mongodb::IndexModel::builder().keys(keys).options(options).build()
    };
    store
        .c
        .inbox
        .create_indexes([
            old("waiting_by_time", doc! { "status": 1, "occurred_at": 1, "_id": 1 }),
            old("by_conversation_status", doc! { "conversation": 1, "status": 1, "occurred_at": 1 }),
            old("by_status_available", doc! { "status": 1, "available_at": 1, "occurred_at": 1 }),
            old("by_lease", doc! { "lease": 1 }),
            old(
                "claim_window",
                doc! { "status": 1, "occurred_at": 1, "_id": 1, "available_at": 1, "conversation": 1 },
            ),
        ])
        .await
        .expect("the old indexes");
    // And where they kept their leases.
    let leases = store.db.collection::<mongodb::bson::Document>("inbox_leases");
    leases.insert_one(doc! { "_id": "page:psid", "lease": "old" }).await.expect("an old lease");

    super::indexes::create(&super::Collections::new(&store.db)).await.expect("open again");
    let collections = store.db.list_collection_names().await.expect("list");
    assert!(!collections.iter().any(|n| n == "inbox_leases"), "{collections:?}");
    let names = store.c.inbox.list_index_names().await.expect("list");
    for gone in
        ["waiting_by_time", "by_conversation_status", "by_status_available", "by_lease", "claim_window"]
    {
        assert!(!names.iter().any(|n| n == gone), "{gone} is still there: {names:?}");
    }
    for kept in ["claim_waiting", "handled", "leased"] {
        assert!(names.iter().any(|n| n == kept), "{kept} missing from {names:?}");
    }
    store.drop_database().await.expect("drop");
}

#[tokio::test]
async fn awkward_values_round_trip() {
    let store = fresh().await;
    let now = Timestamp::parse("2026-11-20T09:15:00.000Z").expect("valid");

    // JSON payloads: nesting, Unicode, big integers, floats, nulls and dotted keys.
    let payload = serde_json::json!({
        "entry": [{ "id": "page", "time": 1_764_028_800_007_i64, "messaging": [{ "text": "héllo 👋", "x": null }] }],
        "ratio": 0.25,
        "a.b": true,
    });
    let event = NewInboxEvent {
        key: "facebook:m_odd".into(),
        user_id: UserId::new(),
        platform: Platform::Facebook,
        conversation: "page:psid".into(),
        occurred_at: now,
        payload: payload.clone(),
        received_at: now,
    };
    store.inbox_enqueue(&event).await.expect("enqueue");
    assert_eq!(store.inbox_get(&event.key).await.expect("get").payload, payload);

    // Text that looks like an operator or a pattern stays text.
    let owner =
        User::new(Email::parse("odd@shop.example").expect("valid"), PasswordHash("$argon2id$x".into()), now);
    store.create_user(&owner).await.expect("user");
    let mut campaign = Campaign::draft(owner.id, "$set", Platform::Facebook, now);
    campaign.product.description = "$5 off, {$gt: 0}".into();
    store.create_campaign(&campaign).await.expect("create");
    let updated = store.update_campaign(&campaign).await.expect("update");
    assert_eq!((updated.name.as_str(), updated.product.description.as_str()), ("$set", "$5 off, {$gt: 0}"));

    for customer in ["a.b (c)*", "[x]+", "plain"] {
        let new = NewChat {
            user_id: owner.id,
            platform: Platform::Facebook,
            customer_id: customer.into(),
            customer_name: String::new(),
            campaign_id: None,
            now,
        };
        store.find_or_create_chat(&new).await.expect("chat");
    }
    let query = ChatQuery { search: Some("B (C)".into()), ..ChatQuery::default() };
    let found = store.list_chats(owner.id, &query).await.expect("search");
    assert_eq!(found.items.iter().map(|c| c.customer_id.as_str()).collect::<Vec<_>>(), ["a.b (c)*"]);
    store.drop_database().await.expect("drop");
}

#[tokio::test]
async fn a_lease_ends_with_its_last_event_whichever_instance_finishes_it() {
    let store = fresh().await;
    // Another process on the same database: it shares no memory of the leases.
    let other =
        MongoStore { leases: std::sync::Arc::default(), batches: std::sync::Arc::default(), ..store.clone() };
    let now = Timestamp::parse("2026-11-20T09:15:00.000Z").expect("valid");
    let lease_for = Duration::from_secs(30);
    for (i, conversation) in ["a", "a", "b", "b"].into_iter().enumerate() {
        let event = NewInboxEvent {
            key: format!("facebook:m{i}"),
            user_id: UserId::new(),
            platform: Platform::Facebook,
            conversation: conversation.into(),
            occurred_at: now + Duration::from_secs(i as u64),
            payload: serde_json::json!({}),
            received_at: now,
        };
        store.inbox_enqueue(&event).await.expect("enqueue");
    }
    let held = |conversation: &'static str| {
        let inbox = store.c.inbox.clone();
        async move { inbox.find_one(doc! { "hold.conversation": conversation }).await.expect("read").is_some() }
    };

    // Finished where it was claimed: the book knows which event is the last.
    let a = store.inbox_claim("w1", now, lease_for, 10).await.expect("claim").expect("a");
    store.inbox_complete(a.lease, &a.events[0].key).await.expect("first");
    assert!(held("a").await, "one event left");
    store.inbox_fail(a.lease, &a.events[1].key, "gave up", None).await.expect("last");
    assert!(!held("a").await, "ended with its last event");

    // Finished elsewhere: the database is asked instead.
    let b = store.inbox_claim("w1", now, lease_for, 10).await.expect("claim").expect("b");
    other.inbox_complete(b.lease, &b.events[0].key).await.expect("first");
    assert!(held("b").await);
    other.inbox_complete(b.lease, &b.events[1].key).await.expect("last");
    assert!(!held("b").await);
    // The claiming instance's memory is stale now; it must not be believed.
    let again = store.inbox_complete(b.lease, &b.events[1].key).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    store.drop_database().await.expect("drop");
}

/// A lease's events finished out of order: the hold stays on its event, done, until
/// the last one ends; housekeeping keeps that event, and lets go of a hold left behind.
#[tokio::test]
async fn a_hold_outlives_its_event_until_the_lease_ends() {
    let store = fresh().await;
    let now = Timestamp::parse("2026-11-20T09:15:00.000Z").expect("valid");
    let lease_for = Duration::from_secs(30);
    for i in 0..2_u64 {
        let event = NewInboxEvent {
            key: format!("facebook:m{i}"),
            user_id: UserId::new(),
            platform: Platform::Facebook,
            conversation: "a".into(),
            occurred_at: now + Duration::from_secs(i),
            payload: serde_json::json!({}),
            received_at: now,
        };
        store.inbox_enqueue(&event).await.expect("enqueue");
    }
    let hold_on = |key: &'static str| {
        let inbox = store.c.inbox.clone();
        async move {
            let event = inbox.find_one(doc! { "_id": key }).await.expect("read").expect("stored");
            event.get_document("hold").is_ok()
        }
    };
    let a = store.inbox_claim("w1", now, lease_for, 10).await.expect("claim").expect("a");
    assert!(hold_on("facebook:m1").await, "on the newest event taken");

    store.inbox_complete(a.lease, "facebook:m1").await.expect("the newest first");
    assert!(hold_on("facebook:m1").await, "kept while m0 is at work");
    // Forgetting what was handled before the hold runs out (as if kept no time at all).
    let soon = now + Duration::from_secs(10);
    assert_eq!(store.inbox_forget_handled(soon, 10).await.expect("forget"), 0, "the held event stays");
    assert!(store.inbox_claim("w2", now, lease_for, 10).await.expect("claim").is_none(), "still held");

    store.inbox_complete(a.lease, "facebook:m0").await.expect("the last");
    assert!(!hold_on("facebook:m1").await, "let go of with the last event");

    // A hold left behind, as by a stop between an event's end and its hold's.
    let left =
        doc! { "conversation": "a", "lease": "gone", "until": super::codec::value(&now).expect("time") };
    store
        .c
        .inbox
        .update_one(doc! { "_id": "facebook:m0" }, doc! { "$set": { "hold": left } })
        .await
        .expect("set");
    let month = now + Duration::from_hours(30 * 24);
    assert_eq!(store.inbox_forget_handled(month, 10).await.expect("forget"), 2, "let go of, then forgotten");
    store.drop_database().await.expect("drop");
}

/// Claims come in rounds per process; two processes' rounds race for the same
/// conversations, and the holds alone keep them apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_claiming_in_rounds_never_share_a_conversation() {
    let store = fresh().await;
    let other =
        MongoStore { leases: std::sync::Arc::default(), batches: std::sync::Arc::default(), ..store.clone() };
    let now = Timestamp::parse("2026-11-20T09:15:00.000Z").expect("valid");
    let tenant = UserId::new();
    let mut expected = std::collections::HashSet::new();
    for conversation in 0..60 {
        for message in 0..2_u64 {
            let event = NewInboxEvent {
                key: format!("facebook:c{conversation}-m{message}"),
                user_id: tenant,
                platform: Platform::Facebook,
                conversation: format!("page:{conversation}"),
                occurred_at: now + Duration::from_millis(conversation * 10 + message),
                payload: serde_json::json!({}),
                received_at: now,
            };
            store.inbox_enqueue(&event).await.expect("enqueue");
            expected.insert(event.key);
        }
    }
    // Eight workers per process, each taking conversations until none is left, and
    // holding every one it took (so a second claim of one would be a real overlap).
    let workers: Vec<_> = [store.clone(), other.clone()]
        .into_iter()
        .flat_map(|process| (0..8).map(move |n| (process.clone(), n)))
        .map(|(process, n)| {
            tokio::spawn(async move {
                let mut held = Vec::new();
                while let Some(claim) = process
                    .inbox_claim(&format!("w{n}"), now, Duration::from_secs(30), 25)
                    .await
                    .expect("claim")
                {
                    held.push(claim);
                }
                held
            })
        })
        .collect();
    let mut conversations = std::collections::HashSet::new();
    let mut claimed = std::collections::HashSet::new();
    for worker in workers {
        for claim in worker.await.expect("join") {
            assert!(conversations.insert(claim.conversation.clone()), "{} held twice", claim.conversation);
            for event in &claim.events {
                assert_eq!(event.lease, Some(claim.lease));
                assert!(claimed.insert(event.key.clone()), "{} handed out twice", event.key);
            }
            let keys: Vec<&str> = claim.events.iter().map(|e| e.key.as_str()).collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            assert_eq!(keys, sorted, "a conversation's events in their order");
        }
    }
    assert_eq!(claimed, expected, "every event handed out once");
    store.drop_database().await.expect("drop");
}

/// Several updates in one command: the server counts matches only for the whole
/// command, so which statements found their document is worked out afterwards.
#[tokio::test]
async fn batched_updates_by_key_say_which_documents_were_there() {
    let store = fresh().await;
    let chats = store.c.chats.clone();
    chats
        .insert_many([
            doc! { "_id": "a", "user_id": "u1", "customer_id": "x", "n": 0 },
            doc! { "_id": "b", "user_id": "u1", "customer_id": "y", "n": 0 },
        ])
        .await
        .expect("seed");
    let inc = || doc! { "$inc": { "n": 1 } };
    let all_there =
        vec![(doc! { "_id": "a", "user_id": "u1" }, inc()), (doc! { "_id": "b", "user_id": "u1" }, inc())];
    let answers = super::statements::update_by_key(&store.db, &chats, all_there).await.expect("update");
    assert_eq!(answers.into_iter().map(|a| a.expect("no failure")).collect::<Vec<_>>(), [true, true]);

    let mixed = vec![
        (doc! { "_id": "a", "user_id": "u1" }, inc()),
        (doc! { "_id": "missing", "user_id": "u1" }, inc()),
        (doc! { "_id": "b", "user_id": "another business" }, inc()),
    ];
    let answers = super::statements::update_by_key(&store.db, &chats, mixed).await.expect("update");
    assert_eq!(answers.into_iter().map(|a| a.expect("no failure")).collect::<Vec<_>>(), [true, false, false]);
    let count = |id: &'static str| {
        let chats = chats.clone();
        async move {
            chats.find_one(doc! { "_id": id }).await.expect("read").expect("there").get_i32("n").expect("n")
        }
    };
    assert_eq!(
        (count("a").await, count("b").await),
        (2, 1),
        "each statement applied once, the wrong tenant's not at all"
    );
    store.drop_database().await.expect("drop");
}

/// The plan the server picks for a `find` on `collection`, and its execution figures.
async fn explain(
    store: &MongoStore,
    collection: &str,
    filter: Document,
    sort: Document,
) -> (String, Document) {
    let explained = store
        .db
        .run_command(doc! {
            "explain": { "find": collection, "filter": filter, "sort": sort, "limit": 1 },
            "verbosity": "executionStats",
        })
        .await
        .expect("explain");
    let plan = explained.get_document("queryPlanner").expect("a plan").to_string();
    (plan, explained.get_document("executionStats").expect("stats").clone())
}

#[tokio::test]
async fn a_message_is_found_by_its_platform_id_through_its_index() {
    let store = fresh().await;
    let tenant = UserId::new();
    let messages: Vec<_> = (0..50)
        .map(|n| doc! { "_id": format!("id_{n}"), "user_id": tenant.to_string(), "platform_message_id": format!("m_{n}") })
        .collect();
    store.c.messages.insert_many(messages).await.expect("insert");

    let filter = super::messages::by_platform_id(tenant, "m_7");
    let (plan, stats) = explain(&store, "messages", filter, doc! {}).await;
    assert!(plan.contains("platform_message_unique"), "{plan}");
    let examined = stats.get("totalDocsExamined").and_then(Bson::as_i32);
    assert_eq!((stats.get_i32("nReturned").ok(), examined), (Some(1), Some(1)), "{stats}");
    store.drop_database().await.expect("drop");
}

#[tokio::test]
async fn unsettled_messages_are_read_through_their_partial_indexes() {
    let store = fresh().await;
    let deliveries = ["received", "sent", "delivered", "read", "failed", "pending", "sending"];
    let messages: Vec<_> = (0..70_i64)
        .map(|n| doc! { "_id": format!("id_{n}"), "delivery": deliveries[(n % 7) as usize], "sent_at": n })
        .collect();
    store.c.messages.insert_many(messages).await.expect("insert");
    for state in super::messages::UNSETTLED {
        let filter =
            doc! { "delivery": super::codec::value(&state).expect("state"), "sent_at": { "$lt": 1_000_i64 } };
        let (plan, stats) = explain(&store, "messages", filter, doc! { "sent_at": 1 }).await;
        assert!(plan.contains("unsettled_"), "{state:?}: {plan}");
        assert_eq!(stats.get("totalDocsExamined").and_then(Bson::as_i32), Some(1), "{state:?}: {stats}");
    }
    store.drop_database().await.expect("drop");
}

/// The inbox's partial indexes hold only the events they are read for; the server
/// uses one only for a query that implies its condition. Each of the inbox's reads
/// and multi-event writes is checked here to go through its index, so that none
/// scans the handled events of the past week.
#[tokio::test]
async fn the_inbox_is_read_through_its_partial_indexes() {
    let store = fresh().await;
    let status_of = |s: InboxStatus| super::codec::value(&s).expect("status");
    let events: Vec<_> = (0..90_i64)
        .map(|n| {
            let (state, lease) = match n % 3 {
                0 => (InboxStatus::Pending, Bson::Null),
                1 => (InboxStatus::Leased, Bson::String(format!("lease-{}", n % 9))),
                _ => (InboxStatus::Done, Bson::Null),
            };
            doc! {
                "_id": format!("facebook:m_{n}"), "conversation": format!("page:psid-{}", n % 30),
                "status": status_of(state), "lease": lease, "occurred_at": n, "available_at": n,
            }
        })
        .collect();
    store.c.inbox.insert_many(events).await.expect("insert");
    for n in [1, 4, 7] {
        let hold =
            doc! { "conversation": format!("page:psid-{n}"), "lease": format!("hold-{n}"), "until": n };
        store
            .c
            .inbox
            .update_one(doc! { "_id": format!("facebook:m_{n}") }, doc! { "$set": { "hold": hold } })
            .await
            .expect("a hold");
    }

    let leased = status_of(InboxStatus::Leased);
    let reads = [
        // The holds, read by every claim; and one lease's, extended and let go of.
        (doc! { "hold.conversation": { "$gt": "" } }, "one_hold_per_conversation", 3),
        (doc! { "hold.lease": "hold-4" }, "hold_by_lease", 1),
        (doc! { "hold.lease": { "$in": ["hold-1", "hold-7"] } }, "hold_by_lease", 2),
        // The events a lease holds: `leased_events`, `put_back`, `finish`.
        (doc! { "lease": { "$in": ["lease-1", "lease-4"] }, "status": leased.clone() }, "leased", 20),
        (doc! { "lease": "lease-1", "status": leased, "_id": { "$ne": "facebook:m_1" } }, "leased", 9),
        // `forget_handled`.
        (
            doc! { "status": status_of(InboxStatus::Done), "available_at": { "$lt": 30_i64 }, "hold": { "$exists": false } },
            "handled",
            10,
        ),
    ];
    for (filter, index, returned) in reads {
        let (plan, stats) = explain(&store, "inbox", filter.clone(), doc! {}).await;
        assert!(plan.contains(&format!("\"indexName\": \"{index}\"")), "{filter}: {plan}");
        // At most one event passed over (the one `$ne` leaves out) before the first.
        let examined = stats.get("totalDocsExamined").and_then(Bson::as_i32).unwrap_or(i32::MAX);
        assert_eq!(stats.get_i32("nReturned").ok(), Some(1), "{filter}: {stats}");
        assert!(examined <= 2, "{filter} reads through its index, not past the others: {stats}");
        let all = store.c.inbox.count_documents(filter.clone()).await.expect("count");
        assert_eq!(all, returned, "{filter}");
    }

    // The claim's window, hinted: only the waiting and leased events are read, from
    // the keys alone.
    let mut window = super::inbox::claimable(&Bson::Int64(1_000)).expect("filter");
    window.insert("conversation", doc! { "$nin": ["page:psid-1"] });
    let explained = store
        .db
        .run_command(doc! {
            "explain": {
                "find": "inbox", "filter": window, "sort": { "occurred_at": 1, "_id": 1 },
                "projection": { "_id": 1, "conversation": 1 }, "hint": super::indexes::CLAIM_WINDOW,
            },
            "verbosity": "executionStats",
        })
        .await
        .expect("explain");
    let stats = explained.get_document("executionStats").expect("stats");
    assert_eq!(stats.get("totalDocsExamined").and_then(Bson::as_i32), Some(0), "no event fetched: {stats}");
    assert_eq!(
        stats.get_i32("nReturned").ok(),
        Some(57),
        "the 60 waiting and leased but psid-1's 3: {stats}"
    );
    store.drop_database().await.expect("drop");
}

#[tokio::test]
async fn a_reply_whose_chat_was_not_moved_is_finished_once() {
    let store = fresh().await;
    let now = Timestamp::parse("2026-11-20T09:15:00.000Z").expect("valid");
    let owner =
        User::new(Email::parse("ana@shop.example").expect("valid"), PasswordHash("$argon2id$x".into()), now);
    store.create_user(&owner).await.expect("user");
    let new = NewChat {
        user_id: owner.id,
        platform: Platform::Facebook,
        customer_id: "psid-1".into(),
        customer_name: String::new(),
        campaign_id: None,
        now,
    };
    let (chat, _) = store.find_or_create_chat(&new).await.expect("chat");
    let before =
        store.c.chats.find_one(doc! { "_id": chat.id.to_string() }).await.expect("read").expect("stored");
    let parts: Vec<Message> = ["It is 25 dollars.", "Shall I put one aside?"]
        .into_iter()
        .enumerate()
        .map(|(n, text)| Message {
            id: MessageId::new(),
            chat_id: chat.id,
            user_id: owner.id,
            sender: Sender::Ai,
            text: text.into(),
            platform_message_id: None,
            sent_at: now + Duration::from_millis(n as u64),
            delivery: DeliveryState::Sending,
            error: None,
            quick_replies: Vec::new(),
            attachments: Vec::new(),
        })
        .collect();
    let update = ChatUpdate {
        flow_step: Some(FlowStep::Qualification { index: 0 }),
        mode: Some(ChatMode::Human),
        ..ChatUpdate::default()
    };
    let later = now + Duration::from_secs(5);
    let answered = store.append_reply(&parts, &update, later).await.expect("reply");
    assert_eq!(store.finish_reply(owner.id, parts[0].id).await.expect("finish"), None, "taken already");

    // A stop between the two writes: the parts are stored, the chat is as it was.
    store.c.chats.replace_one(doc! { "_id": chat.id.to_string() }, before).await.expect("put back");
    assert_eq!(store.get_chat(owner.id, chat.id).await.expect("chat").message_count, 0);
    let stranger = UserId::new();
    assert_eq!(store.finish_reply(stranger, parts[0].id).await.expect("finish"), None, "not theirs");
    assert_eq!(store.finish_reply(owner.id, parts[1].id).await.expect("finish"), None, "not a first part");
    let finished = store.finish_reply(owner.id, parts[0].id).await.expect("finish");
    assert_eq!(finished, Some((answered.clone(), update)), "the same chat as if nothing had stopped");
    assert_eq!(store.finish_reply(owner.id, parts[0].id).await.expect("finish"), None, "once");
    assert_eq!(store.get_chat(owner.id, chat.id).await.expect("chat"), answered);

    // A later answer moved the chat on: the earlier one is never applied over it.
    let mut next = parts[0].clone();
    (next.id, next.sent_at) = (MessageId::new(), now + Duration::from_mins(1));
    let step = ChatUpdate { flow_step: Some(FlowStep::Closing), ..ChatUpdate::default() };
    let newer = store.append_reply(&[next], &step, now + Duration::from_mins(1)).await.expect("reply");
    assert_eq!(store.finish_reply(owner.id, parts[0].id).await.expect("finish"), None, "older");
    assert_eq!(store.get_chat(owner.id, chat.id).await.expect("chat"), newer);
    store.drop_database().await.expect("drop");
}
