//! Messaging platforms: what the message pipeline needs from each one (a [`Channel`]:
//! send a reply, show that we are typing), the outgoing message in the platforms' common
//! terms, and how a failed send is classified, so the pipeline knows whether to retry,
//! to tell the owner, or to give up on this customer.
//!
//! Nothing here knows Facebook: Messenger's wire format and Graph client live in
//! [`facebook`] (feature `facebook`), the sandbox in [`SandboxChannel`]. The rules on a
//! reply's shape that every platform has in some form (a longest text, at most so many
//! quick replies) are in [`split_text`] and [`fit_quick_replies`].

mod failure;
mod fit;
mod retry;
mod sandbox;

#[cfg(feature = "facebook")]
pub mod facebook;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use failure::{SendError, SendFailure};
pub use fit::{MAX_QUICK_REPLY_PAYLOAD_CHARS, MESSENGER_MAX_TEXT_CHARS, fit_quick_replies, split_text};
pub use retry::RetryPolicy;
pub use sandbox::SandboxChannel;

use crate::model::Platform;
pub use crate::model::QuickReply;

/// Where replies go out: one per connected page (or the sandbox). Object safe, so the
/// pipeline holds an `Arc<dyn Channel>` per integration.
#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    fn platform(&self) -> Platform;

    /// The most characters one message's text may have: longer replies are cut with
    /// [`split_text`] before they are sent, since a platform refuses them whole.
    fn max_text_chars(&self) -> usize {
        MESSENGER_MAX_TEXT_CHARS
    }

    /// Sends one message. Retries (if the channel retries) are done inside: an error is
    /// final for this message, and [`SendError::kind`] says what to do about it.
    async fn send(&self, message: &OutgoingMessage) -> Result<SentMessage, SendError>;

    /// "Seen" and "typing…": best effort, one attempt. The caller logs an error and
    /// carries on; a missing typing bubble is never worth a delayed reply.
    async fn sender_action(&self, recipient: &str, action: SenderAction) -> Result<(), SendError>;
}

/// One message to one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// The platform's id of the customer (a page-scoped id on Messenger): the chat's
    /// `customer_id`.
    pub recipient: String,
    /// At most [`Channel::max_text_chars`] characters: split longer replies first.
    pub text: String,
    /// Offered under this message; fitted to the platform's limits by the channel.
    pub quick_replies: Vec<QuickReply>,
    pub messaging: MessagingType,
    /// Echoed back by the platform with the copy of the message (Messenger's
    /// `message_echoes`), so our own echoes can be told from a human's answer in the
    /// page inbox.
    pub metadata: Option<String>,
}

impl OutgoingMessage {
    /// An automated reply inside the 24-hour window.
    pub fn response(recipient: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            recipient: recipient.into(),
            text: text.into(),
            quick_replies: Vec::new(),
            messaging: MessagingType::Response,
            metadata: None,
        }
    }

    /// A person's reply, which may come up to 7 days after the customer's last message.
    pub fn human_agent(recipient: impl Into<String>, text: impl Into<String>) -> Self {
        Self { messaging: MessagingType::HumanAgent, ..Self::response(recipient, text) }
    }

    pub fn with_quick_replies(mut self, quick_replies: Vec<QuickReply>) -> Self {
        self.quick_replies = quick_replies;
        self
    }

    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }
}

/// Why we may message this customer now: the platforms allow automated messages only
/// within 24 hours of the customer's last message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessagingType {
    /// A reply inside the 24-hour window (Messenger's `RESPONSE`). Every automated
    /// reply is one.
    #[default]
    Response,
    /// A reply written by a person (the owner taking over), allowed up to 7 days after
    /// the customer's last message (Messenger's `MESSAGE_TAG` with `HUMAN_AGENT`).
    ///
    /// Never for an automated reply, not even one sent while a person is watching: Meta
    /// treats that as abuse of the tag and can restrict the page.
    HumanAgent,
}

/// What the customer sees besides messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderAction {
    /// Their message shows as seen.
    MarkSeen,
    /// The "typing…" bubble, while the AI thinks. It disappears by itself after about
    /// 20 seconds, or when a message is sent.
    TypingOn,
    TypingOff,
}

/// A message the platform accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// The platform's id of the message (`mid`): stored as the message's
    /// `platform_message_id`, so that its echo, delivery and read events find it.
    pub message_id: String,
}
