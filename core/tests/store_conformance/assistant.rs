//! The knowledge base's training record and Leo's conversations.

use std::sync::Arc;

use closer_core::model::{LeoConversation, LeoRole, Training, UserId};
use closer_core::store::{Store, StoreError};

use crate::fixtures::{at, t0, user};

fn training(owner: UserId, fingerprint: &str, passages: u32) -> Training {
    Training {
        user_id: owner,
        trained_at: at(u64::from(passages)),
        fingerprint: fingerprint.into(),
        documents: 2,
        campaigns: 1,
        passages,
        duration_ms: 12,
    }
}

pub async fn trainings_are_versioned_per_business(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let ben = user(&*store, "ben@shop.example").await;
    assert_eq!(store.knowledge_status(ana.id).await.expect("status"), None, "never trained");

    let first = store.record_training(&training(ana.id, "facts-1", 10)).await.expect("train");
    assert_eq!((first.version, first.passages, first.fingerprint.as_str()), (1, 10, "facts-1"));
    let second = store.record_training(&training(ana.id, "facts-2", 14)).await.expect("train");
    assert_eq!((second.version, second.passages, second.fingerprint.as_str()), (2, 14, "facts-2"));
    assert_eq!(second.last_trained_at, at(14));
    assert_eq!(store.knowledge_status(ana.id).await.expect("status"), Some(second));
    assert_eq!(store.knowledge_status(ben.id).await.expect("status"), None, "another business is untouched");

    // Versions are handed out atomically: concurrent trainings each get their own.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.record_training(&training(ben.id, "facts", i)).await })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.expect("task").expect("train").version);
    }
    versions.sort_unstable();
    assert_eq!(versions, (1..=20).collect::<Vec<u64>>());
    assert_eq!(store.knowledge_status(ben.id).await.expect("status").map(|s| s.version), Some(20));
}

pub async fn leo_conversations_are_kept_per_business(store: Arc<dyn Store>) {
    let ana = user(&*store, "ana@shop.example").await;
    let ben = user(&*store, "ben@shop.example").await;

    let mut conversation = LeoConversation::new(ana.id, t0());
    conversation.push(LeoRole::Owner, "How many leads this week?", at(1));
    conversation.push(LeoRole::Leo, "12 leads this week, 3 more than last week.", at(2));
    store.save_leo_conversation(&conversation).await.expect("save");
    assert_eq!(store.get_leo_conversation(ana.id, conversation.id).await.expect("get"), conversation);

    conversation.push(LeoRole::Owner, "And last week?", at(3));
    store.save_leo_conversation(&conversation).await.expect("save again");
    let stored = store.get_leo_conversation(ana.id, conversation.id).await.expect("get");
    assert_eq!(stored.turns.len(), 3);
    assert_eq!(stored.updated_at, at(3));

    // Another business neither reads it nor overwrites it.
    let err = store.get_leo_conversation(ben.id, conversation.id).await.expect_err("not ben's");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let mut hijack = LeoConversation::new(ben.id, t0());
    hijack.id = conversation.id;
    hijack.push(LeoRole::Owner, "mine now", at(4));
    let err = store.save_leo_conversation(&hijack).await.expect_err("taken");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.get_leo_conversation(ana.id, conversation.id).await.expect("intact"), stored);

    // Invalid conversations never reach the store.
    let mut empty = LeoConversation::new(ana.id, t0());
    empty.push(LeoRole::Owner, "   ", at(5));
    let err = store.save_leo_conversation(&empty).await.expect_err("empty text");
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(matches!(store.get_leo_conversation(ana.id, empty.id).await, Err(StoreError::NotFound { .. })));
}
