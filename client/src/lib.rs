//! closerd's client, shared by `closer` and the console: JSON calls to the REST API
//! with the access token refreshed transparently ([`Api`]), the live events over a
//! WebSocket ([`live`]), and the client's own files: the server of the last login and
//! the credentials ([`Paths`]).

mod api;
mod config;
mod document;
mod error;
pub mod live;

pub use api::{Api, Body};
pub use config::{ClientConfig, Credentials, DEFAULT_SERVER, Paths};
pub use document::Document;
pub use error::{Error, Result};
pub use reqwest::Method;

/// Text from customers and the server, made safe for one cell or line of a terminal:
/// control characters (escape sequences, tabs, newlines) become spaces.
pub fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
