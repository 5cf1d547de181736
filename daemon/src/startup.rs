//! From a configuration to a running daemon, failing early and clearly: a store that
//! cannot be reached is reported before the port opens, not at the first request.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use closer_core::config::{self, Config, ConfigError};
use closer_core::store::cache::CachedStore;
use closer_core::store::{self, Store};
use tokio::net::TcpListener;

use crate::error::DaemonError;
use crate::server::{router, serve};
use crate::state::{AppState, Settings};

/// How long a stopping daemon waits for the conversations its workers hold.
const WORKERS_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The configuration from `path` (if any) and this process's `CLOSER__…` variables.
pub fn load_config(path: Option<&Path>) -> Result<Config, ConfigError> {
    // Lossy: a variable that is not UTF-8 still gets its name into an error message
    // instead of vanishing, and no setting legitimately needs non-UTF-8 bytes.
    let env = std::env::vars_os()
        .map(|(name, value)| (name.to_string_lossy().into_owned(), value.to_string_lossy().into_owned()));
    Config::load(path, env)
}

/// What `closerd config check` prints: where the settings came from, the paths they
/// resolve to, then the effective configuration (secrets masked) as a TOML file.
pub fn check_report(config: &Config, path: Option<&Path>) -> Result<String, ConfigError> {
    let source = path.map_or_else(
        || "none (built-in defaults and CLOSER__* variables)".to_owned(),
        |path| path.display().to_string(),
    );
    let store_url = config::redact_url(&config.store_url()?);
    let default = if config.uses_default_store() { " (default)" } else { "" };
    let key_file = config.secret_key_file()?;
    let provider = config.ai.effective_provider();
    Ok(format!(
        "# The configuration is valid.\n\
         # config file: {source}\n\
         # store: {store_url}{default}\n\
         # secret key file: {}\n\
         # replies by: {provider}\n\
         \n{}",
        key_file.display(),
        config.masked()?,
    ))
}

/// Opens the store at `url` and pings it, so that a wrong URL or a database that is
/// down stops the daemon now, with the URL (password hidden) in the message. The
/// store comes behind the read cache: every business's configuration is read again
/// by each request and customer message, and changes only when its owner edits it.
pub async fn open_store(url: &str) -> Result<Arc<CachedStore>, DaemonError> {
    let failed = |error| DaemonError::Store { url: config::redact_url(url), error };
    let store = store::open(url).await.map_err(failed)?;
    store.ping().await.map_err(failed)?;
    Ok(Arc::new(CachedStore::new(store)))
}

/// The daemon: opens the store, binds `server.listen`, serves until `shutdown`
/// completes. Logging is expected to be set up already ([`crate::init_logging`]).
pub async fn run<F>(config: Config, config_path: Option<&Path>, shutdown: F) -> Result<(), DaemonError>
where
    F: Future<Output = ()> + Send + 'static,
{
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = %config_path.map_or_else(|| "(none)".to_owned(), |path| path.display().to_string()),
        "closerd starting"
    );

    let url = config.store_url()?;
    if config.uses_default_store()
        && let Some(dir) = config::data_dir()
    {
        // Only the default location is created: an explicit path that does not exist
        // is more likely a typo than a wish.
        crate::crypto::private_dir_builder()
            .create(&dir)
            .map_err(|error| DaemonError::DataDir { path: dir.clone(), error })?;
    }
    let sealer = crate::crypto::TokenSealer::load_or_create(&config.secret_key_file()?)?;
    let store = open_store(&url).await?;
    tracing::info!(backend = store.backend(), url = %config::redact_url(&url), "store open");
    tracing::info!(replies_by = %config.ai.effective_provider(), "replies configured");

    let addr = config.server.listen;
    let listener = TcpListener::bind(addr).await.map_err(|error| DaemonError::Listen { addr, error })?;
    let bound = listener.local_addr().map_err(|error| DaemonError::Listen { addr, error })?;
    // Tests that ask for port 0 read the chosen port from this line.
    tracing::info!("listening on {bound}");

    let clock: Arc<dyn closer_core::Clock> = Arc::new(closer_core::SystemClock);
    let state = AppState::new(store, Arc::clone(&clock), Settings::from_config(&config)).with_sealer(sealer);
    let responder = crate::ai::responder(&config.ai, clock, Arc::clone(&state.events))
        .map_err(|message| ConfigError::invalid("ai", message))?;
    let leo = crate::ai::leo(&config.ai).map_err(|message| ConfigError::invalid("ai", message))?;
    let state = state.with_responder(responder).with_leo(leo);

    let (stop_workers, stop) = tokio::sync::watch::channel(false);
    let workers = crate::pipeline::start(&state, &stop).map_err(DaemonError::Pipeline)?;
    let events = Arc::clone(&state.events);
    let hub = Arc::clone(&events);
    let shutdown = async move {
        shutdown.await;
        // Workers stop taking new work at once; what they hold, they finish below.
        let _ = stop_workers.send(true);
        hub.shut_down();
    };
    serve(listener, router(state), shutdown).await.map_err(DaemonError::Serve)?;
    // A reply being written finishes; one that takes too long is left to its lease,
    // and the next start takes it again.
    if !workers.finish(WORKERS_GRACE).await {
        tracing::warn!("some conversations were still being answered; they resume at the next start");
    }
    // Upgraded connections are not axum's to wait for: give their close frames time to leave.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), events.closed()).await;
    tracing::info!("stopped cleanly");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_check_report_is_toml_and_masks_secrets() {
        let mut config = Config::default();
        config.store.url = "mongodb://closer:hunter2@127.0.0.1:27017/closer".to_owned();
        config.ai.api_key = "sk-secret".to_owned();
        config.security.secret_key_file = "/etc/closer/secret.key".into();
        let report = check_report(&config, Some(Path::new("/etc/closer.toml"))).unwrap();
        assert!(!report.contains("hunter2") && !report.contains("sk-secret"), "{report}");
        assert!(report.contains("# config file: /etc/closer.toml"), "{report}");
        assert!(report.contains("# replies by: openai"), "{report}");
        let parsed = Config::from_toml(&report, Path::new("report")).unwrap();
        assert_eq!(parsed.ai.api_key, config::MASK);
    }

    #[tokio::test]
    async fn a_store_that_cannot_be_opened_is_named_in_the_error() {
        let error = open_store("sqlite:///nonexistent-dir/x/y.db").await.unwrap_err();
        assert!(error.to_string().starts_with("cannot open the store at sqlite:///nonexistent-dir/x/y.db: "));
        assert_eq!(error.exit_code(), 1);
    }
}
