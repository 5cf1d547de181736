//! The durable inbox: idempotent enqueue, and conversation leases for the workers.
//!
//! An event's `_id` is its key, so a redelivered event is refused by the primary key
//! itself. A worker holds a conversation through one document in `inbox_leases`
//! whose `_id` is the conversation: taking it is an upsert filtered on "expired", so
//! while a live lease exists the upsert's insert collides with it (E11000) and the
//! worker moves on to the next conversation. Two workers can therefore never hold
//! the same conversation, and an expired lease is simply overwritten by the next
//! claim.
//!
//! A lease ends with its last event (done or failed), or when released. Nothing here
//! needs a multi-document transaction: the lease document is the lock, each event's
//! update checks the lease id, and [`LeaseBook`] lets the last event and the end of
//! its lease share one round trip.

mod book;
mod claim;

use mongodb::bson::{Bson, DateTime, Document, doc};

use book::Finishing;
pub(super) use book::LeaseBook;
pub(super) use claim::{Claims, Wanted};

use super::Collections;
use super::batch::Batcher;
use super::codec::{DriverResult, decode, encode, value};
use super::statements;
use crate::model::{Enqueued, InboxEvent, InboxStatus, LeaseId, NewInboxEvent, Timestamp};
use crate::store::{Result, StoreError};

/// Stores an event once per key. Enqueues that arrive together (a webhook burst, many
/// pages at once) go to the server in one `insert` command; each learns for itself
/// whether its event was new.
pub(super) async fn enqueue(
    c: &Collections,
    enqueues: &Batcher<Document, Enqueued>,
    event: &NewInboxEvent,
) -> Result<Enqueued> {
    let stored = InboxEvent {
        key: event.key.clone(),
        user_id: event.user_id,
        platform: event.platform,
        conversation: event.conversation.clone(),
        occurred_at: event.occurred_at,
        payload: event.payload.clone(),
        received_at: event.received_at,
        status: InboxStatus::Pending,
        attempts: 0,
        last_error: None,
        available_at: event.received_at,
        lease: None,
    };
    let insert = |events: Vec<Document>| async move {
        let count = events.len();
        let outcome = statements::insert(&c.db, &c.inbox, events).await?;
        // The key is the primary key: a duplicate is the same event again.
        Ok(outcome.answers(count, Enqueued::New, Enqueued::Duplicate))
    };
    enqueues.write(encode(&stored, "key")?, insert).await
}

/// Events a worker may take: waiting and due, or marked leased (which counts only
/// once the conversation's lease has expired; callers check that).
fn claimable(now: &Bson) -> Result<Document> {
    Ok(doc! { "$or": [
        { "status": value(&InboxStatus::Pending)?, "available_at": { "$lte": now.clone() } },
        { "status": value(&InboxStatus::Leased)? },
    ] })
}

/// When the server may forget a lease document: its TTL index deletes it a day after
/// this (see `indexes`). Leases are decided by `lease_until` and the caller's clock;
/// this date only keeps the collection from growing by one document per conversation
/// ever seen. The server's TTL runs on the wall clock, so a lease dated in the past by
/// an injected clock (tests) counts from now instead, and is not forgotten while used.
fn expiry(lease_until: Timestamp) -> DateTime {
    DateTime::from_millis(lease_until.max(Timestamp::now()).as_millis())
}

fn lost() -> StoreError {
    StoreError::Conflict("the inbox lease was lost: another worker holds the conversation".into())
}

pub(super) async fn extend(c: &Collections, lease: LeaseId, until: Timestamp) -> Result<()> {
    let result = c
        .inbox_leases
        .update_one(
            doc! { "lease": lease.to_string() },
            doc! { "$set": { "lease_until": value(&until)?, "expires_at": expiry(until) } },
        )
        .await
        .db()?;
    if result.matched_count == 0 {
        return Err(lost());
    }
    Ok(())
}

/// The event `key` if it is still held under `lease`.
fn held(lease: LeaseId, key: &str) -> Result<Document> {
    Ok(doc! { "_id": key, "lease": lease.to_string(), "status": value(&InboxStatus::Leased)? })
}

pub(super) async fn complete(c: &Collections, book: &LeaseBook, lease: LeaseId, key: &str) -> Result<()> {
    let done = doc! { "$set": {
        "status": value(&InboxStatus::Done)?,
        "lease": Bson::Null,
        "last_error": Bson::Null,
    } };
    finish(c, book, lease, key, done).await
}

pub(super) async fn fail(
    c: &Collections,
    book: &LeaseBook,
    lease: LeaseId,
    key: &str,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    let mut set = doc! { "lease": Bson::Null, "last_error": error };
    match retry_at {
        Some(at) => {
            set.insert("status", value(&InboxStatus::Pending)?);
            set.insert("available_at", value(&at)?);
        }
        None => {
            set.insert("status", value(&InboxStatus::Failed)?);
        }
    }
    finish(c, book, lease, key, doc! { "$set": set }).await
}

/// Applies `update` to the event `key` if `lease` still holds it, and ends the lease
/// after its last event: the conversation is then free for the events that arrived
/// meanwhile, without another call.
async fn finish(
    c: &Collections,
    book: &LeaseBook,
    lease: LeaseId,
    key: &str,
    update: Document,
) -> Result<()> {
    let ours = doc! { "lease": lease.to_string() };
    let event = c.inbox.update_one(held(lease, key)?, update);
    if book.finish(lease, key) == Finishing::Last {
        // The book knows it is the last one: the event and the lease end together.
        // Should the event's update fail, ending the lease anyway is harmless: a lost
        // lease has another id by now, and otherwise nothing else was left under it.
        let (updated, ended) = tokio::join!(event.into_future(), c.inbox_leases.delete_one(ours.clone()));
        if updated.db()?.matched_count == 0 {
            return Err(lost());
        }
        return ended.db().map(drop);
    }
    // Are other events still held? Asked beside the update, since the answer does not
    // depend on it; nothing is leased under a lease id after its claim returned, so
    // once none is left, none comes back and ending the lease cannot race.
    let mut others = held(lease, key)?;
    others.insert("_id", doc! { "$ne": key });
    let (updated, left) = tokio::join!(
        event.into_future(),
        c.inbox.find_one(others).projection(doc! { "_id": 1 }).into_future()
    );
    if updated.db()?.matched_count == 0 {
        book.forget(lease);
        return Err(lost());
    }
    if left.db()?.is_none() {
        book.forget(lease);
        c.inbox_leases.delete_one(ours).await.db()?;
    }
    Ok(())
}

/// Also for a lease that already ended (by its last event, or taken over): then
/// nothing matches and nothing changes.
pub(super) async fn release(c: &Collections, book: &LeaseBook, lease: LeaseId) -> Result<()> {
    book.forget(lease);
    c.inbox
        .update_many(
            doc! { "lease": lease.to_string(), "status": value(&InboxStatus::Leased)? },
            doc! { "$set": { "status": value(&InboxStatus::Pending)?, "lease": Bson::Null } },
        )
        .await
        .db()?;
    c.inbox_leases.delete_one(doc! { "lease": lease.to_string() }).await.db()?;
    Ok(())
}

pub(super) async fn get(c: &Collections, key: &str) -> Result<InboxEvent> {
    let found = c.inbox.find_one(doc! { "_id": key }).await.db()?;
    decode(found.ok_or(StoreError::not_found("inbox event"))?, "key")
}
