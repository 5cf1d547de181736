//! The live event hub: numbers each business's events, keeps the latest of them for
//! consoles that reconnect, and fans them out to the connected ones without ever
//! waiting for a slow one.
//!
//! Each business has its own broadcast channel and replay buffer. One channel for all
//! businesses would wake every console for every event and make each filter out the
//! others' events; per business, an event costs one wake-up per console of its own
//! business. Each event is serialised once, when published, and every console gets a
//! reference-counted copy of the same text.
//!
//! Memory is bounded: the replay buffer by count and by bytes, the live channel by its
//! capacity (a console further behind is told it lagged and is disconnected), and a
//! business with no console connected and nothing published for a while is forgotten.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::ws::Utf8Bytes;
use closer_core::events::{Event, LiveEvent, ResyncReason};
use closer_core::model::{Timestamp, UserId};
use closer_core::{Clock, SystemClock};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, watch};

/// How much the hub keeps and how it treats its consoles.
#[derive(Debug, Clone)]
pub struct HubLimits {
    /// Events kept per business for consoles that reconnect with `last_seq`.
    pub replay_events: usize,
    /// The replay buffer's size in bytes of JSON: a run of long messages must not hold
    /// megabytes per business. The latest event is kept whatever its size.
    pub replay_bytes: usize,
    /// How many events a console may fall behind the live stream before it is
    /// disconnected (tokio rounds it up to a power of two).
    pub lag_events: usize,
    /// A business with no console connected and nothing published for this long is
    /// forgotten; a console that comes back later gets a `resync`.
    pub forget_after: Duration,
    /// WebSocket keepalive: a ping this often; a console that has sent nothing (not
    /// even the pong) by the next ping is disconnected.
    pub ping_every: Duration,
    /// A console whose socket has not taken a frame after this long is disconnected:
    /// it is not reading, and the kernel's buffers are full.
    pub send_timeout: Duration,
}

impl Default for HubLimits {
    fn default() -> Self {
        Self {
            replay_events: 1_000,
            replay_bytes: 2 * 1024 * 1024,
            lag_events: 512,
            forget_after: Duration::from_mins(15),
            ping_every: Duration::from_secs(20),
            send_timeout: Duration::from_secs(10),
        }
    }
}

/// One event ready to send: its sequence number and its JSON text.
#[derive(Debug, Clone)]
pub struct Frame {
    pub seq: u64,
    /// Cheap to clone: every console shares the one serialisation.
    pub json: Utf8Bytes,
}

/// Fans each business's events out to its connected consoles.
#[derive(Debug)]
pub struct EventHub {
    /// Stamps `at` on each event.
    clock: Arc<dyn Clock>,
    limits: HubLimits,
    /// Read-locked by every publish and subscribe (they run side by side, each holding
    /// only its business's mutex); write-locked to add a business or forget some, so a
    /// business is never forgotten in the middle of a publish or a subscribe.
    channels: RwLock<HashMap<UserId, Arc<Mutex<Channel>>>>,
    /// The highest `seq` of any forgotten business: a business that comes back starts
    /// above it, so a console's old `last_seq` can never match a new event.
    forgotten_up_to: AtomicU64,
    next_sweep: Mutex<Instant>,
    /// Flipped once when the daemon stops: every subscription ends.
    shutting_down: watch::Sender<bool>,
    /// Live subscriptions, so shutdown can wait for the going-away frames to be sent.
    subscriptions: Arc<watch::Sender<usize>>,
}

/// One business's sequence, replay buffer and live channel.
#[derive(Debug)]
struct Channel {
    last_seq: u64,
    replay: VecDeque<Frame>,
    replay_bytes: usize,
    live: broadcast::Sender<Frame>,
    last_active: Instant,
}

impl Default for EventHub {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl EventHub {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self::with_limits(clock, HubLimits::default())
    }

    pub fn with_limits(clock: Arc<dyn Clock>, limits: HubLimits) -> Self {
        Self {
            clock,
            limits,
            channels: RwLock::default(),
            forgotten_up_to: AtomicU64::new(0),
            next_sweep: Mutex::new(Instant::now()),
            shutting_down: watch::Sender::new(false),
            subscriptions: Arc::new(watch::Sender::new(0)),
        }
    }

    pub fn limits(&self) -> &HubLimits {
        &self.limits
    }

