//! Conversations between the owner and Leo, their assistant, kept so a question can
//! follow up on the one before ("and last week?").

use serde::{Deserialize, Serialize};

use super::validate::{self, Validated};
use super::{LeoConversationId, Timestamp, UserId};

/// Who said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeoRole {
    Owner,
    Leo,
}

/// One message of a conversation with Leo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeoTurn {
    pub role: LeoRole,
    pub text: String,
    pub at: Timestamp,
}

/// A conversation with Leo. Only the latest [`LeoConversation::MAX_TURNS`] turns are
/// kept: enough context for follow-ups, bounded storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeoConversation {
    pub id: LeoConversationId,
    pub user_id: UserId,
    /// Oldest first.
    pub turns: Vec<LeoTurn>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl LeoConversation {
    pub const MAX_TURNS: usize = 100;
    /// A question or an answer longer than this is not a chat message.
    pub const MAX_TEXT: usize = 20_000;

    pub fn new(user_id: UserId, now: Timestamp) -> Self {
        Self { id: LeoConversationId::new(), user_id, turns: Vec::new(), created_at: now, updated_at: now }
    }

    /// Adds a turn, forgetting the oldest beyond [`LeoConversation::MAX_TURNS`].
    pub fn push(&mut self, role: LeoRole, text: impl Into<String>, at: Timestamp) {
        self.turns.push(LeoTurn { role, text: text.into(), at });
        let excess = self.turns.len().saturating_sub(Self::MAX_TURNS);
        self.turns.drain(..excess);
        self.updated_at = at;
    }

    pub fn validate(&self) -> Validated {
        if self.turns.len() > Self::MAX_TURNS {
            return Err(validate::ValidationError::new(
                "turns",
                validate::Problem::TooMany { max_items: Self::MAX_TURNS },
            ));
        }
        for turn in &self.turns {
            validate::required("turns.text", &turn.text, Self::MAX_TEXT)?;
        }
        Ok(())
    }
}
