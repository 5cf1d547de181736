//! The durable inbox: every event a platform delivers is written here before the
//! platform gets its 200, and workers take it from here.
//!
//! Workers claim a whole *conversation* at a time (all its waiting events, in time
//! order), under a lease that expires: one conversation is handled by one worker at a
//! time and in order, a burst of messages is seen together, and a worker that dies
//! leaves a lease that simply runs out.

use serde::{Deserialize, Serialize};

use super::validate::{self, Validated};
use super::{LeaseId, Platform, Timestamp, UserId};

/// Where an inbox event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxStatus {
    /// Waiting for a worker (new, or to be retried from `available_at`).
    Pending,
    /// Claimed by a worker under a lease.
    Leased,
    Done,
    /// Given up on after too many attempts; kept for the owner and the operator.
    Failed,
}

impl InboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Leased => "leased",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Leased, Self::Done, Self::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// An event as received, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewInboxEvent {
    /// The platform's id of the event (`mid`, or page + sender + timestamp for events
    /// without one), prefixed by the platform: a redelivery has the same key and is
    /// stored once.
    pub key: String,
    pub user_id: UserId,
    pub platform: Platform,
    /// Events with the same conversation are handled one at a time, in order.
    pub conversation: String,
    /// When the platform says it happened: the order within a conversation.
    pub occurred_at: Timestamp,
    pub payload: serde_json::Value,
    pub received_at: Timestamp,
}

impl NewInboxEvent {
    pub fn validate(&self) -> Validated {
        validate::required("key", &self.key, 600)?;
        validate::required("conversation", &self.conversation, 600)
    }
}

/// A stored inbox event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEvent {
    pub key: String,
    pub user_id: UserId,
    pub platform: Platform,
    pub conversation: String,
    pub occurred_at: Timestamp,
    pub payload: serde_json::Value,
    pub received_at: Timestamp,
    pub status: InboxStatus,
    /// How many claims took it and did not give it back untried (a failure, or a
    /// lease that ran out): a poison event stops being retried.
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Not claimed before this (retry backoff).
    pub available_at: Timestamp,
    pub lease: Option<LeaseId>,
}

/// What enqueueing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    New,
    /// The key was already there: a redelivery, nothing changed.
    Duplicate,
}

/// A worker's hold on one conversation's waiting events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxClaim {
    pub lease: LeaseId,
    pub conversation: String,
    pub owner: String,
    pub lease_until: Timestamp,
    /// In `occurred_at` order; each one's `attempts` already counts this claim.
    pub events: Vec<InboxEvent>,
}
