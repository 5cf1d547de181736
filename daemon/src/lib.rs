//! `closerd`, the Closer daemon, as a library: the binary parses its arguments and
//! calls in here, and tests reach the same code without a process or a socket.
//!
//! - [`router`] builds the HTTP application from an [`AppState`];
//! - [`serve`] runs it on a listener the caller binds, until a shutdown future ends;
//! - [`run`] is the whole daemon: open the store, bind, serve.

pub mod ai;
mod api;
pub mod auth;
mod cli;
pub mod crypto;
mod error;
pub mod events;
pub mod extract;
mod health;
pub mod knowledge;
pub mod metrics;
pub mod openapi;
pub mod pipeline;
mod server;
mod startup;
pub mod state;
mod telemetry;

pub use cli::{Cli, Command, ConfigCommand};
pub use error::{AppError, DaemonError};
pub use server::{BODY_LIMIT_BYTES, api_and_document, router, serve, shutdown_signal};
pub use startup::{check_report, load_config, open_store, run};
pub use state::{AppState, Settings};
pub use telemetry::init_logging;
