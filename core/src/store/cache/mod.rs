//! A read cache in front of any [`Store`]: a business's configuration (its account,
//! campaigns, integrations, documents and knowledge status) changes when its owner
//! edits it, yet every customer message and every console refresh reads it again.
//! [`CachedStore`] remembers those reads per business for [`FRESH_FOR`].
//!
//! - Writes through the same [`CachedStore`] are seen by the next read at once: each
//!   write that can change a remembered answer forgets it, before and after, or (the
//!   campaign stats every message adds to) applies itself to it.
//! - Writes by another process sharing the database (several `closerd` on one
//!   MongoDB) are seen within [`FRESH_FOR`].
//! - Chats, messages, the inbox, sessions and analytics are never remembered: they
//!   change all the time, and the pipeline relies on reading them fresh (a chat's
//!   mode just before a reply goes out).

mod memo;
#[cfg(all(test, feature = "sqlite"))]
mod tests;

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use self::memo::Memo;
use super::{Result, Store, StoreError};
use crate::clock::{Clock, SystemClock};
use crate::model::{
    AnalyticsDay, AnalyticsQuery, Campaign, CampaignId, CampaignStats, CampaignStatus, Chat, ChatId,
    ChatQuery, ChatUpdate, Conversion, DeliveryState, Document, DocumentId, DocumentMeta, Email, Enqueued,
    InboxClaim, InboxEvent, Integration, IntegrationId, IntegrationStatus, KnowledgeStatus, LeaseId,
    LeoConversation, LeoConversationId, Message, MessageId, MessageQuery, Metrics, NewChat, NewInboxEvent,
    Page, Platform, Session, SessionId, SessionTokens, Timestamp, TokenHash, TokenKind, Training, User,
    UserId,
};

/// How long a remembered read is answered without asking the store again. This is
/// how long a change made by another `closerd` sharing the database can go unseen
/// here (an owner's edit served by one process, the next customer message answered
/// by another). Short, because that is the only cost of staleness to bound; long
/// enough that a customer message's dozen reads of its business's configuration,
/// or a busy console's refreshes, are one read of each.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// The [`Store`] in `inner` with its businesses' configuration remembered; see the
/// module docs for what is remembered and how it is kept exact.
pub struct CachedStore {
    inner: Arc<dyn Store>,
    /// Ages the entries; injected so tests can expire them without sleeping.
    clock: Arc<dyn Clock>,
    fresh_for: Duration,
    users: Memo<UserId, User>,
    /// Each business's campaigns, every status, newest first (as the store lists
    /// them): the one read that answers a campaign by id, a list by status and a
    /// platform's default.
    campaigns: Memo<UserId, Arc<Vec<Campaign>>>,
    /// Each business's integrations. A page can move from one business to another,
    /// so an integration write forgets every business's (and every page's) entry.
    integrations: Memo<UserId, Arc<Vec<Integration>>>,
    /// The integration of a page, or none: how a webhook finds its business.
    pages: Memo<(Platform, String), Option<Integration>>,
    documents: Memo<UserId, Arc<Vec<DocumentMeta>>>,
    knowledge: Memo<UserId, Option<KnowledgeStatus>>,
}

impl CachedStore {
    /// `inner` with reads remembered for [`FRESH_FOR`] by the wall clock.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self::with_clock(inner, Arc::new(SystemClock), FRESH_FOR)
    }

    /// `inner` with reads remembered for `fresh_for`, aged by `clock`.
    pub fn with_clock(inner: Arc<dyn Store>, clock: Arc<dyn Clock>, fresh_for: Duration) -> Self {
        Self {
            inner,
            clock,
            fresh_for,
            users: Memo::new(fresh_for),
            campaigns: Memo::new(fresh_for),
            integrations: Memo::new(fresh_for),
            pages: Memo::new(fresh_for),
            documents: Memo::new(fresh_for),
            knowledge: Memo::new(fresh_for),
        }
    }

    /// The remembered answer for `key`, or `read`'s, remembered unless a write came
    /// while it was read.
    async fn remembered<K, V, F>(&self, memo: &Memo<K, V>, key: K, read: impl FnOnce() -> F) -> Result<V>
    where
        K: Eq + Hash + Clone,
        V: Clone,
        F: Future<Output = Result<V>>,
    {
        let ticket = match memo.get(&key, self.clock.now()) {
            Ok(value) => return Ok(value),
            Err(ticket) => ticket,
        };
        let value = read().await?;
        memo.put(&key, ticket, value.clone());
        Ok(value)
    }

    /// The business's campaigns, every status, newest first, as remembered: shared
    /// rather than copied, for a caller that keeps something made from them (the
    /// REST API keeps the list encoded). A remembered list is never changed in place,
    /// so while it is the same `Arc` ([`Arc::ptr_eq`]) what was made from it is still
    /// good.
    pub async fn shared_campaigns(&self, tenant: UserId) -> Result<Arc<Vec<Campaign>>> {
        self.remembered(&self.campaigns, tenant, || async {
            Ok(Arc::new(self.inner.list_campaigns(tenant, None).await?))
        })
        .await
    }

    async fn integrations(&self, tenant: UserId) -> Result<Arc<Vec<Integration>>> {
        self.remembered(&self.integrations, tenant, || async {
            Ok(Arc::new(self.inner.list_integrations(tenant).await?))
        })
        .await
    }
}

