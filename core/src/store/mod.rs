//! Storage: one [`Store`] trait, two backends behind it.
//!
//! - `sqlite` (feature `sqlite`): the embedded default, one file, nothing to install.
//! - `mongodb` (feature `mongodb`): for deployments that outgrow one machine.
//!
//! [`open`] chooses by the URL's scheme. Both backends pass the same conformance
//! suite (`core/tests/store_conformance.rs`). Every method that reads or changes a
//! business's data takes its [`UserId`]: through this trait there is no way to reach
//! another business's records. The few that are not scoped say why.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::model::{
    AnalyticsDay, AnalyticsQuery, Campaign, CampaignId, CampaignStats, CampaignStatus, Chat, ChatId,
    ChatQuery, ChatUpdate, Conversion, DeliveryState, Document, DocumentId, DocumentMeta, Email, Enqueued,
    InboxClaim, InboxEvent, Integration, IntegrationId, IntegrationStatus, KnowledgeStatus, LeaseId,
    LeoConversation, LeoConversationId, Message, MessageId, MessageQuery, Metrics, NewChat, NewInboxEvent,
    Page, Platform, Session, SessionId, SessionTokens, Timestamp, TokenHash, TokenKind, Training, User,
    UserId, ValidationError,
};

pub use crate::config::redact_url;

pub mod cache;
#[cfg(feature = "mongodb")]
pub mod mongodb;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// Why a store operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Nothing of that kind with that id for this business.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The write clashes with what is stored (a taken email, a stale version, a lost
    /// lease); the message says which.
    #[error("{0}")]
    Conflict(String),
    /// The value was refused before it reached the store.
    #[error("invalid value: {0}")]
    Invalid(#[from] ValidationError),
    /// The store cannot be reached or opened; trying again later may work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The store answered with something we cannot read: a bug or a damaged record.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// Any other failure of the backend.
    #[error("store error: {0}")]
    Backend(String),
}

impl StoreError {
    pub fn not_found(what: &'static str) -> Self {
        Self::NotFound { what }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything Closer keeps. See the module docs for the tenant rule.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// `"sqlite"` or `"mongodb"`.
    fn backend(&self) -> &'static str;

    /// Answers when the store is reachable and usable.
    async fn ping(&self) -> Result<()>;

    // ── Accounts ────────────────────────────────────────────────────────────────

    /// Conflict when the email is taken.
    async fn create_user(&self, user: &User) -> Result<()>;
    async fn get_user(&self, id: UserId) -> Result<User>;
    /// Not tenant-scoped: logging in is how a tenant is found.
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>>;
    /// Replaces the account's business information, onboarding state and password.
    async fn update_user(&self, user: &User) -> Result<()>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    /// Not tenant-scoped: a token is how a request's tenant is found. Expired tokens
    /// are still returned; the caller decides with its clock.
    async fn find_session(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<Session>>;
    /// Replaces the session's tokens if `presented_refresh` is still its refresh token;
    /// otherwise Conflict, so a refresh token works once.
    async fn rotate_session(
        &self,
        id: SessionId,
        presented_refresh: &TokenHash,
        next: &SessionTokens,
        now: Timestamp,
    ) -> Result<Session>;
    async fn revoke_session(&self, tenant: UserId, id: SessionId) -> Result<()>;
    /// Revokes every session of the account; returns how many there were.
    async fn revoke_sessions(&self, tenant: UserId) -> Result<u64>;

    // ── Knowledge-base documents ────────────────────────────────────────────────

    /// Conflict when the business already has [`Document::MAX_PER_BUSINESS`].
    async fn add_document(&self, document: &Document) -> Result<()>;
    async fn list_documents(&self, tenant: UserId) -> Result<Vec<DocumentMeta>>;
    async fn get_document(&self, tenant: UserId, id: DocumentId) -> Result<Document>;
    async fn delete_document(&self, tenant: UserId, id: DocumentId) -> Result<()>;

    /// Records a training of the business's knowledge base and returns its status,
    /// the version one more than the last, atomically.
    async fn record_training(&self, training: &Training) -> Result<KnowledgeStatus>;
    /// `None` until the first training.
    async fn knowledge_status(&self, tenant: UserId) -> Result<Option<KnowledgeStatus>>;

    // ── Leo, the owner's assistant ──────────────────────────────────────────────

    /// Creates or replaces the conversation. Conflict when its id belongs to another
    /// business.
    async fn save_leo_conversation(&self, conversation: &LeoConversation) -> Result<()>;
    async fn get_leo_conversation(&self, tenant: UserId, id: LeoConversationId) -> Result<LeoConversation>;

    // ── Integrations ────────────────────────────────────────────────────────────

    /// Connects a page, keyed by platform and page id: a page this business had is
    /// updated (token, name, status); a page another business holds is a Conflict
    /// unless that business disconnected it. Returns what is stored (its id is the
    /// existing one when the page was known).
    async fn upsert_integration(&self, integration: &Integration) -> Result<Integration>;
    async fn get_integration(&self, tenant: UserId, id: IntegrationId) -> Result<Integration>;
    async fn list_integrations(&self, tenant: UserId) -> Result<Vec<Integration>>;
    /// Not tenant-scoped: a webhook names only the page, and this finds its business.
    async fn find_integration_by_page(
        &self,
        platform: Platform,
        page_id: &str,
    ) -> Result<Option<Integration>>;
    async fn set_integration_status(
        &self,
        tenant: UserId,
        id: IntegrationId,
        status: IntegrationStatus,
        now: Timestamp,
    ) -> Result<()>;

    // ── Campaigns ───────────────────────────────────────────────────────────────

    async fn create_campaign(&self, campaign: &Campaign) -> Result<()>;
    async fn get_campaign(&self, tenant: UserId, id: CampaignId) -> Result<Campaign>;
    /// Newest first.
    async fn list_campaigns(&self, tenant: UserId, status: Option<CampaignStatus>) -> Result<Vec<Campaign>>;
    /// Saves a changed campaign if `campaign.version` is the stored version (else
    /// Conflict) and returns it with the version bumped. The default mark and the
    /// stats are not changed here: see [`Store::set_default_campaign`] and
    /// [`Store::add_campaign_stats`].
    async fn update_campaign(&self, campaign: &Campaign) -> Result<Campaign>;
    /// Deletes a draft; Conflict for any other status (its chats and numbers refer to it).
    async fn delete_campaign(&self, tenant: UserId, id: CampaignId) -> Result<()>;
    /// Marks an active campaign as its platform's default and unmarks the previous one.
    async fn set_default_campaign(&self, tenant: UserId, id: CampaignId, now: Timestamp) -> Result<Campaign>;
    async fn default_campaign(&self, tenant: UserId, platform: Platform) -> Result<Option<Campaign>>;
    /// Adds to the campaign's running totals, atomically.
    async fn add_campaign_stats(&self, tenant: UserId, id: CampaignId, delta: &CampaignStats) -> Result<()>;

    // ── Chats and messages ──────────────────────────────────────────────────────

    /// The chat of this customer on this platform with this business, created if it
    /// does not exist, atomically: concurrent calls get the same chat. `true` when
    /// this call created it.
    async fn find_or_create_chat(&self, new: &NewChat) -> Result<(Chat, bool)>;
    async fn get_chat(&self, tenant: UserId, id: ChatId) -> Result<Chat>;
    async fn update_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        update: &ChatUpdate,
        now: Timestamp,
    ) -> Result<Chat>;
    /// Records the sale: status `converted` and `conversion`, atomically, once.
    /// Conflict when the chat is converted already (two owners clicking at once count
    /// one sale).
    async fn convert_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        conversion: &Conversion,
        now: Timestamp,
    ) -> Result<Chat>;
    /// Newest activity first, with a cursor for the next page.
    async fn list_chats(&self, tenant: UserId, query: &ChatQuery) -> Result<Page<Chat>>;

