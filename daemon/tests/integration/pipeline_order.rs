//! One conversation, as the model hears it: nothing before its first message, its
//! history from the second on, and in order when answering fails: the customer's
//! next message waits for the earlier one's retry, and both are answered then,
//! together and once. On both backends, with the model behind a fake OpenAI server
//! and the clock moved by the test.

use crate::common;
use crate::fake_openai;

use std::sync::Arc;
use std::time::Duration;

use closer_core::ai::openai::OpenAiResponder;
use closer_core::config::PipelineConfig;
use closer_daemon::Settings;
use common::{Account, TestApp, Workers, chat_messages, model_config, open_sandbox_shop, play, wait_until};
use fake_openai::{Answer, FakeOpenAi, greeting_arguments};
use serde_json::Value;

both_backends![
    a_failed_answer_holds_back_the_customers_next_message,
    the_model_hears_the_conversation_so_far
];

const PATIENCE: Duration = Duration::from_secs(10);

/// The messages of the business's one chat, once it has one.
async fn messages(app: &TestApp, token: &str) -> Vec<Value> {
    let list = app.call("GET", "/api/v1/chats", Some(token), None).await;
    let Some(chat) = list.body["chats"][0]["id"].as_str() else { return Vec::new() };
    chat_messages(app, token, chat).await
}

/// A business with a sandbox shop whose AI is `model` alone, without the rules to
/// fall back on (its failures are the pipeline's), and two workers answering.
async fn shop_with_only(app: &TestApp, model: &FakeOpenAi) -> (TestApp, Workers, Account) {
    closer_daemon::crypto::install_crypto_provider();
    let settings = Settings {
        pipeline: PipelineConfig { workers: 2, ..PipelineConfig::default() },
        ..Settings::default()
    };
    let mut app = app.with_settings(settings);
    let model_only = OpenAiResponder::new(&model_config(model.url())).expect("a responder");
    app.state = app.state.clone().with_responder(Arc::new(model_only));
    let workers = Workers::start(&app);
    let ana = app.register("ana@cases.example").await;
    open_sandbox_shop(&app, &ana.token).await;
    (app, workers, ana)
}

async fn a_failed_answer_holds_back_the_customers_next_message(app: &TestApp) {
    let model = FakeOpenAi::start().await;
    model.push(Answer::ServerError);
    model.otherwise(Answer::reply(&greeting_arguments("19.99 each, and it ships in two days.")));
    let (app, workers, ana) = shop_with_only(app, &model).await;

    play(&app, &ana.token, "How much is a case?").await;
    wait_until("the model's first, failed answer", PATIENCE, || async {
        (model.request_count() == 1).then_some(())
    })
    .await;
    play(&app, &ana.token, "And how long does shipping take?").await;
    // The first message waits 2 s for its retry, and the second behind it: a worker
    // that took it at once would have asked the model within milliseconds.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(model.request_count(), 1, "the next message is not answered before the first");
    let before = messages(&app, &ana.token).await;
    assert_eq!(before.len(), 1, "only the first message is stored yet: {before:?}");

    app.clock.advance(Duration::from_secs(3));
    let after = wait_until("the retry's answer", PATIENCE, || async {
        let all = messages(&app, &ana.token).await;
        (all.len() == 3).then_some(all)
    })
    .await;
    let senders: Vec<&str> = after.iter().filter_map(|m| m["sender"].as_str()).collect();
    assert_eq!(senders, ["customer", "customer", "ai"], "{after:?}");
    assert_eq!(after[2]["text"], "19.99 each, and it ships in two days.");
    let asked = model.last();
    let said = asked.contents("user").join("\n");
    let (first, second) = (said.find("How much is a case?"), said.find("how long does shipping"));
    assert!(first.is_some() && first < second, "both messages, in order, in one answer: {said}");

    // Once: nothing else comes after.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(model.request_count(), 2);
    assert_eq!(messages(&app, &ana.token).await.len(), 3);
    workers.stop().await;
}

async fn the_model_hears_the_conversation_so_far(app: &TestApp) {
    let model = FakeOpenAi::start().await;
    model.push(Answer::reply(&greeting_arguments("19.99 a case.")));
    model.otherwise(Answer::reply(&greeting_arguments("Two days, anywhere in the country.")));
    let (app, workers, ana) = shop_with_only(app, &model).await;

    for (question, answers) in [("How much is a case?", 2), ("And how long does shipping take?", 4)] {
        play(&app, &ana.token, question).await;
        wait_until("the model's answer", PATIENCE, || async {
            (messages(&app, &ana.token).await.len() == answers).then_some(())
        })
        .await;
    }

    let asked = model.requests();
    assert_eq!(asked.len(), 2, "one request per message");
    // The first message begins the conversation: nothing came before it.
    assert_eq!(asked[0].contents("user"), ["How much is a case?"]);
    assert!(asked[0].contents("assistant").is_empty(), "{:?}", asked[0].messages());
    // The second comes with the first and its answer, in order, then itself.
    assert_eq!(asked[1].contents("user"), ["How much is a case?", "And how long does shipping take?"]);
    assert_eq!(asked[1].contents("assistant"), ["19.99 a case."]);
    workers.stop().await;
}
