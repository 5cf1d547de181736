//! The `mongodb` backend: the official driver, for deployments that outgrow one machine
//! (several `closerd` on one replica set or a sharded cluster).
//!
//! Every record is one document whose `_id` is the model's id (text). What the
//! embedded store does in a transaction is done here with single-document atomic
//! operations (upserts, `$inc`, compare-and-swap filters) backed by unique indexes, so
//! nothing needs a multi-document transaction and a standalone server works too.
//! Where one call writes two documents (a message and its chat's counters), a
//! failure between them is undone; only a crash there leaves a counter off by one.
//! Each area lives in its own submodule; this file holds the handles and routes the
//! trait's methods.

mod analytics;
mod assistant;
mod batch;
mod campaigns;
mod chats;
mod codec;
mod connect;
mod counters;
mod documents;
mod inbox;
mod indexes;
mod integrations;
mod messages;
mod statements;
#[cfg(test)]
mod tests;
mod users;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mongodb::bson::{Document, doc};
use mongodb::{Collection, Database};

use super::{Result, Store, StoreError};
use crate::model::{
    AnalyticsDay, AnalyticsQuery, Campaign, CampaignId, CampaignStats, CampaignStatus, Chat, ChatId,
    ChatQuery, ChatUpdate, Conversion, DeliveryState, Document as KbDocument, DocumentId, DocumentMeta,
    Email, Enqueued, InboxClaim, InboxEvent, Integration, IntegrationId, IntegrationStatus, KnowledgeStatus,
    LeaseId, LeoConversation, LeoConversationId, Message, MessageId, MessageQuery, Metrics, NewChat,
    NewInboxEvent, Page, Platform, Session, SessionId, SessionTokens, Timestamp, TokenHash, TokenKind,
    Training, User, UserId,
};
use codec::DriverResult;

/// The `mongodb` backend of [`Store`].
#[derive(Debug, Clone)]
pub struct MongoStore {
    db: Database,
    c: Collections,
    /// The leases this process handed out and what they still hold: lets the last
    /// event of a claim end its lease in the same round trip.
    leases: Arc<inbox::LeaseBook>,
    /// The writes that go to the server together when they come together, and the
    /// claims, served in rounds: racing each other for the same oldest conversations,
    /// 128 workers made nine lease writes in ten for nothing (mongod's own counters),
    /// and one claim at a time capped the pipeline at about 120 a second.
    batches: Arc<batch::Batches>,
}

/// The collections, opened once: a `Collection` handle is cheap to clone but naming
/// them in one place keeps the names from drifting between modules.
#[derive(Debug, Clone)]
struct Collections {
    /// For the commands the driver has no call for (several statements at once).
    db: Database,
    users: Collection<Document>,
    sessions: Collection<Document>,
    documents: Collection<Document>,
    integrations: Collection<Document>,
    campaigns: Collection<Document>,
    chats: Collection<Document>,
    messages: Collection<Document>,
    inbox: Collection<Document>,
    analytics: Collection<Document>,
    /// One training record per business, `_id` the business.
    knowledge: Collection<Document>,
    leo_conversations: Collection<Document>,
}

impl Collections {
    fn new(db: &Database) -> Self {
        Self {
            db: db.clone(),
            users: db.collection("users"),
            sessions: db.collection("sessions"),
            documents: db.collection("documents"),
            integrations: db.collection("integrations"),
            campaigns: db.collection("campaigns"),
            chats: db.collection("chats"),
            messages: db.collection("messages"),
            inbox: db.collection("inbox"),
            analytics: db.collection("analytics"),
            knowledge: db.collection("knowledge"),
            leo_conversations: db.collection("leo_conversations"),
        }
    }
}

impl MongoStore {
    /// Connects to `url` (`mongodb://…` or `mongodb+srv://…`; the database is the
    /// URL's path, `closer` when it has none), checks that the server answers, and
    /// creates the indexes that are missing.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let db = connect::connect(url).await?;
        let c = Collections::new(&db);
        indexes::create(&c).await.map_err(|e| match e {
            StoreError::Backend(message) | StoreError::Unavailable(message) => {
                StoreError::Unavailable(connect::scrub_password(
                    &format!("cannot create the indexes in MongoDB database {:?}: {message}", db.name()),
                    url,
                ))
            }
            other => other,
        })?;
        Ok(Self { db, c, leases: Arc::default(), batches: Arc::default() })
    }

    /// The database this store works in.
    pub fn database_name(&self) -> &str {
        self.db.name()
    }

    /// Drops every collection of this store's database: for tests, which each work
    /// in a database of their own.
    #[cfg(test)]
    pub(crate) async fn drop_database(&self) -> Result<()> {
        self.db.drop().await.db()
    }
}

