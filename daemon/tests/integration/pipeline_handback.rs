//! `[pipeline] handback_after_minutes` on both backends, with the clock moved by the
//! test: a chat the owner took over and then forgot goes back to the AI when the
//! customer writes again — and not a minute before.

use crate::common;

use std::time::Duration;

use axum::http::StatusCode;
use closer_core::config::PipelineConfig;
use closer_daemon::Settings;
use common::{TestApp, Workers, chat_messages, open_sandbox_shop, play, wait_until};

both_backends![a_forgotten_takeover_goes_back_to_the_ai];

const PATIENCE: Duration = Duration::from_secs(10);

async fn a_forgotten_takeover_goes_back_to_the_ai(app: &TestApp) {
    let pipeline = PipelineConfig { workers: 2, handback_after_minutes: 30, ..PipelineConfig::default() };
    // Logins outlast the hours this test moves the clock by.
    let settings = Settings { pipeline, access_token_ttl: Duration::from_hours(24), ..Settings::default() };
    let app = app.with_settings(settings);
    let workers = Workers::start(&app);
    let ana = app.register("ana@cases.example").await;
    open_sandbox_shop(&app, &ana.token).await;

    play(&app, &ana.token, "Hi, how much is a case?").await;
    let chat = wait_until("the first answer", PATIENCE, || async {
        let list = app.call("GET", "/api/v1/chats", Some(&ana.token), None).await;
        let chat = list.body["chats"][0]["id"].as_str()?.to_owned();
        (chat_messages(&app, &ana.token, &chat).await.len() == 2).then_some(chat)
    })
    .await;
    app.call("POST", &format!("/api/v1/chats/{chat}/takeover"), Some(&ana.token), None)
        .await
        .expect(StatusCode::OK, None);

    // Ten minutes later the owner is still on it: the AI stays silent.
    app.clock.advance(Duration::from_mins(10));
    play(&app, &ana.token, "Hello? Anyone there?").await;
    wait_until("the second customer message", PATIENCE, || async {
        (chat_messages(&app, &ana.token, &chat).await.len() == 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let now = chat_messages(&app, &ana.token, &chat).await;
    assert_eq!(now.len(), 3, "no AI answer while the owner holds the chat: {now:?}");

    // Half an hour after the takeover with no word from the owner: back to the AI.
    app.clock.advance(Duration::from_mins(25));
    play(&app, &ana.token, "How much was it again?").await;
    let after = wait_until("the AI to answer again", PATIENCE, || async {
        let all = chat_messages(&app, &ana.token, &chat).await;
        (all.len() == 5).then_some(all)
    })
    .await;
    assert_eq!(after[4]["sender"], "ai", "{after:?}");
    let detail = app.call("GET", &format!("/api/v1/chats/{chat}"), Some(&ana.token), None).await;
    assert_eq!(detail.expect(StatusCode::OK, None)["chat"]["mode"], "ai");
    workers.stop().await;
}