    /// Sends `event` to `tenant`'s consoles and keeps it for replay; returns its `seq`.
    /// Never waits for a console.
    pub fn publish(&self, tenant: UserId, event: Event) -> u64 {
        self.sweep_if_due();
        let kind = event.kind();
        self.with_channel(tenant, |channel| {
            let live = LiveEvent { seq: channel.last_seq + 1, at: self.clock.now(), event };
            let Some(json) = encode(&live) else { return channel.last_seq };
            let frame = Frame { seq: live.seq, json };
            channel.last_seq = frame.seq;
            channel.last_active = Instant::now();
            channel.remember(frame.clone(), &self.limits);
            // An error only means that no console is connected: the buffer has it.
            let _ = channel.live.send(frame);
            tracing::trace!(tenant = %tenant, seq = live.seq, kind, "event published");
            live.seq
        })
    }

    /// The events of `tenant` from now on, preceded by those after `last_seq` (or by a
    /// `resync` when they are no longer kept, or were never sent by this daemon run).
    pub fn subscribe(&self, tenant: UserId, last_seq: Option<u64>) -> Subscription {
        self.sweep_if_due();
        let now = self.clock.now();
        // Under the business's lock, so the replay ends exactly where the live channel
        // begins: nothing is missed or sent twice.
        let (channel, live, missed) = self.with_channel_arc(tenant, |arc, channel| {
            channel.last_active = Instant::now();
            (Arc::clone(arc), channel.live.subscribe(), channel.missed_since(last_seq, now))
        });
        self.subscriptions.send_modify(|count| *count += 1);
        Subscription {
            missed: missed.into(),
            live,
            shutting_down: self.shutting_down.subscribe(),
            channel,
            subscriptions: Arc::clone(&self.subscriptions),
        }
    }

    /// How many subscriptions (connected consoles) there are.
    pub fn connected(&self) -> usize {
        *self.subscriptions.borrow()
    }

    /// Ends every subscription, present and future: the consoles are sent a
    /// going-away close frame. Call it when the daemon begins to stop.
    pub fn shut_down(&self) {
        self.shutting_down.send_replace(true);
    }

    /// Completes when no subscription is left, e.g. once every console has been sent
    /// its close frame after [`EventHub::shut_down`].
    pub async fn closed(&self) {
        let mut count = self.subscriptions.subscribe();
        // An error would mean the hub is gone, and its subscriptions with it.
        let _ = count.wait_for(|count| *count == 0).await;
    }

    fn with_channel<R>(&self, tenant: UserId, work: impl FnOnce(&mut Channel) -> R) -> R {
        self.with_channel_arc(tenant, |_, channel| work(channel))
    }

    fn with_channel_arc<R>(
        &self,
        tenant: UserId,
        work: impl FnOnce(&Arc<Mutex<Channel>>, &mut Channel) -> R,
    ) -> R {
        {
            let channels = self.channels.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(arc) = channels.get(&tenant) {
                return work(arc, &mut lock(arc));
            }
        }
        let mut channels = self.channels.write().unwrap_or_else(PoisonError::into_inner);
        let arc = channels.entry(tenant).or_insert_with(|| {
            let first = unix_micros().max(self.forgotten_up_to.load(Ordering::Relaxed) + 1);
            Arc::new(Mutex::new(Channel::new(first, &self.limits)))
        });
        work(arc, &mut lock(arc))
    }

    /// Forgets the businesses nobody listens to and nothing happened in for a while,
    /// at most once a minute.
    fn sweep_if_due(&self) {
        let now = Instant::now();
        {
            // Another thread sweeping, or a poisoned lock: skip this time.
            let Ok(mut next) = self.next_sweep.try_lock() else { return };
            if now < *next {
                return;
            }
            *next = now + self.limits.forget_after.min(Duration::from_mins(1));
        }
        let mut channels = self.channels.write().unwrap_or_else(PoisonError::into_inner);
        let before = channels.len();
        channels.retain(|_, channel| {
            let channel = lock(channel);
            let keep = channel.live.receiver_count() > 0
                || now.saturating_duration_since(channel.last_active) < self.limits.forget_after;
            if !keep {
                self.forgotten_up_to.fetch_max(channel.last_seq, Ordering::Relaxed);
            }
            keep
        });
        if channels.len() < before {
            tracing::debug!(
                forgotten = before - channels.len(),
                kept = channels.len(),
                "idle event buffers dropped"
            );
        }
    }
}

impl Channel {
    fn new(last_seq: u64, limits: &HubLimits) -> Self {
        Self {
            last_seq,
            replay: VecDeque::new(),
            replay_bytes: 0,
            live: broadcast::Sender::new(limits.lag_events.max(1)),
            last_active: Instant::now(),
        }
    }

