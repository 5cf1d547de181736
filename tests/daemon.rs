//! `closerd` end to end: the real binary, started as a process on port 0 against a real
//! store, and its configuration commands as a user or a script would run them.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::{Duration, Instant};

use closer_core::config::Config;
use closer_tests::owner::Owner;
use closer_tests::{Closerd, mongodb, run_closerd, test_config, unique_name, write_file};
use serde_json::{Value, json};

async fn get_json(daemon: &Closerd, path: &str) -> (u16, Value) {
    let response = daemon.http().get(daemon.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn healthz_and_readyz_answer_200_on_a_fresh_data_dir() {
    let daemon = Closerd::start().await;
    assert_eq!(get_json(&daemon, "/healthz").await, (200, json!({ "status": "ok" })));
    assert_eq!(get_json(&daemon, "/readyz").await, (200, json!({ "status": "ready", "store": "sqlite" })));
    assert!(daemon.dir().join("closer.db").exists(), "the store file is created");

    let (status, body) = get_json(&daemon, "/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly_with_status_0() {
    let mut daemon = Closerd::start().await;
    daemon.terminate();
    let status = daemon.wait(Duration::from_secs(10)).await;
    assert!(status.success(), "exit status {status:?}:\n{}", daemon.stderr());
    assert!(daemon.stderr().contains("stopped cleanly"), "{}", daemon.stderr());
}

/// A counter's value in Prometheus text (one without labels).
fn counter(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_show_how_many_sqlite_writes_share_a_commit() {
    let daemon = Closerd::start().await;
    let metrics = || async {
        let response = daemon.http().get(daemon.url("/metrics")).send().await.expect("GET /metrics");
        assert_eq!(response.status(), 200);
        response.text().await.expect("text")
    };

    // An owner, then twenty campaigns created at once: a write each.
    let owner = Owner::register(&daemon, "owner@shop.example").await;
    let mid = metrics().await;
    let (transactions, writes) =
        (counter(&mid, "closer_sqlite_transactions_total"), counter(&mid, "closer_sqlite_writes_total"));
    let campaigns = (0..20).map(|n| {
        let body = json!({
            "name": format!("Campaign {n}"),
            "product": { "name": "Phone case", "price": { "amount_minor": 1_999, "currency": "USD" } },
        });
        let owner = &owner;
        async move { owner.call("POST", "/api/v1/campaigns", Some(body)).await }
    });
    for created in futures_util::future::join_all(campaigns).await {
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let after = metrics().await;
    let added = |name: &str, was: Option<f64>| counter(&after, name).unwrap_or(0.0) - was.unwrap_or(0.0);
    let (transactions, writes) = (
        added("closer_sqlite_transactions_total", transactions),
        added("closer_sqlite_writes_total", writes),
    );
    assert!(writes >= 20.0, "a write per campaign: {writes}\n{after}");
    assert!((1.0..=writes).contains(&transactions), "{transactions} transactions for {writes} writes");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_keep_secrets_out() {
    let extra = "[log]\nformat = \"json\"\n\n[ai]\napi_key = \"sk-never-logged\"\n\n\
                 [facebook]\napp_secret = \"fb-never-logged\"\n";
    let mut daemon = Closerd::start_with(None, extra).await;
    daemon.terminate();
    daemon.wait(Duration::from_secs(10)).await;
    let stderr = daemon.stderr();
    assert!(stderr.contains("listening on"), "{stderr}");
    for line in stderr.lines() {
        let record: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(record["level"].is_string() && record["fields"].is_object(), "{line}");
    }
    assert!(!stderr.contains("never-logged"), "a secret reached the log:\n{stderr}");
}

#[tokio::test]
async fn readyz_answers_200_on_mongodb() {
    let server = tokio::task::spawn_blocking(mongodb::server_uri).await.expect("join");
    let url = mongodb::with_database(server, &unique_name("closer_e2e"));
    let mut daemon = Closerd::start_with(Some(&url), "").await;
    assert_eq!(get_json(&daemon, "/readyz").await, (200, json!({ "status": "ready", "store": "mongodb" })));
    daemon.terminate();
    assert!(daemon.wait(Duration::from_secs(10)).await.success());
}

#[tokio::test]
async fn a_store_that_cannot_be_opened_fails_fast_and_clearly() {
    // Built before the clock starts: the build is not the daemon's start-up time.
    closer_tests::closerd_bin();
    let dir = tempfile::tempdir().unwrap();
    for (url, shown) in [
        ("sqlite:///nonexistent-dir/x/y.db", "sqlite:///nonexistent-dir/x/y.db"),
        (
            "mongodb://closer:hunter2@127.0.0.1:1/closer?serverSelectionTimeoutMS=500&connectTimeoutMS=500",
            "mongodb://closer:********@127.0.0.1:1/closer",
        ),
    ] {
        let config = write_file(dir.path(), "closer.toml", &test_config(dir.path(), Some(url), ""));
        let started = Instant::now();
        let output = run_closerd(dir.path(), &["--config", config.to_str().unwrap()], &[]).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{url}:\n{stderr}");
        assert!(stderr.contains(&format!("closerd: cannot open the store at {shown}")), "{url}:\n{stderr}");
        assert!(!stderr.contains("hunter2"), "the password leaked:\n{stderr}");
        assert!(started.elapsed() < Duration::from_secs(20), "{url} took {:?}", started.elapsed());
    }
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), None, "").replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let config = write_file(dir.path(), "closer.toml", &config);
    let output = run_closerd(dir.path(), &["--config", config.to_str().unwrap()], &[]).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{stderr}");
}

#[tokio::test]
async fn config_example_prints_the_defaults_as_toml() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_closerd(dir.path(), &["config", "example"], &[]).await;
    assert!(output.status.success());
    let example = text(&output.stdout);
    let _: toml::Table = toml::from_str(&example).unwrap();
    let parsed = Config::from_toml(&example, Path::new("(stdout)")).unwrap();
    assert_eq!(parsed, Config::default());
}

#[tokio::test]
async fn config_check_prints_the_effective_config_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "[ai]\napi_key = \"sk-very-secret\"\n";
    let config = write_file(dir.path(), "closer.toml", &test_config(dir.path(), None, extra));
    let env = [("CLOSER__AI__TIMEOUT_SECS", "42")];
    let output =
        run_closerd(dir.path(), &["config", "check", "--config", config.to_str().unwrap()], &env).await;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!stdout.contains("sk-very-secret"), "{stdout}");
    let shown = Config::from_toml(&stdout, Path::new("(stdout)")).unwrap();
    assert_eq!(shown.ai.api_key, "********");
    assert_eq!(shown.ai.timeout_secs, 42, "the environment is applied");
    assert_eq!(shown.server.listen.to_string(), "127.0.0.1:0");
}

#[tokio::test]
async fn config_check_rejects_bad_configurations_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "unknown-key.toml",
            "[server]\nlisten = \"127.0.0.1:0\"\nport = 8080\n",
            &["server.port", "unknown key"],
        ),
        ("unknown-section.toml", "[sever]\nlisten = \"127.0.0.1:0\"\n", &["sever", "unknown key"]),
        (
            "wrong-type.toml",
            "[ai]\ntimeout_secs = \"soon\"\n",
            &["ai.timeout_secs", "line 2", "whole number"],
        ),
        ("bad-listen.toml", "[server]\nlisten = 8080\n", &["server.listen", "expected a string"]),
        (
            "bad-store.toml",
            "[store]\nurl = \"postgres://x\"\n",
            &["store.url", "postgres://x", "sqlite://PATH"],
        ),
    ];
    for (name, content, expected) in cases {
        let path = write_file(dir.path(), name, content);
        let output =
            run_closerd(dir.path(), &["config", "check", "--config", path.to_str().unwrap()], &[]).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}:\n{stderr}");
        assert!(stderr.contains(&format!("config file {}", path.display())), "{name}:\n{stderr}");
        for fragment in expected {
            assert!(stderr.contains(fragment), "{name}: no {fragment:?} in:\n{stderr}");
        }
        assert!(output.stdout.is_empty(), "{name}: nothing on stdout");
    }
}

