//! The durable inbox: idempotent enqueue, and conversation leases for the workers.
//!
//! An event's `_id` is its key, so a redelivered event is refused by the primary key
//! itself. A worker holds a conversation through a `hold` on one of its events (the
//! newest it took, which it finishes last): the conversation, the lease id and until
//! when. A unique index on the hold's conversation lets only one event of a
//! conversation carry one, so two workers can never hold the same conversation; one
//! that ran out is let go by the next claim.
//!
//! A lease ends with its last event (done or failed), or when released. Nothing here
//! needs a multi-document transaction: the hold is the lock, each event's update
//! checks the lease id, and [`LeaseBook`] lets the usual last event end its own hold
//! in the statement that ends it. The hold costs no write of its own: it is set by the
//! claim's write of the event, and cleared by its end's. (It was a document of its
//! own, in `inbox_leases`, whose insert and delete were two of the dozen writes a
//! customer message made.)

mod book;
mod claim;

use mongodb::bson::{Bson, Document, doc};

use book::Finishing;
pub(super) use book::LeaseBook;
pub(super) use claim::{Wanted, claim};

use super::Collections;
use super::batch::{Batcher, Batches};
use super::codec::{DriverResult, all, count, decode, encode, ids, value};
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
pub(in crate::store::mongodb) fn claimable(now: &Bson) -> Result<Document> {
    Ok(doc! { "$or": [
        { "status": value(&InboxStatus::Pending)?, "available_at": { "$lte": now.clone() } },
        { "status": value(&InboxStatus::Leased)? },
    ] })
}

/// The field of an event that holds its conversation: `{ conversation, lease, owner,
/// until }`, on one event per held conversation.
pub(super) const HOLD: &str = "hold";

/// The update that lets go of a hold.
pub(super) fn released() -> Document {
    doc! { "$unset": { HOLD: "" } }
}

/// The event that carries the hold of `lease`.
pub(super) fn holding(lease: LeaseId) -> Document {
    doc! { "hold.lease": lease.to_string() }
}

fn lost() -> StoreError {
    StoreError::Conflict("the inbox lease was lost: another worker holds the conversation".into())
}

pub(super) async fn extend(c: &Collections, lease: LeaseId, until: Timestamp) -> Result<()> {
    let result =
        c.inbox.update_one(holding(lease), doc! { "$set": { "hold.until": value(&until)? } }).await.db()?;
    if result.matched_count == 0 {
        return Err(lost());
    }
    Ok(())
}

/// The event `key` if it is still held under `lease`.
fn held(lease: LeaseId, key: &str) -> Result<Document> {
    Ok(doc! { "_id": key, "lease": lease.to_string(), "status": value(&InboxStatus::Leased)? })
}

pub(super) async fn complete(
    c: &Collections,
    book: &LeaseBook,
    batches: &Batches,
    lease: LeaseId,
    key: &str,
) -> Result<()> {
    let set = doc! {
        "status": value(&InboxStatus::Done)?,
        "lease": Bson::Null,
        "last_error": Bson::Null,
    };
    finish(c, book, batches, lease, key, set).await
}

pub(super) async fn fail(
    c: &Collections,
    book: &LeaseBook,
    batches: &Batches,
    lease: LeaseId,
    key: &str,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    finish(c, book, batches, lease, key, failed_set(error, retry_at)?).await
}

/// What a failed event's end sets: back to waiting from `retry_at`, or given up.
fn failed_set(error: &str, retry_at: Option<Timestamp>) -> Result<Document> {
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
    Ok(set)
}

/// On an ended event: a mark of the statement that ended it, so a batch of endings
/// can tell which of its statements matched.
const ENDED_BY: &str = "ended_by";

/// An event's end: its key, the lease that must still hold it, what to `$set` (always
/// its new `status`, and `lease: null`), and whether it lets go of the hold it carries.
#[derive(Debug)]
pub(in crate::store::mongodb) struct Ending {
    key: String,
    lease: LeaseId,
    set: Document,
    lets_go: bool,
}