    fn remember(&mut self, frame: Frame, limits: &HubLimits) {
        self.replay_bytes += frame.json.len();
        self.replay.push_back(frame);
        while self.replay.len() > limits.replay_events.max(1)
            || (self.replay_bytes > limits.replay_bytes && self.replay.len() > 1)
        {
            if let Some(old) = self.replay.pop_front() {
                self.replay_bytes -= old.json.len();
            }
        }
    }

    fn missed_since(&self, last_seq: Option<u64>, now: Timestamp) -> Vec<Frame> {
        let Some(last_seq) = last_seq else { return Vec::new() };
        if last_seq > self.last_seq {
            return self.resync(ResyncReason::Unknown, now);
        }
        // The buffer holds consecutive numbers, so the first missed one is found by
        // arithmetic; it is there unless it was dropped (or the buffer is empty and
        // nothing was missed).
        let first_kept = self.replay.front().map_or(self.last_seq + 1, |frame| frame.seq);
        if last_seq + 1 < first_kept {
            return self.resync(ResyncReason::TooOld, now);
        }
        let skip = usize::try_from(last_seq + 1 - first_kept).unwrap_or(usize::MAX);
        self.replay.iter().skip(skip).cloned().collect()
    }

    /// A `resync` numbered as the latest event, so that a console that reloads and
    /// keeps this `seq` carries on with the next live event.
    fn resync(&self, reason: ResyncReason, now: Timestamp) -> Vec<Frame> {
        let live = LiveEvent { seq: self.last_seq, at: now, event: Event::Resync { reason } };
        encode(&live).map(|json| Frame { seq: live.seq, json }).into_iter().collect()
    }
}

/// A console's view of one business's events: what it missed, then the live ones.
#[derive(Debug)]
pub struct Subscription {
    missed: VecDeque<Frame>,
    live: broadcast::Receiver<Frame>,
    shutting_down: watch::Receiver<bool>,
    /// To mark the business active when the console leaves, so that its buffer is kept
    /// for a reconnect.
    channel: Arc<Mutex<Channel>>,
    subscriptions: Arc<watch::Sender<usize>>,
}

/// Why a subscription has no more events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ended {
    /// The console fell further behind than the hub keeps for it.
    #[error("the console fell {missed} events behind")]
    Lagged { missed: u64 },
    #[error("the daemon is shutting down")]
    ShuttingDown,
}

impl Subscription {
    /// The next event; cancel-safe, so it can sit in a `select!`.
    pub async fn recv(&mut self) -> Result<Frame, Ended> {
        if *self.shutting_down.borrow() {
            return Err(Ended::ShuttingDown);
        }
        if let Some(frame) = self.missed.pop_front() {
            return Ok(frame);
        }
        tokio::select! {
            biased;
            // An error: the hub itself is gone, which also means shutting down.
            _ = self.shutting_down.wait_for(|down| *down) => Err(Ended::ShuttingDown),
            received = self.live.recv() => match received {
                Ok(frame) => Ok(frame),
                Err(RecvError::Lagged(missed)) => Err(Ended::Lagged { missed }),
                Err(RecvError::Closed) => Err(Ended::ShuttingDown),
            },
        }
    }

    /// The next event if one is already waiting, without waiting for one.
    pub fn try_recv(&mut self) -> Option<Result<Frame, Ended>> {
        if *self.shutting_down.borrow() {
            return Some(Err(Ended::ShuttingDown));
        }
        if let Some(frame) = self.missed.pop_front() {
            return Some(Ok(frame));
        }
        match self.live.try_recv() {
            Ok(frame) => Some(Ok(frame)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Lagged(missed)) => Some(Err(Ended::Lagged { missed })),
            Err(TryRecvError::Closed) => Some(Err(Ended::ShuttingDown)),
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        lock(&self.channel).last_active = Instant::now();
        self.subscriptions.send_modify(|count| *count = count.saturating_sub(1));
    }
}

fn encode(live: &LiveEvent) -> Option<Utf8Bytes> {
    match serde_json::to_string(live) {
        Ok(json) => Some(Utf8Bytes::from(json)),
        Err(error) => {
            // Plain data always serialises; if it ever does not, the event is lost, loudly.
            tracing::error!(%error, kind = live.event.kind(), "cannot serialise a live event");
            None
        }
    }
}

/// A channel's state stays consistent across a panic elsewhere: keep using it.
fn lock(channel: &Mutex<Channel>) -> MutexGuard<'_, Channel> {
    channel.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a business's numbering starts: microseconds since 1970, so each daemon run
/// starts above anything an earlier run could have reached (one event per microsecond
/// per business is far beyond any real rate), and still below 2^53 for JavaScript.
fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| u64::try_from(since.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests;
