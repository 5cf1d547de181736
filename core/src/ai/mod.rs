//! The AI: a knowledge base trained from the business's own facts, the responders that
//! answer customers from it (an OpenAI-compatible model, and deterministic rules that
//! need no network), and the structured reply they both give.
//!
//! The reply is data, never parsed out of free text: the intent, whether the customer
//! asked for a person (`handoff`), the lead signals and the next step of the chat flow
//! are fields that the pipeline acts on.

pub mod breaker;
pub mod knowledge;
pub mod leo;
pub mod openai;
pub mod rules;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use knowledge::KnowledgeBase;
// Where it lived first: a quick reply is part of a message, which the platforms send too.
pub use crate::model::{FlowStep, QuickReply};

use crate::model::{BusinessInfo, Campaign, Sender};

/// What the customer wants, as the responder understood it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Greeting,
    Price,
    /// What the product is, what it does, its features.
    Product,
    Availability,
    Shipping,
    /// "Too expensive", "not sure", "maybe later".
    Objection,
    ReadyToBuy,
    WantsPerson,
    /// Thanks, goodbye.
    Thanks,
    /// An answer to the qualification question just asked.
    QualificationAnswer,
    OffTopic,
}

/// A signal for lead scoring, as observed in the customer's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadSignal {
    AskedPrice,
    AskedProduct,
    AskedAvailabilityOrShipping,
    AnsweredQualification,
    GaveContact,
    BuyingWords,
    Objection,
    NegativeWords,
}

/// A responder's answer to the customer, and what it understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reply {
    pub text: String,
    pub quick_replies: Vec<QuickReply>,
    pub intent: Intent,
    /// The customer wants a person, or the AI cannot help: the chat goes to the owner.
    pub handoff: bool,
    pub signals: Vec<LeadSignal>,
    pub next_step: FlowStep,
    /// Which responder wrote it (`rules`, `openai`), for the owner and the logs.
    pub provider: String,
}

/// One earlier message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub from: Sender,
    pub text: String,
}

/// Everything a responder may use to answer.
#[derive(Debug, Clone, Copy)]
pub struct Conversation<'a> {
    pub business: &'a BusinessInfo,
    /// The chat's campaign; `None` when the chat belongs to none.
    pub campaign: Option<&'a Campaign>,
    pub knowledge: &'a KnowledgeBase,
    /// Oldest first, without the new messages.
    pub history: &'a [Turn],
    /// The customer's new message(s): a burst is answered once, together.
    pub incoming: &'a [String],
    /// Where the flow stood before these messages.
    pub step: FlowStep,
}

/// Why a responder could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    #[error("the model did not answer within {secs} s")]
    Timeout { secs: u64 },
    #[error("the model provider is rate limiting us")]
    RateLimited { retry_after_secs: Option<u64> },
    /// Not retried: the owner must act (billing).
    #[error("the model provider account is out of quota")]
    QuotaExceeded,
    /// Not retried: the owner must act (the key).
    #[error("the model provider refused the API key")]
    Unauthorized,
    #[error("the model provider failed: {0}")]
    Provider(String),
    /// The model answered something we cannot use (bad JSON, missing fields).
    #[error("the model's answer cannot be used: {0}")]
    Malformed(String),
}

impl AiError {
    /// Worth trying again after a pause.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Timeout { .. } | Self::RateLimited { .. } | Self::Provider(_))
    }

    /// Only the owner can mend it (the key, the billing): they are told, not only the log.
    pub fn owner_must_act(&self) -> bool {
        matches!(self, Self::Unauthorized | Self::QuotaExceeded)
    }
}

/// Answers customers.
#[async_trait]
pub trait Responder: Send + Sync + std::fmt::Debug {
    /// `rules`, `openai`, …
    fn name(&self) -> &'static str;

    async fn reply(&self, conversation: &Conversation<'_>) -> Result<Reply, AiError>;
}
