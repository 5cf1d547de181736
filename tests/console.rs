//! `closer-tui`, the operator console, end to end: the real binary in a real terminal
//! (a private tmux server), driven by keys and read from the screen, against a real
//! `closerd` whose sandbox plays the customer.
//!
//! tmux is required, never optional: without it these tests fail and say to run
//! `scripts/test-tools.sh`, so that a machine without it cannot pass by skipping them.

#[path = "cli_support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use closer_tests::owner::Owner;
use closer_tests::{Closerd, closer_tui_bin};
use serde_json::{Value, json};
use support::{Closer, PASSWORD};
use tempfile::TempDir;

/// How long one expected change of the screen may take: a cold debug build on a slow
/// machine answers in well under a second, so this only bounds a hang.
const SCREEN_TIMEOUT: Duration = Duration::from_secs(20);

/// What the owner types to Maria: the dash checks that text beyond ASCII survives the
/// whole way, from the keys to the stored message.
const ANSWER: &str = "Hi Maria, this is Ana — I can hold one for you.";

#[tokio::test]
async fn a_customer_arrives_live_and_the_owner_takes_over_and_answers() {
    let daemon = Closerd::start().await;
    let (closer, owner) = bakery_with_sandbox(&daemon).await;

    // Wide enough for the list and the open chat side by side, with the whole title.
    let console = Console::start(&daemon, closer.config.path(), 120, 32).await;
    console
        .wait_for("the empty chat list, following the live events", |screen| {
            screen.contains("● live") && screen.contains("No chats yet")
        })
        .await;
    console.expect_flags("the console holds the terminal", "1 1").await;

    let played = owner
        .call(
            "POST",
            "/api/v1/sandbox/messages",
            Some(json!({
                "customer_id": "maria", "customer_name": "Maria Lopes",
                "text": "Hello! How much is the panettone?"
            })),
        )
        .await;
    assert_eq!(played.status, 202, "{}", played.body);
    // Nothing is pressed: the chat can only have come over the live events.
    console
        .wait_for("Maria's chat in the list", |screen| {
            screen.contains("1 of 1") && screen.contains("Maria Lopes")
        })
        .await;

    console.press("Enter").await;
    console
        .wait_for("Maria's message and the AI's answer with the price", |screen| {
            follows(screen, "Customer · ", "How much is the panettone?")
                && screen.lines().any(|line| line.contains("AI · "))
                && screen.contains("24.90")
        })
        .await;

    console.press("t").await;
    console
        .wait_for("the chat taken over", |screen| {
            screen.contains("Maria Lopes · Christmas panettone · taken over by you")
                && screen.contains("h hand back to the AI")
        })
        .await;
    console.press("i").await;
    console.wait_for("the message input", |screen| screen.contains("you> ")).await;
    console.type_text(ANSWER).await;
    console
        .wait_for("the typed answer in the input", |screen| {
            screen.lines().any(|line| line.contains("you> ") && line.contains("I can hold one for you."))
        })
        .await;
    console.press("Enter").await;
    console
        .wait_for("the answer sent, in the transcript", |screen| {
            follows(screen, "You · ", ANSWER)
                && screen.lines().any(|line| line.contains("You · ") && line.contains(" · sent"))
        })
        .await;
    // The live events may show the message before closerd's answer to the send: the
    // input empties with that answer.
    console
        .wait_for("the input emptied once closerd took the answer", |screen| {
            screen.lines().any(|line| line.trim_end_matches([' ', '│']).ends_with("you>"))
        })
        .await;

    let chat_id = owner
        .chats()
        .await
        .into_iter()
        .find(|chat| chat["customer_id"] == "maria")
        .and_then(|chat| chat["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("closerd has Maria's chat\n{}", daemon.stderr()));
    let detail = owner.call("GET", &format!("/api/v1/chats/{chat_id}"), None).await;
    assert_eq!(detail.ok()["chat"]["mode"], "human", "{}", detail.body);
    let ours: Vec<&Value> = detail.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|message| message["sender"] == "business")
        .collect();
    assert_eq!(ours.len(), 1, "one message from the owner: {}", detail.body);
    assert_eq!(ours[0]["text"], ANSWER, "{}", detail.body);
    assert_eq!(ours[0]["delivery"], "sent", "the sandbox's outbox sent it: {}", detail.body);

    // The input keeps its keys until Esc: `h` would be typed, not hand back.
    console.press("Escape").await;
    console
        .wait_for("the input closed", |screen| {
            !screen.contains("you> ") && screen.contains("h hand back to the AI")
        })
        .await;
    console.press("h").await;
    console
        .wait_for("the chat back with the AI", |screen| {
            screen.contains("Maria Lopes · Christmas panettone · answered by the AI")
                && screen.contains("t take over")
        })
        .await;
    let detail = owner.call("GET", &format!("/api/v1/chats/{chat_id}"), None).await;
    assert_eq!(detail.ok()["chat"]["mode"], "ai", "{}", detail.body);

    console.press("q").await;
    console.expect_clean_exit().await;
}

#[tokio::test]
async fn a_new_owner_is_told_what_is_wrong_then_registers_from_the_login_screen() {
    let daemon = Closerd::start().await;
    // No credentials yet: the `closer` beside the console only lends its config directory.
    let closer = Closer::new(&daemon.url(""));
    let console = Console::start(&daemon, closer.config.path(), 100, 30).await;
    console
        .wait_for("the login screen", |screen| {
            screen.contains("Log in to closerd") && screen.contains("○ not logged in")
        })
        .await;

    console.type_text("ana").await;
    console.press("Enter").await;
    console.wait_for("the password field", |screen| screen.contains("▸ Password")).await;
    console.type_text(PASSWORD).await;
    console.press("Enter").await;
    let screen = console
        .wait_for("the email refused in place", |screen| {
            screen.contains("enter your email address, such as ana@bakery.example")
        })
        .await;
    assert!(
        screen.lines().any(|line| line.contains("▸ Email") && line.contains("ana")),
        "what was typed stays, and the email field has the focus again:\n{screen}"
    );
    assert!(!screen.contains(PASSWORD) && screen.contains("••••"), "the password is masked:\n{screen}");

    console.press("C-n").await;
    console
        .wait_for("the register form, the refusal gone", |screen| {
            screen.contains("Register a new account") && !screen.contains("enter your email address")
        })
        .await;
    console.type_text("@bakery.example").await;
    console
        .wait_for("the corrected email", |screen| {
            screen.lines().any(|line| line.contains("▸ Email") && line.contains("ana@bakery.example"))
        })
        .await;
    console.press("Enter").await;
    console.press("Enter").await;
    // A new account has no business yet: the console opens its set-up wizard, once.
    console
        .wait_for("the new account logged in, live, on the set-up wizard", |screen| {
            screen.contains("● live")
                && screen.contains("ana@bakery.example @ http://")
                && screen.contains("Set up your business")
        })
        .await;
    console.press("2").await;
    console.wait_for("the new account's chats", |screen| screen.contains("No chats yet")).await;

    // The console keeps the session where `closer` finds it, and the account is real.
    let whoami = closer.run(&["whoami", "--json"]).await.json();
    assert_eq!(whoami["email"], "ana@bakery.example", "{whoami}");
    let login = daemon
        .http()
        .post(daemon.url("/api/v1/auth/login"))
        .json(&json!({ "email": "ana@bakery.example", "password": PASSWORD }))
        .send()
        .await
        .expect("closerd answers");
    assert_eq!(login.status(), 200, "the registered password logs in");

    console.press("q").await;
    console.expect_clean_exit().await;
}

/// Ana's bakery, set up and selling, with the sandbox connected: registered with
/// `closer` (whose session the console shares) and onboarded over the API.
async fn bakery_with_sandbox(daemon: &Closerd) -> (Closer, Owner<'_>) {
    let closer = Closer::new(&daemon.url(""));
    closer.register("ana@bakery.example").await;
    let owner = Owner { daemon, token: closer.access_token() };
    // A business that is set up: the console opens on its chats, not on the wizard.
    let business = json!({
        "business_name": "Ana's Bakery", "owner_name": "Ana", "industry": "food",
        "description": "Sourdough and panettone, baked every morning."
    });
    let onboarded = owner.call("PATCH", "/api/v1/onboarding", Some(business)).await;
    assert_eq!(onboarded.ok()["onboarding_completed"], true, "{}", onboarded.body);
    // With a priced campaign the AI answers the price itself and keeps the chat, so
    // taking it over is the owner's doing, not a handoff.
    owner.live_campaign().await;
    owner.call("POST", "/api/v1/integrations/sandbox", None).await.ok();
    (closer, owner)
}

/// True when a line containing `header` is directly followed by one containing `text`:
/// a message of the transcript is its sender's line, then its text.
fn follows(screen: &str, header: &str, text: &str) -> bool {
    let lines: Vec<&str> = screen.lines().collect();
    lines.windows(2).any(|pair| pair[0].contains(header) && pair[1].contains(text))
}

/// Runs the console, then says how it ended and whether the terminal's settings
/// (`stty -g`: raw mode, echo, …) are as before: a console that ends in raw mode leaves
/// its owner a shell that does not echo.
const WRAPPER: &str = r#"before=$(stty -g); "$@"; status=$?; after=$(stty -g)
if [ "$before" = "$after" ]; then settings=restored; else settings=changed; fi
echo "closer-tui exited with $status; terminal settings $settings"; exit $status"#;

/// The tmux session's name on its private server.
const SESSION: &str = "console";

/// `closer-tui` in a window of a tmux server of its own, which dies with the test.
struct Console<'a> {
    daemon: &'a Closerd,
    /// The console's configuration directory, for its `console.log`.
    config: PathBuf,
    /// The server's socket (and its configuration file): a server of its own, so a
    /// test never sees or touches the tmux of the person running it.
    socket: PathBuf,
    tmux_config: PathBuf,
    _dir: TempDir,
}

