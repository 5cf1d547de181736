//! Live events: what `closerd` pushes to a business's consoles over `GET /api/v1/ws`.
//! This is the wire contract the daemon, the console and the command line share, so it
//! is plain serde data with no runtime attached.
//!
//! One WebSocket text frame carries one [`LiveEvent`]:
//!
//! ```json
//! {"seq":1764028800000001,"at":"2026-11-20T09:00:00.000Z","type":"chat.message","chat_id":"…","message":{…}}
//! ```
//!
//! `seq` increases by one with each event of a business. A console keeps the last one it
//! saw and reconnects with `?last_seq=N` to get what it missed; when that is no longer
//! possible it gets a [`Event::Resync`] and reloads through the REST API.
//!
//! Compatibility: new event types and new fields are added without notice, and a
//! console must ignore what it does not know (unknown types read as
//! [`Event::Unknown`]). Renaming or removing anything bumps [`EVENTS_VERSION`], which
//! the daemon announces in the `x-closer-events-version` header of the upgrade.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::{
    Campaign, CampaignId, Chat, ChatId, DeliveryState, Integration, IntegrationId, IntegrationStatus,
    KnowledgeStatus, Message, MessageId, Metrics, Platform, Timestamp,
};

/// The version of this contract; bumped only by changes an older console would misread.
pub const EVENTS_VERSION: u32 = 1;

/// The response header of the WebSocket upgrade that carries [`EVENTS_VERSION`].
pub const EVENTS_VERSION_HEADER: &str = "x-closer-events-version";

/// One event as sent: its place in the business's sequence, when it happened, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveEvent {
    /// Increases by one per event of this business. The first value of a daemon run
    /// is derived from the time it started, so a number from an earlier run is always
    /// older than anything the current run can replay and leads to a `resync`.
    pub seq: u64,
    pub at: Timestamp,
    #[serde(flatten)]
    pub event: Event,
}

/// What happened. Tagged by `type` with dotted names, the rest of the fields beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum Event {
    /// A customer wrote for the first time.
    #[serde(rename = "chat.created")]
    ChatCreated { chat: Chat },

    /// A message was added to a chat: from the customer, the AI or the owner.
    #[serde(rename = "chat.message")]
    ChatMessage {
        /// The same as `message.chat_id`, at the top so a console can route the event
        /// without looking inside.
        chat_id: ChatId,
        message: Message,
    },

    /// A chat's state changed (status, mode, lead score, conversion): the whole chat,
    /// so a console replaces its copy instead of patching it.
    #[serde(rename = "chat.updated")]
    ChatUpdated { chat: Chat },

    /// The AI asked for a person: the console makes this chat stand out.
    #[serde(rename = "chat.handoff_requested")]
    HandoffRequested {
        chat_id: ChatId,
        /// For the owner, e.g. "the customer asked to talk to a person".
        reason: String,
    },

    /// An outgoing message moved on (sent, delivered, read).
    #[serde(rename = "message.delivery")]
    MessageDelivery { chat_id: ChatId, message_id: MessageId, delivery: DeliveryState },

    /// An outgoing message was given up on after its retries: the owner must know,
    /// because the customer got no answer.
    #[serde(rename = "message.failed")]
    MessageFailed {
        chat_id: ChatId,
        message_id: MessageId,
        /// For the owner: what the platform said, never a token.
        error: String,
    },

    /// A campaign was created or changed (fields, status, stats).
    #[serde(rename = "campaign.updated")]
    CampaignUpdated { campaign: Campaign },

    /// A draft campaign was deleted.
    #[serde(rename = "campaign.deleted")]
    CampaignDeleted { campaign_id: CampaignId },

    /// A page connection changed status, e.g. Facebook refused the token.
    #[serde(rename = "integration.updated")]
    IntegrationUpdated {
        integration: IntegrationSummary,
        /// What the owner should do about it, when there is something to do.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },

    /// Counters moved: the increment and where it was counted, so a dashboard adds it
    /// to what it shows instead of reloading.
    #[serde(rename = "analytics.updated")]
    AnalyticsUpdated {
        campaign_id: Option<CampaignId>,
        platform: Platform,
        /// The UTC day and hour (0–23) the increment was counted in.
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        date: NaiveDate,
        hour: u8,
        increment: Metrics,
    },

    /// The knowledge base was trained again (the owner asked, or its facts changed):
    /// from now on the AI answers from it.
    #[serde(rename = "knowledge.trained")]
    KnowledgeTrained { knowledge: KnowledgeStatus },

    /// The AI provider failed in a way the owner should see (a refused key, an
    /// exhausted quota, an outage).
    #[serde(rename = "ai.provider_failed")]
    AiProviderFailed {
        /// `openai`, or the configured provider's name.
        provider: String,
        /// For the owner; never the key or the prompt.
        error: String,
        /// The chat being answered, if it was a customer reply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chat_id: Option<ChatId>,
        /// Whether the rule-based provider answered instead.
        fell_back: bool,
    },

    /// The console missed events that can no longer be replayed: it must reload its
    /// state through the REST API and carry on from this event's `seq`.
    #[serde(rename = "resync")]
    Resync { reason: ResyncReason },

    /// An event type this build does not know (a newer daemon): ignore it. Never sent.
    #[serde(other, rename = "unknown")]
    Unknown,
}

impl Event {
    /// The `type` on the wire, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ChatCreated { .. } => "chat.created",
            Self::ChatMessage { .. } => "chat.message",
            Self::ChatUpdated { .. } => "chat.updated",
            Self::HandoffRequested { .. } => "chat.handoff_requested",
            Self::MessageDelivery { .. } => "message.delivery",
            Self::MessageFailed { .. } => "message.failed",
            Self::CampaignUpdated { .. } => "campaign.updated",
            Self::CampaignDeleted { .. } => "campaign.deleted",
            Self::IntegrationUpdated { .. } => "integration.updated",
            Self::AnalyticsUpdated { .. } => "analytics.updated",
            Self::KnowledgeTrained { .. } => "knowledge.trained",
            Self::AiProviderFailed { .. } => "ai.provider_failed",
            Self::Resync { .. } => "resync",
            Self::Unknown => "unknown",
        }
    }
}

/// Why a console has to reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ResyncReason {
    /// The events after `last_seq` are no longer kept (too many since, or from an
    /// earlier run of the daemon).
    TooOld,
    /// `last_seq` is ahead of this daemon's sequence: it was never sent by this run.
    Unknown,
}

/// An integration as consoles and the API show it: never its token, not even sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationSummary {
    pub id: IntegrationId,
    pub platform: Platform,
    pub page_id: String,
    pub page_name: String,
    pub status: IntegrationStatus,
    pub connected_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<&Integration> for IntegrationSummary {
    fn from(integration: &Integration) -> Self {
        Self {
            id: integration.id,
            platform: integration.platform,
            page_id: integration.page_id.clone(),
            page_name: integration.page_name.clone(),
            status: integration.status,
            connected_at: integration.connected_at,
            updated_at: integration.updated_at,
        }
    }
}

#[cfg(test)]
mod tests;
