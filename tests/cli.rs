//! `closer`, the command line, end to end: the real binary against a real `closerd`
//! (embedded SQLite, the sandbox), with its outputs parsed and its exit codes checked.

#[path = "cli_support.rs"]
mod support;

use closer_tests::{Closerd, closer_bin, write_file};
use serde_json::{Value, json};
use support::{BUSINESS, CAMPAIGN, Closer, PASSWORD, path, wait_for_chat};

#[tokio::test]
async fn the_scripted_flow_from_zero_to_a_sale() {
    let daemon = Closerd::start().await;
    let closer = Closer::new(&daemon.url(""));
    let files = tempfile::tempdir().expect("a temporary directory");

    let registered = closer
        .run_with(&["register", "--email", "ana@bakery.example", "--password-stdin"], Some(PASSWORD))
        .await;
    assert!(registered.ok().contains("ana@bakery.example"), "{registered:#?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(closer.credentials_file()).expect("credentials").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the credentials are the owner's only");
    }
    let login = ["login", "--email", "ana@bakery.example", "--password-stdin"];
    closer.run_with(&login, Some(&format!("{PASSWORD}\n"))).await.ok();
    assert_eq!(closer.run(&["whoami", "--json"]).await.json()["email"], "ana@bakery.example");

    let business = write_file(files.path(), "business.toml", BUSINESS);
    let onboarded = closer.run(&["onboard", "--file", path(&business), "--json"]).await.json();
    assert_eq!(onboarded["onboarding_completed"], true, "{onboarded}");
    assert!(closer.run(&["whoami"]).await.ok().contains("business: Ana's Bakery"));

    let hours = write_file(files.path(), "hours.md", "# Opening hours\nEvery day, 7:00 to 19:00.\n");
    let added = closer.run(&["kb", "add", path(&hours), "--json"]).await.json();
    assert_eq!(added[0]["filename"], "hours.md");
    assert_eq!(added[0]["content_type"], "text/markdown");
    let listed = closer.run(&["kb", "list"]).await;
    assert!(listed.ok().lines().any(|line| line.split('\t').nth(1) == Some("hours.md")), "{listed:#?}");
    let trained = closer.run(&["train"]).await;
    assert!(trained.ok().starts_with("trained: version "), "{trained:#?}");
    assert!(trained.stdout.contains("1 documents"), "{trained:#?}");

    let file = write_file(files.path(), "campaign.toml", CAMPAIGN);
    let campaign = closer.run(&["campaign", "create", "--file", path(&file), "--json"]).await.json();
    let id = campaign["id"].as_str().expect("the campaign's id");
    assert_eq!(campaign["status"], "draft");
    assert_eq!(campaign["product"]["price"], json!({ "amount_minor": 2490, "currency": "EUR" }));
    assert_eq!(campaign["flow"]["qualification_questions"][0]["options"], json!(["2-4", "5-8", "More"]));
    let activated = closer.run(&["campaign", "activate", id]).await;
    assert!(activated.ok().contains("is now active"), "{activated:#?}");
    assert_eq!(closer.run(&["campaign", "default", id, "--json"]).await.json()["is_default"], true);
    let shown = closer.run(&["campaign", "show", id]).await;
    assert!(shown.ok().contains("Panettone 1 kg  24.90 EUR"), "{shown:#?}");

    let sandbox = closer.run(&["connect", "sandbox", "--json"]).await.json();
    assert_eq!(sandbox["status"], "connected");
    assert!(closer.run(&["integrations"]).await.ok().starts_with("sandbox\t"));

    // The customer, played in the sandbox: the AI's answer comes back over the live events.
    let played = closer
        .run_with(
            &["simulate", "--customer-id", "maria", "--name", "Maria"],
            Some("Hi! How much is the panettone?\n"),
        )
        .await;
    assert!(played.ok().starts_with("ai> ") && played.stdout.contains("24.90"), "{played:#?}");
    let chat = wait_for_chat(&closer, &daemon, "maria", 2).await;
    let chat_id = chat["id"].as_str().expect("the chat's id");

    let transcript = closer.run(&["chat", "show", chat_id]).await;
    assert!(transcript.ok().contains("How much is the panettone?"), "{transcript:#?}");
    assert!(
        transcript.stdout.lines().skip_while(|l| !l.contains("  customer ")).any(|l| l.contains("  ai ")),
        "{transcript:#?}"
    );

    assert_eq!(closer.run(&["chat", "takeover", chat_id, "--json"]).await.json()["mode"], "human");
    let sent =
        closer.run_with(&["chat", "send", chat_id, "--json"], Some("Ana here: ready on Saturday.\n")).await;
    assert_eq!(sent.json()["text"], "Ana here: ready on Saturday.");
    let converted = closer.run(&["chat", "convert", chat_id, "--value", "24.90"]).await;
    assert!(converted.ok().contains("sale of 24.90 EUR recorded"), "{converted:#?}");

    let numbers = closer.run(&["analytics", "--json"]).await.json();
    assert_eq!(numbers["current"]["totals"]["revenue_minor"], 2490, "{numbers}");
    let summary = closer.run(&["analytics", "--last", "7d"]).await;
    assert!(summary.ok().lines().any(|l| l.contains("revenue") && l.contains("24.90")), "{summary:#?}");
    let csv = closer.run(&["analytics", "--csv"]).await;
    assert!(csv.ok().lines().next().is_some_and(|header| header.contains(',')), "{csv:#?}");
    let leo = closer.run(&["leo", "revenue this week"]).await;
    assert!(leo.ok().contains("24.90"), "{leo:#?}");

    let sold = closer.run(&["chats", "--json"]).await.json();
    assert_eq!(sold["chats"][0]["conversion"]["converted"], true, "{sold}");
    closer.run(&["logout"]).await.ok();
    assert!(!closer.credentials_file().exists(), "logout forgets the tokens");
    closer.run(&["whoami"]).await.fails(4, "not logged in: run `closer login`");
}

