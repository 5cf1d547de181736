//! `closer` end to end, the conversational and editing commands: `simulate` over the
//! live events, a `leo` conversation from piped questions, `campaign edit` and its
//! version check, `chats` paging, the man page, and their bad input.

#[path = "cli_support.rs"]
mod support;

use closer_tests::{Closerd, write_file};
use serde_json::Value;
use support::{BUSINESS, CAMPAIGN, Closer, path};

/// A registered, onboarded bakery with its campaign live; the campaign's id.
async fn bakery(closer: &Closer, files: &std::path::Path) -> String {
    closer.register("ana@bakery.example").await;
    let business = write_file(files, "business.toml", BUSINESS);
    closer.run(&["onboard", "--file", path(&business)]).await.ok();
    let file = write_file(files, "campaign.toml", CAMPAIGN);
    // --quiet: the id alone, for `CAMPAIGN=$(closer campaign create … --quiet)`.
    let created = closer.run(&["campaign", "create", "--file", path(&file), "--quiet"]).await;
    let id = created.ok().trim().to_owned();
    assert_eq!(created.stdout.lines().count(), 1, "{created:#?}");
    assert_eq!(id.len(), 36, "an id: {created:#?}");
    closer.run(&["campaign", "activate", &id]).await.ok();
    id
}

#[tokio::test]
async fn simulate_plays_a_customer_and_prints_the_ai_answers_as_they_come() {
    let daemon = Closerd::start().await;
    let closer = Closer::new(&daemon.url(""));
    let files = tempfile::tempdir().expect("a temporary directory");
    bakery(&closer, files.path()).await;

    let early = closer.run_with(&["simulate"], Some("Hi\n")).await;
    early.fails(1, "run `closer connect sandbox` first");
    closer.run(&["connect", "sandbox"]).await.ok();

    let simulate = ["simulate", "--customer-id", "maria", "--name", "Maria"];
    let played = closer.run_with(&simulate, Some("Hi!\nHow much is the panettone?\n")).await;
    let answers = played.ok();
    assert!(answers.lines().next().is_some_and(|l| l.starts_with("ai> ")), "{played:#?}");
    assert!(answers.contains("24.90"), "the campaign's price is in the answers: {played:#?}");
    assert!(played.stderr.is_empty(), "nothing to complain about: {played:#?}");

    // The same customer again continues her chat; --json is one live event per line.
    let more = closer.run_with(&[&simulate[..], &["--json"]].concat(), Some("For 6 people\n")).await;
    let events: Vec<Value> = more
        .ok()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?} in {more:#?}")))
        .collect();
    assert!(!events.is_empty(), "{more:#?}");
    for event in &events {
        assert_eq!(event["type"], "chat.message", "{event}");
        assert_eq!(event["message"]["sender"], "ai", "{event}");
    }
    let chats = closer.run(&["chats", "--search", "maria", "--json"]).await.json();
    assert_eq!(chats["chats"].as_array().map(Vec::len), Some(1), "one chat for Maria: {chats}");
    assert_eq!(chats["chats"][0]["id"], events[0]["chat_id"], "{chats}");
    assert!(chats["chats"][0]["message_count"].as_i64() >= Some(6), "{chats}");

    // Taken over, the chat gets no AI answer: simulate waits --wait seconds and says why.
    let chat_id = chats["chats"][0]["id"].as_str().expect("the chat's id");
    closer.run(&["chat", "takeover", chat_id]).await.ok();
    let unanswered = closer.run_with(&[&simulate[..], &["--wait", "1"]].concat(), Some("Hello?\n")).await;
    assert_eq!(unanswered.ok(), "", "{unanswered:#?}");
    assert!(
        unanswered.stderr.contains("no answer within 1 s: the owner took the chat over"),
        "{unanswered:#?}"
    );
    closer.run(&["chat", "release", chat_id]).await.ok();

    // Paging: two customers, one per page.
    closer.run_with(&["simulate", "--customer-id", "joao"], Some("Hello\n")).await.ok();
    let first = closer.run(&["chats", "--limit", "1", "--json"]).await.json();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = closer.run(&["chats", "--limit", "1", "--cursor", cursor, "--json"]).await.json();
    assert_ne!(first["chats"][0]["id"], second["chats"][0]["id"], "{first}\n{second}");
    assert_eq!(second["next_cursor"], Value::Null, "two chats, two pages: {second}");
    closer.run(&["chats", "--cursor", "not-a-cursor"]).await.fails(1, "cursor");

    // Bad input.
    closer.run(&["simulate", "--wait", "0"]).await.fails(2, "--wait");
    closer
        .run_with(&["simulate", "--customer-id", " "], Some("Hi\n"))
        .await
        .fails(2, "--customer-id is empty");
    let long = "x".repeat(101);
    closer.run_with(&["simulate", "--name", &long], Some("Hi\n")).await.fails(2, "--name is longer");
    closer.run(&["simulate"]).await.fails(2, "no message on stdin");
    let too_long = format!("{}\n", "x".repeat(20_001));
    closer.run_with(&["simulate"], Some(&too_long)).await.fails(1, "text");
}

