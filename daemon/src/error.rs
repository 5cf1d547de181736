//! The daemon's two kinds of failure: [`DaemonError`] stops the process at start, and
//! [`AppError`] is one HTTP request's error in the API's JSON shape.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use closer_core::config::ConfigError;
use closer_core::model::ValidationError;
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

    #[error("cannot start the pipeline's threads: {0}")]
    Pipeline(std::io::Error),
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

/// A request that failed, answered as `{"error": {"code", "message"}}` with the status
/// that says what kind of failure it was. Details of server-side failures are logged,
/// never sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no route for {0}")]
    NoRoute(String),

    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },

    /// The request itself is malformed (bad JSON, a bad query parameter).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },

    /// A value the model refuses, naming the field.
    #[error("{0}")]
    Invalid(#[from] ValidationError),

    /// Well-formed, but not something we can act on (a page token Facebook refuses, a
    /// campaign not ready to go live); the code says which.
    #[error("{message}")]
    Unprocessable { code: &'static str, message: String },

    /// Not logged in, or the token is unknown, expired or revoked.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },

    /// Known, but refused: a webhook whose signature does not check out.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },

    /// Nothing of that kind with that id for this business (or at all: the two are not
    /// told apart, so ids of other businesses cannot be probed).
    #[error("{what} not found")]
    NotFound { what: &'static str },

    /// The request clashes with the current state; the message says how.
    #[error("{0}")]
    Conflict(String),

    #[error("{message}")]
    UnsupportedMediaType { message: String },

    #[error("the request body is larger than {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: usize },

    #[error("too many failed attempts: try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },

    /// A service we depend on (the Graph API) failed or could not be reached.
    #[error("{message}")]
    BadGateway { code: &'static str, message: String },

    /// The detail is logged; the client only learns which backend is down.
    #[error("the store ({backend}) is not reachable")]
    StoreUnavailable { backend: &'static str, detail: String },

    /// A bug or an unexpected failure: logged with its detail, answered as 500.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized { code, message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoRoute(_) | Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid(_) | Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway { .. } => StatusCode::BAD_GATEWAY,
            Self::StoreUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable, machine-readable: clients branch on this, not on the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoRoute(_) | Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Forbidden { code, .. }
            | Self::BadGateway { code, .. } => code,
            Self::Invalid(_) => "invalid",
            Self::Conflict(_) => "conflict",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::StoreUnavailable { .. } => "store_unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        let kind = match &error {
            StoreError::NotFound { .. } | StoreError::Conflict(_) | StoreError::Invalid(_) => None,
            StoreError::Unavailable(_) => Some("unavailable"),
            StoreError::Corrupt(_) => Some("corrupt"),
            StoreError::Backend(_) => Some("backend"),
        };
        if let Some(kind) = kind {
            metrics::counter!(crate::metrics::STORE_ERRORS, "kind" => kind).increment(1);
        }
        match error {
            StoreError::NotFound { what } => Self::NotFound { what },
            StoreError::Conflict(message) => Self::Conflict(message),
            StoreError::Invalid(invalid) => Self::Invalid(invalid),
            StoreError::Unavailable(detail) => Self::StoreUnavailable { backend: "store", detail },
            StoreError::Corrupt(detail) | StoreError::Backend(detail) => Self::Internal(detail),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            Self::StoreUnavailable { backend, detail } => {
                tracing::warn!(backend, error = %detail, "store not reachable");
            }
            Self::Internal(detail) => tracing::error!(error = %detail, "request failed"),
            _ => {}
        }
        let body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        let mut response = (self.status(), Json(body)).into_response();
        if let Self::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}
