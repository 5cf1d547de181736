//! How often and how patiently a channel retries a send that failed for a reason that
//! waiting can fix (a rate limit, a platform hiccup).
//!
//! Exponential backoff with full jitter: each pause is drawn uniformly between zero
//! and a cap that doubles per attempt, so that many chats rate-limited together do not
//! come back together and get rate-limited again. The draw comes from std's randomly
//! keyed hasher, which is plenty for spreading pauses and needs no crate; the
//! arithmetic takes the draw as a parameter, so tests pin it.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// When to stop and how long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; at least one is always made. Never
    /// unbounded: a reply that could not be sent in a few tries is stale, and the
    /// pipeline must know and tell the owner.
    pub max_attempts: u32,
    /// The cap of the first pause; it doubles per failed attempt.
    pub base_delay: Duration,
    /// No pause is longer: the customer is waiting.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts within about five seconds of pauses: long enough for Messenger's
    /// short rate-limit bursts, short enough for a chat.
    fn default() -> Self {
        Self { max_attempts: 5, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5) }
    }
}

impl RetryPolicy {
    /// A single attempt.
    pub fn once() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Attempts in all: `max_attempts`, at least one.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// The longest pause after failed attempt number `failed` (1-based):
    /// `base_delay · 2^(failed−1)`, at most `max_delay`.
    pub fn cap(&self, failed: u32) -> Duration {
        let factor = 2_u32.saturating_pow(failed.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The pause after failed attempt number `failed`: `roll` spread over
    /// `[0, cap(failed))`, uniformly for a uniform `roll`.
    pub fn delay(&self, failed: u32, roll: u64) -> Duration {
        let cap = self.cap(failed).as_nanos();
        let nanos = cap * u128::from(roll) / (u128::from(u64::MAX) + 1);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// [`RetryPolicy::delay`] with a fresh random roll.
    pub fn jittered_delay(&self, failed: u32) -> Duration {
        self.delay(failed, roll(failed))
    }
}

/// A random `u64`: std's hasher is keyed randomly per process and per `RandomState`;
/// the time and attempt only make consecutive rolls differ further.
fn roll(failed: u32) -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(failed);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn the_cap_doubles_per_attempt_up_to_the_maximum() {
        let policy = RetryPolicy { max_attempts: 10, base_delay: 100 * MS, max_delay: 1000 * MS };
        let caps: Vec<Duration> = (1..=6).map(|failed| policy.cap(failed)).collect();
        assert_eq!(caps, [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]);
        assert_eq!(policy.cap(u32::MAX), 1000 * MS, "no overflow");
    }

    #[test]
    fn the_pause_is_the_roll_spread_over_zero_to_the_cap() {
        let policy = RetryPolicy { max_attempts: 5, base_delay: 100 * MS, max_delay: 10_000 * MS };
        assert_eq!(policy.delay(1, 0), Duration::ZERO);
        assert_eq!(policy.delay(1, u64::MAX / 2 + 1), 50 * MS);
        assert!(policy.delay(3, u64::MAX) < 400 * MS);
        assert!(policy.delay(3, u64::MAX) > 399 * MS);
    }

    #[test]
    fn fresh_rolls_stay_under_the_cap_and_differ() {
        let policy = RetryPolicy::default();
        let delays: Vec<Duration> = (0..50).map(|_| policy.jittered_delay(2)).collect();
        assert!(delays.iter().all(|delay| *delay < policy.cap(2)));
        assert!(delays.iter().any(|delay| *delay != delays[0]), "{delays:?}");
    }

    #[test]
    fn at_least_one_attempt_is_made() {
        assert_eq!(RetryPolicy { max_attempts: 0, ..RetryPolicy::default() }.attempts(), 1);
        assert_eq!(RetryPolicy::once().attempts(), 1);
        assert_eq!(RetryPolicy::default().attempts(), 5);
    }
}