impl Ending {
    fn new(key: &str, lease: LeaseId, set: Document) -> Self {
        Self { key: key.to_owned(), lease, set, lets_go: false }
    }
}

/// Sets `set` on the event `key` if `lease` still holds it, and ends the lease after
/// its last event: the conversation is then free for the events that arrived
/// meanwhile, without another call. Events of many conversations that end together
/// are written together.
async fn finish(
    c: &Collections,
    book: &LeaseBook,
    batches: &Batches,
    lease: LeaseId,
    key: &str,
    set: Document,
) -> Result<()> {
    let mut ending = Ending::new(key, lease, set);
    match book.finish(lease, key) {
        // The usual end: the last event carries the hold, and lets go of it.
        Finishing::Last { anchor: true } => {
            ending.lets_go = true;
            return if end_event(c, batches, ending).await? { Ok(()) } else { Err(lost()) };
        }
        // The last one, finished after the one with the hold: the event ends, then the
        // hold. In that order: the other way round, the event would be leased for a
        // moment with no hold on its conversation, for another worker to take.
        Finishing::Last { anchor: false } => {
            if !end_event(c, batches, ending).await? {
                return Err(lost());
            }
            return let_go(c, batches, lease).await;
        }
        Finishing::Unsure => {}
    }
    // Are other events still held? Asked beside the update, since the answer does not
    // depend on it; nothing is leased under a lease id after its claim returned, so
    // once none is left, none comes back and ending the lease cannot race.
    let mut others = held(lease, key)?;
    others.insert("_id", doc! { "$ne": key });
    let (ended, left) = tokio::join!(
        end_event(c, batches, ending),
        c.inbox.find_one(others).projection(doc! { "_id": 1 }).into_future()
    );
    if !ended? {
        book.forget(lease);
        return Err(lost());
    }
    if left.db()?.is_none() {
        book.forget(lease);
        let_go(c, batches, lease).await?;
    }
    Ok(())
}

/// Ends one event, with the others ending at the same time; says whether its lease
/// still held it.
async fn end_event(c: &Collections, batches: &Batches, ending: Ending) -> Result<bool> {
    batches.endings.write(ending, |endings| async move { end_events(c, endings).await }).await
}

/// Ends events in one command; says of each whether its lease still held it. The
/// server counts matches for the whole command only: when all matched, that settles
/// it; otherwise the events are read back, each marked by the statement that ended it.
async fn end_events(c: &Collections, endings: Vec<Ending>) -> Result<Vec<Result<bool>>> {
    let marks: Vec<String> = endings.iter().map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let mut statements = Vec::with_capacity(endings.len());
    for (ending, mark) in endings.iter().zip(&marks) {
        let mut set = ending.set.clone();
        set.insert(ENDED_BY, mark.as_str());
        let mut update = doc! { "$set": set };
        if ending.lets_go {
            update.extend(released());
        }
        statements.push(doc! { "q": held(ending.lease, &ending.key)?, "u": update });
    }
    let (failures, all_matched) =
        statements::update(&c.db, &c.inbox, statements).await?.failures(endings.len());
    if all_matched {
        return Ok(failures.into_iter().map(|failure| failure.map_or(Ok(true), Err)).collect());
    }
    let keys: Vec<&str> = endings.iter().map(|ending| ending.key.as_str()).collect();
    let now: Vec<Document> =
        all(c.inbox.find(doc! { "_id": { "$in": keys } }).projection(doc! { ENDED_BY: 1 })).await?;
    Ok(failures
        .into_iter()
        .zip(endings.iter().zip(&marks))
        .map(|(failure, (ending, mark))| match failure {
            Some(error) => Err(error),
            None => Ok(now.iter().any(|event| {
                event.get_str("_id").is_ok_and(|id| id == ending.key)
                    && event.get_str(ENDED_BY).is_ok_and(|by| by == mark)
            })),
        })
        .collect())
}

