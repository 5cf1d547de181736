//! The owner's chats: the hottest leads, the chats waiting for a person, and one chat
//! summed up.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::ToolError;
use crate::model::{
    CampaignId, Chat, ChatId, ChatMode, ChatQuery, ChatStatus, Page, Platform, Sender, Timestamp, UserId,
};
use crate::store::{Store, StoreError};

/// The most chats read for one answer (newest activity first): a business with more
/// open chats than this gets its answer from the latest ones.
const MAX_SCANNED: usize = 2_000;
/// Messages quoted in a chat's summary, and the characters kept of each.
const LAST_MESSAGES: usize = 6;
const MESSAGE_CHARS: usize = 300;
/// Other customers a name also matched, at most.
const MAX_ALSO: usize = 5;

/// One chat, as listed in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatLine {
    pub id: ChatId,
    /// The customer's name, or their platform id when the name is unknown.
    pub customer: String,
    pub platform: Platform,
    pub campaign: Option<String>,
    pub status: ChatStatus,
    pub mode: ChatMode,
    pub handoff_requested: bool,
    /// The lead score, 0–100.
    pub score: u8,
    /// Why: "`asked_price` (+15)".
    pub reasons: Vec<String>,
    pub message_count: i64,
    pub last_customer_message_at: Option<Timestamp>,
}

impl ChatLine {
    fn of(chat: &Chat, campaigns: &HashMap<CampaignId, String>) -> Self {
        let customer = if chat.customer_name.trim().is_empty() {
            format!("customer {}", chat.customer_id)
        } else {
            chat.customer_name.trim().to_owned()
        };
        Self {
            id: chat.id,
            customer,
            platform: chat.platform,
            campaign: chat.campaign_id.and_then(|id| campaigns.get(&id).cloned()),
            status: chat.status,
            mode: chat.mode,
            handoff_requested: chat.handoff_requested,
            score: chat.lead.score,
            reasons: chat.lead.reasons.iter().map(|r| format!("{} ({:+})", r.signal, r.points)).collect(),
            message_count: chat.message_count,
            last_customer_message_at: chat.last_customer_message_at,
        }
    }
}

/// The `hottest_leads` tool's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HottestLeads {
    /// Open chats with a lead score above 0, in all.
    pub count: usize,
    /// The best of them, highest score first (the most recent first on a tie).
    pub leads: Vec<ChatLine>,
}

/// The open chats (not converted, not closed) with the highest lead scores.
pub async fn hottest_leads(
    store: &dyn Store,
    tenant: UserId,
    limit: usize,
) -> Result<HottestLeads, ToolError> {
    let open = open_leads(store, tenant, 1).await?;
    let names = campaign_names(store, tenant).await?;
    let count = open.len();
    let leads = open.iter().take(limit).map(|chat| ChatLine::of(chat, &names)).collect();
    Ok(HottestLeads { count, leads })
}

/// The `waiting_for_human` tool's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitingForHuman {
    pub count: usize,
    /// The longest waiting first.
    pub chats: Vec<ChatLine>,
}

/// Open chats in `human` mode or where the AI asked for a person.
pub async fn waiting_for_human(store: &dyn Store, tenant: UserId) -> Result<WaitingForHuman, ToolError> {
    let mut waiting =
        scan(store, tenant, ChatQuery { mode: Some(ChatMode::Human), ..ChatQuery::default() }).await?;
    let mut seen: HashSet<ChatId> = waiting.iter().map(|c| c.id).collect();
    for chat in scan(store, tenant, ChatQuery::default()).await? {
        if chat.handoff_requested && seen.insert(chat.id) {
            waiting.push(chat);
        }
    }
    waiting.retain(|chat| chat.status != ChatStatus::Closed);
    // The longest waiting first; chats the customer never wrote in last.
    waiting.sort_by_key(|chat| (chat.last_customer_message_at.is_none(), chat.last_customer_message_at));
    let names = campaign_names(store, tenant).await?;
    let chats: Vec<ChatLine> = waiting.iter().map(|chat| ChatLine::of(chat, &names)).collect();
    Ok(WaitingForHuman { count: chats.len(), chats })
}

/// One message quoted in a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageLine {
    pub from: Sender,
    /// Clipped to 300 characters.
    pub text: String,
    pub at: Timestamp,
}

/// The `chat_summary` tool's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatSummary {
    #[serde(flatten)]
    pub chat: ChatLine,
    pub converted: bool,
    pub order_value: Option<String>,
    pub created_at: Timestamp,
    pub last_activity_at: Timestamp,
    /// Oldest first.
    pub last_messages: Vec<MessageLine>,
    /// Other customers whose names also matched, when found by name.
    pub also_matching: Vec<String>,
}

