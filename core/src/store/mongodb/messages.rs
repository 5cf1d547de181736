//! Messages: appended to their chat, listed oldest first, deduplicated by the
//! platform's message id.

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use serde::{Deserialize, Serialize};

use super::Collections;
use super::batch::{Batcher, Batches, KeyedUpdate};
use super::chats::{self, owned};
use super::codec::{DriverResult, all, count, decode, encode, value};
use super::statements;
use crate::model::{
    Chat, ChatId, ChatUpdate, Cursor, DeliveryState, Message, MessageId, MessageQuery, Page, Sender,
    Timestamp, UserId,
};
use crate::store::{Result, StoreError};

pub(super) async fn append_message(c: &Collections, batches: &Batches, message: &Message) -> Result<()> {
    let chat = owned(message.user_id, message.chat_id);
    let max = times_forward(message.sent_at, message.sender == Sender::Customer)?;
    // The chat's counters and the message are written at once, each in one write:
    // an append then costs about one round trip. The chat's filter is the tenant
    // check; when it fails, or the message is a duplicate, the other write is undone,
    // so what stays is what the sequential version would have left. Messages appended
    // together (many chats at once) are inserted by one command.
    let record = encode(message, "id")?;
    let counters = (chat.clone(), doc! { "$inc": { "message_count": 1_i64 }, "$max": max });
    let (moved, inserted) =
        tokio::join!(chats::write(c, &batches.chat_updates, counters), insert(c, batches, record));
    let moved = moved?;
    match (moved, inserted) {
        (true, Ok(true)) => Ok(()),
        (false, inserted) => {
            // Not the tenant's chat (or no chat): the message must not stay. It was
            // stored under the caller's own tenant, so no other business saw it.
            if matches!(inserted, Ok(true)) {
                c.messages.delete_one(doc! { "_id": message.id.to_string() }).await.db()?;
            }
            Err(StoreError::not_found("chat"))
        }
        (true, inserted) => {
            // Not stored after all: the count goes back. The times may stay: a
            // duplicate is the same message again, whose time counted when it was
            // first stored. A crash right here leaves the count one too high.
            c.chats.update_one(chat, doc! { "$inc": { "message_count": -1_i64 } }).await.db()?;
            match inserted {
                Ok(_) => Err(StoreError::Conflict("this message is stored already".into())),
                Err(error) => Err(error),
            }
        }
    }
}

/// Where an answer's change to its chat is kept, on its first message, so that work
/// taken again can apply it if the chat's statement never ran ([`finish_reply`]).
const REPLY_CHANGE: &str = "reply_change";
/// On a chat: when the latest answer whose change it took was written (its last
/// message's time). An answer is finished only if it is later than that: never
/// twice, and never over a newer answer.
const LAST_ANSWER_AT: &str = "last_answer_at";

/// What an answer does to its chat, as kept with it.
#[derive(Debug, Serialize, Deserialize)]
struct ReplyChange {
    update: ChatUpdate,
    now: Timestamp,
    /// How many messages the answer has, and when its last one was written.
    count: i64,
    last: Timestamp,
}

/// An answer: its messages first (the first one keeping the change to the chat),
/// then its chat moved by one statement: the count, the times, `update`, and the
/// mark that this answer's change was taken. Without a transaction, what a refused
/// write leaves is undone by hand: the messages this call inserted (and one whose
/// insert failed, which the server may have made all the same) are deleted again
/// when a message is not stored or the chat is not the business's. A crash between
/// the two writes, or a failure of the chat's statement, leaves the messages stored
/// and the chat as it was, until [`finish_reply`].
pub(super) async fn append_reply(
    c: &Collections,
    batches: &Batches,
    (tenant, id): (UserId, ChatId),
    messages: &[Message],
    update: &ChatUpdate,
    now: Timestamp,
) -> Result<Chat> {
    let [first, ..] = messages else { return Err(StoreError::Backend("an answer without messages".into())) };
    let last = messages.iter().map(|m| m.sent_at).max().unwrap_or(first.sent_at);
    let change = ReplyChange { update: update.clone(), now, count: count(messages.len()), last };
    let mut inserted: Vec<&Message> = Vec::with_capacity(messages.len());
    for message in messages {
        let mut record = encode(message, "id")?;
        if message.id == first.id {
            record.insert(REPLY_CHANGE, value(&change)?);
        }
        match insert(c, batches, record).await {
            Ok(true) => inserted.push(message),
            Ok(false) => {
                undo(c, &inserted).await?;
                return Err(StoreError::Conflict("this message is stored already".into()));
            }
            Err(error) => {
                inserted.push(message);
                undo(c, &inserted).await?;
                return Err(error);
            }
        }
    }
    if !chats::write(c, &batches.chat_updates, (owned(tenant, id), answer_taken(&change)?)).await? {
        undo(c, &inserted).await?;
        return Err(StoreError::not_found("chat"));
    }
    chats::get_chat(c, &batches.chat_reads, tenant, id).await
}