#[async_trait]
impl Store for MongoStore {
    fn backend(&self) -> &'static str {
        "mongodb"
    }

    async fn ping(&self) -> Result<()> {
        self.db.run_command(doc! { "ping": 1 }).await.db().map(drop)
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        user.validate()?;
        users::create_user(&self.c, user).await
    }

    async fn get_user(&self, id: UserId) -> Result<User> {
        users::get_user(&self.c, id).await
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>> {
        users::find_user_by_email(&self.c, email).await
    }

    async fn update_user(&self, user: &User) -> Result<()> {
        user.validate()?;
        users::update_user(&self.c, user).await
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        users::create_session(&self.c, session).await
    }

    async fn find_session(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<Session>> {
        users::find_session(&self.c, kind, hash).await
    }

    async fn rotate_session(
        &self,
        id: SessionId,
        presented_refresh: &TokenHash,
        next: &SessionTokens,
        now: Timestamp,
    ) -> Result<Session> {
        users::rotate_session(&self.c, id, presented_refresh, next, now).await
    }

    async fn revoke_session(&self, tenant: UserId, id: SessionId) -> Result<()> {
        users::revoke_session(&self.c, tenant, id).await
    }

    async fn revoke_sessions(&self, tenant: UserId) -> Result<u64> {
        users::revoke_sessions(&self.c, tenant).await
    }

    async fn add_document(&self, document: &KbDocument) -> Result<()> {
        document.validate()?;
        documents::add_document(&self.c, document).await
    }

    async fn list_documents(&self, tenant: UserId) -> Result<Vec<DocumentMeta>> {
        documents::list_documents(&self.c, tenant).await
    }

    async fn get_document(&self, tenant: UserId, id: DocumentId) -> Result<KbDocument> {
        documents::get_document(&self.c, tenant, id).await
    }

    async fn delete_document(&self, tenant: UserId, id: DocumentId) -> Result<()> {
        documents::delete_document(&self.c, tenant, id).await
    }

    async fn record_training(&self, training: &Training) -> Result<KnowledgeStatus> {
        assistant::record_training(&self.c, training).await
    }

    async fn knowledge_status(&self, tenant: UserId) -> Result<Option<KnowledgeStatus>> {
        assistant::knowledge_status(&self.c, tenant).await
    }

    async fn save_leo_conversation(&self, conversation: &LeoConversation) -> Result<()> {
        conversation.validate()?;
        assistant::save_leo_conversation(&self.c, conversation).await
    }

    async fn get_leo_conversation(&self, tenant: UserId, id: LeoConversationId) -> Result<LeoConversation> {
        assistant::get_leo_conversation(&self.c, tenant, id).await
    }

    async fn upsert_integration(&self, integration: &Integration) -> Result<Integration> {
        integration.validate()?;
        integrations::upsert_integration(&self.c, integration).await
    }

    async fn get_integration(&self, tenant: UserId, id: IntegrationId) -> Result<Integration> {
        integrations::get_integration(&self.c, tenant, id).await
    }

    async fn list_integrations(&self, tenant: UserId) -> Result<Vec<Integration>> {
        integrations::list_integrations(&self.c, tenant).await
    }

    async fn find_integration_by_page(
        &self,
        platform: Platform,
        page_id: &str,
    ) -> Result<Option<Integration>> {
        integrations::find_integration_by_page(&self.c, platform, page_id).await
    }

    async fn set_integration_status(
        &self,
        tenant: UserId,
        id: IntegrationId,
        status: IntegrationStatus,
        now: Timestamp,
    ) -> Result<()> {
        integrations::set_integration_status(&self.c, tenant, id, status, now).await
    }

    async fn create_campaign(&self, campaign: &Campaign) -> Result<()> {
        campaign.validate()?;
        campaigns::create_campaign(&self.c, campaign).await
    }

    async fn get_campaign(&self, tenant: UserId, id: CampaignId) -> Result<Campaign> {
        campaigns::get_campaign(&self.c, tenant, id).await
    }

    async fn list_campaigns(&self, tenant: UserId, status: Option<CampaignStatus>) -> Result<Vec<Campaign>> {
        campaigns::list_campaigns(&self.c, tenant, status).await
    }

    async fn update_campaign(&self, campaign: &Campaign) -> Result<Campaign> {
        campaign.validate()?;
        campaigns::update_campaign(&self.c, campaign).await
    }

    async fn delete_campaign(&self, tenant: UserId, id: CampaignId) -> Result<()> {
        campaigns::delete_campaign(&self.c, tenant, id).await
    }

    async fn set_default_campaign(&self, tenant: UserId, id: CampaignId, now: Timestamp) -> Result<Campaign> {
        campaigns::set_default_campaign(&self.c, tenant, id, now).await
    }

    async fn default_campaign(&self, tenant: UserId, platform: Platform) -> Result<Option<Campaign>> {
        campaigns::default_campaign(&self.c, tenant, platform).await
    }

    async fn add_campaign_stats(&self, tenant: UserId, id: CampaignId, delta: &CampaignStats) -> Result<()> {
        campaigns::add_campaign_stats(&self.c, &self.batches.campaign_stats, tenant, id, delta).await
    }

    async fn find_or_create_chat(&self, new: &NewChat) -> Result<(Chat, bool)> {
        new.validate()?;
        chats::find_or_create_chat(&self.c, &self.batches.chat_opens, new).await
    }

    async fn get_chat(&self, tenant: UserId, id: ChatId) -> Result<Chat> {
        chats::get_chat(&self.c, &self.batches.chat_reads, tenant, id).await
    }

    async fn update_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        update: &ChatUpdate,
        now: Timestamp,
    ) -> Result<Chat> {
        update.validate()?;
        chats::update_chat(&self.c, &self.batches, tenant, id, update, now).await
    }

    async fn convert_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        conversion: &Conversion,
        now: Timestamp,
    ) -> Result<Chat> {
        chats::convert_chat(&self.c, tenant, id, conversion, now).await
    }

    async fn list_chats(&self, tenant: UserId, query: &ChatQuery) -> Result<Page<Chat>> {
        chats::list_chats(&self.c, tenant, query).await
    }

    async fn append_message(&self, message: &Message) -> Result<()> {
        message.validate()?;
        messages::append_message(&self.c, &self.batches, message).await
    }

    async fn append_reply(&self, messages: &[Message], update: &ChatUpdate, now: Timestamp) -> Result<Chat> {
        let chat = Message::validate_reply(messages)?;
        update.validate()?;
        messages::append_reply(&self.c, &self.batches, chat, messages, update, now).await
    }

    async fn finish_reply(&self, tenant: UserId, first: MessageId) -> Result<Option<(Chat, ChatUpdate)>> {
        messages::finish_reply(&self.c, tenant, first).await
    }

    async fn list_messages(
        &self,
        tenant: UserId,
        chat: ChatId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        messages::list_messages(&self.c, tenant, chat, query).await
    }

    async fn recent_messages(&self, tenant: UserId, chat: ChatId, limit: usize) -> Result<Vec<Message>> {
        messages::recent_messages(&self.c, tenant, chat, limit).await
    }

    async fn get_message(&self, tenant: UserId, id: MessageId) -> Result<Message> {
        messages::get_message(&self.c, tenant, id).await
    }

    async fn unsettled_messages(&self, before: Timestamp, limit: usize) -> Result<Vec<Message>> {
        messages::unsettled_messages(&self.c, before, limit).await
    }

    async fn fail_unsettled_message(
        &self,
        tenant: UserId,
        id: MessageId,
        before: Timestamp,
        why: &str,
    ) -> Result<bool> {
        messages::fail_unsettled_message(&self.c, tenant, id, before, why).await
    }

    async fn find_message_by_platform_id(
        &self,
        tenant: UserId,
        platform_message_id: &str,
    ) -> Result<Option<Message>> {
        messages::find_message_by_platform_id(&self.c, tenant, platform_message_id).await
    }

    async fn set_message_delivery(
        &self,
        tenant: UserId,
        id: MessageId,
        delivery: DeliveryState,
        platform_message_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        messages::set_message_delivery(
            &self.c,
            &self.batches.deliveries,
            tenant,
            id,
            delivery,
            platform_message_id,
            error,
        )
        .await
    }

    async fn inbox_enqueue(&self, event: &NewInboxEvent) -> Result<Enqueued> {
        event.validate()?;
        inbox::enqueue(&self.c, &self.batches.enqueues, event).await
    }

    async fn inbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_for: Duration,
        max_events: usize,
    ) -> Result<Option<InboxClaim>> {
        let wanted = inbox::Wanted { owner: owner.to_owned(), now, lease_for, max_events };
        inbox::claim(&self.c, &self.leases, &self.batches.claims, wanted).await
    }

    async fn inbox_extend(&self, lease: LeaseId, until: Timestamp) -> Result<()> {
        inbox::extend(&self.c, lease, until).await
    }

    async fn inbox_complete(&self, lease: LeaseId, key: &str) -> Result<()> {
        inbox::complete(&self.c, &self.leases, &self.batches, lease, key).await
    }

    async fn inbox_fail(
        &self,
        lease: LeaseId,
        key: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        inbox::fail(&self.c, &self.leases, &self.batches, lease, key, error, retry_at).await
    }

    async fn inbox_release(&self, lease: LeaseId) -> Result<()> {
        inbox::release(&self.c, &self.leases, &self.batches, lease).await
    }

    async fn inbox_give_back(
        &self,
        lease: LeaseId,
        failed: &[String],
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        inbox::give_back(&self.c, &self.leases, &self.batches, lease, failed, error, retry_at).await
    }

    async fn inbox_get(&self, key: &str) -> Result<InboxEvent> {
        inbox::get(&self.c, key).await
    }

    async fn inbox_forget_handled(&self, before: Timestamp, limit: usize) -> Result<usize> {
        inbox::forget_handled(&self.c, before, limit).await
    }

    async fn record_analytics(
        &self,
        tenant: UserId,
        campaign: Option<CampaignId>,
        platform: Platform,
        at: Timestamp,
        delta: &Metrics,
    ) -> Result<()> {
        analytics::record(&self.c, &self.batches.increments, tenant, campaign, platform, at, delta).await
    }

    async fn analytics(&self, tenant: UserId, query: &AnalyticsQuery) -> Result<Vec<AnalyticsDay>> {
        analytics::query(&self.c, tenant, query).await
    }
}