/// The chat with this id, or of the customer with this name (an exact name first,
/// then the most recent chat whose customer's name contains it).
pub async fn chat_summary(store: &dyn Store, tenant: UserId, wanted: &str) -> Result<ChatSummary, ToolError> {
    let wanted = wanted.trim();
    let mut by_id = None;
    if let Ok(id) = wanted.parse::<ChatId>() {
        match store.get_chat(tenant, id).await {
            Ok(chat) => by_id = Some(chat),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let (chat, also_matching) = match by_id {
        Some(chat) => (chat, Vec::new()),
        None => find_by_name(store, tenant, wanted).await?,
    };
    let names = campaign_names(store, tenant).await?;
    let last_messages = last_messages(store, tenant, chat.id).await?;
    Ok(ChatSummary {
        chat: ChatLine::of(&chat, &names),
        converted: chat.conversion.converted,
        order_value: chat
            .conversion
            .order_value
            .as_ref()
            .map(|value| super::money(value.amount_minor, Some(&value.currency))),
        created_at: chat.created_at,
        last_activity_at: chat.last_activity_at,
        last_messages,
        also_matching,
    })
}

async fn find_by_name(
    store: &dyn Store,
    tenant: UserId,
    wanted: &str,
) -> Result<(Chat, Vec<String>), ToolError> {
    let not_found = || ToolError::NotFound(format!("no chat with a customer called {wanted:?}"));
    if wanted.is_empty() {
        return Err(not_found());
    }
    let query = ChatQuery { search: Some(wanted.to_owned()), limit: Some(50), ..ChatQuery::default() };
    let mut found = store.list_chats(tenant, &query).await?.items;
    let lower = wanted.to_lowercase();
    let exact = found.iter().position(|c| c.customer_name.trim().to_lowercase() == lower);
    let index = exact.or_else(|| (!found.is_empty()).then_some(0)).ok_or_else(not_found)?;
    let chat = found.remove(index);
    let mut also: Vec<String> = Vec::new();
    for other in found {
        let name = other.customer_name.trim().to_owned();
        if !name.is_empty() && !also.contains(&name) && also.len() < MAX_ALSO {
            also.push(name);
        }
    }
    Ok((chat, also))
}

/// The chat's last messages, oldest first.
async fn last_messages(
    store: &dyn Store,
    tenant: UserId,
    chat: ChatId,
) -> Result<Vec<MessageLine>, ToolError> {
    let messages = store.recent_messages(tenant, chat, LAST_MESSAGES).await?;
    Ok(messages
        .into_iter()
        .map(|message| MessageLine { from: message.sender, text: clip(&message.text), at: message.sent_at })
        .collect())
}

/// Every chat `query` lists, newest activity first, up to [`MAX_SCANNED`].
async fn scan(store: &dyn Store, tenant: UserId, mut query: ChatQuery) -> Result<Vec<Chat>, StoreError> {
    query.limit = Some(Page::<()>::MAX_LIMIT);
    let mut chats = Vec::new();
    loop {
        let page = store.list_chats(tenant, &query).await?;
        chats.extend(page.items);
        match page.next {
            Some(next) if chats.len() < MAX_SCANNED => query.after = Some(next),
            _ => break,
        }
    }
    chats.truncate(MAX_SCANNED);
    Ok(chats)
}

/// Open chats scoring at least `min_score`, the highest first.
pub(super) async fn open_leads(
    store: &dyn Store,
    tenant: UserId,
    min_score: u8,
) -> Result<Vec<Chat>, StoreError> {
    let query = ChatQuery { min_score: Some(min_score), ..ChatQuery::default() };
    let mut open: Vec<Chat> = scan(store, tenant, query).await?.into_iter().filter(is_open).collect();
    // Stable: chats of equal score stay newest first, as listed.
    open.sort_by_key(|chat| std::cmp::Reverse(chat.lead.score));
    Ok(open)
}

fn is_open(chat: &Chat) -> bool {
    !matches!(chat.status, ChatStatus::Converted | ChatStatus::Closed) && !chat.conversion.converted
}

async fn campaign_names(
    store: &dyn Store,
    tenant: UserId,
) -> Result<HashMap<CampaignId, String>, StoreError> {
    Ok(store.list_campaigns(tenant, None).await?.into_iter().map(|c| (c.id, c.name)).collect())
}

fn clip(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
