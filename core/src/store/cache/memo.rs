//! One kind of remembered read (a business's campaigns, a page's integration…), and
//! the bookkeeping that keeps a read racing a write from putting stale data back.
//!
//! Every key has a slot with a generation. A read that misses takes a [`Ticket`]
//! with the slot's generation; it may remember its answer only if, when it comes
//! back, the generation is the same and no write is in flight on that key. Writes
//! move the generation when they start and again when they end, so an answer read
//! before, during or across a write is never kept.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::model::Timestamp;

/// Past this many keys the memory sweeps out what has expired, and starts over if
/// that is not enough: a bound on memory, not an eviction policy. Entries live a
/// second or two, so the keys worth keeping are those of the businesses busy right
/// now.
const MAX_KEYS: usize = 1_000;

pub(super) struct Memo<K, V> {
    fresh_for: Duration,
    state: Mutex<State<K, V>>,
}

struct State<K, V> {
    /// Where generations come from. Never reused, so a read that began before its
    /// slot was dropped (the memory starting over, a write to every key) cannot match
    /// the slot made after it.
    next: u64,
    /// Writes in flight that may change any key: nothing is remembered meanwhile.
    writing_all: u32,
    slots: HashMap<K, Slot<V>>,
}

struct Slot<V> {
    generation: u64,
    /// Writes in flight on this key: nothing is remembered for it meanwhile, and the
    /// slot is kept when the memory starts over, so their end still finds it.
    writing: u32,
    /// The answer, and when the read that got it began (staleness counts from then).
    value: Option<(Timestamp, V)>,
}