impl<'a> Console<'a> {
    /// Starts `closer-tui --server URL` with `config` as its configuration directory, in
    /// a `width` × `height` terminal.
    async fn start(daemon: &'a Closerd, config: &Path, width: u16, height: u16) -> Self {
        require_tmux();
        let bin = closer_tui_bin();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tmux_config = dir.path().join("tmux.conf");
        // No status line: the console has every row. A dead pane stays, so its last
        // words can be read.
        std::fs::write(&tmux_config, "set-option -g status off\nset-option -g remain-on-exit on\n")
            .expect("the tmux configuration can be written");
        let console = Self {
            daemon,
            config: config.to_owned(),
            socket: dir.path().join("tmux.sock"),
            tmux_config,
            _dir: dir,
        };
        let config_dir = format!("CLOSER_CONFIG_DIR={}", config.display());
        let server = daemon.url("");
        let (width, height) = (width.to_string(), height.to_string());
        #[rustfmt::skip]
        let args = [
            "new-session", "-d", "-s", SESSION, "-x", &width, "-y", &height, "--",
            "sh", "-c", WRAPPER, "sh",
            // The console's environment is the test's, less what would point it elsewhere.
            "env", "-u", "CLOSER_SERVER", "-u", "CLOSER_TOKEN", &config_dir,
            "TERM=xterm-256color", "NO_COLOR=1", "RUST_LOG=closer_tui=debug,closer_client=debug,info",
            bin.to_str().expect("a UTF-8 path to closer-tui"), "--server", &server,
        ];
        console.tmux(&args).await;
        console
    }

