//! The embedded store: one SQLite file (WAL), nothing to install.
//!
//! SQLite allows one writer at a time, so writes go to one thread that owns the write
//! connection and commits them in groups ([`writer`]); one at a time, a
//! read-modify-write is atomic without retries. Reads use a small pool of their own
//! connections, which WAL lets run beside the writer; rusqlite is blocking, so each
//! read runs on tokio's blocking pool.
//!
//! Durability: `synchronous = FULL`, so a write acknowledged is on disk, even if the
//! machine (not only the process) dies the instant after.

mod analytics;
mod campaigns;
mod chats;
mod inbox;
mod schema;
mod users;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::writer::Lane;
pub use self::writer::{TRANSACTIONS_METRIC, WRITES_METRIC};
use super::{Result, Store, StoreError};
use crate::model::{
    AnalyticsDay, AnalyticsQuery, Campaign, CampaignId, CampaignStats, CampaignStatus, Chat, ChatId,
    ChatQuery, ChatUpdate, Conversion, DeliveryState, Document, DocumentId, DocumentMeta, Email, Enqueued,
    InboxClaim, InboxEvent, Integration, IntegrationId, IntegrationStatus, KnowledgeStatus, LeaseId,
    LeoConversation, LeoConversationId, Message, MessageId, MessageQuery, Metrics, NewChat, NewInboxEvent,
    Page, Platform, Session, SessionId, SessionTokens, Timestamp, TokenHash, TokenKind, Training, User,
    UserId,
};

/// Readers beside the writer: enough for the daemon's concurrent requests on a small
/// machine, few enough that idle connections cost nothing worth counting.
const READERS: usize = 4;

/// Prepared statements kept per connection: more than the store has.
const STATEMENT_CACHE: usize = 128;