/// Lets go of the lease's hold, with those of other conversations ending together.
async fn let_go(c: &Collections, batches: &Batches, lease: LeaseId) -> Result<()> {
    let update = |filters: Vec<Document>| async move {
        let count = filters.len();
        let statements = filters.into_iter().map(|q| doc! { "q": q, "u": released() }).collect();
        let outcome = statements::update(&c.db, &c.inbox, statements).await?;
        Ok(outcome.answers(count, (), ()))
    };
    batches.lets_go.write(holding(lease), update).await
}

/// Also for a lease that already ended (by its last event, or taken over): then
/// nothing matches and nothing changes.
pub(super) async fn release(
    c: &Collections,
    book: &LeaseBook,
    batches: &Batches,
    lease: LeaseId,
) -> Result<()> {
    book.forget(lease);
    put_back(c, lease).await?;
    let_go(c, batches, lease).await
}

/// The failed events end as [`fail`] ends one, the rest of the claim waits again, and
/// the conversation stays held until their retry (or is free at once when they were
/// given up).
///
/// The hold comes first, moved to a lease of its own under a new id: a process that stops
/// after it leaves every event leased until the retry, to be taken again then in
/// order, and whatever the worker still sends under its old id (a heartbeat already on
/// its way) finds nothing to extend. Conflict if the lease was lost.
pub(super) async fn give_back(
    c: &Collections,
    book: &LeaseBook,
    batches: &Batches,
    lease: LeaseId,
    failed: &[String],
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<()> {
    book.forget(lease);
    if let Some(at) = retry_at {
        let hold = doc! { "$set": { "hold.lease": LeaseId::new().to_string(), "hold.until": value(&at)? } };
        let moved = c.inbox.update_one(holding(lease), hold).await.db()?;
        if moved.matched_count == 0 {
            return Err(lost());
        }
    }
    let set = failed_set(error, retry_at)?;
    let endings = failed.iter().map(|key| end_event(c, batches, Ending::new(key, lease, set.clone())));
    for ended in futures_util::future::join_all(endings).await {
        if !ended? {
            return Err(lost());
        }
    }
    put_back(c, lease).await?;
    match retry_at {
        Some(_) => Ok(()),
        None => let_go(c, batches, lease).await,
    }
}

/// The events still leased under `lease` wait again, untried: their claim no longer
/// counts as an attempt.
async fn put_back(c: &Collections, lease: LeaseId) -> Result<()> {
    c.inbox
        .update_many(
            doc! { "lease": lease.to_string(), "status": value(&InboxStatus::Leased)? },
            doc! {
                "$set": { "status": value(&InboxStatus::Pending)?, "lease": Bson::Null },
                "$inc": { "attempts": -1_i64 },
            },
        )
        .await
        .db()?;
    Ok(())
}

/// The oldest handled events' ids first, then those of them still handled: a bite
/// at a time, through the index of status and due time. An event that still carries
/// its conversation's hold is kept (its lease's other events may be at work); a hold
/// that ran out before `before` is let go of first, whatever left it behind (a stop
/// between an event's end and its hold's).
pub(super) async fn forget_handled(c: &Collections, before: Timestamp, limit: usize) -> Result<usize> {
    let forgotten = doc! { "hold.conversation": { "$gt": "" }, "hold.until": { "$lt": value(&before)? } };
    c.inbox.update_many(forgotten, released()).await.db()?;
    let handled = doc! {
        "status": value(&InboxStatus::Done)?,
        "available_at": { "$lt": value(&before)? },
        HOLD: { "$exists": false },
    };
    let oldest =
        c.inbox.find(handled.clone()).sort(doc! { "status": 1, "available_at": 1 }).limit(count(limit));
    let oldest = ids(oldest).await?;
    if oldest.is_empty() {
        return Ok(0);
    }
    let mut these = handled;
    these.insert("_id", doc! { "$in": oldest });
    let deleted = c.inbox.delete_many(these).await.db()?;
    Ok(usize::try_from(deleted.deleted_count).unwrap_or(usize::MAX))
}

pub(super) async fn get(c: &Collections, key: &str) -> Result<InboxEvent> {
    let found = c.inbox.find_one(doc! { "_id": key }).await.db()?;
    decode(found.ok_or(StoreError::not_found("inbox event"))?, "key")
}
