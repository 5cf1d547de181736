//! What the pipeline no longer needs is forgotten.
//!
//! A handled webhook event stays in the inbox so that the platform delivering it again
//! (Messenger retries what it thinks was not received, for hours) is recognised and
//! ignored. After `[pipeline] inbox_retention_days` it has no use left, and kept, it
//! would grow the store by one event per message for as long as the business runs.
//! The chats and their messages are not touched.

use std::time::Duration;

use closer_core::store::StoreError;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use crate::state::AppState;

/// The first pass waits for the start-up's own work; the next ones come hourly.
const FIRST_AFTER: Duration = Duration::from_mins(1);
const EVERY: Duration = Duration::from_hours(1);

/// Events forgotten in one store call: a long backlog (the first pass over an old
/// store) goes in bites, each short enough not to hold up the customers' writes.
const BITE: usize = 1_000;

pub(super) async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    if state.pipeline.config.inbox_retention_days == 0 {
        return;
    }
    let mut ticks = tokio::time::interval_at(Instant::now() + FIRST_AFTER, EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return,
            _ = ticks.tick() => {}
        }
        if let Err(e) = forget_handled(&state, &stop).await {
            tracing::warn!(error = %e, "could not forget old handled inbox events; trying again in an hour");
        }
    }
}

/// Forgets the handled inbox events older than `[pipeline] inbox_retention_days`;
/// says how many. Stops between bites when `stop` turns true.
pub async fn forget_handled(state: &AppState, stop: &watch::Receiver<bool>) -> Result<usize, StoreError> {
    let days = state.pipeline.config.inbox_retention_days;
    if days == 0 {
        return Ok(0);
    }
    let before = state.clock.now() - Duration::from_hours(24 * days);
    let mut forgotten = 0;
    while !*stop.borrow() {
        let bite = state.store.inbox_forget_handled(before, BITE).await?;
        forgotten += bite;
        if bite < BITE {
            break;
        }
    }
    if forgotten > 0 {
        tracing::info!(forgotten, days, "forgot handled inbox events past their retention");
    }
    Ok(forgotten)
}
