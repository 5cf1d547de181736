//! Claiming, in rounds. The workers of this process that want work wait together,
//! and one round serves all of them:
//!
//! 1. the holds are read, then the oldest waiting events of the conversations no live
//!    hold keeps, from the `claim_waiting` index alone;
//! 2. one command takes the newest event of each conversation, one per waiting
//!    worker, and puts the conversation's hold on it;
//! 3. one command takes the conversations' other events, when they have more than one;
//! 4. one read fetches them back, and each worker gets its conversation.
//!
//! A round costs these few round trips whether one worker waits or a hundred, and the
//! workers of one process never race each other for the same conversation. Claims of
//! different processes can still meet; the holds' unique index decides between them.

use std::collections::HashMap;
use std::time::Duration;

use mongodb::bson::{Bson, Document, doc};
use mongodb::options::Hint;
use serde::Deserialize;

use super::book::LeaseBook;
use super::{HOLD, claimable, holding, released};
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
                Some((claim, anchor)) => {
                    book.remember(claim.lease, claim.events.iter().map(|e| e.key.as_str()), &anchor);
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

/// A conversation a round goes for, on behalf of waiter number `waiter`: its hold goes
/// on the newest event taken, which is finished last.
struct Pick<'a> {
    waiter: usize,
    wanted: &'a Wanted,
    candidate: Candidate,
    lease: LeaseId,
}

impl Pick<'_> {
    fn anchor(&self) -> &str {
        self.candidate.keys.last().map_or("", String::as_str)
    }
}

/// An event that holds its conversation.
#[derive(Debug, Deserialize)]
struct Holding {
    key: String,
    hold: Hold,
}

/// A conversation's hold, as stored on one of its events.
#[derive(Debug, Deserialize)]
struct Hold {
    conversation: String,
    lease: String,
    until: Timestamp,
}

/// A hold that ran out, and the event it is on.
struct Stale {
    key: String,
    lease: String,
}

/// What a round hands out: each waiter's claim, with the key its hold is on.
type Served = HashMap<usize, (InboxClaim, String)>;

/// One round for the `wanted` workers: a claim for as many of them as there were free
/// conversations (by their index in `wanted`), and whether another process won any of
/// those this round went for.
async fn round(c: &Collections, wanted: &[Wanted]) -> Result<(Served, bool)> {
    let none = || Ok((HashMap::new(), false));
    let Some(now) = wanted.iter().map(|w| w.now).max() else { return none() };
    let at = value(&now)?;
    let window = (wanted.len() * WINDOW_PER_WORKER).clamp(WINDOW_MIN, WINDOW_MAX);
    let (candidates, stale) = candidates(c, now, &at, window).await?;
    let picks: Vec<Pick<'_>> = candidates
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

    let_go_of_stale(c, &picks, &stale, &at).await?;
    let (won, contested) = hold(c, picks, now, &at).await?;
    if won.is_empty() {
        return Ok((HashMap::new(), contested));
    }
    take_older(c, &won, &at).await?;

    let mut events = leased_events(c, won.iter().map(|pick| pick.lease)).await?;
    let mut claims = HashMap::with_capacity(won.len());
    let mut empty = Vec::new();
    for pick in won {
        let anchor = pick.anchor().to_owned();
        let Pick { waiter, wanted, candidate, lease } = pick;
        match events.remove(&lease) {
            Some(events) => {
                let claim = InboxClaim {
                    lease,
                    conversation: candidate.conversation,
                    owner: wanted.owner.clone(),
                    lease_until: now + wanted.lease_for,
                    events,
                };
                claims.insert(waiter, (claim, anchor));
            }
            // Someone finished them first: let go, so the conversation is free at once.
            None => empty.push(doc! { "q": holding(lease), "u": released() }),
        }
    }
    if !empty.is_empty() {
        statements::update(&c.db, &c.inbox, empty).await?;
    }
    Ok((claims, contested))
}

