//! The durable inbox: idempotent enqueue, and conversation leases for the workers.
//!
//! An event's `_id` is its key, so a redelivered event is refused by the primary key
//! itself. A worker holds a conversation through one document in `inbox_leases`
//! whose `_id` is the conversation: taking it is an upsert filtered on "expired", so
//! while a live lease exists the upsert's insert collides with it (E11000) and the
//! worker moves on to the next conversation. Two workers can therefore never hold
//! the same conversation, and an expired lease is simply overwritten by the next
//! claim.

use std::time::Duration;

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, DateTime, Document, doc};

use super::Collections;
use super::codec::{DriverResult, count, decode, encode, is_duplicate_key, value};
use crate::model::{Enqueued, InboxClaim, InboxEvent, InboxStatus, LeaseId, NewInboxEvent, Timestamp};
use crate::store::{Result, StoreError};

/// Conversations looked at per round of a claim: enough that a handful of workers
/// racing for the oldest ones still find a free one in the same round.
const CANDIDATES: i64 = 16;

/// Rounds of a claim when every candidate was taken by another worker meanwhile.
const ROUNDS: usize = 4;

pub(super) async fn enqueue(c: &Collections, event: &NewInboxEvent) -> Result<Enqueued> {
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
    match c.inbox.insert_one(encode(&stored, "key")?).await {
        Ok(_) => Ok(Enqueued::New),
        Err(e) if is_duplicate_key(&e) => Ok(Enqueued::Duplicate),
        Err(e) => Err(e).db(),
    }
}

/// Events a worker may take: waiting and due, or marked leased (which counts only
/// once the conversation's lease has expired; callers check that).
fn claimable(now: &Bson) -> Result<Document> {
    Ok(doc! { "$or": [
        { "status": value(&InboxStatus::Pending)?, "available_at": { "$lte": now.clone() } },
        { "status": value(&InboxStatus::Leased)? },
    ] })
}

pub(super) async fn claim(
    c: &Collections,
    owner: &str,
    now: Timestamp,
    lease_for: Duration,
    max_events: usize,
) -> Result<Option<InboxClaim>> {
    let now_bson = value(&now)?;
    for _ in 0..ROUNDS {
        let candidates = candidates(c, &now_bson).await?;
        if candidates.is_empty() {
            return Ok(None);
        }
        for conversation in candidates {
            if let Some(claim) = try_conversation(c, owner, now, lease_for, max_events, conversation).await? {
                return Ok(Some(claim));
            }
        }
    }
    // Every conversation we saw was taken by someone else first: the caller polls again.
    Ok(None)
}

#[cfg(test)]
pub(super) async fn candidates_for_test(c: &Collections, now: &Bson) -> Result<Vec<String>> {
    candidates(c, now).await
}

/// The conversations with claimable events and no live lease, oldest waiting first.
async fn candidates(c: &Collections, now: &Bson) -> Result<Vec<String>> {
    let pipeline = [
        doc! { "$match": claimable(now)? },
        doc! { "$group": {
            "_id": "$conversation",
            "first_at": { "$min": "$occurred_at" },
            "first_key": { "$min": "$_id" },
        } },
        doc! { "$lookup": {
            "from": c.inbox_leases.name(),
            "localField": "_id",
            "foreignField": "_id",
            "as": "held",
        } },
        // No lease document, or one that has run out.
        doc! { "$match": { "held.lease_until": { "$not": { "$gt": now.clone() } } } },
        doc! { "$sort": { "first_at": 1, "first_key": 1 } },
        doc! { "$limit": CANDIDATES },
        doc! { "$project": { "_id": 1 } },
    ];
    let groups: Vec<Document> = c.inbox.aggregate(pipeline).await.db()?.try_collect().await.db()?;
    groups
        .into_iter()
        .map(|group| match group.get("_id") {
            Some(Bson::String(conversation)) => Ok(conversation.clone()),
            other => {
                Err(StoreError::Corrupt(format!("an inbox event's conversation is not text: {other:?}")))
            }
        })
        .collect()
}

