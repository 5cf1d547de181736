//! Chats: atomic find-or-create, partial updates, the filtered listing.

use std::collections::HashMap;

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;

use super::Collections;
use super::batch::{Batcher, Batches, KeyedUpdate};
use super::codec::{DriverResult, all, count, decode, encode, is_duplicate_key, value};
use super::statements;
use crate::model::{
    Chat, ChatId, ChatQuery, ChatStatus, ChatUpdate, Conversion, Cursor, NewChat, Page, Timestamp, UserId,
};
use crate::store::{Result, StoreError};

/// How often find-or-create looks again after losing an insert race. The server
/// itself retries an upsert that hit the unique index on its equality filter, so one
/// more round is all a race should ever need.
const ATTEMPTS: usize = 4;

pub(super) fn owned(tenant: UserId, id: ChatId) -> Document {
    doc! { "_id": id.to_string(), "user_id": tenant.to_string() }
}

/// What an upsert of a customer's chat found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opened {
    /// It inserted the offered chat.
    Created,
    /// The customer's chat was there already.
    Existing,
    /// Another insert of the same customer's chat won meanwhile.
    Raced,
}

pub(super) async fn find_or_create_chat(
    c: &Collections,
    opens: &Batcher<Document, Opened>,
    new: &NewChat,
) -> Result<(Chat, bool)> {
    let fresh = new.clone().into_chat();
    let filter = doc! {
        "user_id": new.user_id.to_string(),
        "platform": value(&new.platform)?,
        "customer_id": new.customer_id.as_str(),
    };
    // One upsert: the filter's equality fields and `$setOnInsert` make the new record;
    // an existing one is left untouched. The chats of customers writing at once are
    // opened by one command, which says which upserts inserted: a new chat is the one
    // offered, an existing one is read.
    let mut on_insert = encode(&fresh, "id")?;
    for field in ["user_id", "platform", "customer_id"] {
        on_insert.remove(field);
    }
    let statement = doc! { "q": filter.clone(), "u": { "$setOnInsert": on_insert.clone() }, "upsert": true };
    let open_together = |statements: Vec<Document>| async move {
        let count = statements.len();
        let outcome = statements::update(&c.db, &c.chats, statements).await?;
        Ok((0..count)
            .map(|index| match outcome.other_failure(index) {
                Some(error) => Err(error),
                None if outcome.duplicate(index) => Ok(Opened::Raced),
                None if outcome.upserted(index) => Ok(Opened::Created),
                None => Ok(Opened::Existing),
            })
            .collect())
    };
    match opens.write(statement, open_together).await? {
        Opened::Created => return Ok((fresh, true)),
        Opened::Existing => {
            if let Some(doc) = c.chats.find_one(filter.clone()).await.db()? {
                return Ok((decode(doc, "id")?, false));
            }
        }
        Opened::Raced => {}
    }
    // A race with another insert of the same chat: one upsert at a time settles it.
    for _ in 0..ATTEMPTS {
        let upserted = c
            .chats
            .find_one_and_update(filter.clone(), doc! { "$setOnInsert": on_insert.clone() })
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await;
        match upserted {
            Ok(Some(doc)) => {
                let chat: Chat = decode(doc, "id")?;
                // Ours was inserted exactly when the stored id is the one we offered.
                let created = chat.id == fresh.id;
                return Ok((chat, created));
            }
            Ok(None) => {
                return Err(StoreError::Backend("MongoDB returned no document from an upsert".into()));
            }
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(e).db(),
        }
    }
    Err(StoreError::Conflict("this customer's chat kept changing while opening it: try again".into()))
}

/// Chats asked for together (every worker looks at its chat before sending) are read
/// together: one `find` by their ids, each answer checked against its business.
pub(super) async fn get_chat(
    c: &Collections,
    reads: &Batcher<(UserId, ChatId), Option<Document>>,
    tenant: UserId,
    id: ChatId,
) -> Result<Chat> {
    let read_together = |wanted: Vec<(UserId, ChatId)>| async move {
        let ids: Vec<String> = wanted.iter().map(|(_, id)| id.to_string()).collect();
        let found: Vec<Document> = all(c.chats.find(doc! { "_id": { "$in": ids } })).await?;
        // Each chat is answered only to its own business.
        let by_owner_and_id: HashMap<(&str, &str), &Document> = found
            .iter()
            .filter_map(|doc| Some(((doc.get_str("user_id").ok()?, doc.get_str("_id").ok()?), doc)))
            .collect();
        Ok(wanted
            .iter()
            .map(|(tenant, id)| {
                let key = (tenant.to_string(), id.to_string());
                Ok(by_owner_and_id.get(&(key.0.as_str(), key.1.as_str())).map(|doc| (*doc).clone()))
            })
            .collect())
    };
    let found = reads.write((tenant, id), read_together).await?;
    decode(found.ok_or(StoreError::not_found("chat"))?, "id")
}

/// Sets the fields `update` names. Updates of many chats at once (every answer moves
/// its chat's lead score and flow step) go in one command, and the chats are read
/// back together; what is returned is the chat as it is right after the update.
pub(super) async fn update_chat(
    c: &Collections,
    batches: &Batches,
    tenant: UserId,
    id: ChatId,
    update: &ChatUpdate,
    now: Timestamp,
) -> Result<Chat> {
    let set = fields_set(update, now)?;
    if !write(c, &batches.chat_updates, (owned(tenant, id), doc! { "$set": set })).await? {
        return Err(StoreError::not_found("chat"));
    }
    get_chat(c, &batches.chat_reads, tenant, id).await
}

