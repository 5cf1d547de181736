//! closerd's client, shared by `closer` and the console: JSON calls to the REST API
//! with the access token refreshed transparently ([`Api`]), the live events over a
//! WebSocket ([`live`]), and the client's own files: the server of the last login and
//! the credentials ([`Paths`]).

mod api;
mod config;
mod error;
pub mod live;

pub use api::{Api, Body};
pub use config::{ClientConfig, Credentials, DEFAULT_SERVER, Paths};
pub use error::{Error, Result};

/// Text from customers and the server, made safe for one cell or line of a terminal:
/// control characters (escape sequences, tabs, newlines) become spaces.
pub fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
