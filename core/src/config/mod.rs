//! Closer's settings: built-in defaults, then a TOML file, then `CLOSER__SECTION__KEY`
//! environment variables, checked once at start so that a mistake is reported before
//! anything runs.
//!
//! Every section denies unknown keys: a misspelt setting is an error, never a silently
//! ignored line. Secrets are plain strings where the empty string means "not set",
//! because TOML has no null and the example file should show every key.

mod env;
mod error;
mod file;
mod validate;

#[cfg(test)]
mod tests;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use error::{ConfigError, Origin};

/// What `masked()` shows in place of a secret that is set.
pub const MASK: &str = "********";

/// The prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "CLOSER__";

/// Everything `closerd` can be told, one field per `[section]` of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub security: SecurityConfig,
    pub facebook: FacebookConfig,
    pub ai: AiConfig,
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub pipeline: PipelineConfig,
    /// `[lead]`: the weights of the lead-scoring signals and the qualifying score.
    pub lead: crate::lead::LeadScorer,
}

/// `[pipeline]`: how customer messages are worked through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Conversations answered at the same time; 0: the store's default
    /// ([`PipelineConfig::workers_for`]). Each waits mostly (on the AI, a second or
    /// more with a model, and on the store), so many cost little: with 32, a burst of
    /// customers queued behind each other's answers (BENCHMARKS.md, "Pipeline").
    pub workers: usize,
    /// How long a worker holds a conversation before another may take it over; kept
    /// alive while the work lasts. After a crash, its events are taken again this long
    /// after the crash at the latest.
    pub lease_secs: u64,
    /// Attempts at one event before it is set aside as failed.
    pub max_attempts: u32,
    /// Messages of the conversation the AI reads before answering.
    pub history_messages: usize,
    /// A chat the owner took over goes back to the AI when the customer writes and the
    /// owner has not written for this many minutes; 0: never by itself.
    pub handback_after_minutes: u64,
    /// When the AI takes a chat back, tell the customer they are talking to an
    /// automated assistant again (the law asks for it in some places).
    pub disclose_bot_on_release: bool,
    /// Days a handled webhook event is kept, so that the platform delivering it again
    /// is recognised (Messenger retries for hours); then it is forgotten. The chats
    /// and their messages are not touched. 0: kept for good.
    pub inbox_retention_days: u64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            workers: 0,
            lease_secs: 30,
            max_attempts: 5,
            history_messages: 20,
            handback_after_minutes: 0,
            disclose_bot_on_release: true,
            inbox_retention_days: 7,
        }
    }
}

impl PipelineConfig {
    /// The workers to run on the store named `backend` ([`crate::store::Store::backend`]):
    /// as set, or by default 128 on SQLite and 512 on MongoDB. A MongoDB worker spends most of
    /// its time on round trips to the server, and with 128 those, not the server, were
    /// the limit; on SQLite more workers take the two cores from the webhooks'
    /// acknowledgements during a flood, for answers that come no faster.
    pub fn workers_for(&self, backend: &str) -> usize {
        match (self.workers, backend) {
            (0, "mongodb") => 512,
            (0, _) => 128,
            (set, _) => set,
        }
    }
}

/// `[auth]`: how long the owners' logins last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Short, because an access token is sent with every request: a leaked one is
    /// useful only briefly.
    pub access_token_minutes: u64,
    /// How long a login lasts without use; each refresh starts it again.
    pub refresh_token_days: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { access_token_minutes: 15, refresh_token_days: 30 }
    }
}

/// `[server]`: where the HTTP API, the webhooks and the console connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Loopback by default: exposing the daemon is a decision, made behind a proxy.
    #[serde(with = "listen_addr")]
    pub listen: SocketAddr,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)) }
    }
}

/// `[store]`: which database holds the data; the URL's scheme picks the backend.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// Empty means the embedded database file in the data directory, so a fresh install
    /// runs with nothing to set up; see [`Config::store_url`].
    pub url: String,
}

/// `[security]`: key material the daemon keeps outside the database.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// The key that encrypts page tokens at rest. Kept out of the database so that a
    /// leaked dump alone does not leak the tokens. Empty means `<data dir>/secret.key`.
    pub secret_key_file: PathBuf,
}

/// `[facebook]`: the Meta app that receives Page messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FacebookConfig {
    pub app_id: String,
    /// Signs every webhook delivery (`X-Hub-Signature-256`); a secret.
    pub app_secret: String,
    /// Echoed back in the webhook subscription handshake; a secret.
    pub verify_token: String,
    /// Configurable so that tests and demos can point at a fake Graph API.
    pub graph_api_base: String,
    /// Pinned so that a Graph API upgrade is a deliberate change, not a surprise.
    pub graph_api_version: String,
}

impl Default for FacebookConfig {
    fn default() -> Self {
        Self {
            app_id: String::new(),
            app_secret: String::new(),
            verify_token: String::new(),
            graph_api_base: "https://graph.facebook.com".to_owned(),
            graph_api_version: "v21.0".to_owned(),
        }
    }
}

/// `[ai]`: who writes the replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AiConfig {
    pub provider: AiProvider,
    /// A secret. Empty with `provider = "auto"` means the rule-based replies.
    pub api_key: String,
    /// Any OpenAI-compatible server works, local ones included.
    pub base_url: String,
    pub model: String,
    /// A customer is waiting: past this, the rule-based reply goes out instead.
    pub timeout_secs: u64,
    pub max_retries: u32,
    /// After a document or an active campaign changes, the knowledge base is trained
    /// again once nothing has changed for this long.
    pub retrain_debounce_ms: u64,
}