/// Takes the conversation's lease if it is free, then its waiting events; `None` when
/// another worker holds it or nothing is left to take.
async fn try_conversation(
    c: &Collections,
    owner: &str,
    now: Timestamp,
    lease_for: Duration,
    max_events: usize,
    conversation: String,
) -> Result<Option<InboxClaim>> {
    let lease = LeaseId::new();
    let lease_until = now + lease_for;
    let now_bson = value(&now)?;
    let taken = c
        .inbox_leases
        .update_one(
            doc! { "_id": conversation.as_str(), "lease_until": { "$lte": now_bson.clone() } },
            doc! { "$set": {
                "lease": lease.to_string(),
                "owner": owner,
                "lease_until": value(&lease_until)?,
                "expires_at": expiry(lease_until),
            } },
        )
        .upsert(true)
        .await;
    match taken {
        Ok(_) => {}
        // A live lease: the upsert's insert met the existing document.
        Err(e) if is_duplicate_key(&e) => return Ok(None),
        Err(e) => return Err(e).db(),
    }

    // Holding the conversation now, events still marked leased belong to a lease that
    // expired: they are taken again.
    let mut waiting = claimable(&now_bson)?;
    waiting.insert("conversation", conversation.as_str());
    let picked: Vec<Document> = c
        .inbox
        .find(waiting.clone())
        .sort(doc! { "occurred_at": 1, "_id": 1 })
        .limit(count(max_events.max(1)))
        .await
        .db()?
        .try_collect()
        .await
        .db()?;
    let mut events = picked.into_iter().map(|doc| decode(doc, "key")).collect::<Result<Vec<InboxEvent>>>()?;
    if !events.is_empty() {
        // The filter is repeated so that an event finished meanwhile by the worker
        // whose lease expired is left as it is.
        let keys: Vec<&str> = events.iter().map(|e| e.key.as_str()).collect();
        waiting.insert("_id", doc! { "$in": keys });
        let taken = c
            .inbox
            .update_many(
                waiting,
                doc! {
                    "$set": { "status": value(&InboxStatus::Leased)?, "lease": lease.to_string() },
                    "$inc": { "attempts": 1_i64 },
                },
            )
            .await
            .db()?;
        if u64::try_from(events.len()).ok() == Some(taken.modified_count) {
            // All of them: they now read as we just wrote them, no need to ask again.
            for event in &mut events {
                event.status = InboxStatus::Leased;
                event.lease = Some(lease);
                event.attempts += 1;
            }
        } else {
            events = leased_events(c, lease).await?;
        }
    }
    if events.is_empty() {
        // Someone finished them first: let go, so the conversation is free at once.
        c.inbox_leases
            .delete_one(doc! { "_id": conversation.as_str(), "lease": lease.to_string() })
            .await
            .db()?;
        return Ok(None);
    }
    Ok(Some(InboxClaim { lease, conversation, owner: owner.to_owned(), lease_until, events }))
}

async fn leased_events(c: &Collections, lease: LeaseId) -> Result<Vec<InboxEvent>> {
    let docs: Vec<Document> = c
        .inbox
        .find(doc! { "lease": lease.to_string(), "status": value(&InboxStatus::Leased)? })
        .sort(doc! { "occurred_at": 1, "_id": 1 })
        .await
        .db()?
        .try_collect()
        .await
        .db()?;
    docs.into_iter().map(|doc| decode(doc, "key")).collect()
}

/// When the server may forget a lease document: its TTL index deletes it a day after
/// this (see `indexes`). Leases are decided by `lease_until` and the caller's clock;
/// this date only keeps the collection from growing by one document per conversation
/// ever seen.
fn expiry(lease_until: Timestamp) -> DateTime {
    DateTime::from_millis(lease_until.as_millis())
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

pub(super) async fn complete(c: &Collections, lease: LeaseId, key: &str) -> Result<()> {
    let done = doc! { "$set": { "status": value(&InboxStatus::Done)?, "lease": Bson::Null, "last_error": Bson::Null } };
    if c.inbox.update_one(held(lease, key)?, done).await.db()?.matched_count == 0 {
        return Err(lost());
    }
    end_if_finished(c, lease).await
}

pub(super) async fn fail(
    c: &Collections,
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
    if c.inbox.update_one(held(lease, key)?, doc! { "$set": set }).await.db()?.matched_count == 0 {
        return Err(lost());
    }
    end_if_finished(c, lease).await
}

/// A lease whose last event is done or failed ends by itself: the conversation is
/// free for the events that arrived meanwhile, without another call. Looking and then
/// deleting is safe without a transaction: nothing is leased under a lease id after
/// its claim returned, so once none of its events is left, none comes back.
async fn end_if_finished(c: &Collections, lease: LeaseId) -> Result<()> {
    let open = doc! { "lease": lease.to_string(), "status": value(&InboxStatus::Leased)? };
    if c.inbox.find_one(open).projection(doc! { "_id": 1 }).await.db()?.is_none() {
        c.inbox_leases.delete_one(doc! { "lease": lease.to_string() }).await.db()?;
    }
    Ok(())
}

/// Also for a lease that already ended (by its last event, or taken over): then
/// nothing matches and nothing changes.
pub(super) async fn release(c: &Collections, lease: LeaseId) -> Result<()> {
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
