//! The model ↔ BSON mapping, and driver errors ↔ [`StoreError`].
//!
//! Records are the model structs as serde writes them, with their identifying field
//! moved to `_id`. They go through `bson::serialize_to_document` rather than a typed
//! `Collection<T>`: the driver's raw serializer is not "human readable", so a UUID
//! would become binary there, while everywhere else (filters, other backends, the
//! wire) ids are strings.

use futures_util::TryStreamExt;
use mongodb::action::Find;
use mongodb::bson::{self, Bson, Document, doc};
use mongodb::error::{Error, ErrorKind, WriteFailure};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::{Result, StoreError};

/// The server's code for a write that breaks a unique index (E11000).
pub(super) const DUPLICATE_KEY: i32 = 11_000;

/// A record as stored: `value` with its field `id_field` renamed to `_id` (and first,
/// as the server would put it anyway).
pub(super) fn encode<T: Serialize>(value: &T, id_field: &str) -> Result<Document> {
    let mut fields = bson::serialize_to_document(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode a record for MongoDB: {e}")))?;
    let mut doc = Document::new();
    if let Some(id) = fields.remove(id_field) {
        doc.insert("_id", id);
    }
    doc.extend(fields);
    Ok(doc)
}

/// The model value of a stored record, `_id` renamed back to `id_field`. Fields the
/// model does not know (kept for indexes) are ignored by serde.
pub(super) fn decode<T: DeserializeOwned>(mut doc: Document, id_field: &str) -> Result<T> {
    if let Some(id) = doc.remove("_id") {
        doc.insert(id_field, id);
    }
    bson::deserialize_from_document(doc)
        .map_err(|e| StoreError::Corrupt(format!("cannot decode a MongoDB record: {e}")))
}

/// A value as it appears in a filter or an update, encoded the way [`encode`] stores
/// it (enums as their snake-case names, timestamps and ids as text).
pub(super) fn value<T: Serialize + ?Sized>(value: &T) -> Result<Bson> {
    bson::serialize_to_bson(value)
        .map_err(|e| StoreError::Backend(format!("cannot encode a value for MongoDB: {e}")))
}

/// A count as BSON stores it; no counter gets near `i64::MAX`.
pub(super) fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Whether the error is a write refused by a unique index.
pub(super) fn is_duplicate_key(e: &Error) -> bool {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => w.code == DUPLICATE_KEY,
        ErrorKind::Command(c) => c.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(m) => {
            m.write_errors.as_ref().is_some_and(|errors| errors.iter().any(|w| w.code == DUPLICATE_KEY))
        }
        _ => false,
    }
}

/// A duplicate key becomes a Conflict that says what clashed; anything else, as
/// [`from_driver`] maps it.
pub(super) fn conflict_as(e: &Error, message: &str) -> StoreError {
    if is_duplicate_key(e) { StoreError::Conflict(message.to_owned()) } else { from_driver(e) }
}

/// Maps a driver error to what the caller can act on. Only the error's kind is shown:
/// the driver's full `Display` carries the server's raw response.
pub(super) fn from_driver(e: &Error) -> StoreError {
    let message = e.kind.to_string();
    match e.kind.as_ref() {
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Authentication { .. }
        | ErrorKind::Shutdown => StoreError::Unavailable(format!("MongoDB: {message}")),
        ErrorKind::Bson(_) | ErrorKind::BsonDeserialization(_) | ErrorKind::InvalidResponse { .. } => {
            StoreError::Corrupt(format!("MongoDB answered with something unreadable: {message}"))
        }
        _ if is_duplicate_key(e) => StoreError::Conflict(format!("MongoDB refused a duplicate: {message}")),
        // Elections, a primary stepping down, a node shutting down: the driver already
        // retried once; later may work.
        _ if e.contains_label(mongodb::error::RETRYABLE_WRITE_ERROR)
            || e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR) =>
        {
            StoreError::Unavailable(format!("MongoDB: {message}"))
        }
        _ => StoreError::Backend(format!("MongoDB: {message}")),
    }
}

/// Every document `find` answers: the driver's cursor, drained.
pub(super) async fn all(find: Find<'_, Document>) -> Result<Vec<Document>> {
    find.await.db()?.try_collect().await.db()
}

/// The `_id`s of the documents `find` answers (read from the index where one covers
/// it).
pub(super) async fn ids(find: Find<'_, Document>) -> Result<Vec<Bson>> {
    let found = all(find.projection(doc! { "_id": 1 })).await?;
    Ok(found.into_iter().filter_map(|mut doc| doc.remove("_id")).collect())
}

/// `Result` of the driver, mapped.
pub(super) trait DriverResult<T> {
    /// Maps any driver error with [`from_driver`].
    fn db(self) -> Result<T>;
}

impl<T> DriverResult<T> for std::result::Result<T, Error> {
    fn db(self) -> Result<T> {
        self.map_err(|e| from_driver(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Platform, Timestamp, UserId};

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Record {
        id: UserId,
        platform: Platform,
        at: Timestamp,
        note: Option<String>,
    }

    #[test]
    fn ids_are_text_and_move_to_underscore_id() {
        let record = Record {
            id: UserId::new(),
            platform: Platform::Facebook,
            at: Timestamp::from_millis(1_764_028_800_007).expect("in range"),
            note: None,
        };
        let doc = encode(&record, "id").expect("encodes");
        assert_eq!(doc.keys().next().map(String::as_str), Some("_id"));
        assert_eq!(doc.get_str("_id").expect("text id"), record.id.to_string());
        assert_eq!(doc.get_str("platform").expect("text"), "facebook");
        assert_eq!(doc.get_str("at").expect("text"), "2025-11-25T00:00:00.007Z");
        assert_eq!(decode::<Record>(doc, "id").expect("decodes"), record);
    }

    #[test]
    fn unreadable_records_are_corrupt() {
        let doc = mongodb::bson::doc! { "_id": "not a uuid", "platform": "fax", "at": 3, "note": null };
        assert!(matches!(decode::<Record>(doc, "id"), Err(StoreError::Corrupt(_))));
    }
}