#[tokio::test]
async fn bad_input_gets_a_clear_message_and_its_exit_code() {
    let daemon = Closerd::start().await;
    let closer = Closer::new(&daemon.url(""));
    let files = tempfile::tempdir().expect("a temporary directory");

    // Usage: clap's own errors, before anything is sent.
    closer.run(&["frobnicate"]).await.fails(2, "unrecognized subcommand");
    closer.run(&["campaign", "activate"]).await.fails(2, "<ID>");
    closer.run(&["analytics", "--last", "soon"]).await.fails(2, "expected days");
    let no_terminal = closer.run(&["login", "--email", "ana@bakery.example"]).await;
    no_terminal.fails(2, "--password-stdin");

    // Not logged in, then logged in.
    closer.run(&["chats"]).await.fails(4, "not logged in: run `closer login`");
    let wrong =
        closer.run_with(&["login", "--email", "nobody@bakery.example", "--password-stdin"], Some("x")).await;
    wrong.fails(4, "wrong email or password");
    closer.register("ana@bakery.example").await;

    // The server's refusals: its message, exit code 1.
    let unknown = "0193a5b2-0000-7000-8000-000000000000";
    closer.run(&["chat", "show", unknown]).await.fails(1, "not found");
    closer.run(&["campaign", "activate", unknown]).await.fails(1, "not found");

    // Bad files: named, exit code 2; a value the server refuses: exit code 1.
    let typo = write_file(files.path(), "typo.toml", "name = \"Panettone\"\nprise = \"24.90\"\n");
    closer.run(&["campaign", "create", "--file", path(&typo)]).await.fails(2, "unknown field `prise`");
    closer.run(&["campaign", "create", "--file", "missing.toml"]).await.fails(2, "missing.toml");
    let cents =
        write_file(files.path(), "cents.toml", "name = \"P\"\nprice = \"24.905\"\ncurrency = \"EUR\"\n");
    closer
        .run(&["campaign", "create", "--file", path(&cents)])
        .await
        .fails(2, "bad amount: \"24.905\" has too many decimals");
    let nameless = write_file(files.path(), "nameless.json", "{\"product\": \"Panettone\"}");
    closer.run(&["campaign", "create", "--file", path(&nameless)]).await.fails(2, "needs a name");
    let long = "x".repeat(5000);
    closer.run(&["campaign", "create", "--name", &long]).await.fails(1, "name");
    closer.run(&["onboard"]).await.fails(2, "nothing to change");

    // A closed pipe is not an error.
    let mut command = tokio::process::Command::new("bash");
    command
        .args([
            "-c",
            "\"$CLOSER\" --server \"$SERVER\" completions bash | head -c0; echo \"${PIPESTATUS[0]}\"",
        ])
        .env("CLOSER", closer_bin())
        .env("SERVER", &closer.server)
        .env("CLOSER_CONFIG_DIR", closer.config.path());
    let piped = command.output().await.expect("bash runs");
    assert_eq!(String::from_utf8_lossy(&piped.stdout).trim(), "0", "{piped:?}");
    assert!(piped.stderr.is_empty(), "{}", String::from_utf8_lossy(&piped.stderr));
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_saved() {
    let daemon = Closerd::start().await;
    let closer = Closer::new(&daemon.url(""));
    closer.register("ana@bakery.example").await;

    let file = closer.credentials_file();
    let mut credentials: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    let old_refresh = credentials["refresh_token"].clone();
    credentials["access_token"] = json!("clo_at_revoked");
    std::fs::write(&file, credentials.to_string()).expect("write");

    assert_eq!(closer.run(&["whoami", "--json"]).await.json()["email"], "ana@bakery.example");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    assert_ne!(saved["access_token"], "clo_at_revoked");
    assert_ne!(saved["refresh_token"], old_refresh, "a refresh token works once: the new one is kept");

    // With the refresh token spent too, the owner is told to log in again.
    credentials["refresh_token"] = old_refresh;
    std::fs::write(&file, credentials.to_string()).expect("write");
    closer.run(&["whoami"]).await.fails(4, "run `closer login`");

    // Another server: the tokens are not sent there.
    let elsewhere = closer.run(&["whoami", "--server", "http://127.0.0.1:9"]).await;
    elsewhere.fails(4, "not logged in to http://127.0.0.1:9");
}
