//! Nothing lost, nothing twice: `closerd` killed with SIGKILL while 200 conversations
//! are in flight (the model slowed down), restarted on the same store — every
//! customer gets exactly one reply. And a takeover while the model thinks silences it.
//!
//! The fake Graph API delivers the echo of every sent message back to the webhook, as
//! Facebook does; that is how a reply handed to the platform just before the kill is
//! recognised as sent after the restart instead of being sent again.

use std::collections::HashMap;
use std::time::Duration;

use closer_tests::fake_graph::FakeGraph;
use closer_tests::fake_openai::{Answer, FakeOpenAi, greeting_arguments};
use closer_tests::messenger;
use closer_tests::owner::{APP_ID, APP_SECRET, Owner, facebook_config, post_webhook};
use closer_tests::{Closerd, mongodb as mongo_server, unique_name};

const PAGE: &str = "104729581234567";
const TOKEN: &str = "EAAB-page-token";
const CUSTOMERS: usize = 200;

async fn store_url(mongo: bool) -> Option<String> {
    if !mongo {
        return None;
    }
    let server = tokio::task::spawn_blocking(mongo_server::server_uri).await.expect("join");
    Some(mongo_server::with_database(server, &unique_name("closer_crash")))
}

/// A daemon answering with the (fake) model, short leases so that work held by a
/// killed process is taken again within seconds.
fn config(graph: &FakeGraph, model: &FakeOpenAi) -> String {
    format!(
        "{}\n[ai]\nprovider = \"openai\"\napi_key = \"sk-test\"\nbase_url = {:?}\ntimeout_secs = 15\n\n\
         [pipeline]\nlease_secs = 3\nworkers = 32\n",
        facebook_config(&graph.url()),
        model.url()
    )
}

fn now_ms() -> i64 {
    closer_core::model::Timestamp::now().as_millis()
}

/// Successful sends per customer.
fn replies(graph: &FakeGraph) -> HashMap<String, usize> {
    let mut per_customer = HashMap::new();
    for send in graph.sends().into_iter().filter(|send| send.answer.is_ok()) {
        *per_customer.entry(send.recipient).or_default() += 1;
    }
    per_customer
}

