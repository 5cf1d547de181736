//! What the inbox keeps of a platform event: the same few kinds whether it came from
//! Messenger's webhook or the sandbox, so that one worker code path handles both.

use closer_core::model::{Attachment, NewInboxEvent, Platform, Timestamp, UserId};
use closer_core::platform::facebook::webhook::{EventKind, WebhookEvent};
use serde::{Deserialize, Serialize};

/// One inbox event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxItem {
    /// The page (or sandbox) the customer wrote to.
    pub page_id: String,
    /// The platform's id of the customer.
    pub customer_id: String,
    /// When the platform knows it (the sandbox does; Messenger needs a profile call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Another app owns the conversation: recorded, never answered.
    #[serde(default)]
    pub standby: bool,
    pub event: ItemEvent,
}

/// What happened, platform-neutral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ItemEvent {
    /// The customer wrote, tapped a quick reply or sent an attachment.
    Message {
        mid: String,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        quick_reply_payload: Option<String>,
        #[serde(default)]
        attachments: Vec<Attachment>,
        /// The `ref` of the link or ad the customer came through: a campaign id.
        #[serde(default)]
        referral: Option<String>,
    },
    /// The customer tapped a button.
    Postback {
        mid: Option<String>,
        title: String,
        payload: String,
        #[serde(default)]
        referral: Option<String>,
    },
    /// A copy of a message the page sent: ours, or a person's in the page inbox.
    Echo {
        mid: String,
        #[serde(default)]
        app_id: Option<String>,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        metadata: Option<String>,
    },
    Delivery {
        mids: Vec<String>,
        watermark: i64,
    },
    Read {
        watermark: i64,
    },
    Referral {
        referral: String,
    },
    Unsupported {
        what: String,
    },
}

impl InboxItem {
    /// The inbox event for a Messenger webhook event of `tenant`'s page.
    pub fn from_webhook(event: &WebhookEvent, tenant: UserId, now: Timestamp) -> NewInboxEvent {
        let item = Self {
            page_id: event.page_id.clone(),
            customer_id: event.customer_id().to_owned(),
            customer_name: None,
            standby: event.standby,
            event: ItemEvent::from(&event.kind),
        };
        NewInboxEvent {
            key: event.inbox_key(),
            user_id: tenant,
            platform: Platform::Facebook,
            conversation: event.conversation(),
            occurred_at: Timestamp::from_millis(event.timestamp_ms).unwrap_or(now),
            payload: item.to_json(),
            received_at: now,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        // A plain struct of strings and numbers always serialises.
        serde_json::to_value(self).unwrap_or_default()
    }

    /// What the AI reads of a customer's message, and what the transcript shows.
    pub fn customer_text(&self) -> Option<String> {
        match &self.event {
            ItemEvent::Message { text: Some(text), .. } if !text.trim().is_empty() => Some(text.clone()),
            ItemEvent::Message { quick_reply_payload: Some(payload), .. } => Some(payload.clone()),
            ItemEvent::Postback { title, payload, .. } => {
                Some(if title.trim().is_empty() { payload.clone() } else { title.clone() })
            }
            _ => None,
        }
    }
}

impl From<&EventKind> for ItemEvent {
    fn from(kind: &EventKind) -> Self {
        match kind.clone() {
            EventKind::Message { mid, text, quick_reply_payload, attachments, referral } => Self::Message {
                mid,
                text,
                quick_reply_payload,
                attachments: attachments
                    .into_iter()
                    .map(|a| Attachment { kind: a.kind, url: a.url })
                    .collect(),
                referral,
            },
            EventKind::Echo { mid, app_id, text, metadata } => Self::Echo { mid, app_id, text, metadata },
            EventKind::Postback { mid, title, payload, referral } => {
                Self::Postback { mid, title, payload, referral }
            }
            EventKind::Delivery { mids, watermark } => Self::Delivery { mids, watermark },
            EventKind::Read { watermark } => Self::Read { watermark },
            EventKind::Referral { referral } => Self::Referral { referral },
            EventKind::Unsupported { what } => Self::Unsupported { what },
        }
    }
}
