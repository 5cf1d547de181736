//! The customer-message pipeline: platform events in, replies out, exactly once.
//!
//! 1. [`webhook`] checks a Messenger POST's signature, writes each event to the
//!    durable inbox (keyed by the platform's id, so a redelivery is a no-op) and
//!    answers 200: nothing slow happens before the 200. The sandbox enqueues the
//!    same way.
//! 2. Workers ([`worker`]) claim one conversation at a time under a lease that
//!    expires: a conversation's events are handled in order, one worker at a time,
//!    and a burst that arrived together is answered once; different conversations
//!    run in parallel, up to `[pipeline] workers`.
//! 3. Each event is applied ([`conversation`]): the customer's message stored and
//!    shown, echoes matched, deliveries and reads recorded.
//! 4. The AI answers the customer's new messages ([`reply`]) unless the owner took the
//!    chat over; the reply is stored under an id derived from the message it answers
//!    before it is sent, so work taken again after a crash finds it and does not
//!    answer twice.
//! 5. Lead score, status, analytics and campaign stats follow; every change is a live
//!    event for the owner's consoles.
//!
//! A crash anywhere leaves the events not done; their lease runs out and another
//! worker (or the restarted daemon) takes them again.

mod channels;
mod conversation;
mod housekeeping;
pub mod item;
mod reply;
pub mod sandbox;
pub mod webhook;
mod worker;

use std::time::Duration;

use closer_core::config::PipelineConfig;
use closer_core::lead::LeadScorer;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

pub use channels::channel_for;
pub use conversation::count;
pub use housekeeping::{UNFINISHED_SEND, forget_handled, settle_unfinished_sends};
pub use reply::{check_owner_can_send, send_by_hand, tell_back_with_the_assistant, window_for_owner};

use crate::state::AppState;

/// The pipeline's settings and what its parts share.
#[derive(Debug)]
pub struct Pipeline {
    pub config: PipelineConfig,
    /// The workers to run: as configured, or the store's default.
    pub workers: usize,
    pub scorer: LeadScorer,
    /// Our app's id at Facebook: an echo with another app's id is a person answering
    /// from the page inbox.
    pub facebook_app_id: String,
    /// Rung when events are enqueued, so an idle worker starts at once.
    wake: Notify,
    /// Names this process's leases in the store.
    owner: String,
}

impl Pipeline {
    /// The pipeline for a store of `backend` ([`closer_core::store::Store::backend`]).
    pub fn new(config: PipelineConfig, backend: &str, scorer: LeadScorer, facebook_app_id: String) -> Self {
        let owner = format!("closerd-{}-{}", std::process::id(), uuid_suffix());
        let workers = config.workers_for(backend);
        Self { config, workers, scorer, facebook_app_id, wake: Notify::new(), owner }
    }

    /// Tells idle workers there is work: one worker per new event, at most all of
    /// them. Waking every worker for each event made them race for one claim (and on
    /// MongoDB, for nothing): a webhook burst cost a claim query per worker per event.
    /// A wake-up that finds no worker waiting is kept for the next one that looks.
    pub fn wake(&self, events: usize) {
        for _ in 0..events.min(self.workers.max(1)) {
            self.wake.notify_one();
        }
    }

    pub fn lease_for(&self) -> Duration {
        Duration::from_secs(self.config.lease_secs)
    }
}

/// Starts the workers, and the housekeeping beside them; they stop taking work when
/// `stop` turns true and finish what they hold ([`Running::finish`]).
///
/// They run on a runtime of their own, with a thread per core as the server's. In one
/// runtime, a webhook's task woken by its durable write queued behind every busy
/// worker's: with the rule-based AI nothing a worker does waits long, and during a
/// flood 128 of them crowded out the acknowledgements Facebook waits for. Apart, the
/// system shares the cores between the two by threads, and a webhook that was waiting
/// on its write runs as soon as it is written (BENCHMARKS.md, "Pipeline").
pub fn start(state: &AppState, stop: &watch::Receiver<bool>) -> std::io::Result<Running> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().thread_name("closer-pipeline").enable_all().build()?;
    let mut tasks = JoinSet::new();
    for n in 0..state.pipeline.workers {
        tasks.spawn_on(worker::run(state.clone(), n, stop.clone()), runtime.handle());
    }
    tasks.spawn_on(housekeeping::run(state.clone(), stop.clone()), runtime.handle());
    tracing::info!(workers = state.pipeline.workers, store = state.store.backend(), "pipeline started");
    Ok(Running { tasks, runtime: Some(runtime) })
}

/// The pipeline's tasks, and the runtime they run on.
#[derive(Debug)]
pub struct Running {
    tasks: JoinSet<()>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Running {
    /// Waits up to `grace` for the tasks to finish what they hold, then stops their
    /// runtime; says whether they all finished. Work cut short is left to its lease.
    pub async fn finish(mut self, grace: Duration) -> bool {
        let finishing = async { while self.tasks.join_next().await.is_some() {} };
        tokio::time::timeout(grace, finishing).await.is_ok()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Without waiting: this may run on the server's runtime, which must not block.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn uuid_suffix() -> String {
    let id = closer_core::model::LeaseId::new().to_string();
    id[id.len() - 8..].to_owned()
}
