//! When to ask the model again and how long to wait first: exponential backoff with
//! jitter, or the provider's own `Retry-After`. The waiting goes through a [`Sleeper`]
//! so that tests measure the pauses instead of sitting through them.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher as _;
use std::time::Duration;

use async_trait::async_trait;

/// How often and how patiently failed calls are tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Further attempts after the first (`[ai] max_retries`).
    pub max_retries: u32,
    /// The pause before the first retry, doubled for each one after.
    pub base_delay: Duration,
    /// No backoff pause is longer: a customer is waiting.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// Short pauses (0.5 s, doubling, at most 4 s): the whole answer has to fit in the
    /// reply deadline, so long waits would only end in the fallback anyway.
    pub fn new(max_retries: u32) -> Self {
        Self { max_retries, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(4) }
    }

    /// The pause before retry number `retry` (0: the first retry): the exponential step
    /// capped at `max_delay`, of which the upper half is random ("equal jitter"), so
    /// that the workers that failed together do not all come back in the same instant.
    pub fn backoff(&self, retry: u32) -> Duration {
        let step = self.base_delay.saturating_mul(2u32.saturating_pow(retry)).min(self.max_delay);
        let half = step / 2;
        let half_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let jitter = if half_nanos == 0 { 0 } else { random_u64() % (half_nanos + 1) };
        half + Duration::from_nanos(jitter)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new(2)
    }
}

/// A random number for jitter. The standard library's hasher keys are random per
/// process and change with every `RandomState`, which is all jitter needs; it spares
/// a dependency on a random number crate.
fn random_u64() -> u64 {
    RandomState::new().hash_one(0u8)
}

/// Waits. Injected so that tests see the pauses the policy chose without waiting them.
#[async_trait]
pub trait Sleeper: Send + Sync + fmt::Debug {
    async fn sleep(&self, duration: Duration);
}

/// Really waits, on the tokio timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

#[async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_the_jitter_band_and_stops_at_the_cap() {
        let policy = RetryPolicy::new(10);
        for _ in 0..200 {
            let first = policy.backoff(0);
            assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500), "{first:?}");
            let second = policy.backoff(1);
            assert!(second >= Duration::from_millis(500) && second <= Duration::from_secs(1), "{second:?}");
            let late = policy.backoff(30);
            assert!(late >= Duration::from_secs(2) && late <= Duration::from_secs(4), "{late:?}");
        }
    }

    #[test]
    fn jitter_varies() {
        let policy = RetryPolicy::new(3);
        let pauses: std::collections::HashSet<Duration> = (0..20).map(|_| policy.backoff(2)).collect();
        assert!(pauses.len() > 1, "jitter gave the same pause 20 times");
    }

    #[test]
    fn a_zero_base_never_waits() {
        let policy = RetryPolicy { base_delay: Duration::ZERO, ..RetryPolicy::new(2) };
        assert_eq!(policy.backoff(0), Duration::ZERO);
        assert_eq!(policy.backoff(5), Duration::ZERO);
    }
}