#[tokio::test]
async fn an_unreadable_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    for path in [missing.as_path(), dir.path()] {
        let output =
            run_closerd(dir.path(), &["config", "check", "--config", path.to_str().unwrap()], &[]).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&format!("cannot read config file {}: ", path.display())), "{stderr}");
    }
}

#[tokio::test]
async fn bad_environment_variables_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("CLOSER__SERVER__PORT", "9000", "no such setting"),
        ("CLOSER__SERVER__LISTEN", "nowhere", "expected IP:PORT"),
        ("CLOSER__STORE__URL", "postgres://x", "store.url"),
    ];
    for (var, value, expected) in cases {
        let output = run_closerd(dir.path(), &["config", "check"], &[(var, value)]).await;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{var}:\n{stderr}");
        assert!(stderr.contains(&format!("environment variable {var}: ")), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[tokio::test]
async fn the_daemon_refuses_to_start_on_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "closer.toml", "[log]\nlevel = \"loud\"\n");
    let output = run_closerd(dir.path(), &["--config", path.to_str().unwrap()], &[]).await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("log.level"), "{stderr}");
}

#[test]
fn the_address_is_read_from_text_and_json_log_lines() {
    use closer_tests::listening_addr;
    let text = "2026-01-01T00:00:00Z  INFO closer_daemon::startup: listening on 127.0.0.1:41234";
    assert_eq!(listening_addr(text), Some("127.0.0.1:41234".parse().unwrap()));
    let json = r#"{"fields":{"message":"listening on [::1]:8080"},"target":"closer_daemon"}"#;
    assert_eq!(listening_addr(json), Some("[::1]:8080".parse().unwrap()));
    assert_eq!(listening_addr("nothing here"), None);
}

#[test]
fn with_database_replaces_only_the_database() {
    use mongodb::with_database;
    assert_eq!(with_database("mongodb://h:1/?replicaSet=rs0", "d"), "mongodb://h:1/d?replicaSet=rs0");
    assert_eq!(with_database("mongodb://h:1", "d"), "mongodb://h:1/d");
    assert_eq!(with_database("mongodb://h:1/old", "d"), "mongodb://h:1/d");
    assert_eq!(with_database("mongodb://h:1?x=1", "d"), "mongodb://h:1/d?x=1");
}

/// With no configuration at all (the README's first command), the data goes into a
/// new directory under `XDG_DATA_HOME` that only the owner can enter.
#[tokio::test]
async fn the_default_data_directory_is_created_private() {
    use std::os::unix::fs::PermissionsExt as _;
    use tokio::io::AsyncBufReadExt as _;

    let dir = tempfile::tempdir().unwrap();
    let mut child = closer_tests::closerd_command(dir.path())
        .env("CLOSER__SERVER__LISTEN", "127.0.0.1:0")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let started = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("listening on") {
                return true;
            }
        }
        false
    });
    assert!(started.await.unwrap(), "closerd did not start");
    let data = dir.path().join("xdg-data/closer");
    assert!(data.join("closer.db").exists(), "the store is in the default place");
    assert!(data.join("secret.key").exists());
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
    child.kill().await.unwrap();
}