/// The embedded SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// The directory must exist: creating directories is the caller's decision.
    pub async fn open(path: &Path) -> Result<Self> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(path))
            .await
            .map_err(|e| StoreError::Backend(format!("opening the database was interrupted: {e}")))?
    }

    fn open_blocking(path: PathBuf) -> Result<Self> {
        let unavailable = |e: rusqlite::Error| {
            StoreError::Unavailable(format!("cannot open SQLite database {}: {e}", path.display()))
        };
        if path.as_os_str().is_empty() {
            return Err(StoreError::Unavailable("the SQLite path is empty: expected sqlite://PATH".into()));
        }
        let mut writer = Connection::open(&path).map_err(unavailable)?;
        configure(&writer).map_err(unavailable)?;
        writer.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        schema::migrate(&mut writer).map_err(unavailable)?.map_err(StoreError::Unavailable)?;

        let readers = (0..READERS)
            .map(|_| {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = Connection::open_with_flags(&path, flags)?;
                configure(&conn)?;
                Ok(Mutex::new(conn))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(unavailable)?;

        let writer = writer::Writer::start(writer)
            .map_err(|e| StoreError::Unavailable(format!("cannot start the database writer: {e}")))?;
        Ok(Self { inner: Arc::new(Inner { path, writer, readers, next_reader: AtomicUsize::new(0) }) })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` atomically on the write connection; answers once it is committed.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        self.inner.writer.write(Lane::Queued, work).await
    }

    /// Runs a read whose cost does not grow with the data (a lookup by key, a list
    /// bounded per business) right here on the calling task, when a reader connection
    /// is free: such a read takes microseconds, less than the hop to the blocking pool
    /// and back. When every reader is busy it waits on the blocking pool, as [`Self::scan`].
    async fn read<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        for _ in 0..self.inner.readers.len() {
            let conn = match self.inner.next_reader().try_lock() {
                Ok(conn) => conn,
                Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            return work(&conn);
        }
        self.scan(work).await
    }

    /// Runs a read that may take long (a search, a page of a long list, a large
    /// document) on one of the reader connections, on the blocking pool, so that it
    /// never holds up the tasks sharing this thread.
    async fn scan<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || work(&lock(inner.next_reader()))).await
    }
}

impl Inner {
    fn next_reader(&self) -> &Mutex<Connection> {
        &self.readers[self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len()]
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // Our statements are few and fixed, each written for its index: plans that do not
    // depend on the values bound (the query planner stability guarantee) let a cached
    // statement run again without being prepared again, and a cache that holds them
    // all keeps them.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Each write of a group runs in a savepoint, which keeps the original of every
    // page it changes in a statement journal; past 64 KiB SQLite spills that journal
    // to a temporary file. In memory it costs a copy instead of file writes.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Backend(format!("a store task was interrupted: {e}")))?
}

/// A connection whose holder panicked is still a valid connection: SQLite rolled back
/// any open transaction when it was dropped mid-way.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                Self::Unavailable(format!("the database is busy: {e}"))
            }
            Some(ErrorCode::ConstraintViolation) => Self::Conflict(e.to_string()),
            Some(
                ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure,
            ) => Self::Unavailable(e.to_string()),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Self::Corrupt(e.to_string()),
            _ => Self::Backend(e.to_string()),
        }
    }
}

/// A unique constraint that names what clashed, instead of SQLite's wording.
fn conflict_as(e: rusqlite::Error, message: &str) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(message.to_owned()),
        _ => e.into(),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("cannot encode a record: {e}")))
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("cannot decode a record: {e}")))
}

/// Reads the single `doc` column of the first row, if any.
fn doc_of<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<T>> {
    use rusqlite::OptionalExtension;
    let text: Option<String> = conn.prepare_cached(sql)?.query_row(params, |row| row.get(0)).optional()?;
    text.as_deref().map(from_json).transpose()
}

/// Reads the `doc` column of every row.
fn docs_of<T: DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let texts =
        stmt.query_map(params, |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    texts.iter().map(|text| from_json(text)).collect()
}

fn found<T>(value: Option<T>, what: &'static str) -> Result<T> {
    value.ok_or(StoreError::NotFound { what })
}

fn expect_one(changed: usize, what: &'static str) -> Result<()> {
    if changed == 0 { Err(StoreError::NotFound { what }) } else { Ok(()) }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        self.write(|conn| Ok(conn.query_row("SELECT count(*) FROM users", [], |_| Ok(()))?)).await
    }

    async fn create_user(&self, user: &User) -> Result<()> {
        user.validate()?;
        let user = user.clone();
        self.write(move |conn| users::create_user(conn, &user)).await
    }

    async fn get_user(&self, id: UserId) -> Result<User> {
        self.read(move |conn| {
            found(doc_of(conn, "SELECT doc FROM users WHERE id = ?1", [id.to_string()])?, "user")
        })
        .await
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>> {
        let email = email.as_str().to_owned();
        self.read(move |conn| doc_of(conn, "SELECT doc FROM users WHERE email = ?1", [email])).await
    }

    async fn update_user(&self, user: &User) -> Result<()> {
        user.validate()?;
        let user = user.clone();
        self.write(move |conn| users::update_user(conn, &user)).await
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let session = session.clone();
        self.write(move |conn| users::create_session(conn, &session)).await
    }

    async fn find_session(&self, kind: TokenKind, hash: &TokenHash) -> Result<Option<Session>> {
        let hash = hash.0.clone();
        let sql = match kind {
            TokenKind::Access => "SELECT doc FROM sessions WHERE access_hash = ?1",
            TokenKind::Refresh => "SELECT doc FROM sessions WHERE refresh_hash = ?1",
        };
        self.read(move |conn| doc_of(conn, sql, [hash])).await
    }

    async fn rotate_session(
        &self,
        id: SessionId,
        presented_refresh: &TokenHash,
        next: &SessionTokens,
        now: Timestamp,
    ) -> Result<Session> {
        let (presented, next) = (presented_refresh.clone(), next.clone());
        self.write(move |conn| users::rotate_session(conn, id, &presented, next, now)).await
    }

    async fn revoke_session(&self, tenant: UserId, id: SessionId) -> Result<()> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM sessions WHERE id = ?1 AND user_id = ?2")?
                .execute([id.to_string(), tenant.to_string()])?;
            expect_one(changed, "session")
        })
        .await
    }

    async fn revoke_sessions(&self, tenant: UserId) -> Result<u64> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
                .execute([tenant.to_string()])?;
            Ok(changed as u64)
        })
        .await
    }

    async fn add_document(&self, document: &Document) -> Result<()> {
        document.validate()?;
        let document = document.clone();
        self.write(move |conn| users::add_document(conn, &document)).await
    }

    async fn list_documents(&self, tenant: UserId) -> Result<Vec<DocumentMeta>> {
        self.read(move |conn| users::list_documents(conn, tenant)).await
    }

    async fn get_document(&self, tenant: UserId, id: DocumentId) -> Result<Document> {
        self.scan(move |conn| users::get_document(conn, tenant, id)).await
    }

    async fn delete_document(&self, tenant: UserId, id: DocumentId) -> Result<()> {
        self.write(move |conn| {
            let changed = conn
                .prepare_cached("DELETE FROM documents WHERE id = ?1 AND user_id = ?2")?
                .execute([id.to_string(), tenant.to_string()])?;
            expect_one(changed, "document")
        })
        .await
    }

    async fn record_training(&self, training: &Training) -> Result<KnowledgeStatus> {
        let training = training.clone();
        self.write(move |conn| {
            let tenant = training.user_id.to_string();
            let previous: Option<KnowledgeStatus> =
                doc_of(conn, "SELECT doc FROM knowledge WHERE user_id = ?1", [&tenant])?;
            let status = KnowledgeStatus::after(previous.as_ref(), &training);
            conn.prepare_cached("INSERT OR REPLACE INTO knowledge (user_id, doc) VALUES (?1, ?2)")?
                .execute([tenant, to_json(&status)?])?;
            Ok(status)
        })
        .await
    }

    async fn knowledge_status(&self, tenant: UserId) -> Result<Option<KnowledgeStatus>> {
        self.read(move |conn| {
            doc_of(conn, "SELECT doc FROM knowledge WHERE user_id = ?1", [tenant.to_string()])
        })
        .await
    }

    async fn save_leo_conversation(&self, conversation: &LeoConversation) -> Result<()> {
        conversation.validate()?;
        let conversation = conversation.clone();
        self.write(move |conn| {
            // The id is the key; the tenant in the filter makes another business's
            // conversation look taken rather than replaceable.
            let changed = conn
                .prepare_cached(
                    "INSERT INTO leo_conversations (id, user_id, doc) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (id) DO UPDATE SET doc = excluded.doc WHERE user_id = excluded.user_id",
                )?
                .execute([
                    conversation.id.to_string(),
                    conversation.user_id.to_string(),
                    to_json(&conversation)?,
                ])?;
            if changed == 0 {
                return Err(StoreError::Conflict("this conversation belongs to another account".into()));
            }
            Ok(())
        })
        .await
    }

    async fn get_leo_conversation(&self, tenant: UserId, id: LeoConversationId) -> Result<LeoConversation> {
        self.scan(move |conn| {
            let sql = "SELECT doc FROM leo_conversations WHERE id = ?1 AND user_id = ?2";
            found(doc_of(conn, sql, [id.to_string(), tenant.to_string()])?, "Leo conversation")
        })
        .await
    }

    async fn upsert_integration(&self, integration: &Integration) -> Result<Integration> {
        integration.validate()?;
        let integration = integration.clone();
        self.write(move |conn| campaigns::upsert_integration(conn, integration)).await
    }

    async fn get_integration(&self, tenant: UserId, id: IntegrationId) -> Result<Integration> {
        self.read(move |conn| {
            let sql = "SELECT doc FROM integrations WHERE id = ?1 AND user_id = ?2";
            found(doc_of(conn, sql, [id.to_string(), tenant.to_string()])?, "integration")
        })
        .await
    }

    async fn list_integrations(&self, tenant: UserId) -> Result<Vec<Integration>> {
        self.read(move |conn| {
            docs_of(conn, "SELECT doc FROM integrations WHERE user_id = ?1 ORDER BY id", [tenant.to_string()])
        })
        .await
    }

    async fn find_integration_by_page(
        &self,
        platform: Platform,
        page_id: &str,
    ) -> Result<Option<Integration>> {
        let page_id = page_id.to_owned();
        self.read(move |conn| {
            let sql = "SELECT doc FROM integrations WHERE platform = ?1 AND page_id = ?2";
            doc_of(conn, sql, [platform.as_str(), &page_id])
        })
        .await
    }

    async fn set_integration_status(
        &self,
        tenant: UserId,
        id: IntegrationId,
        status: IntegrationStatus,
        now: Timestamp,
    ) -> Result<()> {
        self.write(move |conn| campaigns::set_integration_status(conn, tenant, id, status, now)).await
    }

    async fn create_campaign(&self, campaign: &Campaign) -> Result<()> {
        campaign.validate()?;
        let campaign = campaign.clone();
        self.write(move |conn| campaigns::create_campaign(conn, &campaign)).await
    }

    async fn get_campaign(&self, tenant: UserId, id: CampaignId) -> Result<Campaign> {
        self.read(move |conn| campaigns::get_campaign(conn, tenant, id)).await
    }

    async fn list_campaigns(&self, tenant: UserId, status: Option<CampaignStatus>) -> Result<Vec<Campaign>> {
        self.read(move |conn| {
            let sql = "SELECT doc FROM campaigns WHERE user_id = ?1 AND (?2 IS NULL OR status = ?2) \
                       ORDER BY id DESC";
            docs_of(conn, sql, rusqlite::params![tenant.to_string(), status.map(CampaignStatus::as_str)])
        })
        .await
    }

    async fn update_campaign(&self, campaign: &Campaign) -> Result<Campaign> {
        campaign.validate()?;
        let campaign = campaign.clone();
        self.write(move |conn| campaigns::update_campaign(conn, campaign)).await
    }

    async fn delete_campaign(&self, tenant: UserId, id: CampaignId) -> Result<()> {
        self.write(move |conn| campaigns::delete_campaign(conn, tenant, id)).await
    }

    async fn set_default_campaign(&self, tenant: UserId, id: CampaignId, now: Timestamp) -> Result<Campaign> {
        self.write(move |conn| campaigns::set_default_campaign(conn, tenant, id, now)).await
    }

    async fn default_campaign(&self, tenant: UserId, platform: Platform) -> Result<Option<Campaign>> {
        self.read(move |conn| {
            let sql = "SELECT doc FROM campaigns WHERE user_id = ?1 AND platform = ?2 AND is_default = 1";
            doc_of(conn, sql, [tenant.to_string(), platform.as_str().to_owned()])
        })
        .await
    }

    async fn add_campaign_stats(&self, tenant: UserId, id: CampaignId, delta: &CampaignStats) -> Result<()> {
        let delta = delta.clone();
        self.write(move |conn| campaigns::add_campaign_stats(conn, tenant, id, &delta)).await
    }

    async fn find_or_create_chat(&self, new: &NewChat) -> Result<(Chat, bool)> {
        new.validate()?;
        let new = new.clone();
        self.write(move |conn| chats::find_or_create_chat(conn, new)).await
    }

    async fn get_chat(&self, tenant: UserId, id: ChatId) -> Result<Chat> {
        self.read(move |conn| chats::get_chat(conn, tenant, id)).await
    }

    async fn update_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        update: &ChatUpdate,
        now: Timestamp,
    ) -> Result<Chat> {
        update.validate()?;
        let update = update.clone();
        self.write(move |conn| chats::update_chat(conn, tenant, id, &update, now)).await
    }

    async fn convert_chat(
        &self,
        tenant: UserId,
        id: ChatId,
        conversion: &Conversion,
        now: Timestamp,
    ) -> Result<Chat> {
        let update = ChatUpdate::sale(conversion);
        update.validate()?;
        self.write(move |conn| {
            let mut chat = chats::get_chat(conn, tenant, id)?;
            if chat.conversion.converted {
                return Err(StoreError::Conflict("this chat is already converted".into()));
            }
            update.apply_to(&mut chat, now);
            chats::save(conn, &chat)?;
            Ok(chat)
        })
        .await
    }

    async fn list_chats(&self, tenant: UserId, query: &ChatQuery) -> Result<Page<Chat>> {
        let query = query.clone();
        self.scan(move |conn| chats::list_chats(conn, tenant, &query)).await
    }

    async fn append_message(&self, message: &Message) -> Result<()> {
        message.validate()?;
        let message = message.clone();
        self.write(move |conn| chats::append_message(conn, &message)).await
    }

    async fn append_reply(&self, messages: &[Message], update: &ChatUpdate, now: Timestamp) -> Result<Chat> {
        let chat = Message::validate_reply(messages)?;
        update.validate()?;
        let (messages, update) = (messages.to_vec(), update.clone());
        self.write(move |conn| chats::append_reply(conn, chat, &messages, &update, now)).await
    }

    async fn finish_reply(&self, _tenant: UserId, _first: MessageId) -> Result<Option<(Chat, ChatUpdate)>> {
        Ok(None) // an answer and its change are one transaction here: never half-written
    }

    async fn list_messages(
        &self,
        tenant: UserId,
        chat: ChatId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        let query = query.clone();
        self.scan(move |conn| chats::list_messages(conn, tenant, chat, &query)).await
    }

    async fn recent_messages(&self, tenant: UserId, chat: ChatId, limit: usize) -> Result<Vec<Message>> {
        self.read(move |conn| chats::recent_messages(conn, tenant, chat, limit)).await
    }

    async fn get_message(&self, tenant: UserId, id: MessageId) -> Result<Message> {
        self.read(move |conn| {
            let sql = "SELECT doc FROM messages WHERE id = ?1 AND user_id = ?2";
            found(doc_of(conn, sql, [id.to_string(), tenant.to_string()])?, "message")
        })
        .await
    }

    async fn find_message_by_platform_id(
        &self,
        tenant: UserId,
        platform_message_id: &str,
    ) -> Result<Option<Message>> {
        let mid = platform_message_id.to_owned();
        self.read(move |conn| {
            let sql = "SELECT doc FROM messages WHERE user_id = ?1 AND platform_message_id = ?2";
            doc_of(conn, sql, [tenant.to_string(), mid])
        })
        .await
    }

    async fn set_message_delivery(
        &self,
        tenant: UserId,
        id: MessageId,
        delivery: DeliveryState,
        platform_message_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        let (mid, error) = (platform_message_id.map(str::to_owned), error.map(str::to_owned));
        self.write(move |conn| chats::set_message_delivery(conn, tenant, id, delivery, mid, error)).await
    }

    async fn unsettled_messages(&self, before: Timestamp, limit: usize) -> Result<Vec<Message>> {
        self.read(move |conn| chats::unsettled_messages(conn, before, limit)).await
    }

    async fn fail_unsettled_message(
        &self,
        tenant: UserId,
        id: MessageId,
        before: Timestamp,
        why: &str,
    ) -> Result<bool> {
        let why = why.to_owned();
        self.write(move |conn| chats::fail_unsettled_message(conn, tenant, id, before, why)).await
    }

    async fn inbox_enqueue(&self, event: &NewInboxEvent) -> Result<Enqueued> {
        event.validate()?;
        // Encoded here, so that the one writer thread only writes.
        let row = inbox::NewRow::encode(event)?;
        // A platform waits for our acknowledgement, which waits for this write.
        self.inner.writer.write(Lane::First, move |conn| inbox::enqueue(conn, &row)).await
    }

    async fn inbox_claim(
        &self,
        owner: &str,
        now: Timestamp,
        lease_for: Duration,
        max_events: usize,
    ) -> Result<Option<InboxClaim>> {
        let owner = owner.to_owned();
        self.write(move |conn| inbox::claim(conn, owner, now, lease_for, max_events)).await
    }

    async fn inbox_extend(&self, lease: LeaseId, until: Timestamp) -> Result<()> {
        self.write(move |conn| inbox::extend(conn, lease, until)).await
    }

    async fn inbox_complete(&self, lease: LeaseId, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.write(move |conn| inbox::complete(conn, lease, &key)).await
    }

    async fn inbox_fail(
        &self,
        lease: LeaseId,
        key: &str,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let (key, error) = (key.to_owned(), error.to_owned());
        self.write(move |conn| inbox::fail(conn, lease, &key, &error, retry_at)).await
    }

    async fn inbox_release(&self, lease: LeaseId) -> Result<()> {
        self.write(move |conn| inbox::release(conn, lease)).await
    }

    async fn inbox_give_back(
        &self,
        lease: LeaseId,
        failed: &[String],
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<()> {
        let (failed, error) = (failed.to_vec(), error.to_owned());
        self.write(move |conn| inbox::give_back(conn, lease, &failed, &error, retry_at)).await
    }

    async fn inbox_get(&self, key: &str) -> Result<InboxEvent> {
        let key = key.to_owned();
        self.read(move |conn| inbox::get(conn, &key)).await
    }

    async fn inbox_forget_handled(&self, before: Timestamp, limit: usize) -> Result<usize> {
        self.write(move |conn| inbox::forget_handled(conn, before, limit)).await
    }

    async fn record_analytics(
        &self,
        tenant: UserId,
        campaign: Option<CampaignId>,
        platform: Platform,
        at: Timestamp,
        delta: &Metrics,
    ) -> Result<()> {
        let delta = *delta;
        self.write(move |conn| analytics::record(conn, tenant, campaign, platform, at, &delta)).await
    }

    async fn analytics(&self, tenant: UserId, query: &AnalyticsQuery) -> Result<Vec<AnalyticsDay>> {
        let query = query.clone();
        self.scan(move |conn| analytics::query(conn, tenant, &query)).await
    }
}
#[cfg(test)]
mod tests {
    use rusqlite::{Connection, StatementStatus};

    use super::configure;

    /// With the planner free to look at bound values, SQLite 3.54 re-prepares a
    /// statement that filters on a parameter and orders by an index (the recent
    /// messages of a chat, the inbox claim) on every run: a tenth of the pipeline's
    /// time went to parsing the same SQL again.
    #[test]
    fn statements_are_prepared_once() {
        let dir = tempfile::tempdir().expect("dir");
        let conn = Connection::open(dir.path().join("plans.db")).expect("open");
        configure(&conn).expect("configure");
        conn.execute_batch(
            "CREATE TABLE m (chat TEXT, sent INTEGER, doc TEXT); CREATE INDEX mi ON m (chat, sent)",
        )
        .expect("schema");
        let sql = "SELECT doc FROM m WHERE chat = ?1 ORDER BY sent DESC LIMIT ?2";
        for chat in ["a", "b", "c"] {
            let mut stmt = conn.prepare_cached(sql).expect("prepare");
            let rows = stmt.query_map(rusqlite::params![chat, 50], |_| Ok(())).expect("query").count();
            assert_eq!(rows, 0);
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "prepared again for {chat}");
        }
    }

    /// The reads that run over every business's rows (housekeeping) go through their
    /// partial indexes, never through the whole table.
    #[tokio::test]
    async fn housekeeping_reads_use_their_partial_indexes() {
        let dir = tempfile::tempdir().expect("dir");
        let store = super::SqliteStore::open(&dir.path().join("plans.db")).await.expect("open");
        let plans = store
            .read(|conn| {
                let plan = |sql: &str| -> super::Result<String> {
                    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let rows = stmt.query_map([0, 10], |row| row.get::<_, String>(3))?;
                    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.join("; "))
                };
                Ok([plan(super::chats::UNSETTLED)?, plan(super::inbox::FORGET_HANDLED)?])
            })
            .await
            .expect("plans");
        assert!(plans[0].contains("INDEX messages_unsettled"), "{}", plans[0]);
        assert!(plans[1].contains("INDEX inbox_handled"), "{}", plans[1]);
    }
}
