//! (being written)

/// The business's facts, split into passages and indexed for retrieval.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase;
