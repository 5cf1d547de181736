//! What the tests of `closer` share: a user's `closer` with its own configuration
//! directory, what a run did, and the files of the bakery's walkthrough.

// Each test file uses its part.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use closer_tests::{Closerd, closer_bin};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::AsyncWriteExt as _;

pub const PASSWORD: &str = "a long enough password";

pub const BUSINESS: &str = r#"
business_name = "Ana's Bakery"
owner_name = "Ana"
industry = "bakery"
description = "Sourdough and pastries, baked daily in Lisbon."
phone = "+351 21 000 0000"
"#;

pub const CAMPAIGN: &str = r#"
name = "Christmas panettone"
product = "Panettone 1 kg"
price = "24.90"
currency = "EUR"
features = ["Baked to order", "Candied orange from the Algarve"]
greeting = "Hello! Thinking of a panettone for Christmas?"
closing_message = "Wonderful! Here is how to order."

[[questions]]
question = "For how many people?"
options = ["2-4", "5-8", "More"]
"#;

/// One user's `closer`: its own config directory, talking to one server.
pub struct Closer {
    pub server: String,
    pub config: TempDir,
}

/// What a run of `closer` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout of a successful run; panics with everything otherwise.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "closer failed: {self:#?}");
        &self.stdout
    }

    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("not one JSON document ({e}): {self:#?}"))
    }

    /// Asserts the exit code and that stderr says `needle`.
    #[track_caller]
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(self.code, code, "{self:#?}");
        assert!(self.stderr.contains(needle), "stderr should say {needle:?}: {self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
    }
}

impl Closer {
    pub fn new(server: &str) -> Self {
        Self { server: server.to_owned(), config: tempfile::tempdir().expect("a temporary directory") }
    }

    pub fn credentials_file(&self) -> PathBuf {
        self.config.path().join("credentials.json")
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None).await
    }

    /// `closer --server URL ARGS`, with `stdin` piped in (or none).
    pub async fn run_with(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut command = tokio::process::Command::new(closer_bin());
        command
            .arg("--server")
            .arg(&self.server)
            .args(args)
            .env("CLOSER_CONFIG_DIR", self.config.path())
            .env("NO_COLOR", "1")
            .env_remove("CLOSER_SERVER")
            .env_remove("CLOSER_TOKEN")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("closer can be started");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            pipe.write_all(text.as_bytes()).await.expect("stdin takes the text");
        }
        let output = tokio::time::timeout(Duration::from_mins(1), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("closer {args:?} hung"))
            .expect("closer runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Registers and logs in `email` with a password from stdin.
    pub async fn register(&self, email: &str) {
        self.run_with(&["register", "--email", email, "--password-stdin"], Some(&format!("{PASSWORD}\n")))
            .await
            .ok();
    }

    /// The access token `closer` keeps, to play the customer over the API.
    pub fn access_token(&self) -> String {
        let text = std::fs::read_to_string(self.credentials_file()).expect("credentials are saved");
        let credentials: Value = serde_json::from_str(&text).expect("credentials are JSON");
        credentials["access_token"].as_str().expect("an access token").to_owned()
    }
}

/// `closer chats --json` until a chat of `search` has `at_least` messages.
pub async fn wait_for_chat(closer: &Closer, daemon: &Closerd, search: &str, at_least: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let list = closer.run(&["chats", "--search", search, "--json"]).await.json();
        if let Some(chat) = list["chats"].as_array().and_then(|chats| chats.first())
            && chat["message_count"].as_i64() >= Some(at_least)
        {
            return chat.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no answer in time: {list}\n{}", daemon.stderr());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn path(path: &std::path::Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}
