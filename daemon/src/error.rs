//! The daemon's two kinds of failure: [`DaemonError`] stops the process at start, and
//! [`AppError`] is one HTTP request's error in the API's JSON shape.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use closer_core::config::ConfigError;
use closer_core::store::StoreError;
use serde_json::json;

/// Why `closerd` could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// `RUST_LOG` or `log.level` that `tracing` refuses, or a second initialisation.
    #[error("cannot set up logging: {0}")]
    Logging(String),

    #[error("cannot create the data directory {}: {error}", path.display())]
    DataDir { path: PathBuf, error: std::io::Error },

    /// `url` is already redacted: this message is logged and printed.
    #[error("cannot open the store at {url}: {error}")]
    Store { url: String, error: StoreError },

    #[error("cannot listen on {addr}: {error}")]
    Listen { addr: SocketAddr, error: std::io::Error },

    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

impl DaemonError {
    /// The process exit status: 2 for a mistake in the configuration (scripts and
    /// systemd can tell it apart from an outage), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) | Self::Logging(_) => 2,
            _ => 1,
        }
    }
}

/// A request that failed, answered as `{"error": {"code", "message"}}`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no route for {0}")]
    NotFound(String),

    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },

    /// The detail is logged; the client only learns which backend is down.
    #[error("the store ({backend}) is not reachable")]
    StoreUnavailable { backend: &'static str, detail: String },
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::StoreUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Stable, machine-readable: clients branch on this, not on the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::StoreUnavailable { .. } => "store_unavailable",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::StoreUnavailable { backend, detail } = &self {
            tracing::warn!(backend, error = %detail, "store not reachable");
        }
        let body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        (self.status(), Json(body)).into_response()
    }
}
