//! The customer-message pipeline end to end: the real `closerd`, a real store, the
//! fake Graph API on 127.0.0.1, and Messenger webhooks signed as Facebook signs them.

use std::time::Duration;

use closer_tests::fake_graph::{FakeGraph, GraphFailure};
use closer_tests::messenger;
use closer_tests::owner::{Owner, VERIFY_TOKEN, facebook_config, post_raw_webhook, post_webhook};
use closer_tests::{Closerd, mongodb as mongo_server, unique_name};
use futures_util::StreamExt as _;
use serde_json::Value;

const PAGE: &str = "104729581234567";
const TOKEN: &str = "EAAB-page-token";
const WAIT: Duration = Duration::from_secs(20);

/// A daemon wired to a fake Graph that knows our page, on SQLite or MongoDB.
async fn start(graph: &FakeGraph, mongo: bool) -> Closerd {
    graph.page(TOKEN, PAGE, "Ana's Bakery");
    let store = if mongo {
        let server = tokio::task::spawn_blocking(mongo_server::server_uri).await.expect("join");
        Some(mongo_server::with_database(server, &unique_name("closer_pipeline")))
    } else {
        None
    };
    Closerd::start_with(store.as_deref(), &facebook_config(&graph.url())).await
}

async fn ready_owner(daemon: &Closerd) -> Owner<'_> {
    let owner = Owner::register(daemon, "ana@bakery.example").await;
    owner.connect_page(PAGE, TOKEN).await;
    owner.live_campaign().await;
    owner
}

fn now_ms() -> i64 {
    closer_core::model::Timestamp::now().as_millis()
}

macro_rules! on_both_stores {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(false).await;
                }
            )*
        }
        mod mongodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(true).await;
                }
            )*
        }
    };
}

on_both_stores![
    a_signed_text_gets_exactly_one_reply,
    redeliveries_are_answered_once,
    bad_signatures_are_refused_and_store_nothing,
    rate_limits_are_waited_out_and_a_dead_token_asks_for_a_new_connection,
    every_event_kind_does_what_it_means,
    a_shuffled_batch_is_handled_in_order_per_conversation,
    a_platform_that_keeps_failing_leaves_the_reply_failed_and_visible,
    a_message_older_than_a_day_is_kept_but_not_answered_automatically,
];