/// Applies the change kept on an answer's first message to its chat, unless the
/// chat took it or a later answer's already: one statement, matched only while the
/// chat's mark is older than this answer. `None`: nothing left to do.
pub(super) async fn finish_reply(
    c: &Collections,
    tenant: UserId,
    first: MessageId,
) -> Result<Option<(Chat, ChatUpdate)>> {
    let message = doc! { "_id": first.to_string(), "user_id": tenant.to_string() };
    let kept = c.messages.find_one(message).projection(doc! { "chat_id": 1, REPLY_CHANGE: 1 }).await.db()?;
    let Some(kept) = kept else { return Ok(None) };
    let (Ok(chat), Ok(change)) = (kept.get_str("chat_id"), kept.get_document(REPLY_CHANGE)) else {
        return Ok(None); // not an answer's first message, or stored before answers kept theirs
    };
    let change: ReplyChange = decode(change.clone(), "id")?;
    // Marked older than this answer, or not at all (answered before answers were marked).
    let filter = doc! {
        "_id": chat,
        "user_id": tenant.to_string(),
        LAST_ANSWER_AT: { "$not": { "$gte": value(&change.last)? } },
    };
    let taken = c
        .chats
        .find_one_and_update(filter, answer_taken(&change)?)
        .return_document(ReturnDocument::After)
        .await
        .db()?;
    taken.map(|chat| Ok((decode(chat, "id")?, change.update))).transpose()
}

/// The statement that moves a chat for an answer: what `Chat::count_message` does for
/// each of its messages (an answer holds no customer message), `update` before them,
/// and the mark of the answer taken.
fn answer_taken(change: &ReplyChange) -> Result<Document> {
    let mut max = times_forward(change.last, false)?;
    max.insert(LAST_ANSWER_AT, value(&change.last)?);
    let mut statement = doc! { "$inc": { "message_count": change.count } };
    if change.update != ChatUpdate::default() {
        // `apply_to` sets the time of the change, then the messages move it forward.
        max.remove("updated_at");
        let mut set = chats::fields_set(&change.update, change.now)?;
        set.insert("updated_at", value(&change.now.max(change.last))?);
        statement.insert("$set", set);
    }
    statement.insert("$max", max);
    Ok(statement)
}

/// The `$max` of a chat's times for a message written at `at` (the customer's, or
/// ours): what `Chat::count_message` does to them. Platforms deliver out of order, so
/// the times only move forward.
fn times_forward(at: Timestamp, customers: bool) -> Result<Document> {
    let at = value(&at)?;
    let mut max = doc! { "last_activity_at": at.clone(), "updated_at": at.clone() };
    if customers {
        max.insert("last_customer_message_at", at);
    }
    Ok(max)
}

/// Inserts a message together with the others waiting; `false`: stored already.
async fn insert(c: &Collections, batches: &Batches, record: Document) -> Result<bool> {
    let insert_together = |records: Vec<Document>| async move {
        let count = records.len();
        let outcome = statements::insert(&c.db, &c.messages, records).await?;
        Ok(outcome.answers(count, true, false))
    };
    batches.messages.write(record, insert_together).await
}

/// Deletes messages this call inserted, when the write they were part of is refused.
async fn undo(c: &Collections, inserted: &[&Message]) -> Result<()> {
    if inserted.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = inserted.iter().map(|m| m.id.to_string()).collect();
    c.messages.delete_many(doc! { "_id": { "$in": ids } }).await.db().map(drop)
}

pub(super) async fn list_messages(
    c: &Collections,
    tenant: UserId,
    chat: ChatId,
    query: &MessageQuery,
) -> Result<Page<Message>> {
    // The chat must be the tenant's: an empty page would hide a wrong id.
    if c.chats.find_one(owned(tenant, chat)).projection(doc! { "_id": 1 }).await.db()?.is_none() {
        return Err(StoreError::not_found("chat"));
    }
    let limit = Page::<Message>::limit(query.limit);
    let mut filter = doc! { "chat_id": chat.to_string(), "user_id": tenant.to_string() };
    if let Some(Cursor { at, id }) = &query.after {
        let at = value(at)?;
        filter.insert(
            "$or",
            vec![
                doc! { "sent_at": { "$gt": at.clone() } },
                doc! { "sent_at": at, "_id": { "$gt": id.as_str() } },
            ],
        );
    }
    let docs: Vec<Document> =
        all(c.messages.find(filter).sort(doc! { "sent_at": 1, "_id": 1 }).limit(count(limit) + 1)).await?;
    let items = docs.into_iter().map(|doc| decode(doc, "id")).collect::<Result<Vec<Message>>>()?;
    Ok(Page::from_overfetch(items, limit, Message::cursor))
}

