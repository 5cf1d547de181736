//! Many writes to one collection in one round trip: the server's `insert`, `update`
//! commands take a list of statements. Sent `ordered: false`, so one
//! statement's failure stops none of the others, and each failure comes back with
//! the index of its statement.
//!
//! The driver's own `update_one` sends the same command with one statement; it has no
//! call for several before MongoDB 8's `bulkWrite`, hence this module. What the
//! server does not report per statement (how many documents each one matched) the
//! callers must not need: a statement is known to have failed or not, and an upsert
//! to have inserted or not.

use std::collections::HashMap;

use mongodb::bson::{Bson, Document, doc};
use mongodb::{Collection, Database};

use super::codec::{DUPLICATE_KEY, DriverResult, ids};
use crate::store::{Result, StoreError};

/// What the server said about a list of statements.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    /// The error code of each statement that failed, by its index.
    failed: HashMap<usize, (i32, String)>,
    /// Documents matched (updated, or deleted), all statements together.
    matched: u64,
    /// The statements whose upsert inserted a document, by index.
    upserted: Vec<usize>,
}

impl Outcome {
    /// Whether statement `index` was refused by a unique index.
    pub(super) fn duplicate(&self, index: usize) -> bool {
        self.failed.get(&index).is_some_and(|(code, _)| *code == DUPLICATE_KEY)
    }

    /// One answer per statement of `count`: its failure, or `duplicate` when a unique
    /// index refused it, or `written`.
    pub(super) fn answers<T: Clone>(&self, count: usize, written: T, duplicate: T) -> Vec<Result<T>> {
        (0..count)
            .map(|index| match self.other_failure(index) {
                Some(error) => Err(error),
                None if self.duplicate(index) => Ok(duplicate.clone()),
                None => Ok(written.clone()),
            })
            .collect()
    }

    /// Whether statement `index` inserted its document (an upsert that matched none).
    pub(super) fn upserted(&self, index: usize) -> bool {
        self.upserted.contains(&index)
    }

    /// The failure of each of `count` statements (or `None`), and whether every one
    /// that did not fail matched a document. The server counts matches for the whole
    /// command only: when the count is that of the statements that went through, each
    /// of them matched; otherwise the caller must find out which did not.
    pub(super) fn failures(&self, count: usize) -> (Vec<Option<StoreError>>, bool) {
        let failures: Vec<Option<StoreError>> = (0..count).map(|index| self.failure(index)).collect();
        let succeeded = failures.iter().filter(|failure| failure.is_none()).count();
        let all_matched = usize::try_from(self.matched).ok() == Some(succeeded);
        (failures, all_matched)
    }

    /// Statement `index`'s failure, a duplicate key as a conflict.
    pub(super) fn failure(&self, index: usize) -> Option<StoreError> {
        if self.duplicate(index) {
            return Some(StoreError::Conflict("MongoDB refused a duplicate".into()));
        }
        self.other_failure(index)
    }

    /// The first failure among `count` statements other than a duplicate key (which the
    /// caller reads as a statement of its own answer), or `Ok`.
    pub(super) fn no_other_failure(&self, count: usize) -> Result<()> {
        (0..count).find_map(|index| self.other_failure(index)).map_or(Ok(()), Err)
    }

    /// Statement `index`'s failure other than a duplicate key, as a store error.
    pub(super) fn other_failure(&self, index: usize) -> Option<StoreError> {
        self.failed.get(&index).filter(|(code, _)| *code != DUPLICATE_KEY).map(|(code, message)| {
            StoreError::Backend(format!("MongoDB refused a write ({code}): {message}"))
        })
    }
}

/// Runs `statements` (each `{ q, u, upsert?, multi? }`) as one `update` command.
pub(super) async fn update(
    db: &Database,
    collection: &Collection<Document>,
    statements: Vec<Document>,
) -> Result<Outcome> {
    run(db, doc! { "update": collection.name(), "updates": statements, "ordered": false }).await
}

/// Updates one document per statement, each found by a filter on fields that never
/// change (its `_id` and its business), in one command; says of each whether its
/// document was there. The server counts matches for the whole command only: when
/// every statement matched (the usual case) that settles it, and otherwise one read
/// of the same filters tells which documents exist, which for such filters is which
/// statements matched.
pub(super) async fn update_by_key(
    db: &Database,
    collection: &Collection<Document>,
    statements: Vec<(Document, Document)>,
) -> Result<Vec<Result<bool>>> {
    let filters: Vec<Document> = statements.iter().map(|(filter, _)| filter.clone()).collect();
    let updates: Vec<Document> = statements.into_iter().map(|(q, u)| doc! { "q": q, "u": u }).collect();
    let count = updates.len();
    let (failures, all_matched) = update(db, collection, updates).await?.failures(count);
    let found: Option<Vec<Bson>> =
        if all_matched { None } else { Some(ids(collection.find(doc! { "$or": filters.clone() })).await?) };
    Ok(failures
        .into_iter()
        .zip(filters)
        .map(|(failure, filter)| match (failure, &found) {
            (Some(error), _) => Err(error),
            (None, None) => Ok(true),
            (None, Some(found)) => Ok(filter.get("_id").is_some_and(|id| found.contains(id))),
        })
        .collect())
}

/// Inserts `documents` with one `insert` command.
pub(super) async fn insert(
    db: &Database,
    collection: &Collection<Document>,
    documents: Vec<Document>,
) -> Result<Outcome> {
    run(db, doc! { "insert": collection.name(), "documents": documents, "ordered": false }).await
}

async fn run(db: &Database, command: Document) -> Result<Outcome> {
    let reply = db.run_command(command).await.db()?;
    if let Ok(concern) = reply.get_document("writeConcernError") {
        // Written, but not as durably as asked: the callers cannot count on it.
        return Err(StoreError::Unavailable(format!(
            "MongoDB could not confirm a write: {}",
            concern.get_str("errmsg").unwrap_or("write concern not met")
        )));
    }
    let mut outcome = Outcome {
        matched: integer(reply.get("n")).and_then(|n| u64::try_from(n).ok()).unwrap_or_default(),
        ..Outcome::default()
    };
    if let Ok(upserted) = reply.get_array("upserted") {
        for upsert in upserted {
            if let Bson::Document(upsert) = upsert
                && let Some(index) = integer(upsert.get("index")).and_then(|i| usize::try_from(i).ok())
            {
                outcome.upserted.push(index);
            }
        }
    }
    if let Ok(errors) = reply.get_array("writeErrors") {
        for error in errors {
            let Bson::Document(error) = error else { continue };
            let index =
                integer(error.get("index")).and_then(|i| usize::try_from(i).ok()).ok_or_else(|| {
                    StoreError::Backend(format!(
                        "MongoDB reported a write error without its statement: {error}"
                    ))
                })?;
            let code = integer(error.get("code")).and_then(|c| i32::try_from(c).ok()).unwrap_or_default();
            let message = error.get_str("errmsg").unwrap_or_default().to_owned();
            outcome.failed.insert(index, (code, message));
        }
    }
    Ok(outcome)
}

fn integer(value: Option<&Bson>) -> Option<i64> {
    match value? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        // Whole numbers only; the server sends none other here.
        #[allow(clippy::cast_possible_truncation)]
        Bson::Double(n) if n.fract() == 0.0 => Some(*n as i64),
        _ => None,
    }
}