async fn a_crash_loses_nothing_and_answers_nothing_twice(mongo: bool) {
    let graph = FakeGraph::start().await;
    graph.page(TOKEN, PAGE, "Ana's Bakery");
    let model = FakeOpenAi::start().await;
    // An answer that also moves the chat: the flow a step on, the score up.
    let mut answer = greeting_arguments("It's 24.90 euros. For how many people?");
    answer["signals"] = serde_json::json!(["asked_price"]);
    answer["next_step"] = serde_json::json!({ "step": "qualification", "index": 0 });
    model.otherwise(Answer::slow(Duration::from_millis(400), Answer::reply(&answer)));
    let store = store_url(mongo).await;
    let daemon = Closerd::start_with(store.as_deref(), &config(&graph, &model)).await;
    graph.deliver_echoes(&daemon.url("/webhooks/facebook"), APP_SECRET, APP_ID, PAGE);
    {
        let owner = Owner::register(&daemon, "ana@bakery.example").await;
        owner.connect_page(PAGE, TOKEN).await;
        owner.live_campaign().await;
    }

    // 200 customers write, in batches of 20 events per POST.
    let t = now_ms() - 1_000;
    for batch in 0..CUSTOMERS / 20 {
        let events = (0..20)
            .map(|n| {
                let i = batch * 20 + n;
                messenger::text(
                    PAGE,
                    &format!("psid-{i}"),
                    &format!("mid.customer.{i}"),
                    "Hi! Is it still available?",
                    t + i as i64,
                )
            })
            .collect();
        let body = messenger::bytes(&messenger::batch(vec![messenger::entry(PAGE, t, events)]));
        assert_eq!(post_webhook(&daemon, &body).await, 200);
    }

    // Kill it in the middle: some answered, most in flight or waiting.
    let deadline = tokio::time::Instant::now() + Duration::from_mins(1);
    while replies(&graph).len() < 30 {
        assert!(tokio::time::Instant::now() < deadline, "no progress before the crash:\n{}", daemon.stderr());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let daemon = daemon.crash_and_restart().await;
    let answered_before = replies(&graph).len();
    assert!(answered_before < CUSTOMERS, "the crash came too late to prove anything");
    graph.deliver_echoes(&daemon.url("/webhooks/facebook"), APP_SECRET, APP_ID, PAGE);

    // Every customer is answered after the restart…
    let deadline = tokio::time::Instant::now() + Duration::from_mins(2);
    while replies(&graph).len() < CUSTOMERS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {CUSTOMERS} customers answered after the restart:\n{}",
            replies(&graph).len(),
            daemon.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // …and, once things have settled, none twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let twice: Vec<_> = replies(&graph).into_iter().filter(|(_, n)| *n != 1).collect();
    assert!(twice.is_empty(), "answered more than once: {twice:?}");

    // The store agrees: one customer message and one sent reply in each chat…
    let owner = Owner { daemon: &daemon, token: login(&daemon).await };
    let chats = owner.chats().await;
    assert_eq!(chats.len(), CUSTOMERS);
    // …and what the reply changed about its chat: written with it (SQLite), or kept
    // with it and applied when the work is taken again (MongoDB).
    for chat in &chats {
        let moved = (chat["flow_step"]["step"].as_str(), chat["lead"]["score"].as_u64().unwrap_or(0) > 0);
        assert_eq!(moved, (Some("qualification"), true), "the reply's follow-up is missing: {chat}");
    }
    for chat in chats.iter().take(20) {
        let messages = owner.messages(chat["id"].as_str().expect("id")).await;
        let senders: Vec<_> = messages.iter().map(|m| (m["sender"].clone(), m["delivery"].clone())).collect();
        assert_eq!(messages.len(), 2, "{senders:?}");
        assert_eq!(messages[1]["delivery"], "sent", "{senders:?}");
    }
    eprintln!("answered before the crash: {answered_before}; after: {}", CUSTOMERS - answered_before);
}

async fn login(daemon: &Closerd) -> String {
    let response = daemon
        .http()
        .post(daemon.url("/api/v1/auth/login"))
        .json(
            &serde_json::json!({ "email": "ana@bakery.example", "password": "correct horse battery staple" }),
        )
        .send()
        .await
        .expect("login");
    let body: serde_json::Value = response.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_nothing_and_answers_nothing_twice_on_sqlite() {
    a_crash_loses_nothing_and_answers_nothing_twice(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_loses_nothing_and_answers_nothing_twice_on_mongodb() {
    a_crash_loses_nothing_and_answers_nothing_twice(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takeover_while_the_model_thinks_silences_it_on_sqlite() {
    a_takeover_while_the_model_thinks_silences_it(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takeover_while_the_model_thinks_silences_it_on_mongodb() {
    a_takeover_while_the_model_thinks_silences_it(true).await;
}

async fn a_takeover_while_the_model_thinks_silences_it(mongo: bool) {
    let graph = FakeGraph::start().await;
    graph.page(TOKEN, PAGE, "Ana's Bakery");
    let model = FakeOpenAi::start().await;
    model.otherwise(Answer::slow(Duration::from_secs(2), Answer::reply(&greeting_arguments("Hello there!"))));
    let store = store_url(mongo).await;
    let daemon = Closerd::start_with(store.as_deref(), &config(&graph, &model)).await;
    let owner = Owner::register(&daemon, "ana@bakery.example").await;
    owner.connect_page(PAGE, TOKEN).await;
    owner.live_campaign().await;

    let body = messenger::bytes(&messenger::single(
        PAGE,
        messenger::text(PAGE, "psid-t", "m_t", "Hello?", now_ms()),
    ));
    assert_eq!(post_webhook(&daemon, &body).await, 200);
    // The model has the question; the owner takes over while it thinks.
    owner
        .eventually(Duration::from_secs(20), "the model to be asked", || async {
            (model.request_count() > 0).then_some(())
        })
        .await;
    let chat = owner.chats().await.into_iter().next().expect("the chat");
    let chat_id = chat["id"].as_str().expect("id");
    let taken = owner.call("POST", &format!("/api/v1/chats/{chat_id}/takeover"), None).await;
    assert_eq!(taken.ok()["mode"], "human");

    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        graph.sends().is_empty(),
        "the AI's reply must not be sent after a takeover: {:?}",
        graph.sends()
    );
    let messages = owner.messages(chat_id).await;
    assert_eq!(messages.len(), 1, "only the customer's message: {messages:?}");
}