impl Default for AiConfig {
    fn default() -> Self {
        Self {
            provider: AiProvider::Auto,
            api_key: String::new(),
            base_url: "https://api.openai.com/v1".to_owned(),
            model: "gpt-4o-mini".to_owned(),
            timeout_secs: 15,
            max_retries: 2,
            retrain_debounce_ms: 2_000,
        }
    }
}

impl AiConfig {
    /// The provider actually used: `auto` resolves to `openai` when a key is set and to
    /// `rules` otherwise, so callers never see `Auto`.
    pub fn effective_provider(&self) -> AiProvider {
        match self.provider {
            AiProvider::Auto if self.api_key.is_empty() => AiProvider::Rules,
            AiProvider::Auto => AiProvider::OpenAi,
            chosen => chosen,
        }
    }
}

/// Which replies customers get.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AiProvider {
    /// `openai` when `ai.api_key` is set, `rules` otherwise.
    #[default]
    Auto,
    /// An OpenAI-compatible chat-completions API.
    OpenAi,
    /// The deterministic rule-based replies: no network, no key.
    Rules,
}

impl AiProvider {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::OpenAi => "openai",
            Self::Rules => "rules",
        }
    }
}

impl std::fmt::Display for AiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[log]`: what the daemon writes to stderr.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A level or `EnvFilter` directives; `RUST_LOG`, when set, wins.
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { level: "info".to_owned(), format: LogFormat::Text }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people and journald.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl Config {
    /// Defaults, then the file at `path` (if any), then the `CLOSER__SECTION__KEY`
    /// variables of `env`, then [`Config::validate`]. The environment is a parameter so
    /// that tests need not touch the process's own.
    pub fn load<I, K, V>(path: Option<&Path>, env: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let config = match path {
            Some(path) => file::read(path)?,
            None => Self::default(),
        };
        let (config, from_env) = env::apply(config, env)?;
        config.validate().map_err(|error| match error {
            ConfigError::Invalid { key, message, origin: None } => {
                let origin = from_env
                    .iter()
                    .find(|(_, env_key)| *env_key == key)
                    .map(|(var, _)| Origin::Env(var.clone()))
                    .or_else(|| path.map(|path| Origin::File(path.to_owned())));
                ConfigError::Invalid { key, message, origin }
            }
            other => other,
        })?;
        Ok(config)
    }

    /// Parses TOML text; `path` only names the file in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        file::parse(text, path)
    }

    /// The commented example file: every key, set to its default.
    pub fn example() -> &'static str {
        include_str!("../../../config.example.toml")
    }

    /// The effective configuration as TOML, with every secret that is set replaced by
    /// [`MASK`] (an unset one stays empty, which says just as much) and the password of a
    /// store URL hidden.
    pub fn masked(&self) -> Result<String, ConfigError> {
        let mut shown = self.clone();
        for secret in
            [&mut shown.facebook.app_secret, &mut shown.facebook.verify_token, &mut shown.ai.api_key]
        {
            if !secret.is_empty() {
                MASK.clone_into(secret);
            }
        }
        shown.store.url = redact_url(&shown.store.url);
        toml::to_string(&shown).map_err(|error| ConfigError::Serialize(error.to_string()))
    }

    /// The store URL to open: the configured one, or the embedded database file in the
    /// data directory.
    pub fn store_url(&self) -> Result<String, ConfigError> {
        if !self.store.url.is_empty() {
            return Ok(self.store.url.clone());
        }
        let file = default_data_dir("store.url")?.join("closer.db");
        Ok(format!("sqlite://{}", file.display()))
    }

    /// Whether the store is the default file, whose directory the daemon may create.
    pub fn uses_default_store(&self) -> bool {
        self.store.url.is_empty()
    }

    /// The file holding the key that encrypts page tokens.
    pub fn secret_key_file(&self) -> Result<PathBuf, ConfigError> {
        if !self.security.secret_key_file.as_os_str().is_empty() {
            return Ok(self.security.secret_key_file.clone());
        }
        Ok(default_data_dir("security.secret_key_file")?.join("secret.key"))
    }
}

/// The per-user data directory (`~/.local/share/closer` on Linux), if the platform has
/// one. Services under systemd usually have no home and set paths explicitly.
pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "closer").map(|dirs| dirs.data_dir().to_owned())
}

fn default_data_dir(key: &str) -> Result<PathBuf, ConfigError> {
    data_dir().ok_or_else(|| ConfigError::Invalid {
        key: key.to_owned(),
        message: "no data directory could be found for the default (is HOME set?); \
                  set this key explicitly"
            .to_owned(),
        origin: None,
    })
}

/// `url` with the password of its user info replaced by [`MASK`], for logs, errors and
/// `config check`: a `mongodb://` URL often carries credentials.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|at| at + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!("{}{}:{MASK}{}", &url[..scheme_end], &rest[..colon], &rest[at..]),
        None => url.to_owned(),
    }
}

/// `server.listen` with an error that says what a socket address looks like: the
/// standard library's message alone does not.
mod listen_addr {
    use std::net::SocketAddr;

    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(addr: &SocketAddr, out: S) -> Result<S::Ok, S::Error> {
        out.collect_str(addr)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<SocketAddr, D::Error> {
        let text = String::deserialize(input)?;
        text.parse().map_err(|_| {
            D::Error::custom(format!(
                "invalid socket address syntax: {text:?} (expected IP:PORT, \
                 e.g. 127.0.0.1:8080 or [::1]:8080)"
            ))
        })
    }
}