impl std::fmt::Debug for CachedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the entries: they hold accounts and page tokens.
        f.debug_struct("CachedStore")
            .field("inner", &self.inner)
            .field("fresh_for", &self.fresh_for)
            .finish_non_exhaustive()
    }
}

/// Adds a campaign's stats delta to the remembered list, as the store adds it. A new
/// list, never a change in place: see [`CachedStore::shared_campaigns`].
fn add_stats(campaigns: &mut Arc<Vec<Campaign>>, id: CampaignId, delta: &CampaignStats) {
    let mut changed = Vec::clone(campaigns);
    if let Some(campaign) = changed.iter_mut().find(|c| c.id == id) {
        let stats = &mut campaign.stats;
        stats.conversations += delta.conversations;
        stats.leads += delta.leads;
        stats.conversions += delta.conversions;
        stats.revenue_minor += delta.revenue_minor;
        *campaigns = Arc::new(changed);
    }
}

#[async_trait]
impl Store for CachedStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }

    // ── Accounts ────────────────────────────────────────────────────────────────

    async fn create_user(&self, user: &User) -> Result<()> {
        let _writing = self.users.write(user.id);
        self.inner.create_user(user).await
    }

    async fn get_user(&self, id: UserId) -> Result<User> {
        self.remembered(&self.users, id, || self.inner.get_user(id)).await
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>> {
        self.inner.find_user_by_email(email).await
    }

    async fn update_user(&self, user: &User) -> Result<()> {
        let _writing = self.users.write(user.id);
        self.inner.update_user(user).await
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        self.inner.create_session(session).await
    }

    async fn find_session(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<Session>> {
        self.inner.find_session(kind, hash).await
    }

    async fn rotate_session(
        &self,
        id: SessionId,
        presented_refresh: &TokenHash,
        next: &SessionTokens,
        now: Timestamp,
    ) -> Result<Session> {
        self.inner.rotate_session(id, presented_refresh, next, now).await
    }

    async fn revoke_session(&self, tenant: UserId, id: SessionId) -> Result<()> {
        self.inner.revoke_session(tenant, id).await
    }

    async fn revoke_sessions(&self, tenant: UserId) -> Result<u64> {
        self.inner.revoke_sessions(tenant).await
    }

    // ── Knowledge-base documents ────────────────────────────────────────────────

    async fn add_document(&self, document: &Document) -> Result<()> {
        let _writing = self.documents.write(document.user_id);
        self.inner.add_document(document).await
    }

    async fn list_documents(&self, tenant: UserId) -> Result<Vec<DocumentMeta>> {
        let documents = self
            .remembered(&self.documents, tenant, || async {
                Ok(Arc::new(self.inner.list_documents(tenant).await?))
            })
            .await?;
        Ok(documents.to_vec())
    }

    async fn get_document(&self, tenant: UserId, id: DocumentId) -> Result<Document> {
        // The content: read when training only, and too big to keep.
        self.inner.get_document(tenant, id).await
    }

    async fn delete_document(&self, tenant: UserId, id: DocumentId) -> Result<()> {
        let _writing = self.documents.write(tenant);
        self.inner.delete_document(tenant, id).await
    }

    async fn record_training(&self, training: &Training) -> Result<KnowledgeStatus> {
        let _writing = self.knowledge.write(training.user_id);
        self.inner.record_training(training).await
    }

    async fn knowledge_status(&self, tenant: UserId) -> Result<Option<KnowledgeStatus>> {
        self.remembered(&self.knowledge, tenant, || self.inner.knowledge_status(tenant)).await
    }

    // ── Leo, the owner's assistant ──────────────────────────────────────────────

    async fn save_leo_conversation(&self, conversation: &LeoConversation) -> Result<()> {
        self.inner.save_leo_conversation(conversation).await
    }

    async fn get_leo_conversation(&self, tenant: UserId, id: LeoConversationId) -> Result<LeoConversation> {
        self.inner.get_leo_conversation(tenant, id).await
    }

    // ── Integrations ────────────────────────────────────────────────────────────

    async fn upsert_integration(&self, integration: &Integration) -> Result<Integration> {
        // The page may have been another business's: its list changes too.
        let _lists = self.integrations.write_all();
        let _pages = self.pages.write_all();
        self.inner.upsert_integration(integration).await
    }

    async fn get_integration(&self, tenant: UserId, id: IntegrationId) -> Result<Integration> {
        let integrations = self.integrations(tenant).await?;
        integrations.iter().find(|i| i.id == id).cloned().ok_or(StoreError::not_found("integration"))
    }

    async fn list_integrations(&self, tenant: UserId) -> Result<Vec<Integration>> {
        Ok(self.integrations(tenant).await?.to_vec())
    }

    async fn find_integration_by_page(
        &self,
        platform: Platform,
        page_id: &str,
    ) -> Result<Option<Integration>> {
        let key = (platform, page_id.to_owned());
        self.remembered(&self.pages, key, || self.inner.find_integration_by_page(platform, page_id)).await
    }

    async fn set_integration_status(
        &self,
        tenant: UserId,
        id: IntegrationId,
        status: IntegrationStatus,
        now: Timestamp,
    ) -> Result<()> {
        // Only the id is known here, not its page: forget every page.
        let _lists = self.integrations.write_all();
        let _pages = self.pages.write_all();
        self.inner.set_integration_status(tenant, id, status, now).await
    }

    // ── Campaigns ───────────────────────────────────────────────────────────────

    async fn create_campaign(&self, campaign: &Campaign) -> Result<()> {
        let _writing = self.campaigns.write(campaign.user_id);
        self.inner.create_campaign(campaign).await
    }

    async fn get_campaign(&self, tenant: UserId, id: CampaignId) -> Result<Campaign> {
        let campaigns = self.shared_campaigns(tenant).await?;
        campaigns.iter().find(|c| c.id == id).cloned().ok_or(StoreError::not_found("campaign"))
    }

    async fn list_campaigns(&self, tenant: UserId, status: Option<CampaignStatus>) -> Result<Vec<Campaign>> {
        let campaigns = self.shared_campaigns(tenant).await?;
        Ok(campaigns.iter().filter(|c| status.is_none_or(|status| c.status == status)).cloned().collect())
    }

    async fn update_campaign(&self, campaign: &Campaign) -> Result<Campaign> {
        let _writing = self.campaigns.write(campaign.user_id);
        self.inner.update_campaign(campaign).await
    }

    async fn delete_campaign(&self, tenant: UserId, id: CampaignId) -> Result<()> {
        let _writing = self.campaigns.write(tenant);
        self.inner.delete_campaign(tenant, id).await
    }

    async fn set_default_campaign(&self, tenant: UserId, id: CampaignId, now: Timestamp) -> Result<Campaign> {
        let _writing = self.campaigns.write(tenant);
        self.inner.set_default_campaign(tenant, id, now).await
    }

    async fn default_campaign(&self, tenant: UserId, platform: Platform) -> Result<Option<Campaign>> {
        let campaigns = self.shared_campaigns(tenant).await?;
        Ok(campaigns.iter().find(|c| c.is_default && c.platform == platform).cloned())
    }

    async fn add_campaign_stats(&self, tenant: UserId, id: CampaignId, delta: &CampaignStats) -> Result<()> {
        // Every customer message adds to a campaign: keeping the list (with the
        // delta applied) keeps the next message's reads remembered.
        let writing = self.campaigns.update(tenant);
        self.inner.add_campaign_stats(tenant, id, delta).await?;
        writing.apply(|campaigns| add_stats(campaigns, id, delta));
        Ok(())
    }

    // ── Chats and messages ──────────────────────────────────────────────────────

    async fn find_or_create_chat(&self, new: &NewChat) -> Result<(Chat, bool)> {
        self.inner.find_or_create_chat(new).await
    }

    async fn get_chat(&self, tenant: UserId, id: ChatId) -> Result<Chat> {
        self.inner.get_chat(tenant, id).await
    }

    async fn update_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        update: &ChatUpdate,
        now: Timestamp,
    ) -> Result<Chat> {
        self.inner.update_chat(tenant, id, update, now).await
    }

    async fn convert_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        conversion: &Conversion,
        now: Timestamp,
    ) -> Result<Chat> {
        self.inner.convert_chat(tenant, id, conversion, now).await
    }

    async fn list_chats(&self, tenant: UserId, query: &ChatQuery) -> Result<Page<Chat>> {
        self.inner.list_chats(tenant, query).await
    }

    async fn append_message(&self, message: &Message) -> Result<()> {
        self.inner.append_message(message).await
    }

    async fn append_reply(&self, messages: &[Message], update: &ChatUpdate, now: Timestamp) -> Result<Chat> {
        self.inner.append_reply(messages, update, now).await
    }

    async fn finish_reply(&self, tenant: UserId, first: MessageId) -> Result<Option<(Chat, ChatUpdate)>> {
        self.inner.finish_reply(tenant, first).await
    }

    async fn list_messages(
        &self,
        tenant: UserId,
        chat: ChatId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        self.inner.list_messages(tenant, chat, query).await
    }

    async fn recent_messages(&self, tenant: UserId, chat: ChatId, limit: usize) -> Result<Vec<Message>> {
        self.inner.recent_messages(tenant, chat, limit).await
    }

    async fn get_message(&self, tenant: UserId, id: MessageId) -> Result<Message> {
        self.inner.get_message(tenant, id).await
    }

    async fn find_message_by_platform_id(
        &self,
        tenant: UserId,
        platform_message_id: &str,
    ) -> Result<Option<Message>> {
        self.inner.find_message_by_platform_id(tenant, platform_message_id).await
    }

    async fn set_message_delivery(
        &self,
        tenant: UserId,
        id: MessageId,
        delivery: DeliveryState,
        platform_message_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.inner.set_message_delivery(tenant, id, delivery, platform_message_id, error).await
    }

    async fn unsettled_messages(&self, before: Timestamp, limit: usize) -> Result<Vec<Message>> {
        self.inner.unsettled_messages(before, limit).await
    }

    async fn fail_unsettled_message(
        &self,
        tenant: UserId,
        id: MessageId,
        before: Timestamp,
        why: &str,
    ) -> Result<bool> {
        self.inner.fail_unsettled_message(tenant, id, before, why).await
    }

    // ── The inbox ───────────────────────────────────────────────────────────────

    async fn inbox_enqueue(&self, event: &NewInboxEvent) -> Result<Enqueued> {
        self.inner.inbox_enqueue(event).await
    }

    async fn inbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_for: Duration,
        max_events: usize,
    ) -> Result<Option<InboxClaim>> {
        self.inner.inbox_claim(owner, now, lease_for, max_events).await
    }

    async fn inbox_extend(&self, lease: LeaseId, until: Timestamp) -> Result<()> {
        self.inner.inbox_extend(lease, until).await
    }

    async fn inbox_complete(&self, lease: LeaseId, key: &str) -> Result<()> {
        self.inner.inbox_complete(lease, key).await
    }

    async fn inbox_fail(
        &self,
        lease: LeaseId,
        key: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        self.inner.inbox_fail(lease, key, error, retry_at).await
    }

    async fn inbox_release(&self, lease: LeaseId) -> Result<()> {
        self.inner.inbox_release(lease).await
    }

    async fn inbox_give_back(
        &self,
        lease: LeaseId,
        failed: &[String],
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        self.inner.inbox_give_back(lease, failed, error, retry_at).await
    }

    async fn inbox_get(&self, key: &str) -> Result<InboxEvent> {
        self.inner.inbox_get(key).await
    }

    async fn inbox_forget_handled(&self, before: Timestamp, limit: usize) -> Result<usize> {
        self.inner.inbox_forget_handled(before, limit).await
    }

    // ── Analytics ───────────────────────────────────────────────────────────────

    async fn record_analytics(
        &self,
        tenant: UserId,
        campaign: Option<CampaignId>,
        platform: Platform,
        at: Timestamp,
        delta: &Metrics,
    ) -> Result<()> {
        self.inner.record_analytics(tenant, campaign, platform, at, delta).await
    }

    async fn analytics(&self, tenant: UserId, query: &AnalyticsQuery) -> Result<Vec<AnalyticsDay>> {
        self.inner.analytics(tenant, query).await
    }
}
