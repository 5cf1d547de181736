//! One connected page as a [`Channel`]: messages go out through the Send API with the
//! page's token, retried while Messenger asks us to wait, and given up on with the
//! reason otherwise.

use async_trait::async_trait;

use super::GraphClient;
use crate::model::Platform;
use crate::platform::{
    Channel, MESSENGER_MAX_TEXT_CHARS, OutgoingMessage, RetryPolicy, SendError, SendFailure, SenderAction,
    SentMessage,
};

/// Sends as one page.
#[derive(Clone)]
pub struct FacebookChannel {
    /// Shared with the rest of the daemon: one connection pool for all pages.
    client: GraphClient,
    /// The page access token, decrypted: never in `Debug`, logs or errors.
    page_token: String,
    retry: RetryPolicy,
}

impl std::fmt::Debug for FacebookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FacebookChannel")
            .field("client", &self.client)
            .field("page_token", &"<redacted>")
            .field("retry", &self.retry)
            .finish()
    }
}

impl FacebookChannel {
    /// With the default [`RetryPolicy`].
    pub fn new(client: GraphClient, page_token: impl Into<String>) -> Self {
        Self { client, page_token: page_token.into(), retry: RetryPolicy::default() }
    }

    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// What Messenger would refuse whatever we did, refused here without a call.
    fn check(message: &OutgoingMessage) -> Result<(), SendError> {
        let chars = message.text.chars().count();
        if message.text.trim().is_empty() {
            return Err(SendError::new(SendFailure::Rejected, "the message has no text"));
        }
        if chars > MESSENGER_MAX_TEXT_CHARS {
            return Err(SendError::new(
                SendFailure::Rejected,
                format!(
                    "the text has {chars} characters and Messenger takes at most \
                     {MESSENGER_MAX_TEXT_CHARS}: it must be split first"
                ),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl Channel for FacebookChannel {
    fn platform(&self) -> Platform {
        Platform::Facebook
    }

    fn max_text_chars(&self) -> usize {
        MESSENGER_MAX_TEXT_CHARS
    }

    /// Up to `retry.max_attempts` attempts while the failure is retryable, pausing with
    /// jittered exponential backoff; then the last error.
    async fn send(&self, message: &OutgoingMessage) -> Result<SentMessage, SendError> {
        Self::check(message)?;
        let attempts = self.retry.attempts();
        let mut attempt = 1;
        loop {
            let error = match self.client.send_message(&self.page_token, message).await {
                Ok(sent) => return Ok(sent),
                Err(error) => SendError::from(error),
            };
            if !error.is_retryable() || attempt >= attempts {
                return Err(error);
            }
            let delay = self.retry.jittered_delay(attempt);
            tracing::debug!(attempt, attempts, failure = %error.kind, ?delay, "{error}; retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt: a typing bubble that comes late is worse than none.
    async fn sender_action(&self, recipient: &str, action: SenderAction) -> Result<(), SendError> {
        self.client.sender_action(&self.page_token, recipient, action).await.map_err(SendError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_never_shows_in_debug() {
        let channel = FacebookChannel::new(GraphClient::new("http://127.0.0.1:9", "v21.0"), "EAASecret123");
        let debug = format!("{channel:?}");
        assert!(!debug.contains("EAASecret123"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[tokio::test]
    async fn what_messenger_would_refuse_is_refused_without_a_call() {
        // Port 9 (discard): were a call made, the error would be Temporary, not Rejected.
        let channel = FacebookChannel::new(GraphClient::new("http://127.0.0.1:9", "v21.0"), "EAASecret123");
        let long = OutgoingMessage::response("1", "é".repeat(MESSENGER_MAX_TEXT_CHARS + 1));
        let error = channel.send(&long).await.expect_err("too long");
        assert_eq!(error.kind, SendFailure::Rejected);
        assert!(error.message.contains("2001 characters"), "{error}");
        let blank = OutgoingMessage::response("1", "  ");
        assert_eq!(channel.send(&blank).await.expect_err("blank").kind, SendFailure::Rejected);
    }
}
