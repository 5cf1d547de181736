//! Everything the console reacts to, as one stream: terminal input, the clock, the
//! daemon's live events, the state of their connection, and the answers to the
//! requests the console made. The app is a function of this stream, which is what
//! lets the tests drive it headless.

use closer_core::events::LiveEvent;
use closer_core::model::Timestamp;
use crossterm::event::{KeyEvent, MouseEvent};

use crate::backend::Answer;

#[derive(Debug, Clone)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    /// The terminal changed size; the next draw lays out again.
    Resize,
    /// Once a second: the clock for "2 min ago" and the reply windows.
    Tick(Timestamp),
    /// One of the business's live events, in `seq` order.
    Live(Box<LiveEvent>),
    /// The live events' connection changed.
    Connection(Connection),
    /// closerd answered a request of the console.
    Answer(Answer),
}

/// The live events' connection, shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Not logged in yet: nothing to connect.
    Idle,
    Connecting,
    Connected,
    /// Lost; the next attempt in `retry_in_secs`.
    Reconnecting {
        attempt: u32,
        retry_in_secs: u64,
    },
    /// Given up until something changes (the token was refused): what to do.
    Offline(String),
}
