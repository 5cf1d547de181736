//! Chats and their messages.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};

use super::{Result, conflict_as, doc_of, docs_of, found, to_json};
use crate::model::{
    Chat, ChatId, ChatQuery, ChatUpdate, Cursor, DeliveryState, Message, MessageId, MessageQuery, NewChat,
    Page, Timestamp, UserId,
};

pub(super) fn find_or_create_chat(conn: &Connection, new: NewChat) -> Result<(Chat, bool)> {
    let existing: Option<Chat> = doc_of(
        conn,
        "SELECT doc FROM chats WHERE user_id = ?1 AND platform = ?2 AND customer_id = ?3",
        [new.user_id.to_string(), new.platform.as_str().to_owned(), new.customer_id.clone()],
    )?;
    if let Some(chat) = existing {
        return Ok((chat, false));
    }
    let chat = new.into_chat();
    conn.prepare_cached(
        "INSERT INTO chats (id, user_id, platform, customer_id, status, mode, campaign_id, score, search_text, \
         last_activity_at, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        chat.id.to_string(),
        chat.user_id.to_string(),
        chat.platform.as_str(),
        chat.customer_id,
        chat.status.as_str(),
        chat.mode.as_str(),
        chat.campaign_id.map(|id| id.to_string()),
        chat.lead.score,
        search_text(&chat),
        chat.last_activity_at.as_millis(),
        to_json(&chat)?
    ])
    .map_err(|e| conflict_as(e, "this customer already has a chat"))?;
    Ok((chat, true))
}

/// What the listing's text search looks in.
fn search_text(chat: &Chat) -> String {
    format!("{} {}", chat.customer_name, chat.customer_id).to_lowercase()
}

pub(super) fn get_chat(conn: &Connection, tenant: UserId, id: ChatId) -> Result<Chat> {
    let sql = "SELECT doc FROM chats WHERE id = ?1 AND user_id = ?2";
    found(doc_of(conn, sql, [id.to_string(), tenant.to_string()])?, "chat")
}

pub(super) fn save(conn: &Connection, chat: &Chat) -> Result<()> {
    conn.prepare_cached(
        "UPDATE chats SET status = ?2, mode = ?3, campaign_id = ?4, score = ?5, search_text = ?6, \
         last_activity_at = ?7, doc = ?8 WHERE id = ?1",
    )?
    .execute(params![
        chat.id.to_string(),
        chat.status.as_str(),
        chat.mode.as_str(),
        chat.campaign_id.map(|id| id.to_string()),
        chat.lead.score,
        search_text(chat),
        chat.last_activity_at.as_millis(),
        to_json(chat)?
    ])?;
    Ok(())
}

pub(super) fn update_chat(
    conn: &Connection,
    tenant: UserId,
    id: ChatId,
    update: &ChatUpdate,
    now: crate::model::Timestamp,
) -> Result<Chat> {
    let mut chat = get_chat(conn, tenant, id)?;
    update.apply_to(&mut chat, now);
    save(conn, &chat)?;
    Ok(chat)
}

pub(super) fn list_chats(conn: &Connection, tenant: UserId, query: &ChatQuery) -> Result<Page<Chat>> {
    let limit = Page::<Chat>::limit(query.limit);
    let mut sql = String::from("SELECT doc FROM chats WHERE user_id = ?");
    let mut args: Vec<Value> = vec![tenant.to_string().into()];
    let mut filter = |clause: &str, values: Vec<Value>| {
        sql.push_str(clause);
        args.extend(values);
    };
    if let Some(status) = query.status {
        filter(" AND status = ?", vec![status.as_str().to_owned().into()]);
    }
    if let Some(mode) = query.mode {
        filter(" AND mode = ?", vec![mode.as_str().to_owned().into()]);
    }
    if let Some(campaign) = query.campaign_id {
        filter(" AND campaign_id = ?", vec![campaign.to_string().into()]);
    }
    if let Some(min) = query.min_score {
        filter(" AND score >= ?", vec![i64::from(min).into()]);
    }
    if let Some(text) = query.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        filter(" AND instr(search_text, ?) > 0", vec![text.to_lowercase().into()]);
    }
    if let Some(Cursor { at, id }) = &query.after {
        let at = at.as_millis();
        filter(
            " AND (last_activity_at < ? OR (last_activity_at = ? AND id < ?))",
            vec![at.into(), at.into(), id.clone().into()],
        );
    }
    sql.push_str(" ORDER BY last_activity_at DESC, id DESC LIMIT ?");
    // One more than asked tells whether another page follows.
    args.push(((limit + 1) as i64).into());
    let items: Vec<Chat> = docs_of(conn, &sql, params_from_iter(args))?;
    Ok(Page::from_overfetch(items, limit, Chat::cursor))
}

pub(super) fn append_message(conn: &Connection, message: &Message) -> Result<()> {
    let mut chat = get_chat(conn, message.user_id, message.chat_id)?;
    insert_message(conn, message)?;
    chat.count_message(message);
    save(conn, &chat)?;
    Ok(())
}

