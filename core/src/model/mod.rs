//! The domain model: plain data with its rules (validation, the campaign status
//! machine), shared by the daemon, the console and the command line.

mod analytics;
mod campaign;
mod chat;
mod ids;
mod inbox;
mod integration;
mod knowledge;
mod leo;
pub mod money;
mod time;
mod user;
pub mod validate;

pub use analytics::{AnalyticsDay, AnalyticsQuery, Metrics};
pub use campaign::{
    Campaign, CampaignStats, CampaignStatus, ChatFlow, Money, Product, QualificationQuestion, Transition,
    TransitionError,
};
pub use chat::{
    Attachment, Chat, ChatMode, ChatQuery, ChatStatus, ChatUpdate, Conversion, Cursor, DeliveryState,
    FlowStep, LeadReason, LeadScore, Message, MessageQuery, NewChat, Page, QuickReply, Sender,
};
pub use ids::{
    CampaignId, ChatId, DocumentId, IntegrationId, LeaseId, LeoConversationId, MessageId, SessionId, UserId,
};
pub use inbox::{Enqueued, InboxClaim, InboxEvent, InboxStatus, NewInboxEvent};
pub use integration::{Integration, IntegrationStatus, Platform, SealedToken};
pub use knowledge::{KnowledgeStatus, Training};
pub use leo::{LeoConversation, LeoRole, LeoTurn};
pub use time::Timestamp;
pub use user::{
    BusinessInfo, Document, DocumentMeta, Email, PasswordHash, Role, Session, SessionTokens, TokenHash,
    TokenKind, User,
};
pub use validate::{Problem, ValidationError};
