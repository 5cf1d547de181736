//! Logging: `tracing` to stderr (journald picks it up), as text or JSON lines.

use std::io::IsTerminal as _;

use closer_core::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

use crate::error::DaemonError;

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `log.level`, so a
/// one-off debugging session needs no edit of the config file.
pub fn init_logging(log: &LogConfig) -> Result<(), DaemonError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .map_err(|error| DaemonError::Logging(format!("RUST_LOG={directives:?}: {error}")))?,
        _ => EnvFilter::try_new(&log.level)
            .map_err(|error| DaemonError::Logging(format!("log.level = {:?}: {error}", log.level)))?,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match log.format {
        // Colours only for a person at a terminal; journald and log files get plain text.
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|error| DaemonError::Logging(error.to_string()))
}