/// Lets go of the holds that ran out (their worker stopped, or a failed event's retry
/// is due) on another event than the one this round holds, or the unique index would
/// refuse the new one. Rare; filtered on the old lease, so a hold another process took
/// meanwhile is left as it is.
async fn let_go_of_stale(
    c: &Collections,
    picks: &[Pick<'_>],
    stale: &HashMap<String, Stale>,
    at: &Bson,
) -> Result<()> {
    let mut let_go = Vec::new();
    for pick in picks {
        if let Some(old) = stale.get(&pick.candidate.conversation)
            && old.key != pick.anchor()
        {
            let q = doc! {
                "_id": old.key.as_str(),
                "hold.lease": old.lease.as_str(),
                "hold.until": { "$lte": at.clone() },
            };
            let_go.push(doc! { "q": q, "u": released() });
        }
    }
    if let_go.is_empty() {
        return Ok(());
    }
    let count = let_go.len();
    let outcome = statements::update(&c.db, &c.inbox, let_go).await?;
    outcome.no_other_failure(count)
}

/// Takes each pick's hold, on its newest event: a live hold on another of its events
/// makes the unique index refuse this one (E11000), a live hold on the same event
/// makes it match nothing. The picks won, and whether another process won any.
async fn hold<'a>(
    c: &Collections,
    picks: Vec<Pick<'a>>,
    now: Timestamp,
    at: &Bson,
) -> Result<(Vec<Pick<'a>>, bool)> {
    let mut holds = Vec::with_capacity(picks.len());
    for pick in &picks {
        let until = now + pick.wanted.lease_for;
        let free = doc! { "$or": [{ HOLD: { "$exists": false } }, { "hold.until": { "$lte": at.clone() } }] };
        let q = doc! {
            "_id": pick.anchor(),
            "conversation": pick.candidate.conversation.as_str(),
            "$and": [claimable(at)?, free],
        };
        let hold = doc! {
            "conversation": pick.candidate.conversation.as_str(),
            "lease": pick.lease.to_string(),
            "owner": pick.wanted.owner.as_str(),
            "until": value(&until)?,
        };
        holds.push(doc! {
            "q": q,
            "u": {
                "$set": { "status": value(&InboxStatus::Leased)?, "lease": pick.lease.to_string(), HOLD: hold },
                "$inc": { "attempts": 1_i64 },
            },
        });
    }
    let count = holds.len();
    let taken = statements::update(&c.db, &c.inbox, holds).await?;
    taken.no_other_failure(count)?;
    let (_, all_matched) = taken.failures(count);
    // The server counts matches for the whole command: when one went missing, the
    // holds are read back to tell which are ours.
    let ours: Option<Vec<Bson>> = if all_matched {
        None
    } else {
        let leases: Vec<String> = picks.iter().map(|pick| pick.lease.to_string()).collect();
        Some(ids(c.inbox.find(doc! { "hold.lease": { "$in": leases } })).await?)
    };
    let mut contested = false;
    let mut won = Vec::with_capacity(picks.len());
    for (index, pick) in picks.into_iter().enumerate() {
        let held = !taken.duplicate(index)
            && ours.as_ref().is_none_or(|ours| ours.contains(&Bson::String(pick.anchor().to_owned())));
        if held {
            won.push(pick);
        } else {
            contested = true; // another process holds it, or finished it
        }
    }
    Ok((won, contested))
}

/// Takes the conversations' older events, under the same lease: the same filter as
/// the window's, so an event finished meanwhile (by a worker whose lease expired) is
/// left as it is. Most conversations have one event waiting, and nothing to do here.
async fn take_older(c: &Collections, won: &[Pick<'_>], at: &Bson) -> Result<()> {
    let mut marks = Vec::new();
    for Pick { candidate, lease, .. } in won {
        let Some((_, older)) = candidate.keys.split_last() else { continue };
        if older.is_empty() {
            continue;
        }
        let mut events = claimable(at)?;
        events.insert("conversation", candidate.conversation.as_str());
        events.insert("_id", doc! { "$in": older });
        marks.push(doc! {
            "q": events,
            "u": {
                "$set": { "status": value(&InboxStatus::Leased)?, "lease": lease.to_string() },
                "$inc": { "attempts": 1_i64 },
            },
            "multi": true,
        });
    }
    if marks.is_empty() {
        return Ok(());
    }
    let count = marks.len();
    let marked = statements::update(&c.db, &c.inbox, marks).await?;
    marked.no_other_failure(count)
}

/// The conversations with claimable events and no live hold, oldest waiting first,
/// each with its waiting events among the oldest `window`; and the holds that ran out,
/// by conversation.
///
/// Two small reads: the holds, then the oldest waiting events of the other
/// conversations, from the `claim_waiting` index alone. Neither grows with the
/// backlog, and a conversation held through a flood of its own events is left out by
/// the query, not read and skipped.
async fn candidates(
    c: &Collections,
    now: Timestamp,
    at: &Bson,
    window: usize,
) -> Result<(Vec<Candidate>, HashMap<String, Stale>)> {
    let holding = c.inbox.find(doc! { "hold.conversation": { "$gt": "" } }).projection(doc! { HOLD: 1 });
    let mut held = Vec::new();
    let mut stale = HashMap::new();
    for event in all(holding).await? {
        let Holding { key, hold } = decode(event, "key")?;
        if hold.until > now {
            held.push(hold.conversation);
        } else {
            stale.insert(hold.conversation, Stale { key, lease: hold.lease });
        }
    }
    let mut waiting = claimable(at)?;
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
    Ok((candidates, stale))
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