/// An answer's messages and what it changes about their chat, in one write: on a
/// conflict the writer rolls back the messages inserted before it.
pub(super) fn append_reply(
    conn: &Connection,
    (tenant, id): (UserId, ChatId),
    messages: &[Message],
    update: &ChatUpdate,
    now: Timestamp,
) -> Result<Chat> {
    let mut chat = get_chat(conn, tenant, id)?;
    if *update != ChatUpdate::default() {
        update.apply_to(&mut chat, now);
    }
    for message in messages {
        insert_message(conn, message)?;
        chat.count_message(message);
    }
    save(conn, &chat)?;
    Ok(chat)
}

fn insert_message(conn: &Connection, message: &Message) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO messages (id, chat_id, user_id, platform_message_id, sent_at, doc, unsettled_since) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        message.id.to_string(),
        message.chat_id.to_string(),
        message.user_id.to_string(),
        message.platform_message_id,
        message.sent_at.as_millis(),
        to_json(message)?,
        unsettled_since(message)
    ])
    .map_err(|e| conflict_as(e, "this message is stored already"))?;
    Ok(())
}

pub(super) fn list_messages(
    conn: &Connection,
    tenant: UserId,
    chat: ChatId,
    query: &MessageQuery,
) -> Result<Page<Message>> {
    // The chat must be the tenant's: an empty page would hide a wrong id.
    get_chat(conn, tenant, chat)?;
    let limit = Page::<Message>::limit(query.limit);
    let (after_at, after_id) = query
        .after
        .as_ref()
        .map_or((i64::MIN, String::new()), |cursor| (cursor.at.as_millis(), cursor.id.clone()));
    let items: Vec<Message> = docs_of(
        conn,
        "SELECT doc FROM messages WHERE chat_id = ?1 AND user_id = ?2 \
         AND (sent_at > ?3 OR (sent_at = ?3 AND id > ?4)) ORDER BY sent_at, id LIMIT ?5",
        params![chat.to_string(), tenant.to_string(), after_at, after_id, (limit + 1) as i64],
    )?;
    Ok(Page::from_overfetch(items, limit, Message::cursor))
}

pub(super) fn recent_messages(
    conn: &Connection,
    tenant: UserId,
    chat: ChatId,
    limit: usize,
) -> Result<Vec<Message>> {
    get_chat(conn, tenant, chat)?;
    let mut items: Vec<Message> = docs_of(
        conn,
        "SELECT doc FROM messages WHERE chat_id = ?1 AND user_id = ?2 ORDER BY sent_at DESC, id DESC LIMIT ?3",
        params![chat.to_string(), tenant.to_string(), i64::try_from(limit).unwrap_or(i64::MAX)],
    )?;
    items.reverse();
    Ok(items)
}

/// Through the partial index `messages_unsettled`: a comparison implies the column's
/// `IS NOT NULL`, the index's condition.
pub(super) const UNSETTLED: &str =
    "SELECT doc FROM messages WHERE unsettled_since < ?1 ORDER BY unsettled_since LIMIT ?2";

/// The `unsettled_since` column: while the message's send is unfinished, when the
/// message was written (its `sent_at`).
fn unsettled_since(message: &Message) -> Option<i64> {
    matches!(message.delivery, DeliveryState::Pending | DeliveryState::Sending)
        .then(|| message.sent_at.as_millis())
}

/// Read and written in one write of the one writer: nothing moves the message on in
/// between.
pub(super) fn fail_unsettled_message(
    conn: &Connection,
    tenant: UserId,
    id: MessageId,
    before: Timestamp,
    why: String,
) -> Result<bool> {
    let unsettled = conn
        .prepare_cached("SELECT 1 FROM messages WHERE id = ?1 AND user_id = ?2 AND unsettled_since < ?3")?
        .exists(params![id.to_string(), tenant.to_string(), before.as_millis()])?;
    if unsettled {
        set_message_delivery(conn, tenant, id, DeliveryState::Failed, None, Some(why))?;
    }
    Ok(unsettled)
}

pub(super) fn unsettled_messages(conn: &Connection, before: Timestamp, limit: usize) -> Result<Vec<Message>> {
    docs_of(conn, UNSETTLED, params![before.as_millis(), i64::try_from(limit).unwrap_or(i64::MAX)])
}

pub(super) fn set_message_delivery(
    conn: &Connection,
    tenant: UserId,
    id: MessageId,
    delivery: DeliveryState,
    platform_message_id: Option<String>,
    error: Option<String>,
) -> Result<()> {
    let sql = "SELECT doc FROM messages WHERE id = ?1 AND user_id = ?2";
    let mut message: Message = found(doc_of(conn, sql, [id.to_string(), tenant.to_string()])?, "message")?;
    message.delivery = delivery;
    if platform_message_id.is_some() {
        message.platform_message_id = platform_message_id;
    }
    message.error = error;
    conn.prepare_cached(
        "UPDATE messages SET platform_message_id = ?2, doc = ?3, unsettled_since = ?4 WHERE id = ?1",
    )?
    .execute(params![
        id.to_string(),
        message.platform_message_id,
        to_json(&message)?,
        unsettled_since(&message)
    ])
    .map_err(|e| conflict_as(e, "another message has this platform message id"))?;
    Ok(())
}