/// The `$set` of the fields `update` names, `updated_at` among them: what
/// [`ChatUpdate::apply_to`] does in memory.
pub(super) fn fields_set(update: &ChatUpdate, now: Timestamp) -> Result<Document> {
    let mut set = doc! { "updated_at": value(&now)? };
    if update.mode.is_some() {
        set.insert("mode_changed_at", value(&now)?);
    }
    let fields: [(&str, Option<Bson>); 9] = [
        ("status", update.status.as_ref().map(value).transpose()?),
        ("mode", update.mode.as_ref().map(value).transpose()?),
        ("lead", update.lead.as_ref().map(value).transpose()?),
        ("conversion", update.conversion.as_ref().map(value).transpose()?),
        ("handoff_requested", update.handoff_requested.map(Bson::Boolean)),
        ("customer_name", update.customer_name.as_deref().map(|name| Bson::String(name.to_owned()))),
        ("campaign_id", update.campaign_id.as_ref().map(value).transpose()?),
        ("flow_step", update.flow_step.as_ref().map(value).transpose()?),
        ("unreachable", update.unreachable.map(Bson::Boolean)),
    ];
    for (field, new) in fields {
        if let Some(new) = new {
            set.insert(field, new);
        }
    }
    Ok(set)
}

/// Applies `update` to the chat its filter finds (by id and business), in one command
/// with the updates of other chats waiting meanwhile; `false`: no such chat.
pub(super) async fn write(
    c: &Collections,
    updates: &Batcher<KeyedUpdate, bool>,
    update: KeyedUpdate,
) -> Result<bool> {
    let together =
        |updates: Vec<KeyedUpdate>| async move { statements::update_by_key(&c.db, &c.chats, updates).await };
    updates.write(update, together).await
}

pub(super) async fn convert_chat(
    c: &Collections,
    tenant: UserId,
    id: ChatId,
    conversion: &Conversion,
    now: Timestamp,
) -> Result<Chat> {
    let update = ChatUpdate::sale(conversion);
    update.validate()?;
    let mut filter = owned(tenant, id);
    filter.insert("conversion.converted", doc! { "$ne": true });
    let set = doc! {
        "status": value(&ChatStatus::Converted)?,
        "conversion": value(conversion)?,
        "updated_at": value(&now)?,
    };
    let updated = c
        .chats
        .find_one_and_update(filter, doc! { "$set": set })
        .return_document(ReturnDocument::After)
        .await
        .db()?;
    match updated {
        Some(chat) => decode(chat, "id"),
        // Not matched: converted already, or not this business's chat at all.
        None => match c.chats.find_one(owned(tenant, id)).await.db()? {
            Some(_) => Err(StoreError::Conflict("this chat is already converted".into())),
            None => Err(StoreError::not_found("chat")),
        },
    }
}

pub(super) async fn list_chats(c: &Collections, tenant: UserId, query: &ChatQuery) -> Result<Page<Chat>> {
    let limit = Page::<Chat>::limit(query.limit);
    let mut filter = doc! { "user_id": tenant.to_string() };
    if let Some(status) = &query.status {
        filter.insert("status", value(status)?);
    }
    if let Some(mode) = &query.mode {
        filter.insert("mode", value(mode)?);
    }
    if let Some(campaign) = &query.campaign_id {
        filter.insert("campaign_id", value(campaign)?);
    }
    if let Some(min) = query.min_score {
        filter.insert("lead.score", doc! { "$gte": i32::from(min) });
    }
    if let Some(text) = query.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // The same text the SQLite store searches: name and customer id together.
        filter.insert(
            "$expr",
            doc! { "$regexMatch": {
                "input": { "$concat": ["$customer_name", " ", "$customer_id"] },
                "regex": literal_regex(text),
                "options": "i",
            } },
        );
    }
    if let Some(Cursor { at, id }) = &query.after {
        let at = value(at)?;
        filter.insert(
            "$or",
            vec![
                doc! { "last_activity_at": { "$lt": at.clone() } },
                doc! { "last_activity_at": at, "_id": { "$lt": id.as_str() } },
            ],
        );
    }
    let query = c
        .chats
        .find(filter)
        .sort(doc! { "last_activity_at": -1, "_id": -1 })
        // One more than asked tells whether another page follows.
        .limit(count(limit) + 1);
    let docs: Vec<Document> = all(query).await?;
    let items = docs.into_iter().map(|doc| decode(doc, "id")).collect::<Result<Vec<Chat>>>()?;
    Ok(Page::from_overfetch(items, limit, Chat::cursor))
}

/// A regular expression that matches `text` literally: every ASCII punctuation mark
/// escaped (PCRE takes any escaped non-alphanumeric character as itself).
fn literal_regex(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() * 2);
    for ch in text.chars() {
        if ch.is_ascii_punctuation() {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_matched_literally() {
        assert_eq!(literal_regex("a.b*(c)"), r"a\.b\*\(c\)");
        assert_eq!(literal_regex("Ana María"), "Ana María");
        assert_eq!(literal_regex(r"\d+$"), r"\\d\+\$");
    }
}
