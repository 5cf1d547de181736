//! The knowledge-base documents a business uploads.

use mongodb::bson::doc;

use super::Collections;
use super::codec::{DriverResult, all, conflict_as, decode, encode};
use crate::model::{Document, DocumentId, DocumentMeta, UserId};
use crate::store::{Result, StoreError};

fn full() -> StoreError {
    StoreError::Conflict(format!(
        "the knowledge base already has {} documents, the most it may hold: delete one first",
        Document::MAX_PER_BUSINESS
    ))
}

pub(super) async fn add_document(c: &Collections, document: &Document) -> Result<()> {
    let tenant = doc! { "user_id": document.user_id.to_string() };
    let limit = u64::try_from(Document::MAX_PER_BUSINESS).unwrap_or(u64::MAX);
    if c.documents.count_documents(tenant.clone()).await.db()? >= limit {
        return Err(full());
    }
    c.documents
        .insert_one(encode(document, "id")?)
        .await
        .map_err(|e| conflict_as(&e, "a document with this id already exists"))?;
    // Two uploads racing past the check above could both land; whoever counts too many
    // afterwards takes theirs back, so the limit holds without a transaction (at worst
    // both give up, and the owner tries again).
    if c.documents.count_documents(tenant).await.db()? > limit {
        c.documents.delete_one(doc! { "_id": document.id.to_string() }).await.db()?;
        return Err(full());
    }
    Ok(())
}

pub(super) async fn list_documents(c: &Collections, tenant: UserId) -> Result<Vec<DocumentMeta>> {
    let query = c
        .documents
        .find(doc! { "user_id": tenant.to_string() })
        .projection(doc! {
            "filename": 1,
            "content_type": 1,
            "uploaded_at": 1,
            // The listing never carries the content, only its size.
            "size_bytes": { "$strLenBytes": "$content" },
        })
        .sort(doc! { "uploaded_at": 1, "_id": 1 });
    let docs: Vec<_> = all(query).await?;
    docs.into_iter().map(|doc| decode(doc, "id")).collect()
}

pub(super) async fn get_document(c: &Collections, tenant: UserId, id: DocumentId) -> Result<Document> {
    let found =
        c.documents.find_one(doc! { "_id": id.to_string(), "user_id": tenant.to_string() }).await.db()?;
    decode(found.ok_or(StoreError::not_found("document"))?, "id")
}

pub(super) async fn delete_document(c: &Collections, tenant: UserId, id: DocumentId) -> Result<()> {
    let result =
        c.documents.delete_one(doc! { "_id": id.to_string(), "user_id": tenant.to_string() }).await.db()?;
    if result.deleted_count == 0 {
        return Err(StoreError::not_found("document"));
    }
    Ok(())
}