async fn a_signed_text_gets_exactly_one_reply(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;
    let ws_url = format!("ws://{}/api/v1/ws?token={}", daemon.addr(), owner.token);
    let (mut console, _) = tokio_tungstenite::connect_async(ws_url).await.expect("the console connects");

    let body = messenger::bytes(&messenger::single(
        PAGE,
        messenger::text(
            PAGE,
            "psid-1",
            "m_customer_1",
            "Hello! How much is the panettone? 🎄 Ça coûte combien ?",
            now_ms(),
        ),
    ));
    assert_eq!(post_webhook(&daemon, &body).await, 200);

    let sends = graph.wait_for_sends(1, WAIT).await;
    assert_eq!(sends.len(), 1, "{sends:?}");
    let reply = &sends[0];
    assert_eq!(reply.recipient, "psid-1");
    assert_eq!(reply.messaging_type.as_deref(), Some("RESPONSE"));
    assert!(reply.tag.is_none(), "an automated reply never carries a tag: {reply:?}");
    let text = reply.text.clone().unwrap_or_default();
    assert!(text.contains("24.90"), "the price comes from the campaign: {text:?}");
    let actions: Vec<String> = graph.sender_actions().into_iter().map(|a| a.action).collect();
    assert!(
        actions.contains(&"mark_seen".to_owned()) && actions.contains(&"typing_on".to_owned()),
        "{actions:?}"
    );

    let chats = owner.chats().await;
    assert_eq!(chats.len(), 1);
    let chat_id = chats[0]["id"].as_str().expect("id");
    let messages = owner
        .eventually(WAIT, "the reply marked sent", || async {
            let messages = owner.messages(chat_id).await;
            (messages.len() == 2 && messages[1]["delivery"] == "sent").then_some(messages)
        })
        .await;
    assert_eq!(messages[0]["sender"], "customer");
    assert_eq!(messages[0]["platform_message_id"], "m_customer_1");
    assert_eq!(messages[1]["sender"], "ai");
    assert_eq!(messages[1]["text"], Value::String(text));
    assert!(chats[0]["lead"]["score"].as_u64().is_some());

    // The reply's figures are counted just after it is marked sent, and the message's
    // arrival while it is answered: wait for both.
    let totals = owner
        .eventually(WAIT, "the message and the reply counted", || async {
            let numbers = owner.call("GET", "/api/v1/analytics", None).await;
            let totals = numbers.ok()["current"]["totals"].clone();
            (totals["messages_sent"] == 1 && totals["messages_received"] == 1).then_some(totals)
        })
        .await;
    assert_eq!(totals["messages_received"], 1, "{totals}");
    assert_eq!(totals["messages_sent"], 1, "{totals}");
    assert_eq!(totals["messages_answered"], 1, "{totals}");
    assert_eq!(totals["conversations_started"], 1, "{totals}");

    // The console saw it all happen, live.
    let mut seen = Vec::new();
    let wanted = ["chat.created", "chat.message", "chat.updated", "message.delivery", "analytics.updated"];
    while !wanted.iter().all(|kind| seen.iter().any(|s: &String| s == kind)) {
        let frame = tokio::time::timeout(WAIT, console.next()).await.expect("events keep coming");
        let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = frame else { continue };
        let event: Value = serde_json::from_str(&text).expect("an event is JSON");
        seen.push(event["type"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(seen.iter().filter(|kind| *kind == "chat.message").count(), 2, "{seen:?}");
}

async fn redeliveries_are_answered_once(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;

    let ts = now_ms();
    let first = messenger::text(PAGE, "psid-2", "m_dup", "Do you deliver to Porto?", ts);
    let body = messenger::bytes(&messenger::single(PAGE, first.clone()));
    for _ in 0..3 {
        assert_eq!(post_webhook(&daemon, &body).await, 200);
    }
    // The same mid again inside another POST, beside a new message of another customer.
    let other = messenger::text(PAGE, "psid-3", "m_other", "hi", ts + 5);
    let mixed = messenger::bytes(&messenger::batch(vec![messenger::entry(PAGE, ts + 5, vec![first, other])]));
    assert_eq!(post_webhook(&daemon, &mixed).await, 200);

    graph.wait_for_sends(2, WAIT).await;
    // Give a duplicate every chance to show up.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let sends = graph.sends();
    let to = |psid: &str| sends.iter().filter(|s| s.recipient == psid).count();
    assert_eq!((to("psid-2"), to("psid-3")), (1, 1), "{sends:?}");
    assert_eq!(owner.chats().await.len(), 2);
}

async fn bad_signatures_are_refused_and_store_nothing(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;

    let body =
        messenger::bytes(&messenger::single(PAGE, messenger::text(PAGE, "psid-9", "m_9", "hi", now_ms())));
    let other =
        messenger::bytes(&messenger::single(PAGE, messenger::text(PAGE, "psid-9", "m_8", "hey", now_ms())));
    let (_, other_signature) = messenger::signed(closer_tests::owner::APP_SECRET, &other);
    let (_, wrong_secret) = messenger::signed("not-our-secret", &body);
    for signature in [
        None,
        Some("sha256=00"),
        Some("md5=abc"),
        Some(wrong_secret.as_str()),
        Some(other_signature.as_str()),
    ] {
        assert_eq!(post_raw_webhook(&daemon, body.clone(), signature).await, 403, "{signature:?}");
    }
    // Malformed JSON, correctly signed: 400.
    assert_eq!(post_webhook(&daemon, b"{not json").await, 400);

    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(owner.chats().await.is_empty(), "nothing was stored");
    assert!(graph.sends().is_empty(), "nothing was sent");

    // The subscription handshake: our verify token gets the challenge back, others 403.
    let handshake = |token: &str| {
        daemon.url(&format!(
            "/webhooks/facebook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=4242"
        ))
    };
    let ok = daemon.http().get(handshake(VERIFY_TOKEN)).send().await.expect("answer");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.expect("body"), "4242");
    let refused = daemon.http().get(handshake("guess")).send().await.expect("answer");
    assert_eq!(refused.status(), 403);
}

async fn rate_limits_are_waited_out_and_a_dead_token_asks_for_a_new_connection(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;

    graph.fail_next_sends(TOKEN, vec![GraphFailure::RATE_LIMITED, GraphFailure::RATE_LIMITED]);
    let body = messenger::bytes(&messenger::single(
        PAGE,
        messenger::text(PAGE, "psid-4", "m_4", "price?", now_ms()),
    ));
    assert_eq!(post_webhook(&daemon, &body).await, 200);
    let sends = graph.wait_for_sends(3, WAIT).await;
    let delivered: Vec<_> = sends.iter().filter(|s| s.answer.is_ok()).collect();
    assert_eq!(delivered.len(), 1, "613 twice, then one reply delivered: {sends:?}");

    graph.fail_sends_forever(TOKEN, GraphFailure::TOKEN_INVALID);
    let body =
        messenger::bytes(&messenger::single(PAGE, messenger::text(PAGE, "psid-5", "m_5", "hello", now_ms())));
    assert_eq!(post_webhook(&daemon, &body).await, 200);
    let status = owner
        .eventually(WAIT, "the integration to need a new connection", || async {
            let facebook = owner.call("GET", "/api/v1/integrations/facebook", None).await;
            let status = facebook.ok()["status"].as_str().unwrap_or_default().to_owned();
            (status == "needs_reconnect").then_some(status)
        })
        .await;
    assert_eq!(status, "needs_reconnect");
    let chats = owner.chats().await;
    let chat = chats.iter().find(|c| c["customer_id"] == "psid-5").expect("the chat is kept");
    let messages = owner.messages(chat["id"].as_str().expect("id")).await;
    let reply = messages.iter().find(|m| m["sender"] == "ai").expect("the reply is kept");
    assert_eq!(reply["delivery"], "failed");
    assert!(reply["error"].as_str().is_some_and(|e| e.contains("connect the page again")), "{reply}");
}

/// The messages of the chat with `psid`, once `done` holds for them.
async fn transcript(
    owner: &Owner<'_>,
    psid: &str,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    owner
        .eventually(WAIT, what, || async {
            let chats = owner.chats().await;
            let chat = chats.iter().find(|c| c["customer_id"] == psid)?;
            let messages = owner.messages(chat["id"].as_str()?).await;
            done(&messages).then_some(messages)
        })
        .await
}

async fn every_event_kind_does_what_it_means(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;
    let t = now_ms();
    let daemon = &daemon;
    let post = |event: Value| {
        let body = messenger::bytes(&messenger::single(PAGE, event));
        async move { assert_eq!(post_webhook(daemon, &body).await, 200) }
    };

    // A customer writes; our reply goes out and its echo (our app) comes back.
    post(messenger::text(PAGE, "psid-e", "m_e1", "Hi there", t)).await;
    let sends = graph.wait_for_sends(1, WAIT).await;
    let our_mid = sends[0].answer.clone().expect("sent");
    post(messenger::echo(
        PAGE,
        "psid-e",
        &our_mid,
        sends[0].text.as_deref().unwrap_or(""),
        closer_tests::owner::APP_ID,
        t + 10,
    ))
    .await;
    // Delivery and read move our message on.
    post(messenger::delivery(PAGE, "psid-e", &[&our_mid], t + 20)).await;
    let messages =
        transcript(&owner, "psid-e", "the delivery", |m| m.len() == 2 && m[1]["delivery"] == "delivered")
            .await;
    assert_eq!(
        messages.iter().filter(|m| m["sender"] == "customer").count(),
        1,
        "an echo is never a customer message"
    );
    post(messenger::read(PAGE, "psid-e", now_ms() + 1_000)).await;
    transcript(&owner, "psid-e", "the read receipt", |m| m.len() == 2 && m[1]["delivery"] == "read").await;

    // A quick reply and a button tap are answered like messages.
    post(messenger::quick_reply(PAGE, "psid-e", "m_e2", "2-4", "qualification:0:0", now_ms())).await;
    post(messenger::postback(PAGE, "psid-e", "m_e3", "Talk to a person", "HUMAN", now_ms() + 1)).await;
    let messages = transcript(&owner, "psid-e", "the handoff", |m| {
        m.iter().filter(|m| m["sender"] == "customer").count() == 3
    })
    .await;
    assert!(messages.iter().any(|m| m["text"] == "Talk to a person"), "{messages:?}");
    let chat = owner
        .eventually(WAIT, "the chat handed to the owner", || async {
            let chats = owner.chats().await;
            chats.into_iter().find(|c| c["customer_id"] == "psid-e" && c["mode"] == "human")
        })
        .await;
    assert_eq!(chat["handoff_requested"], true);

    // An attachment without text is stored and acknowledged.
    post(messenger::attachment(PAGE, "psid-a", "m_a1", "image", "https://cdn.example/cake.jpg", now_ms()))
        .await;
    let messages = transcript(&owner, "psid-a", "the attachment answered", |m| m.len() == 2).await;
    assert_eq!(messages[0]["attachments"][0]["kind"], "image");
    assert_eq!(messages[1]["sender"], "ai");

    // A person answering from the page inbox (another app) takes the chat over.
    post(messenger::text(PAGE, "psid-h", "m_h1", "Hello?", now_ms())).await;
    transcript(&owner, "psid-h", "the first answer", |m| m.len() == 2).await;
    post(messenger::echo(
        PAGE,
        "psid-h",
        "m_h_human",
        "Ana here, how can I help?",
        "263902037430900",
        now_ms(),
    ))
    .await;
    let messages = transcript(&owner, "psid-h", "the human's echo", |m| m.len() == 3).await;
    assert_eq!(messages[2]["sender"], "business");
    let sent_before = graph.sends().len();
    post(messenger::text(PAGE, "psid-h", "m_h2", "Great, thanks Ana", now_ms())).await;
    transcript(&owner, "psid-h", "the customer's next message", |m| m.len() == 4).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(graph.sends().len(), sent_before, "the AI stays silent once a person answered");

    // Standby events (another app owns the thread) are recorded, never answered.
    let standby = messenger::bytes(&messenger::batch(vec![messenger::standby(
        PAGE,
        now_ms(),
        vec![messenger::text(PAGE, "psid-s", "m_s1", "Anyone?", now_ms())],
    )]));
    assert_eq!(post_webhook(daemon, &standby).await, 200);
    let messages = transcript(&owner, "psid-s", "the standby message", |m| m.len() == 1).await;
    assert_eq!(messages[0]["text"], "Anyone?");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(graph.sends().iter().all(|s| s.recipient != "psid-s"), "standby is not answered");
}

async fn a_shuffled_batch_is_handled_in_order_per_conversation(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;
    // Messenger's times are when the customer wrote: a moment ago.
    let t = now_ms() - 2_000;
    // Three customers × five messages, spread over three entries, newest first.
    let mut entries = Vec::new();
    for (e, psid) in ["psid-x", "psid-y", "psid-z"].iter().enumerate() {
        let events = (0..5)
            .rev()
            .map(|n| {
                messenger::text(PAGE, psid, &format!("m_{psid}_{n}"), &format!("message {n}"), t + n * 100)
            })
            .collect();
        entries.push(messenger::entry(PAGE, t + e as i64, events));
    }
    let body = messenger::bytes(&messenger::batch(entries));
    assert_eq!(post_webhook(&daemon, &body).await, 200);

    for psid in ["psid-x", "psid-y", "psid-z"] {
        let messages = transcript(&owner, psid, "all five messages answered", |m| {
            m.iter().filter(|m| m["sender"] == "customer").count() == 5
                && m.last().is_some_and(|m| m["sender"] == "ai")
        })
        .await;
        let customer: Vec<&str> = messages
            .iter()
            .filter(|m| m["sender"] == "customer")
            .filter_map(|m| m["text"].as_str())
            .collect();
        assert_eq!(customer, ["message 0", "message 1", "message 2", "message 3", "message 4"], "{psid}");
    }
    // A burst is answered once, not five times.
    tokio::time::sleep(Duration::from_millis(800)).await;
    for psid in ["psid-x", "psid-y", "psid-z"] {
        let replies = graph.sends().iter().filter(|s| s.recipient == psid).count();
        assert!((1..=2).contains(&replies), "{psid} got {replies} replies to a burst of five");
    }
}

async fn a_platform_that_keeps_failing_leaves_the_reply_failed_and_visible(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;
    graph.fail_sends_forever(TOKEN, GraphFailure::TEMPORARY);
    let body =
        messenger::bytes(&messenger::single(PAGE, messenger::text(PAGE, "psid-f", "m_f", "hello", now_ms())));
    assert_eq!(post_webhook(&daemon, &body).await, 200);
    let messages = transcript(&owner, "psid-f", "the reply given up on", |m| {
        m.len() == 2 && m[1]["delivery"] == "failed"
    })
    .await;
    assert!(messages[1]["error"].as_str().is_some_and(|e| !e.is_empty()), "{:?}", messages[1]);
    let attempts = graph.sends().iter().filter(|s| s.recipient == "psid-f").count();
    assert_eq!(attempts, 5, "retried up to the limit, then given up");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(graph.sends().len(), attempts, "never retried forever");

    // One of those attempts went out after all (the platform failed after taking it):
    // its echo, carrying our metadata, is the proof, and the reply shows as sent.
    let reply = messages[1]["id"].as_str().expect("the reply's id");
    let mut echo = messenger::echo(PAGE, "psid-f", "m_f_out", "", closer_tests::owner::APP_ID, now_ms());
    echo["message"]["metadata"] = Value::from(format!("closer:{reply}"));
    assert_eq!(post_webhook(&daemon, &messenger::bytes(&messenger::single(PAGE, echo))).await, 200);
    transcript(&owner, "psid-f", "the reply sent after all", |m| m.len() == 2 && m[1]["delivery"] == "sent")
        .await;
}

async fn a_message_older_than_a_day_is_kept_but_not_answered_automatically(mongo: bool) {
    let graph = FakeGraph::start().await;
    let daemon = start(&graph, mongo).await;
    let owner = ready_owner(&daemon).await;
    // Delivered late (an outage on the platform's side): written 25 hours ago.
    let written = now_ms() - 25 * 3_600_000;
    let body = messenger::bytes(&messenger::single(
        PAGE,
        messenger::text(PAGE, "psid-old", "m_old", "hello?", written),
    ));
    assert_eq!(post_webhook(&daemon, &body).await, 200);
    let messages = transcript(&owner, "psid-old", "the late message stored", |m| m.len() == 1).await;
    assert_eq!(messages[0]["sender"], "customer");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(graph.sends().is_empty(), "no automated reply outside the 24-hour window: {:?}", graph.sends());
    assert_eq!(owner.messages(owner.chats().await[0]["id"].as_str().expect("id")).await.len(), 1);
}
