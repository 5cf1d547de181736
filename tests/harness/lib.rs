//! The end-to-end harness: builds the real `closerd` binary once, starts it on port 0
//! in a fresh temporary directory, and gives tests its address, its stderr and its exit.
//!
//! This is test support: a failure to set up is a panic with a message that says what
//! went wrong, which is what a test wants.

pub mod fake_graph;
pub mod fake_openai;
pub mod messenger;
pub mod mongodb;
pub mod owner;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// Long enough for a cold machine, short enough that a hung daemon fails the test.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The `closerd` binary, built on first use with the profile and target directory of
/// the running test; `CLOSERD_BIN` points at a prebuilt binary instead.
pub fn closerd_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_binary("CLOSERD_BIN", "closerd"))
}

/// The `closer` binary (the command line), built like [`closerd_bin`] on first use;
/// `CLOSER_BIN` points at a prebuilt one instead.
pub fn closer_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_binary("CLOSER_BIN", "closer"))
}

/// The `closer-tui` binary (the operator console), built like [`closerd_bin`] on first
/// use; `CLOSER_TUI_BIN` points at a prebuilt one instead.
pub fn closer_tui_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_binary("CLOSER_TUI_BIN", "closer-tui"))
}

/// `bin` from the running test's target and profile directory (or the prebuilt one
/// the variable `prebuilt` names).
///
/// Cargo does not build the binaries of another package for a test, so we ask it to,
/// with the very command that builds the tests: `cargo test --workspace --no-run`.
/// The same command resolves the same features, so after `cargo test --workspace`
/// this is a no-op that reuses its binaries. Building a binary on its own
/// (`cargo build -p …`) would resolve other features and compile a second copy of the
/// whole daemon: twice the time, and twice the disk.
fn built_binary(prebuilt: &str, bin: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(prebuilt) {
        return PathBuf::from(path);
    }
    // The test runs as <target>/<profile>/deps/<test>-<hash>.
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir =
        exe.parent().and_then(Path::parent).expect("the test runs from <target>/<profile>/deps");
    build_workspace_once(profile_dir);
    profile_dir.join(format!("{bin}{}", std::env::consts::EXE_SUFFIX))
}

/// `cargo test --workspace --no-run` into `profile_dir`, once per test process.
fn build_workspace_once(profile_dir: &Path) {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let target_dir = profile_dir.parent().expect("the profile directory sits in a target directory");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build
            .current_dir(workspace)
            .args(["test", "--workspace", "--no-run", "--quiet", "--target-dir"])
            .arg(target_dir);
        // What cargo set for this test is not the build's: some build scripts (ring's)
        // rerun when `CARGO_MANIFEST_DIR` changes, so passing it on rebuilt them here and
        // again in the next outer `cargo test`, ~50 s each time.
        for (name, _) in std::env::vars_os() {
            let name_text = name.to_string_lossy();
            let set_by_cargo_for_the_test = ["CARGO_MANIFEST_", "CARGO_PKG_", "CARGO_BIN_"]
                .iter()
                .any(|prefix| name_text.starts_with(prefix))
                || ["CARGO_CRATE_NAME", "CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"]
                    .contains(&name_text.as_ref());
            if set_by_cargo_for_the_test {
                build.env_remove(&name);
            }
        }
        match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                build.arg("--release");
            }
            Some(profile) => {
                build.args(["--profile", profile]);
            }
        }
        let status = build.status().unwrap_or_else(|e| panic!("cargo can be run to build the binaries: {e}"));
        assert!(status.success(), "building the binaries failed: {status}");
    });
}

/// A `closerd` command with an environment that cannot leak into the test: no
/// `CLOSER__*` overrides or `RUST_LOG` from the developer's shell, and a data directory
/// inside `dir` so that nothing lands in the real home.
pub fn closerd_command(dir: &Path) -> Command {
    let mut command = Command::new(closerd_bin());
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        if name_text.starts_with("CLOSER__") || name_text == "CLOSER_CONFIG" || name_text == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command.env("XDG_DATA_HOME", dir.join("xdg-data")).current_dir(dir).kill_on_drop(true);
    command
}

/// Runs `closerd ARGS` to completion (bounded by [`STARTUP_TIMEOUT`]), for the commands
/// that print and exit.
pub async fn run_closerd(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = closerd_command(dir);
    command.args(args).envs(env.iter().copied()).stdin(Stdio::null());
    tokio::time::timeout(STARTUP_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("closerd {args:?} did not finish within {STARTUP_TIMEOUT:?}"))
        .expect("closerd can be started")
}