/// What a read that missed needs to remember its answer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ticket {
    generation: u64,
    started: Timestamp,
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    pub(super) fn new(fresh_for: Duration) -> Self {
        Self { fresh_for, state: Mutex::new(State { next: 0, writing_all: 0, slots: HashMap::new() }) }
    }

    /// The remembered answer if it is fresh at `now`; otherwise the ticket to
    /// remember the one about to be read.
    pub(super) fn get(&self, key: &K, now: Timestamp) -> Result<V, Ticket> {
        let fresh_for = self.fresh_for;
        let mut state = self.lock();
        if let Some(slot) = state.slots.get(key) {
            if let Some((at, value)) = &slot.value
                // A clock that went back makes the entry stale rather than younger.
                && *at <= now
                && now < *at + fresh_for
            {
                return Ok(value.clone());
            }
            return Err(Ticket { generation: slot.generation, started: now });
        }
        if state.slots.len() >= MAX_KEYS {
            state.slots.retain(|_, slot| {
                slot.writing > 0 || slot.value.as_ref().is_some_and(|(at, _)| now < *at + fresh_for)
            });
            if state.slots.len() >= MAX_KEYS {
                state.slots.retain(|_, slot| slot.writing > 0);
            }
        }
        let generation = state.generation();
        state.slots.insert(key.clone(), Slot { generation, writing: 0, value: None });
        Err(Ticket { generation, started: now })
    }

    /// Remembers what a read that missed found, unless a write came meanwhile.
    pub(super) fn put(&self, key: &K, ticket: Ticket, value: V) {
        let mut state = self.lock();
        if state.writing_all > 0 {
            return;
        }
        if let Some(slot) = state.slots.get_mut(key)
            && slot.generation == ticket.generation
            && slot.writing == 0
        {
            slot.value = Some((ticket.started, value));
        }
    }

    /// Starts a write that may change `key`'s answer: forgets it now (and again when
    /// the returned guard is dropped, whatever the write's outcome).
    pub(super) fn write(&self, key: K) -> Writing<'_, K, V> {
        self.begin(key, false)
    }

    /// Starts a write whose effect the caller will apply to the remembered answer
    /// with [`Writing::apply`], which it keeps meanwhile. Dropped without that (the
    /// write failed, or was abandoned), the guard forgets the answer.
    pub(super) fn update(&self, key: K) -> Writing<'_, K, V> {
        self.begin(key, true)
    }

    /// Starts a write that may change any key's answer: forgets them all now, and
    /// again when the returned guard is dropped.
    pub(super) fn write_all(&self) -> WritingAll<'_, K, V> {
        let mut state = self.lock();
        state.writing_all += 1;
        state.forget_all();
        WritingAll { memo: self }
    }

    fn begin(&self, key: K, keep: bool) -> Writing<'_, K, V> {
        let mut state = self.lock();
        let generation = state.generation();
        let slot = state.slots.entry(key.clone()).or_insert(Slot { generation, writing: 0, value: None });
        slot.generation = generation;
        slot.writing += 1;
        if !keep {
            slot.value = None;
        }
        Writing { memo: self, key: Some(key) }
    }

    fn end(&self, key: &K, apply: Option<&dyn Fn(&mut V)>) {
        let mut state = self.lock();
        let generation = state.generation();
        if let Some(slot) = state.slots.get_mut(key) {
            slot.generation = generation;
            slot.writing = slot.writing.saturating_sub(1);
            match (apply, &mut slot.value) {
                (Some(apply), Some((_, value))) => apply(value),
                _ => slot.value = None,
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<K, V>> {
        // Every change under this lock leaves the state whole: a panic elsewhere
        // while it was held does not make it wrong.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K, V> State<K, V> {
    fn generation(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn forget_all(&mut self) {
        self.slots.retain(|_, slot| slot.writing > 0);
        let mut next = self.next;
        for slot in self.slots.values_mut() {
            next += 1;
            slot.generation = next;
            slot.value = None;
        }
        self.next = next;
    }
}

/// A write in flight on one key; see [`Memo::write`] and [`Memo::update`].
pub(super) struct Writing<'a, K: Eq + Hash + Clone, V: Clone> {
    memo: &'a Memo<K, V>,
    /// Taken by [`Writing::apply`], so that `Drop` does not end the write twice.
    key: Option<K>,
}

impl<K: Eq + Hash + Clone, V: Clone> Writing<'_, K, V> {
    /// Ends the write, applying its effect to the remembered answer if there is one.
    /// Only for a guard from [`Memo::update`]: the answer kept is from before the
    /// write, because nothing was remembered while it was in flight.
    pub(super) fn apply(mut self, change: impl Fn(&mut V)) {
        if let Some(key) = self.key.take() {
            self.memo.end(&key, Some(&change));
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Drop for Writing<'_, K, V> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.memo.end(&key, None);
        }
    }
}

/// A write in flight that may change any key; see [`Memo::write_all`].
pub(super) struct WritingAll<'a, K: Eq + Hash + Clone, V: Clone> {
    memo: &'a Memo<K, V>,
}

impl<K: Eq + Hash + Clone, V: Clone> Drop for WritingAll<'_, K, V> {
    fn drop(&mut self) {
        let mut state = self.memo.lock();
        state.writing_all = state.writing_all.saturating_sub(1);
        state.forget_all();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn t(seconds: u64) -> Timestamp {
        Timestamp::from_millis(1_000_000).unwrap() + Duration::from_secs(seconds)
    }

    fn memo() -> Memo<u32, &'static str> {
        Memo::new(Duration::from_secs(2))
    }

    #[test]
    fn an_answer_is_fresh_for_a_while_counted_from_when_its_read_began() {
        let memo = memo();
        let ticket = memo.get(&1, t(0)).unwrap_err();
        memo.put(&1, ticket, "a");
        assert_eq!(memo.get(&1, t(1)).ok(), Some("a"));
        assert!(memo.get(&1, t(2)).is_err(), "stale after fresh_for");
        assert!(memo.get(&1, t(0) - Duration::from_secs(1)).is_err(), "a clock gone back sees it stale");
    }

    #[test]
    fn a_read_that_a_write_overtook_is_not_remembered() {
        let memo = memo();
        let before = memo.get(&1, t(0)).unwrap_err();
        drop(memo.write(1));
        memo.put(&1, before, "old");
        assert!(memo.get(&1, t(0)).is_err(), "a read from before the write is dropped");

        // A read that begins while a write is in flight may see either side of it.
        let writing = memo.write(1);
        let during = memo.get(&1, t(0)).unwrap_err();
        memo.put(&1, during, "either");
        assert!(memo.get(&1, t(0)).is_err(), "nothing is remembered while a write is in flight");
        let during = memo.get(&1, t(0)).unwrap_err();
        drop(writing);
        memo.put(&1, during, "either");
        assert!(memo.get(&1, t(0)).is_err(), "nor by a read that began during it");

        let after = memo.get(&1, t(0)).unwrap_err();
        memo.put(&1, after, "new");
        assert_eq!(memo.get(&1, t(1)).ok(), Some("new"));
    }

    #[test]
    fn an_update_applies_to_the_answer_from_before_it_and_a_failed_one_forgets() {
        let memo: Memo<u32, u64> = Memo::new(Duration::from_secs(2));
        let ticket = memo.get(&1, t(0)).unwrap_err();
        memo.put(&1, ticket, 10);
        let (first, second) = (memo.update(1), memo.update(1));
        assert_eq!(memo.get(&1, t(0)).ok(), Some(10), "kept while the updates are in flight");
        first.apply(|n| *n += 1);
        second.apply(|n| *n += 2);
        assert_eq!(memo.get(&1, t(1)).ok(), Some(13));
        drop(memo.update(1));
        assert!(memo.get(&1, t(1)).is_err(), "an update that did not finish forgets");
    }

    #[test]
    fn a_write_to_every_key_forgets_them_all_and_blocks_reads_meanwhile() {
        let memo = memo();
        for key in [1, 2] {
            let ticket = memo.get(&key, t(0)).unwrap_err();
            memo.put(&key, ticket, "a");
        }
        let before = memo.get(&3, t(0)).unwrap_err();
        let writing = memo.write_all();
        assert!(memo.get(&1, t(0)).is_err() && memo.get(&2, t(0)).is_err());
        let during = memo.get(&2, t(0)).unwrap_err();
        memo.put(&2, during, "b");
        drop(writing);
        memo.put(&3, before, "c");
        memo.put(&2, during, "b");
        assert!(memo.get(&2, t(0)).is_err() && memo.get(&3, t(0)).is_err());
    }

    #[test]
    fn starting_over_keeps_the_slots_of_writes_in_flight() {
        let memo = memo();
        let writing = memo.write(0);
        let early = memo.get(&0, t(0)).unwrap_err();
        let last = u32::try_from(MAX_KEYS).unwrap();
        for key in 1..=last {
            let ticket = memo.get(&key, t(0)).unwrap_err();
            memo.put(&key, ticket, "a");
        }
        assert!(memo.lock().slots.len() <= MAX_KEYS);
        memo.put(&0, early, "stale");
        drop(writing);
        assert!(memo.get(&0, t(0)).is_err(), "the write's end still found its slot");
        assert!(memo.get(&last, t(0)).is_ok(), "the newest key is kept");
    }
}