    /// Appends a message to its chat and moves the chat's activity times. Conflict if
    /// a message with the same platform message id is stored already.
    async fn append_message(&self, message: &Message) -> Result<()>;
    /// Appends an answer to its chat: `messages` (of one chat, in order) and what the
    /// answer changes about the chat (`update`, which may change nothing), in one
    /// write, and returns the chat as it is now. Conflict, with nothing written, when
    /// one of the messages is stored already; not found when the chat is not the
    /// business's. On SQLite it is one transaction; MongoDB, without transactions,
    /// stores the messages first, keeping the change with them, and then moves the
    /// chat in one statement: see [`Store::finish_reply`].
    async fn append_reply(&self, messages: &[Message], update: &ChatUpdate, now: Timestamp) -> Result<Chat>;
    /// Applies the change of an answer found stored (`first` is its first message) if
    /// its chat has taken neither it nor a later answer's: a store that writes the two
    /// apart (MongoDB) may have stopped in between. Returns the chat and the change
    /// when this call applied it; `None` when there is nothing left to do, always on
    /// SQLite.
    async fn finish_reply(&self, tenant: UserId, first: MessageId) -> Result<Option<(Chat, ChatUpdate)>>;
    /// Oldest first, with a cursor for the next page.
    async fn list_messages(
        &self,
        tenant: UserId,
        chat: ChatId,
        query: &MessageQuery,
    ) -> Result<Page<Message>>;
    /// The chat's latest `limit` messages, oldest first: the history an answer needs.
    async fn recent_messages(&self, tenant: UserId, chat: ChatId, limit: usize) -> Result<Vec<Message>>;
    async fn get_message(&self, tenant: UserId, id: MessageId) -> Result<Message>;
    async fn find_message_by_platform_id(
        &self,
        tenant: UserId,
        platform_message_id: &str,
    ) -> Result<Option<Message>>;
    /// Records how far an outgoing message got (and the platform's id once it has
    /// one), or why it failed.
    async fn set_message_delivery(
        &self,
        tenant: UserId,
        id: MessageId,
        delivery: DeliveryState,
        platform_message_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<()>;

    /// Our outgoing messages still `Pending` or `Sending` that were written before
    /// `before`, every business's, oldest first, at most `limit`: sends that a process
    /// stopped in the middle of, or whose work was given up.
    async fn unsettled_messages(&self, before: Timestamp, limit: usize) -> Result<Vec<Message>>;
    /// Marks the message `Failed` for `why` if it is still one of those (unsettled,
    /// written before `before`); says whether it did. A message that moved on since it
    /// was listed (sent at last, by a worker or an echo) is left as it is.
    async fn fail_unsettled_message(
        &self,
        tenant: UserId,
        id: MessageId,
        before: Timestamp,
        why: &str,
    ) -> Result<bool>;

    // ── The inbox ───────────────────────────────────────────────────────────────
    // Not tenant-scoped: workers serve every business; each event carries its tenant.

    /// Stores an event once per key.
    async fn inbox_enqueue(&self, event: &NewInboxEvent) -> Result<Enqueued>;
    /// Leases the conversation whose waiting event is oldest, among those no live
    /// lease holds, with up to `max_events` of its waiting events (expired leases
    /// count as free: their events are taken again). `None`: nothing to do.
    async fn inbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_for: Duration,
        max_events: usize,
    ) -> Result<Option<InboxClaim>>;
    /// Keeps a lease alive for longer work; Conflict if it was lost.
    async fn inbox_extend(&self, lease: LeaseId, until: Timestamp) -> Result<()>;
    /// Marks one claimed event handled; Conflict if the lease was lost meanwhile.
    /// When it was the last event the lease held, the lease ends: the conversation is
    /// free again without a call to [`Store::inbox_release`].
    async fn inbox_complete(&self, lease: LeaseId, key: &str) -> Result<()>;
    /// Records a failed attempt: back to waiting from `retry_at`, or given up
    /// (`Failed`) when `retry_at` is `None`. Conflict if the lease was lost. Ends the
    /// lease after its last event, as [`Store::inbox_complete`] does.
    async fn inbox_fail(
        &self,
        lease: LeaseId,
        key: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()>;
    /// Lets go of the conversation before all its events are handled (shutdown, an
    /// error): the events still leased wait again. A lease already ended is no error.
    async fn inbox_release(&self, lease: LeaseId) -> Result<()>;
    /// Gives a claim back after the attempt on its events `failed` failed (one event,
    /// or the customer messages a reply was answering): they are tried again from
    /// `retry_at`, or given up (`Failed`) when `retry_at` is `None`. The claim's other
    /// events wait again, untried: their claim no longer counts as an attempt. Events
    /// to be tried again hold back their conversation: the lease stays, under a new
    /// id and with nobody working under it, until `retry_at`, so the customer's later
    /// messages are not handled before the earlier ones. Conflict if the lease was
    /// lost.
    async fn inbox_give_back(
        &self,
        lease: LeaseId,
        failed: &[String],
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()>;
    async fn inbox_get(&self, key: &str) -> Result<InboxEvent>;
    /// Forgets up to `limit` handled (`Done`) events that were last due before
    /// `before` (received then, or retried then), oldest first; says how many.
    /// Waiting, held and failed events stay. A forgotten event delivered again would
    /// be taken as new, so `before` must lie well behind the platforms' redeliveries.
    async fn inbox_forget_handled(&self, before: Timestamp, limit: usize) -> Result<usize>;

    // ── Analytics ───────────────────────────────────────────────────────────────

    /// Adds `delta` to the day and hour of `at`, atomically.
    async fn record_analytics(
        &self,
        tenant: UserId,
        campaign: Option<CampaignId>,
        platform: Platform,
        at: Timestamp,
        delta: &Metrics,
    ) -> Result<()>;
    /// Rows in the range, by date, then campaign, then platform.
    async fn analytics(&self, tenant: UserId, query: &AnalyticsQuery) -> Result<Vec<AnalyticsDay>>;
}

/// Opens the store a URL names: `sqlite://PATH` or `mongodb://…` / `mongodb+srv://…`.
/// Creates what is missing (tables, indexes) and fails fast when unreachable.
// Without a backend compiled in (the clients' build) nothing here awaits.
#[cfg_attr(not(any(feature = "sqlite", feature = "mongodb")), allow(clippy::unused_async))]
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        #[cfg(feature = "sqlite")]
        return Ok(Arc::new(sqlite::SqliteStore::open(std::path::Path::new(path)).await?));
        #[cfg(not(feature = "sqlite"))]
        return Err(StoreError::Unavailable(format!("this build has no SQLite support ({path})")));
    }
    if url.starts_with("mongodb://") || url.starts_with("mongodb+srv://") {
        #[cfg(feature = "mongodb")]
        return Ok(Arc::new(mongodb::MongoStore::open(url).await?));
        #[cfg(not(feature = "mongodb"))]
        return Err(StoreError::Unavailable("this build has no MongoDB support".into()));
    }
    Err(StoreError::Unavailable(format!(
        "unsupported store URL {:?}: expected sqlite://PATH or mongodb://HOST/DATABASE",
        redact_url(url)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unknown_schemes_are_refused_by_name() {
        let err = open("postgres://localhost/x").await.expect_err("unsupported");
        assert!(err.to_string().contains("sqlite://PATH"), "{err}");
    }
}
