//! `e2e`: customer messages through the whole pipeline. Each message is a new
//! customer's first, sent as a signed webhook; its latency runs from the post to
//! the reply's arrival at our own fake Send API (closerd's `graph_api_base`), matched
//! by recipient. At a fixed rate (open loop), or as fast as replies come back with a
//! fixed number of customers waiting (closed loop).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::graph::{self, Arrival};
use super::stats::{Summary, run_id};
use super::webhooks::Poster;

#[derive(Debug)]
pub struct Load {
    /// Messages per second; `None`: closed loop with `in_flight` customers waiting.
    pub rate: Option<f64>,
    pub in_flight: usize,
    pub duration: Duration,
    /// How long to wait for the last replies once posting stops.
    pub timeout: Duration,
}

/// The messages waiting for their reply, and what arrived.
#[derive(Debug, Default)]
struct Tracker {
    /// What this run's customer ids start with.
    prefix: String,
    /// Recipient → when its message was sent (and, closed loop, its slot).
    waiting: Mutex<HashMap<String, (Instant, Option<OwnedSemaphorePermit>)>>,
    latencies: Mutex<Vec<Duration>>,
    last_reply: Mutex<Option<Instant>>,
    /// Replies to one of this run's customers already answered: a message answered
    /// twice.
    duplicates: AtomicU64,
    non200: AtomicU64,
}

impl Tracker {
    fn arrived(&self, arrival: &Arrival) {
        let sent = lock(&self.waiting).remove(&arrival.recipient);
        // Dropping the entry frees its slot.
        let Some((sent, _slot)) = sent else {
            // Late replies to an earlier run's customers are not ours to count.
            if arrival.recipient.starts_with(&self.prefix) {
                self.duplicates.fetch_add(1, Ordering::Relaxed);
            }
            return;
        };
        lock(&self.latencies).push(arrival.at.saturating_duration_since(sent));
        *lock(&self.last_reply) = Some(arrival.at);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub async fn run(poster: Poster, graph_listen: &str, page: &str, load: Load) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(graph_listen)
        .await
        .map_err(|e| format!("the fake Graph API cannot bind {graph_listen}: {e}"))?;
    let (replies_tx, mut replies) = tokio::sync::mpsc::unbounded_channel();
    let server =
        tokio::spawn(graph::serve(listener, page.to_owned(), Some(replies_tx), std::future::pending()));
    let run = run_id();
    let tracker = Arc::new(Tracker { prefix: format!("e{run}-"), ..Tracker::default() });
    let matcher = tokio::spawn({
        let tracker = Arc::clone(&tracker);
        async move {
            while let Some(arrival) = replies.recv().await {
                tracker.arrived(&arrival);
            }
        }
    });

    let slots = Arc::new(Semaphore::new(load.in_flight.max(1)));
    let started = Instant::now();
    let deadline = started + load.duration;
    let mut sent = 0_u64;
    loop {
        let slot = if let Some(rate) = load.rate {
            let at = started + Duration::from_secs_f64(sent as f64 / rate);
            if at >= deadline {
                break;
            }
            tokio::time::sleep_until(at.into()).await;
            None
        } else {
            let waiting = tokio::time::timeout_at(deadline.into(), Arc::clone(&slots).acquire_owned());
            let Ok(Ok(slot)) = waiting.await else { break };
            Some(slot)
        };
        let psid = format!("e{run}-{sent}");
        let mid = format!("m_e{run}_{sent}");
        // Waiting before the post: the reply may come before the 200 does.
        lock(&tracker.waiting).insert(psid.clone(), (Instant::now(), slot));
        let (poster, tracker, n) = (poster.clone(), Arc::clone(&tracker), sent);
        tokio::spawn(async move {
            if poster.post(&psid, &mid, n).await != 200 {
                tracker.non200.fetch_add(1, Ordering::Relaxed);
                lock(&tracker.waiting).remove(&psid);
            }
        });
        sent += 1;
    }
    let posting = started.elapsed();

    let wait_until = Instant::now() + load.timeout;
    while !lock(&tracker.waiting).is_empty() && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Late replies no longer count; closerd's keep-alive connections would hold a
    // graceful shutdown open, so the server is simply dropped.
    matcher.abort();
    server.abort();

    let no_reply = lock(&tracker.waiting).len();
    let latencies = std::mem::take(&mut *lock(&tracker.latencies));
    let span = lock(&tracker.last_reply).map_or(posting, |last| last.duration_since(started));
    let summary = Summary::of(latencies);
    let mode = load.rate.map_or_else(|| format!("max in_flight={}", load.in_flight), |r| format!("{r:.0}"));
    println!(
        "e2e rate={mode} sent={sent} replied={} rps={:.0} {} no_reply={no_reply} non200={} duplicates={}",
        summary.count,
        summary.count as f64 / span.as_secs_f64().max(1e-3),
        summary.fields(),
        tracker.non200.load(Ordering::Relaxed),
        tracker.duplicates.load(Ordering::Relaxed),
    );
    Ok(())
}
