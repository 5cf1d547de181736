//! The knowledge base's training record and Leo's conversations.

use mongodb::bson::doc;
use mongodb::options::ReturnDocument;

use super::Collections;
use super::codec::{DriverResult, conflict_as, decode, encode, value};
use crate::model::{KnowledgeStatus, LeoConversation, LeoConversationId, Training, UserId};
use crate::store::{Result, StoreError};

pub(super) async fn record_training(c: &Collections, training: &Training) -> Result<KnowledgeStatus> {
    let update = doc! {
        "$inc": { "version": 1_i64 },
        "$set": {
            "last_trained_at": value(&training.trained_at)?,
            "fingerprint": &training.fingerprint,
            "documents": i64::from(training.documents),
            "campaigns": i64::from(training.campaigns),
            "passages": i64::from(training.passages),
            "duration_ms": i64::try_from(training.duration_ms).unwrap_or(i64::MAX),
        },
    };
    let stored = c
        .knowledge
        .find_one_and_update(doc! { "_id": training.user_id.to_string() }, update)
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await
        .db()?
        .ok_or_else(|| StoreError::Backend("the training record vanished as it was written".into()))?;
    decode(stored, "user_id")
}

pub(super) async fn knowledge_status(c: &Collections, tenant: UserId) -> Result<Option<KnowledgeStatus>> {
    let found = c.knowledge.find_one(doc! { "_id": tenant.to_string() }).await.db()?;
    found.map(|doc| decode(doc, "user_id")).transpose()
}

pub(super) async fn save_leo_conversation(c: &Collections, conversation: &LeoConversation) -> Result<()> {
    // Filtered by tenant too: another business's id does not match, the upsert then
    // tries to insert that `_id` again, and the unique `_id` refuses it.
    let filter = doc! { "_id": conversation.id.to_string(), "user_id": conversation.user_id.to_string() };
    c.leo_conversations
        .replace_one(filter, encode(conversation, "id")?)
        .upsert(true)
        .await
        .map_err(|e| conflict_as(&e, "this conversation belongs to another account"))?;
    Ok(())
}

pub(super) async fn get_leo_conversation(
    c: &Collections,
    tenant: UserId,
    id: LeoConversationId,
) -> Result<LeoConversation> {
    let found = c
        .leo_conversations
        .find_one(doc! { "_id": id.to_string(), "user_id": tenant.to_string() })
        .await
        .db()?;
    decode(found.ok_or(StoreError::not_found("Leo conversation"))?, "id")
}
