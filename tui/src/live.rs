//! Follows the business's live events for as long as the console runs: connects with
//! the current access token, reconnects with backoff after a loss, and resumes from
//! the last `seq` received so that nothing is missed (closerd sends `resync` when it
//! no longer has the events in between, and the app reloads).

use std::time::Duration;

use closer_client::Error;
use closer_core::events::LiveEvent;
use futures_util::StreamExt as _;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::event::{Connection, Event};

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs until the app goes away. `tokens` carries the access token the backend holds
/// (`None` until a login).
pub async fn follow(
    server: String,
    mut tokens: watch::Receiver<Option<String>>,
    events: mpsc::UnboundedSender<Event>,
) {
    let status = |connection: Connection| events.send(Event::Connection(connection)).is_ok();
    let mut last_seq: Option<u64> = None;
    let mut attempt: u32 = 0;
    loop {
        let token = tokens.borrow_and_update().clone();
        let Some(token) = token else {
            // Not logged in: wait for a login.
            if tokens.changed().await.is_err() {
                return;
            }
            continue;
        };
        if !status(if attempt == 0 {
            Connection::Connecting
        } else {
            Connection::Reconnecting { attempt, retry_in_secs: 0 }
        }) {
            return;
        }
        match closer_client::live::connect(&server, &token, last_seq).await {
            Ok(mut socket) => {
                attempt = 0;
                if !status(Connection::Connected) {
                    return;
                }
                while let Some(frame) = socket.next().await {
                    let Ok(Frame::Text(text)) = frame else {
                        if frame.is_err() {
                            break;
                        }
                        continue;
                    };
                    match serde_json::from_str::<LiveEvent>(&text) {
                        Ok(event) => {
                            last_seq = Some(event.seq);
                            if events.send(Event::Live(Box::new(event))).is_err() {
                                return;
                            }
                        }
                        Err(error) => tracing::warn!(%error, "a live event the console does not understand"),
                    }
                }
                tracing::info!("the live events were interrupted");
            }
            Err(Error::NotAuthenticated(message)) => {
                // The token expired or was revoked: the backend refreshes it on its next
                // call (the app makes one when it sees this) or the owner logs in again.
                if !status(Connection::Offline(message)) || tokens.changed().await.is_err() {
                    return;
                }
                continue;
            }
            Err(error) => tracing::info!(%error, "cannot reach the live events"),
        }
        attempt = attempt.saturating_add(1);
        let wait = backoff(attempt);
        if !status(Connection::Reconnecting { attempt, retry_in_secs: wait.as_secs() }) {
            return;
        }
        // A new token (a login) is worth trying at once.
        let _ = tokio::time::timeout(wait, tokens.changed()).await;
    }
}

/// 1 s, 2 s, 4 s … up to [`MAX_BACKOFF`].
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(5)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        let waits: Vec<u64> = (1..=8).map(|attempt| backoff(attempt).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