    /// `tmux ARGS` on the private server: its output, or why it failed.
    async fn try_tmux(&self, args: &[&str]) -> Result<String, String> {
        let output = tokio::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.tmux_config)
            .args(args)
            // Inside a developer's tmux, the client would otherwise think it is nested.
            .env_remove("TMUX")
            .output()
            .await
            .map_err(|e| format!("tmux cannot be run: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!("tmux {args:?} failed: {}", String::from_utf8_lossy(&output.stderr)))
        }
    }

    /// `tmux ARGS`, which must work; its output.
    async fn tmux(&self, args: &[&str]) -> String {
        match self.try_tmux(args).await {
            Ok(output) => output,
            Err(error) => panic!("{error}\n{}", self.logs()),
        }
    }

    /// What the terminal shows now.
    async fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", SESSION]).await
    }

    /// True once the console (and the shell around it) has ended.
    async fn ended(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", SESSION, "#{pane_dead}"]).await.trim() == "1"
    }

    /// Presses one key, in tmux's names: `Enter`, `Escape`, `C-n`, `q`.
    async fn press(&self, key: &str) {
        self.tmux(&["send-keys", "-t", SESSION, key]).await;
    }

    /// Types `text` as it is (no key names).
    async fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", SESSION, "-l", text]).await;
    }

    /// Polls the screen until `ready` holds, at most [`SCREEN_TIMEOUT`]; the screen.
    async fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + SCREEN_TIMEOUT;
        loop {
            let screen = self.screen().await;
            if ready(&screen) {
                return screen;
            }
            assert!(
                !self.ended().await,
                "the console ended before it showed {what}\n{}",
                self.explain().await
            );
            if tokio::time::Instant::now() >= deadline {
                let blank = if screen.trim().is_empty() {
                    "\nThe screen is blank: the console never drew, or hangs before its first frame."
                } else {
                    ""
                };
                panic!(
                    "the console did not show {what} within {SCREEN_TIMEOUT:?}{blank}\n{}",
                    self.explain().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the pane is on the alternate screen and captures the mouse, as "1 1".
    async fn flags(&self) -> String {
        self.tmux(&["display-message", "-p", "-t", SESSION, "#{alternate_on} #{mouse_any_flag}"])
            .await
            .trim()
            .to_owned()
    }

    async fn expect_flags(&self, what: &str, expected: &str) {
        let flags = self.flags().await;
        assert_eq!(flags, expected, "{what}: alternate screen, mouse\n{}", self.explain().await);
    }

    /// Waits for the console to end, and checks that it ended well and gave the
    /// terminal back as it found it.
    async fn expect_clean_exit(&self) {
        // The wrapper's last line, not tmux's `pane_dead_status`: tmux now and then
        // reaps the shell late (seen with 3.3a: a dead pane, its exit status unknown).
        let deadline = tokio::time::Instant::now() + SCREEN_TIMEOUT;
        let last = loop {
            let shown = self.everything_shown().await;
            if shown.contains("closer-tui exited with ") {
                break shown;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the console did not quit within {SCREEN_TIMEOUT:?}\n{}",
                self.explain().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            last.contains("closer-tui exited with 0; terminal settings restored"),
            "exit status 0, raw mode and echo as before\n{}",
            self.explain().await
        );
        assert!(!last.contains("● live"), "the console's screen is gone with it\n{}", self.explain().await);
        self.expect_flags("the terminal given back", "0 0").await;
    }

    /// The screen with the lines scrolled off it: a dead pane's last words (an error
    /// the console printed as it ended) are in tmux's history, not on the screen.
    async fn everything_shown(&self) -> String {
        self.try_tmux(&["capture-pane", "-p", "-S", "-", "-t", SESSION])
            .await
            .unwrap_or_else(|error| format!("(no screen: {error})"))
    }

    /// Everything that explains a failure: the screen and what scrolled off it, whether
    /// the console still runs, its log and closerd's.
    async fn explain(&self) -> String {
        let screen = self.everything_shown().await;
        let state = self
            .try_tmux(&["display-message", "-p", "-t", SESSION, "ended: #{pane_dead}"])
            .await
            .unwrap_or_else(|error| format!("(no pane: {error})"));
        format!("--- screen and history ({}) ---\n{screen}\n{}", state.trim(), self.logs())
    }

    /// The console's log and closerd's.
    fn logs(&self) -> String {
        let log = std::fs::read_to_string(self.config.join("console.log"))
            .unwrap_or_else(|e| format!("(no console.log: {e})"));
        format!("--- console.log ---\n{log}\n--- closerd ---\n{}", self.daemon.stderr())
    }
}

impl Drop for Console<'_> {
    fn drop(&mut self) {
        // Also after a failed assertion: the server and the console in it go, and a
        // hung console cannot outlive the test.
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .env_remove("TMUX")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Fails, never skips, when tmux is missing.
fn require_tmux() {
    let ran = std::process::Command::new("tmux").arg("-V").output();
    match ran {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "`tmux -V` failed ({}): {}; the console tests need a working tmux: run scripts/test-tools.sh",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => panic!(
            "the console tests need tmux, which cannot be run ({error}): run scripts/test-tools.sh to install it"
        ),
    }
}
