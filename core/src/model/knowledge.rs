//! What the store keeps about a business's trained knowledge base.
//!
//! The index itself is not stored: it is rebuilt from the documents, the business
//! info and the active campaigns, which the store already holds (50 documents of
//! 1 MiB train in about a second and a half), and which would not fit a MongoDB
//! document anyway. What is stored is the record of each training: that it happened,
//! when, its version, and a fingerprint of the facts it was built from, so the daemon
//! can tell after a restart whether the facts changed since.

use serde::{Deserialize, Serialize};

use super::{Timestamp, UserId};

/// One training, as the trainer reports it to the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    pub user_id: UserId,
    pub trained_at: Timestamp,
    /// Identifies the facts the knowledge base was built from.
    pub fingerprint: String,
    pub documents: u32,
    pub campaigns: u32,
    pub passages: u32,
    pub duration_ms: u64,
}

/// The business's knowledge base as last trained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KnowledgeStatus {
    /// Increases by one with each training, starting at 1.
    pub version: u64,
    pub last_trained_at: Timestamp,
    /// Identifies the facts it was built from (a hash: it reveals nothing of them).
    pub fingerprint: String,
    pub documents: u32,
    pub campaigns: u32,
    pub passages: u32,
    pub duration_ms: u64,
}

impl KnowledgeStatus {
    /// The status after `training`, following `previous` (if any).
    pub fn after(previous: Option<&Self>, training: &Training) -> Self {
        Self {
            version: previous.map_or(1, |p| p.version + 1),
            last_trained_at: training.trained_at,
            fingerprint: training.fingerprint.clone(),
            documents: training.documents,
            campaigns: training.campaigns,
            passages: training.passages,
            duration_ms: training.duration_ms,
        }
    }
}
