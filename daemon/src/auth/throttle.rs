//! Throttling of failed logins: after 5 failures in 15 minutes for one email, or from
//! one client address, further attempts are refused until the oldest failure ages out.
//!
//! Kept in memory: a restart forgets, which only ever helps a legitimate owner, and
//! with several daemons each counts its own (a proxy should limit in front of them).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use closer_core::model::{Email, Timestamp};

pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_mins(15);

/// Who failed: the account tried, and where from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Email(String),
    Address(IpAddr),
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<Key, VecDeque<Timestamp>>>,
}

impl LoginThrottle {
    /// `Err(seconds)` to wait when either the email or the address is locked out.
    pub fn check(&self, email: &Email, address: Option<IpAddr>, now: Timestamp) -> Result<(), u64> {
        let mut failures = self.lock();
        let wait = keys(email, address)
            .filter_map(|key| {
                let times = failures.get_mut(&key)?;
                forget_old(times, now);
                let oldest = *times.front()?;
                (times.len() >= MAX_FAILURES).then(|| (oldest + WINDOW).since(now))
            })
            .max();
        match wait {
            // Rounded up: "retry in 0 s" would invite an immediate, refused retry.
            Some(wait) => Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, email: &Email, address: Option<IpAddr>, now: Timestamp) {
        let mut failures = self.lock();
        for key in keys(email, address) {
            let times = failures.entry(key).or_default();
            forget_old(times, now);
            times.push_back(now);
        }
        // Keep memory bounded under a spray of random emails: drop what has aged out.
        if failures.len() > 10_000 {
            failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
        }
    }

    /// A successful login clears the account's failures (not the address's: one
    /// correct guess must not unlock a spray from the same place).
    pub fn record_success(&self, email: &Email) {
        self.lock().remove(&Key::Email(email.as_str().to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Timestamp>>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn keys(email: &Email, address: Option<IpAddr>) -> impl Iterator<Item = Key> {
    std::iter::once(Key::Email(email.as_str().to_owned())).chain(address.map(Key::Address))
}

fn forget_old(times: &mut VecDeque<Timestamp>, now: Timestamp) {
    while times.front().is_some_and(|&at| at + WINDOW <= now) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(text: &str) -> Email {
        Email::parse(text).expect("valid")
    }

    #[test]
    fn five_failures_lock_the_email_until_the_first_ages_out() {
        let throttle = LoginThrottle::default();
        let t0 = Timestamp::from_millis(1_000_000).expect("time");
        let ana = email("ana@shop.example");
        for i in 0..5 {
            assert_eq!(throttle.check(&ana, None, t0), Ok(()));
            throttle.record_failure(&ana, None, t0 + Duration::from_mins(i));
        }
        let later = t0 + Duration::from_mins(5);
        assert_eq!(throttle.check(&ana, None, later), Err(10 * 60), "until the first failure is 15 min old");
        assert_eq!(
            throttle.check(&email("bob@shop.example"), None, later),
            Ok(()),
            "others are not affected"
        );
        assert_eq!(throttle.check(&ana, None, t0 + WINDOW), Ok(()));
    }

    #[test]
    fn one_address_spraying_many_emails_is_locked() {
        let throttle = LoginThrottle::default();
        let t0 = Timestamp::from_millis(0).expect("time");
        let address = Some("203.0.113.7".parse().expect("ip"));
        for i in 0..5 {
            throttle.record_failure(&email(&format!("user{i}@shop.example")), address, t0);
        }
        assert!(throttle.check(&email("fresh@shop.example"), address, t0).is_err());
        assert_eq!(throttle.check(&email("fresh@shop.example"), None, t0), Ok(()));
    }

    #[test]
    fn success_clears_the_account() {
        let throttle = LoginThrottle::default();
        let t0 = Timestamp::from_millis(0).expect("time");
        let ana = email("ana@shop.example");
        for _ in 0..5 {
            throttle.record_failure(&ana, None, t0);
        }
        throttle.record_success(&ana);
        assert_eq!(throttle.check(&ana, None, t0), Ok(()));
    }
}
