//! What this process remembers of the leases it handed out: which events each one
//! still holds, and which of them carries the conversation's hold. Only a hint, never
//! the truth (that is in the database), used for one thing: when a worker finishes
//! what the book says is a lease's last event, the event's update ends the hold too
//! (one statement when it carries it), instead of asking first whether others remain.
//!
//! The hint is safe to trust in that direction only. An event is leased under a
//! lease id solely by the claim that made the id, and the book holds exactly what
//! that claim returned, so "this was the last one" is never wrong. "Others remain"
//! can be stale (an event of the lease finished through another store instance), so
//! the database is asked then.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::model::LeaseId;

/// Leases remembered at most: workers that vanish without finishing leave entries
/// behind, and forgetting them all only costs a query each later.
const CAPACITY: usize = 4_096;

#[derive(Debug, Default)]
pub(in crate::store::mongodb) struct LeaseBook {
    open: Mutex<HashMap<LeaseId, Open>>,
}

/// A lease's events not finished yet, and the one its hold is on.
#[derive(Debug)]
struct Open {
    keys: HashSet<String>,
    anchor: String,
}

/// What the book says about finishing one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Finishing {
    /// It is the lease's last event: end the hold with it; `anchor` when the hold is
    /// on this very event.
    Last { anchor: bool },
    /// Others may remain, or the lease is not one of ours: ask the database.
    Unsure,
}

impl LeaseBook {
    pub(super) fn remember<'a>(&self, lease: LeaseId, keys: impl IntoIterator<Item = &'a str>, anchor: &str) {
        let mut open = self.lock();
        if open.len() >= CAPACITY {
            open.clear();
        }
        let keys = keys.into_iter().map(str::to_owned).collect();
        open.insert(lease, Open { keys, anchor: anchor.to_owned() });
    }

    /// Crosses `key` off; says whether it was the last one the lease held.
    pub(super) fn finish(&self, lease: LeaseId, key: &str) -> Finishing {
        let mut open = self.lock();
        let Some(held) = open.get_mut(&lease) else { return Finishing::Unsure };
        if !held.keys.remove(key) {
            return Finishing::Unsure;
        }
        if held.keys.is_empty() {
            let anchor = held.anchor == key;
            open.remove(&lease);
            return Finishing::Last { anchor };
        }
        Finishing::Unsure
    }

    pub(super) fn forget(&self, lease: LeaseId) {
        self.lock().remove(&lease);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<LeaseId, Open>> {
        // A panic elsewhere cannot leave the map half-changed in a way that matters:
        // every entry is only a hint.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_known_event_ends_a_lease() {
        let book = LeaseBook::default();
        let lease = LeaseId::new();
        book.remember(lease, ["a", "b"], "b");
        assert_eq!(book.finish(lease, "a"), Finishing::Unsure);
        assert_eq!(book.finish(lease, "a"), Finishing::Unsure, "twice is not twice as finished");
        assert_eq!(book.finish(lease, "b"), Finishing::Last { anchor: true });
        assert_eq!(book.finish(lease, "b"), Finishing::Unsure, "the lease is gone from the book");
        assert_eq!(book.finish(LeaseId::new(), "a"), Finishing::Unsure, "not one of ours");

        // Finished out of order: the last one is not the one the hold is on.
        book.remember(lease, ["a", "b"], "b");
        assert_eq!(book.finish(lease, "b"), Finishing::Unsure);
        assert_eq!(book.finish(lease, "a"), Finishing::Last { anchor: false });

        book.remember(lease, ["c"], "c");
        book.forget(lease);
        assert_eq!(book.finish(lease, "c"), Finishing::Unsure);
    }
}
