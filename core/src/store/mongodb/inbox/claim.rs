//! Claiming: find the conversations with waiting events and no live lease, take the
//! first one whose lease we win, and lease its events to us.

use std::time::Duration;

use futures_util::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::Hint;

use super::book::LeaseBook;
use super::{claimable, expiry, leased_events};
use crate::model::{InboxClaim, InboxEvent, InboxStatus, LeaseId, Timestamp};
use crate::store::mongodb::Collections;
use crate::store::mongodb::codec::{DriverResult, count, decode, is_duplicate_key, value};
use crate::store::mongodb::indexes::CLAIM_WINDOW;
use crate::store::{Result, StoreError};

/// Conversations looked at per round of a claim: enough that a handful of workers
/// racing for the oldest ones still find a free one in the same round.
const CANDIDATES: usize = 16;

/// Rounds of a claim when every candidate was taken by another worker meanwhile.
const ROUNDS: usize = 4;

/// Waiting events read, oldest first, to find the candidates: a customer who wrote a
/// few messages in a row takes a few.
const WINDOW: i64 = 64;

/// What one claim asks for.
struct Wanted<'a> {
    owner: &'a str,
    now: Timestamp,
    lease_for: Duration,
    max_events: usize,
}

pub(in crate::store::mongodb) async fn claim(
    c: &Collections,
    book: &LeaseBook,
    owner: &str,
    now: Timestamp,
    lease_for: Duration,
    max_events: usize,
) -> Result<Option<InboxClaim>> {
    let wanted = Wanted { owner, now, lease_for, max_events: max_events.max(1) };
    let now = value(&now)?;
    for _ in 0..ROUNDS {
        let candidates = candidates(c, &now).await?;
        if candidates.is_empty() {
            return Ok(None);
        }
        for conversation in candidates {
            if let Some(claim) = try_conversation(c, &wanted, conversation).await? {
                book.remember(claim.lease, claim.events.iter().map(|e| e.key.as_str()));
                return Ok(Some(claim));
            }
        }
    }
    // Every conversation we saw was taken by someone else first: the caller polls again.
    Ok(None)
}

/// The conversations with claimable events and no live lease, oldest waiting first.
///
/// Two small reads: the live leases, then the oldest waiting events of the other
/// conversations, from the `claim_window` index alone. Neither grows with the backlog,
/// and a conversation held through a flood of its own events is left out by the query,
/// not read and skipped.
async fn candidates(c: &Collections, now: &Bson) -> Result<Vec<String>> {
    let live: Vec<Document> = c
        .inbox_leases
        .find(doc! { "lease_until": { "$gt": now.clone() } })
        .projection(doc! { "_id": 1 })
        .await
        .db()?
        .try_collect()
        .await
        .db()?;
    let held: Vec<Bson> = live.into_iter().filter_map(|lease| lease.get("_id").cloned()).collect();
    let mut waiting = claimable(now)?;
    waiting.insert("conversation", doc! { "$nin": held });
    let oldest: Vec<Document> = c
        .inbox
        .find(waiting)
        .sort(doc! { "occurred_at": 1, "_id": 1 })
        .projection(doc! { "_id": 0, "conversation": 1 })
        .hint(Hint::Name(CLAIM_WINDOW.to_owned()))
        .limit(WINDOW)
        .await
        .db()?
        .try_collect()
        .await
        .db()?;
    let mut conversations: Vec<String> = Vec::new();
    for event in oldest {
        let conversation = match event.get("conversation") {
            Some(Bson::String(conversation)) => conversation.clone(),
            other => {
                return Err(StoreError::Corrupt(format!(
                    "an inbox event's conversation is not text: {other:?}"
                )));
            }
        };
        if !conversations.contains(&conversation) {
            conversations.push(conversation);
        }
    }
    conversations.truncate(CANDIDATES);
    Ok(conversations)
}

/// Takes the conversation's lease if it is free, then its waiting events; `None` when
/// another worker holds it or nothing is left to take.
async fn try_conversation(
    c: &Collections,
    wanted: &Wanted<'_>,
    conversation: String,
) -> Result<Option<InboxClaim>> {
    let lease = LeaseId::new();
    let lease_until = wanted.now + wanted.lease_for;
    let now = value(&wanted.now)?;
    let mut waiting = claimable(&now)?;
    waiting.insert("conversation", conversation.as_str());

    // Taking the lease and reading the events it will cover go together: the read
    // is only a proposal, which the update below confirms under the lease.
    let take = c
        .inbox_leases
        .update_one(
            doc! { "_id": conversation.as_str(), "lease_until": { "$lte": now.clone() } },
            doc! { "$set": {
                "lease": lease.to_string(),
                "owner": wanted.owner,
                "lease_until": value(&lease_until)?,
                "expires_at": expiry(lease_until),
            } },
        )
        .upsert(true);
    let read = async {
        let cursor = c
            .inbox
            .find(waiting.clone())
            .sort(doc! { "occurred_at": 1, "_id": 1 })
            .limit(count(wanted.max_events))
            .await?;
        cursor.try_collect::<Vec<Document>>().await
    };
    let (taken, picked) = tokio::join!(take.into_future(), read);
    match taken {
        Ok(_) => {}
        // A live lease: the upsert's insert met the existing document.
        Err(e) if is_duplicate_key(&e) => return Ok(None),
        Err(e) => return Err(e).db(),
    }

    let mut events =
        picked.db()?.into_iter().map(|doc| decode(doc, "key")).collect::<Result<Vec<InboxEvent>>>()?;
    if !events.is_empty() {
        // Under the lease now, the same filter again: an event finished meanwhile (by
        // the worker whose lease expired) is left as it is.
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
    let owner = wanted.owner.to_owned();
    Ok(Some(InboxClaim { lease, conversation, owner, lease_until, events }))
}