/// The configuration file of a test daemon: port 0 and everything in `dir`. `store_url`
/// `None` means a fresh `sqlite://` file there; `extra` is appended (more sections).
pub fn test_config(dir: &Path, store_url: Option<&str>, extra: &str) -> String {
    let sqlite = format!("sqlite://{}", dir.join("closer.db").display());
    let store_url = store_url.unwrap_or(&sqlite);
    let key_file = dir.join("secret.key");
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[store]\nurl = {store_url:?}\n\n\
         [security]\nsecret_key_file = {:?}\n\n{extra}",
        key_file.display().to_string()
    )
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// A database name no other run uses.
pub fn unique_name(prefix: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// A running `closerd`. Dropping it kills the process.
#[derive(Debug)]
pub struct Closerd {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
    dir: TempDir,
    http: reqwest::Client,
}

impl Closerd {
    /// `closerd` on port 0 with a fresh embedded store in a new temporary directory.
    pub async fn start() -> Self {
        Self::start_with(None, "").await
    }

    /// Like [`Closerd::start`] with another store URL and extra configuration.
    pub async fn start_with(store_url: Option<&str>, extra: &str) -> Self {
        install_crypto_provider();
        let dir = tempfile::tempdir().expect("a temporary directory");
        write_file(dir.path(), "closer.toml", &test_config(dir.path(), store_url, extra));
        Self::launch(dir).await
    }

    /// Kills it with SIGKILL (as a crash, a power cut or the OOM killer would: nothing
    /// is flushed, nothing is finished) and starts it again in the same directory with
    /// the same configuration and store. It listens on a new port.
    pub async fn crash_and_restart(mut self) -> Self {
        self.child.kill().await.expect("closerd can be killed");
        let Self { dir, stderr, .. } = self;
        let before = lock(&stderr).clone();
        let restarted = Self::launch(dir).await;
        lock(&restarted.stderr).insert_str(0, &format!("{before}--- killed with SIGKILL, restarted ---\n"));
        restarted
    }

    /// Runs closerd with `dir/closer.toml` until it is healthy.
    async fn launch(dir: TempDir) -> Self {
        let config = dir.path().join("closer.toml");
        let mut child = closerd_command(dir.path())
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("closerd can be started");

        let stderr = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
        let lines = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
        tokio::spawn(collect_stderr(lines, Arc::clone(&stderr), addr_tx));

        let addr = match tokio::time::timeout(STARTUP_TIMEOUT, addr_rx).await {
            Ok(Ok(addr)) => addr,
            Ok(Err(_)) => {
                let status = child.wait().await.ok();
                panic!("closerd exited ({status:?}) before listening:\n{}", lock(&stderr));
            }
            Err(elapsed) => panic!("closerd did not log its address ({elapsed}):\n{}", lock(&stderr)),
        };
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
        let daemon = Self { child, addr, stderr, dir, http };
        daemon.wait_healthy().await;
        daemon
    }

    async fn wait_healthy(&self) {
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            match self.http.get(self.url("/healthz")).send().await {
                Ok(response) if response.status().is_success() => return,
                _ if tokio::time::Instant::now() > deadline => {
                    panic!("closerd on {} never became healthy:\n{}", self.addr, self.stderr());
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A client with a timeout, for requests to this daemon.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Its temporary directory (config, store file, secret key).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What it has written to stderr so far.
    pub fn stderr(&self) -> String {
        lock(&self.stderr).clone()
    }

    /// Sends SIGTERM, as systemd and `docker stop` do.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("closerd is still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill can be run");
        assert!(status.success(), "kill -TERM {pid} failed: {status}");
    }

    /// Waits for it to exit, at most `timeout`.
    pub async fn wait(&mut self, timeout: Duration) -> ExitStatus {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => status.expect("closerd's exit status can be read"),
            Err(elapsed) => panic!("closerd did not exit within {timeout:?} ({elapsed}):\n{}", self.stderr()),
        }
    }
}

/// Copies stderr into `buffer` (echoing it, so that `--nocapture` shows the daemon's
/// log) and reports the address from the "listening on ADDR" line.
async fn collect_stderr(
    mut lines: tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    buffer: Arc<Mutex<String>>,
    addr_tx: tokio::sync::oneshot::Sender<SocketAddr>,
) {
    let mut addr_tx = Some(addr_tx);
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("[closerd] {line}");
        {
            let mut buffer = lock(&buffer);
            buffer.push_str(&line);
            buffer.push('\n');
        }
        if let Some(addr) = listening_addr(&line)
            && let Some(tx) = addr_tx.take()
        {
            let _ = tx.send(addr);
        }
    }
}

/// The address in a log line such as `… INFO closer_daemon::startup: listening on
/// 127.0.0.1:41234`, in text or JSON format.
pub fn listening_addr(line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once("listening on ")?;
    let end = rest
        .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn lock(buffer: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    // A panic while holding the lock leaves a usable string: keep reading it.
    buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The process's TLS provider (ring), as closerd installs it: the workspace builds
/// reqwest's rustls without one, so that exactly one is ever compiled in.
pub fn install_crypto_provider() {
    // Already installed (by another test in this process) is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