pub(super) async fn recent_messages(
    c: &Collections,
    tenant: UserId,
    chat: ChatId,
    limit: usize,
) -> Result<Vec<Message>> {
    let query = c
        .messages
        .find(doc! { "chat_id": chat.to_string(), "user_id": tenant.to_string() })
        .sort(doc! { "sent_at": -1, "_id": -1 })
        .limit(count(limit));
    let docs: Vec<Document> = all(query).await?;
    // Messages of the tenant's own were found, so the chat is theirs; only an empty
    // answer needs the chat looked up, for a wrong id must not pass as an empty chat.
    if docs.is_empty()
        && c.chats.find_one(owned(tenant, chat)).projection(doc! { "_id": 1 }).await.db()?.is_none()
    {
        return Err(StoreError::not_found("chat"));
    }
    let mut items = docs.into_iter().map(|doc| decode(doc, "id")).collect::<Result<Vec<Message>>>()?;
    items.reverse();
    Ok(items)
}

pub(super) async fn get_message(c: &Collections, tenant: UserId, id: MessageId) -> Result<Message> {
    let found =
        c.messages.find_one(doc! { "_id": id.to_string(), "user_id": tenant.to_string() }).await.db()?;
    decode(found.ok_or(StoreError::not_found("message"))?, "id")
}

pub(super) async fn find_message_by_platform_id(
    c: &Collections,
    tenant: UserId,
    platform_message_id: &str,
) -> Result<Option<Message>> {
    let filter = by_platform_id(tenant, platform_message_id);
    c.messages.find_one(filter).await.db()?.map(|doc| decode(doc, "id")).transpose()
}

/// The message with the platform's id `mid`. The only index on that id is partial
/// (messages with one), and the server uses it only for a query that says it wants
/// one: the `$type` is that, not a check. Without it every echo, delivery and read
/// scanned the whole collection.
pub(super) fn by_platform_id(tenant: UserId, mid: &str) -> Document {
    doc! { "user_id": tenant.to_string(), "platform_message_id": { "$eq": mid, "$type": "string" } }
}

/// One read per unsettled state, each through its partial index, merged oldest
/// first.
pub(super) async fn unsettled_messages(
    c: &Collections,
    before: Timestamp,
    limit: usize,
) -> Result<Vec<Message>> {
    let before = value(&before)?;
    let mut found: Vec<Message> = Vec::new();
    for state in UNSETTLED {
        let filter = doc! { "delivery": value(&state)?, "sent_at": { "$lt": before.clone() } };
        let docs: Vec<Document> =
            all(c.messages.find(filter).sort(doc! { "sent_at": 1 }).limit(count(limit))).await?;
        for doc in docs {
            found.push(decode(doc, "id")?);
        }
    }
    found.sort_by_key(|message| message.sent_at);
    found.truncate(limit);
    Ok(found)
}

/// One update whose filter is the condition: a message that moved on meanwhile is
/// not matched.
pub(super) async fn fail_unsettled_message(
    c: &Collections,
    tenant: UserId,
    id: MessageId,
    before: Timestamp,
    why: &str,
) -> Result<bool> {
    let unsettled: Vec<Bson> = UNSETTLED.iter().map(value).collect::<Result<_>>()?;
    let filter = doc! {
        "_id": id.to_string(),
        "user_id": tenant.to_string(),
        "delivery": { "$in": unsettled },
        "sent_at": { "$lt": value(&before)? },
    };
    let failed = doc! { "$set": { "delivery": value(&DeliveryState::Failed)?, "error": why } };
    Ok(c.messages.update_one(filter, failed).await.db()?.matched_count == 1)
}

/// The states of an outgoing message whose send has not finished.
pub(super) const UNSETTLED: [DeliveryState; 2] = [DeliveryState::Pending, DeliveryState::Sending];

pub(super) async fn set_message_delivery(
    c: &Collections,
    deliveries: &Batcher<KeyedUpdate, bool>,
    tenant: UserId,
    id: MessageId,
    delivery: DeliveryState,
    platform_message_id: Option<&str>,
    error: Option<&str>,
) -> Result<()> {
    let mut set = doc! {
        "delivery": value(&delivery)?,
        "error": error.map_or(Bson::Null, |e| Bson::String(e.to_owned())),
    };
    if let Some(mid) = platform_message_id {
        set.insert("platform_message_id", mid);
    }
    // Replies to many customers move on together: one command for all of them.
    let update = (doc! { "_id": id.to_string(), "user_id": tenant.to_string() }, doc! { "$set": set });
    let together = |updates: Vec<KeyedUpdate>| async move {
        statements::update_by_key(&c.db, &c.messages, updates).await
    };
    match deliveries.write(update, together).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(StoreError::not_found("message")),
        Err(StoreError::Conflict(_)) => {
            Err(StoreError::Conflict("another message has this platform message id".into()))
        }
        Err(other) => Err(other),
    }
}
