//! What can be wrong with a configuration, worded for the person who has to fix it:
//! every message names where the value came from, the key and what was expected.

use std::fmt;
use std::path::PathBuf;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is missing or unreadable. The I/O error is part of the message rather
    /// than a `source()`, so that printing the error once says everything.
    #[error("cannot read config file {}: {error}", path.display())]
    Read { path: PathBuf, error: std::io::Error },

    /// The file is not valid TOML, or a value has the wrong type, or a key is unknown.
    #[error("config file {}: {}{message}", path.display(), location(key.as_deref(), *line, *column))]
    File {
        path: PathBuf,
        /// The dotted key (`server.listen`) when the error points at one.
        key: Option<String>,
        line: usize,
        column: usize,
        message: String,
    },

    /// A `CLOSER__SECTION__KEY` variable names no setting or holds an unusable value.
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },

    /// A value of the right type that is still not acceptable (a store URL with an
    /// unknown scheme, a zero timeout…).
    #[error("{}{key}: {message}", origin.as_ref().map(|origin| format!("{origin}: ")).unwrap_or_default())]
    Invalid {
        key: String,
        message: String,
        /// Where the value came from, when known.
        origin: Option<Origin>,
    },

    /// The configuration could not be turned into TOML; a bug, not a user mistake.
    #[error("cannot render the configuration as TOML: {0}")]
    Serialize(String),
}

impl ConfigError {
    /// The dotted key the error is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::File { key, .. } => key.as_deref(),
            Self::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }

    pub fn invalid(key: &str, message: impl Into<String>) -> Self {
        Self::Invalid { key: key.to_owned(), message: message.into(), origin: None }
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "config file {}", path.display()),
            Self::Env(var) => write!(f, "environment variable {var}"),
        }
    }
}

fn location(key: Option<&str>, line: usize, column: usize) -> String {
    match key {
        Some(key) => format!("{key} (line {line}, column {column}): "),
        None => format!("line {line}, column {column}: "),
    }
}
