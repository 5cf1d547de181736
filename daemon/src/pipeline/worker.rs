//! One worker: claim a conversation, work through its events under a lease kept
//! alive meanwhile, repeat; wait for a wake-up (or a short poll, for leases that
//! expired elsewhere) when there is nothing to do.

use std::time::Duration;

use closer_core::model::{InboxClaim, Timestamp};
use tokio::sync::watch;

use super::conversation;
use crate::state::AppState;

/// The most events of one conversation taken in one claim: a burst is answered
/// together, a flood is taken in bites.
const MAX_EVENTS_PER_CLAIM: usize = 25;

/// How often an idle worker looks anyway: leases that ran out (a crashed process)
/// and retries that came due wake nobody.
const POLL: Duration = Duration::from_millis(500);

pub async fn run(state: AppState, n: usize, mut stop: watch::Receiver<bool>) {
    let owner = format!("{}/{n}", state.pipeline.owner);
    loop {
        if *stop.borrow() {
            break;
        }
        // Registered before the claim, so an enqueue between the claim finding nothing
        // and the wait is not missed.
        let woken = state.pipeline.wake.notified();
        let claim = state.store.inbox_claim(
            &owner,
            state.clock.now(),
            state.pipeline.lease_for(),
            MAX_EVENTS_PER_CLAIM,
        );
        match claim.await {
            Ok(Some(claim)) => work(&state, claim).await,
            Ok(None) => {
                tokio::select! {
                    () = woken => {}
                    () = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => {}
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot claim inbox events; trying again shortly");
                tokio::time::sleep(POLL * 2).await;
            }
        }
    }
}

/// Works through one claim while keeping its lease alive. If the lease is lost (this
/// process stalled past it), the work stops at its next step: another worker has the
/// conversation now, and everything done so far is safe to do again.
async fn work(state: &AppState, claim: InboxClaim) {
    let lease = claim.lease;
    let conversation = claim.conversation.clone();
    let lease_for = state.pipeline.lease_for();
    let handling = conversation::handle(state, claim);
    tokio::pin!(handling);
    let mut heartbeat = tokio::time::interval(lease_for / 3);
    heartbeat.tick().await; // the first tick is immediate
    loop {
        tokio::select! {
            () = &mut handling => return,
            _ = heartbeat.tick() => {
                let until = state.clock.now() + lease_for;
                // The work goes on meanwhile: paused, it may hold one of the store's
                // connections, the one the extension waits for. With every worker's
                // heartbeat due at once, that stalled them all.
                let extended = tokio::select! {
                    () = &mut handling => return,
                    extended = state.store.inbox_extend(lease, until) => extended,
                };
                if let Err(error) = extended {
                    tracing::warn!(%conversation, %error, "lost the lease on a conversation; leaving it to its new holder");
                    return;
                }
            }
        }
    }
}

/// The longest pause before a failed event is tried again.
pub(super) const LONGEST_RETRY_PAUSE: Duration = Duration::from_mins(5);

/// When a failed event may be tried again: a few seconds, doubling per attempt, at
/// most [`LONGEST_RETRY_PAUSE`].
pub fn retry_at(now: Timestamp, attempts: u32) -> Timestamp {
    let pause = Duration::from_secs(2_u64.saturating_pow(attempts.min(8)));
    now + pause.min(LONGEST_RETRY_PAUSE)
}
