//! Why a send failed, sorted by what can be done about it: wait and retry, tell the
//! owner, or give up on this message. Each platform maps its own error codes here, so
//! the pipeline decides the same way for all of them.

use serde::{Deserialize, Serialize};

/// What a failed send means for the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendFailure {
    /// The platform asks us to slow down (Messenger 613, 4, 17, 32): retry after a pause.
    RateLimited,
    /// The platform failed or did not answer (Messenger 1, 2, HTTP 5xx, a timeout, no
    /// connection): retry after a pause.
    ///
    /// After a timeout the message may in fact have been sent; a retry can then
    /// duplicate it, which is better than a customer left without an answer.
    Temporary,
    /// The page's token no longer works (Messenger 190: expired, revoked, the password
    /// changed). Only the owner can fix it, by connecting the page again: mark the
    /// integration and tell them; the message is not sent.
    TokenInvalid,
    /// The person cannot be reached (Messenger 551: blocked the page, deactivated).
    /// Not retried.
    Unreachable,
    /// The 24-hour window for automated replies is closed (Messenger 10/2018278). A
    /// person can still answer with `HumanAgent` for 7 days.
    OutsideWindow,
    /// Anything else: a message the platform will never take as it is (Messenger 100
    /// invalid parameter, 200–299 permissions, …). Not retried.
    Rejected,
}

impl SendFailure {
    /// Waiting may help: only a rate limit and a temporary failure.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::RateLimited | Self::Temporary)
    }

    /// For logs, metrics and stored errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::Temporary => "temporary",
            Self::TokenInvalid => "token_invalid",
            Self::Unreachable => "unreachable",
            Self::OutsideWindow => "outside_window",
            Self::Rejected => "rejected",
        }
    }

    /// What it means, in the owner's words; the start of [`SendError::message`].
    pub fn explain(self) -> &'static str {
        match self {
            Self::RateLimited => "the platform is limiting how fast the page sends",
            Self::Temporary => "the platform failed for a moment",
            Self::TokenInvalid => "the page's access token no longer works: connect the page again",
            Self::Unreachable => "this person cannot be reached",
            Self::OutsideWindow => "more than 24 hours since the customer's last message",
            Self::Rejected => "the platform refused the message",
        }
    }
}

impl std::fmt::Display for SendFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message that was not sent, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub kind: SendFailure,
    /// For the owner (stored as the message's error, shown in the console): what it
    /// means and the platform's own words and trace id. Never a token or a request URL.
    pub message: String,
}

impl SendError {
    /// `message` is prefixed with what `kind` means to the owner.
    pub fn new(kind: SendFailure, detail: impl std::fmt::Display) -> Self {
        Self { kind, message: format!("{}: {detail}", kind.explain()) }
    }

    /// Only [`SendFailure::RateLimited`] and [`SendFailure::Temporary`].
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rate_limits_and_temporary_failures_are_retried() {
        let retryable: Vec<SendFailure> = [
            SendFailure::RateLimited,
            SendFailure::Temporary,
            SendFailure::TokenInvalid,
            SendFailure::Unreachable,
            SendFailure::OutsideWindow,
            SendFailure::Rejected,
        ]
        .into_iter()
        .filter(|kind| SendError::new(*kind, "x").is_retryable())
        .collect();
        assert_eq!(retryable, [SendFailure::RateLimited, SendFailure::Temporary]);
    }

    #[test]
    fn the_message_says_what_it_means_then_the_platforms_words() {
        let error = SendError::new(SendFailure::TokenInvalid, "Graph API error 190: expired");
        assert_eq!(
            error.to_string(),
            "the page's access token no longer works: connect the page again: Graph API error 190: expired"
        );
        assert_eq!(serde_json::to_string(&error.kind).ok().as_deref(), Some("\"token_invalid\""));
    }
}
