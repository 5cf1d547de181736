//! Claiming, in rounds. The workers of this process that want work wait together,
//! and one round serves all of them:
//!
//! 1. the live leases are read, then the oldest waiting events of the other
//!    conversations, from the `claim_window` index alone;
//! 2. one command takes a lease on one conversation per waiting worker;
//! 3. one command marks the events of the conversations whose lease was won;
//! 4. one read fetches them back, and each worker gets its conversation.
//!
//! A round costs these few round trips whether one worker waits or a hundred, and the
//! workers of one process never race each other for the same conversation. Claims of
//! different processes can still meet; the lease documents decide between them.

use std::collections::HashMap;
use std::time::Duration;

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::Hint;

use super::book::LeaseBook;
use super::{claimable, expiry};
use crate::model::{InboxClaim, InboxEvent, InboxStatus, LeaseId, Timestamp};
use crate::store::mongodb::Collections;
use crate::store::mongodb::batch::Batcher;
use crate::store::mongodb::codec::{all, count, decode, ids, value};
use crate::store::mongodb::indexes::CLAIM_WINDOW;
use crate::store::mongodb::statements;
use crate::store::{Result, StoreError};

/// Rounds for the same waiting workers when another process took conversations from
/// under them: there may be more to take.
const ROUNDS: usize = 4;

/// Waiting events read per waiting worker to find conversations for them (a customer
/// who wrote a few messages in a row takes a few), within these bounds.
const WINDOW_PER_WORKER: usize = 4;
const WINDOW_MIN: usize = 64;
const WINDOW_MAX: usize = 1_024;

/// What one worker asks for.
#[derive(Debug, Clone)]
pub(in crate::store::mongodb) struct Wanted {
    pub owner: String,
    pub now: Timestamp,
    pub lease_for: Duration,
    pub max_events: usize,
}

/// A conversation for one worker, or `None` when there is nothing to do. The workers
/// waiting meanwhile are served by the same rounds (the [`Batcher`] of claims). A
/// worker that stops waiting (its task cancelled) leaves a claim nobody works on; its
/// lease runs out, as after a crash.
pub(in crate::store::mongodb) async fn claim(
    c: &Collections,
    book: &LeaseBook,
    claims: &Batcher<Wanted, Option<InboxClaim>>,
    wanted: Wanted,
) -> Result<Option<InboxClaim>> {
    claims.write(wanted, |wanted| serve(c, book, wanted)).await
}

/// Runs rounds until every worker has its answer, in the order they asked.
async fn serve(
    c: &Collections,
    book: &LeaseBook,
    wanted: Vec<Wanted>,
) -> Result<Vec<Result<Option<InboxClaim>>>> {
    let mut answers: Vec<Option<InboxClaim>> = wanted.iter().map(|_| None).collect();
    let mut waiting: Vec<usize> = (0..wanted.len()).collect();
    for _ in 0..ROUNDS {
        if waiting.is_empty() {
            break;
        }
        let asking: Vec<Wanted> = waiting.iter().map(|&worker| wanted[worker].clone()).collect();
        let (mut claims, contested) = match round(c, &asking).await {
            Ok(served) => served,
            // Claims already taken are handed out; the others try again later.
            Err(error) if answers.iter().any(Option::is_some) => {
                tracing::warn!(%error, "a claim round failed after others succeeded");
                break;
            }
            Err(error) => return Err(error),
        };
        let mut unserved = Vec::new();
        for (index, worker) in waiting.into_iter().enumerate() {
            match claims.remove(&index) {
                Some(claim) => {
                    book.remember(claim.lease, claim.events.iter().map(|e| e.key.as_str()));
                    answers[worker] = Some(claim);
                }
                None => unserved.push(worker),
            }
        }
        waiting = unserved;
        if !contested {
            break; // all there was to take was taken
        }
    }
    Ok(answers.into_iter().map(Ok).collect())
}

/// A conversation with waiting events, and the oldest of them.
struct Candidate {
    conversation: String,
    keys: Vec<String>,
}

/// A conversation a round goes for, on behalf of waiter number `waiter`.
struct Pick<'a> {
    waiter: usize,
    wanted: &'a Wanted,
    candidate: Candidate,
    lease: LeaseId,
}

