//! A short-lived memory of verified access tokens, so that an authenticated request
//! does not cost a store read when the same console asked a moment ago.
//!
//! An entry lives [`FRESH_FOR`] at most, and never past its token's expiry. Logging out
//! and refreshing forget the session's entries at once in this process; another
//! `closerd` sharing the store notices a revocation within [`FRESH_FOR`].

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use closer_core::model::{SessionId, Timestamp, TokenHash};

use super::Authenticated;

/// How long a verified token is trusted without asking the store again.
pub const FRESH_FOR: Duration = Duration::from_secs(5);
/// Past this many entries the memory starts over: a bound, not an eviction policy.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<TokenHash, Entry>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    who: Authenticated,
    valid_until: Timestamp,
}

impl SessionCache {
    pub fn get(&self, hash: &TokenHash, now: Timestamp) -> Option<Authenticated> {
        let entries = self.lock();
        let entry = entries.get(hash)?;
        (now < entry.valid_until).then_some(entry.who)
    }

    pub fn insert(&self, hash: TokenHash, who: Authenticated, expires_at: Timestamp, now: Timestamp) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(hash, Entry { who, valid_until: expires_at.min(now + FRESH_FOR) });
    }

    /// Forgets every token of a session (logout, refresh).
    pub fn forget_session(&self, session: SessionId) {
        self.lock().retain(|_, entry| entry.who.session_id != session);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<TokenHash, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use closer_core::model::UserId;

    use super::*;

    #[test]
    fn entries_are_fresh_briefly_and_never_past_expiry() {
        let cache = SessionCache::default();
        let t0 = Timestamp::from_millis(1_000_000).expect("time");
        let who = Authenticated { user_id: UserId::new(), session_id: SessionId::new() };
        let hash = TokenHash("h".into());
        cache.insert(hash.clone(), who, t0 + Duration::from_mins(15), t0);
        assert!(cache.get(&hash, t0 + Duration::from_secs(4)).is_some());
        assert!(cache.get(&hash, t0 + FRESH_FOR).is_none(), "asks the store again after FRESH_FOR");

        let soon = TokenHash("soon".into());
        cache.insert(soon.clone(), who, t0 + Duration::from_secs(1), t0);
        assert!(cache.get(&soon, t0 + Duration::from_secs(1)).is_none(), "never past the token's expiry");

        cache.insert(hash.clone(), who, t0 + Duration::from_mins(15), t0);
        cache.forget_session(who.session_id);
        assert!(cache.get(&hash, t0).is_none());
    }
}