#[tokio::test]
async fn leo_keeps_one_conversation_across_piped_questions() {
    let daemon = Closerd::start().await;
    let closer = Closer::new(&daemon.url(""));
    closer.register("ana@bakery.example").await;

    let asked =
        closer.run_with(&["leo", "--json"], Some("How many chats this week?\n\nAnd revenue?\n")).await;
    let replies: Vec<Value> = asked
        .ok()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?} in {asked:#?}")))
        .collect();
    assert_eq!(replies.len(), 2, "one answer per question, blank lines skipped: {asked:#?}");
    let conversation = replies[0]["conversation_id"].as_str().expect("a conversation");
    assert_eq!(replies[1]["conversation_id"], conversation, "{asked:#?}");
    assert!(replies.iter().all(|r| !r["answer"].as_str().unwrap_or_default().is_empty()), "{asked:#?}");

    // Continued by id, for people: the answers, a blank line between them.
    let more = closer.run_with(&["leo", "--conversation", conversation], Some("Chats?\nLeads?\n")).await;
    assert!(more.ok().contains("\n\n"), "{more:#?}");

    // Bad input.
    closer.run(&["leo"]).await.fails(2, "no question");
    closer.run(&["leo", " "]).await.fails(2, "the question is empty");
    let unknown = "0193a5b2-0000-7000-8000-000000000000";
    closer.run_with(&["leo", "--conversation", unknown], Some("Hi\n")).await.fails(1, "not found");
}

#[tokio::test]
async fn campaign_edit_changes_only_what_is_given_and_explains_a_stale_version() {
    let daemon = Closerd::start().await;
    let closer = Closer::new(&daemon.url(""));
    let files = tempfile::tempdir().expect("a temporary directory");
    let id = bakery(&closer, files.path()).await;
    let before = closer.run(&["campaign", "show", &id, "--json"]).await.json();
    let version = before["version"].as_i64().expect("a version");

    let edited = closer.run(&["campaign", "edit", &id, "--price", "19.90"]).await;
    assert!(
        edited.ok().starts_with(&format!("updated campaign {id} \"Christmas panettone\"")),
        "{edited:#?}"
    );
    assert!(edited.stdout.contains("product.price"), "{edited:#?}");
    let after = closer.run(&["campaign", "show", &id, "--json"]).await.json();
    assert_eq!(after["product"]["price"]["amount_minor"], 1990, "{after}");
    assert_eq!(after["product"]["price"]["currency"], "EUR", "the currency stays: {after}");
    assert_eq!(after["flow"], before["flow"], "nothing else changed");
    assert_eq!(after["status"], "active");

    let changes = write_file(files.path(), "edit.toml", "greeting = \"Hi! A panettone?\"\n");
    let from_file = closer.run(&["campaign", "edit", &id, "--file", path(&changes), "--json"]).await.json();
    assert_eq!(from_file["flow"]["greeting"], "Hi! A panettone?");
    assert_eq!(from_file["product"]["price"]["amount_minor"], 1990);

    // An edit of the version read before the others: refused, and said why.
    let stale = closer
        .run(&["campaign", "edit", &id, "--if-version", &version.to_string(), "--name", "Easter"])
        .await;
    stale.fails(1, &format!("campaign {id} was changed by someone else since version {version}"));
    assert!(stale.stderr.contains(&format!("closer campaign show {id}")), "{stale:#?}");
    let unchanged = closer.run(&["campaign", "show", &id, "--json"]).await.json();
    assert_eq!(unchanged["name"], "Christmas panettone");

    // Bad input.
    closer.run(&["campaign", "edit"]).await.fails(2, "<ID>");
    closer.run(&["campaign", "edit", &id]).await.fails(2, "nothing to change");
    closer.run(&["campaign", "edit", &id, "--name", " "]).await.fails(2, "--name is empty");
    closer.run(&["campaign", "edit", &id, "--currency", "USD"]).await.fails(2, "a currency without a price");
    closer.run(&["campaign", "edit", &id, "--price", "1.999"]).await.fails(2, "bad amount");
    closer.run(&["campaign", "edit", "../x", "--price", "1"]).await.fails(2, "bad id");
    let unknown = "0193a5b2-0000-7000-8000-000000000000";
    closer.run(&["campaign", "edit", unknown, "--price", "1"]).await.fails(1, "not found");
    let typo = write_file(files.path(), "typo.toml", "prise = \"1\"\n");
    closer.run(&["campaign", "edit", &id, "--file", path(&typo)]).await.fails(2, "unknown field `prise`");
    // An active campaign cannot lose its greeting: the server's refusal, exit code 1.
    closer.run(&["campaign", "edit", &id, "--greeting", ""]).await.fails(1, "greeting");
}

#[tokio::test]
async fn onboard_without_a_terminal_needs_flags_or_a_file() {
    let daemon = Closerd::start().await;
    let closer = Closer::new(&daemon.url(""));
    closer.register("ana@bakery.example").await;
    closer.run(&["onboard"]).await.fails(2, "nothing to change: give --file business.toml");
    closer.run(&["onboard", "--file", "nowhere.toml"]).await.fails(2, "nowhere.toml");
    let saved = closer.run(&["onboard", "--business-name", "Ana's Bakery"]).await;
    assert!(saved.ok().contains("still missing: owner_name, industry, description"), "{saved:#?}");
}