/// One round for the `wanted` workers: a claim for as many of them as there were free
/// conversations (by their index in `wanted`), and whether another process won any of
/// those this round went for.
async fn round(c: &Collections, wanted: &[Wanted]) -> Result<(HashMap<usize, InboxClaim>, bool)> {
    let none = || Ok((HashMap::new(), false));
    let Some(now) = wanted.iter().map(|w| w.now).max() else { return none() };
    let at = value(&now)?;
    let window = (wanted.len() * WINDOW_PER_WORKER).clamp(WINDOW_MIN, WINDOW_MAX);
    let picks: Vec<Pick<'_>> = candidates(c, &at, window)
        .await?
        .into_iter()
        .zip(wanted.iter().enumerate())
        .map(|(mut candidate, (waiter, wanted))| {
            candidate.keys.truncate(wanted.max_events.max(1));
            Pick { waiter, wanted, candidate, lease: LeaseId::new() }
        })
        .collect();
    if picks.is_empty() {
        return none();
    }

    // One lease per conversation: an upsert filtered on "expired", so a live lease
    // makes its insert collide with the existing document (E11000).
    let mut leases = Vec::with_capacity(picks.len());
    for Pick { wanted, candidate, lease, .. } in &picks {
        let until = now + wanted.lease_for;
        leases.push(doc! {
            "q": { "_id": candidate.conversation.as_str(), "lease_until": { "$lte": at.clone() } },
            "u": { "$set": {
                "lease": lease.to_string(),
                "owner": wanted.owner.as_str(),
                "lease_until": value(&until)?,
                "expires_at": expiry(until),
            } },
            "upsert": true,
        });
    }
    let taken = statements::update(&c.db, &c.inbox_leases, leases).await?;
    let mut contested = false;
    let mut won = Vec::with_capacity(picks.len());
    for (index, pick) in picks.into_iter().enumerate() {
        if let Some(error) = taken.other_failure(index) {
            return Err(error);
        }
        if taken.duplicate(index) {
            contested = true; // another process holds it
        } else {
            won.push(pick);
        }
    }
    if won.is_empty() {
        return Ok((HashMap::new(), contested));
    }

    // Their events, under the lease now: the same filter as the window's, so an event
    // finished meanwhile (by a worker whose lease expired) is left as it is.
    let mut marks = Vec::with_capacity(won.len());
    for Pick { candidate, lease, .. } in &won {
        let mut events = claimable(&at)?;
        events.insert("conversation", candidate.conversation.as_str());
        events.insert("_id", doc! { "$in": &candidate.keys });
        marks.push(doc! {
            "q": events,
            "u": {
                "$set": { "status": value(&InboxStatus::Leased)?, "lease": lease.to_string() },
                "$inc": { "attempts": 1_i64 },
            },
            "multi": true,
        });
    }
    let marked = statements::update(&c.db, &c.inbox, marks).await?;
    if let Some(error) = (0..won.len()).find_map(|index| marked.other_failure(index)) {
        return Err(error);
    }

    let mut events = leased_events(c, won.iter().map(|pick| pick.lease)).await?;
    let mut claims = HashMap::with_capacity(won.len());
    let mut empty = Vec::new();
    for Pick { waiter, wanted, candidate, lease } in won {
        match events.remove(&lease) {
            Some(events) => {
                let claim = InboxClaim {
                    lease,
                    conversation: candidate.conversation,
                    owner: wanted.owner.clone(),
                    lease_until: now + wanted.lease_for,
                    events,
                };
                claims.insert(waiter, claim);
            }
            // Someone finished them first: let go, so the conversation is free at once.
            None => empty.push(doc! { "lease": lease.to_string() }),
        }
    }
    if !empty.is_empty() {
        statements::delete(&c.db, &c.inbox_leases, empty).await?;
    }
    Ok((claims, contested))
}

/// The conversations with claimable events and no live lease, oldest waiting first,
/// each with its waiting events among the oldest `window`.
///
/// Two small reads: the live leases, then the oldest waiting events of the other
/// conversations, from the `claim_window` index alone. Neither grows with the backlog,
/// and a conversation held through a flood of its own events is left out by the query,
/// not read and skipped.
async fn candidates(c: &Collections, now: &Bson, window: usize) -> Result<Vec<Candidate>> {
    let held = ids(c.inbox_leases.find(doc! { "lease_until": { "$gt": now.clone() } })).await?;
    let mut waiting = claimable(now)?;
    waiting.insert("conversation", doc! { "$nin": held });
    let query = c
        .inbox
        .find(waiting)
        .sort(doc! { "occurred_at": 1, "_id": 1 })
        .projection(doc! { "_id": 1, "conversation": 1 })
        .hint(Hint::Name(CLAIM_WINDOW.to_owned()))
        .limit(count(window));
    let oldest: Vec<Document> = all(query).await?;
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut by_conversation: HashMap<String, usize> = HashMap::new();
    for event in oldest {
        let (Ok(key), Ok(conversation)) = (event.get_str("_id"), event.get_str("conversation")) else {
            return Err(StoreError::Corrupt(format!(
                "an inbox event's key or conversation is not text: {event}"
            )));
        };
        let index = *by_conversation.entry(conversation.to_owned()).or_insert_with(|| {
            candidates.push(Candidate { conversation: conversation.to_owned(), keys: Vec::new() });
            candidates.len() - 1
        });
        candidates[index].keys.push(key.to_owned());
    }
    Ok(candidates)
}

/// The events leased under each of `leases`, oldest first.
async fn leased_events(
    c: &Collections,
    leases: impl Iterator<Item = LeaseId>,
) -> Result<HashMap<LeaseId, Vec<InboxEvent>>> {
    let leases: Vec<String> = leases.map(|lease| lease.to_string()).collect();
    let query = c
        .inbox
        .find(doc! { "lease": { "$in": leases }, "status": value(&InboxStatus::Leased)? })
        .sort(doc! { "occurred_at": 1, "_id": 1 });
    let docs: Vec<Document> = all(query).await?;
    let mut by_lease: HashMap<LeaseId, Vec<InboxEvent>> = HashMap::new();
    for doc in docs {
        let event: InboxEvent = decode(doc, "key")?;
        let lease = event
            .lease
            .ok_or_else(|| StoreError::Corrupt(format!("inbox event {} is leased to nobody", event.key)))?;
        by_lease.entry(lease).or_default().push(event);
    }
    Ok(by_lease)
}
