//! Hourly, beside the workers:
//!
//! - **Handled inbox events are forgotten.** One stays in the inbox so that the
//!   platform delivering it again (Messenger retries what it thinks was not received,
//!   for hours) is recognised and ignored. After `[pipeline] inbox_retention_days` it
//!   has no use left, and kept, it would grow the store by one event per message for
//!   as long as the business runs. The chats and their messages are not touched.
//! - **Sends that never finished are settled.** A message is stored before it is
//!   sent, and marked sent or failed after. A process stopped in between (a crash, a
//!   kill) leaves it "sending" for good: the AI's replies are taken again by the
//!   inbox, but the owner's own messages are not, and neither are replies whose work
//!   was given up. Once the inbox's retries are over (an hour after the message was
//!   written, with the default settings), nothing will finish them: they are marked
//!   failed, and the consoles told, so the owner can send again. Not in a process's
//!   first such hour, though: after a long stop the inbox takes its work again
//!   first. Should the platform's echo of one come after all, it is marked sent.

use std::time::Duration;

use closer_core::config::PipelineConfig;
use closer_core::events::Event;
use closer_core::store::StoreError;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::worker::LONGEST_RETRY_PAUSE;
use crate::state::AppState;

/// The first pass waits for the start-up's own work; the next ones come hourly.
const FIRST_AFTER: Duration = Duration::from_mins(1);
const EVERY: Duration = Duration::from_hours(1);

/// Events forgotten in one store call: a long backlog (the first pass over an old
/// store) goes in bites, each short enough not to hold up the customers' writes.
const BITE: usize = 1_000;

/// How long a send may still be under way, at least: an owner's takes seconds, and
/// the inbox's retries of a reply end well within it with the default settings
/// ([`settle_window`]).
const SENDS_SETTLE_WITHIN: Duration = Duration::from_hours(1);

/// Messages settled per store call.
const SEND_BITE: usize = 100;

/// Why a send that never finished is marked failed, for the owner.
pub const UNFINISHED_SEND: &str = "never confirmed by the platform: sending stopped midway (closerd was stopped, \
     or gave up), so the customer most likely did not get it; send it again if it still matters";

pub(super) async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    let settle_from = Instant::now() + settle_window(&state.pipeline.config);
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
        if Instant::now() >= settle_from
            && let Err(e) = settle_unfinished_sends(&state, &stop).await
        {
            tracing::warn!(error = %e, "could not settle unfinished sends; trying again in an hour");
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

/// How long after a message was written its send may still be finished by the
/// inbox's retries: every attempt its lease and the longest pause, twice over, and
/// never less than an hour.
pub fn settle_window(config: &PipelineConfig) -> Duration {
    let attempt = Duration::from_secs(config.lease_secs) + LONGEST_RETRY_PAUSE;
    SENDS_SETTLE_WITHIN.max(attempt * config.max_attempts * 2)
}

/// Marks failed, and tells the consoles of, the outgoing messages left `Pending` or
/// `Sending` for longer than [`settle_window`]; says how many. A message that moves
/// on meanwhile (a worker sends it at last) is left alone. Stops between bites when
/// `stop` turns true.
pub async fn settle_unfinished_sends(
    state: &AppState,
    stop: &watch::Receiver<bool>,
) -> Result<usize, StoreError> {
    let before = state.clock.now() - settle_window(&state.pipeline.config);
    let mut settled = 0;
    while !*stop.borrow() {
        let unfinished = state.store.unsettled_messages(before, SEND_BITE).await?;
        for message in &unfinished {
            let (tenant, id) = (message.user_id, message.id);
            if !state.store.fail_unsettled_message(tenant, id, before, UNFINISHED_SEND).await? {
                continue;
            }
            tracing::warn!(user = %tenant, chat = %message.chat_id, message = %id, "a send never finished: marked failed");
            let error = UNFINISHED_SEND.to_owned();
            state
                .events
                .publish(tenant, Event::MessageFailed { chat_id: message.chat_id, message_id: id, error });
            settled += 1;
        }
        if unfinished.len() < SEND_BITE {
            break;
        }
    }
    Ok(settled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_settled_only_once_the_inbox_has_stopped_retrying() {
        assert_eq!(settle_window(&PipelineConfig::default()), Duration::from_hours(1));
        let patient = PipelineConfig { lease_secs: 600, max_attempts: 10, ..PipelineConfig::default() };
        // Ten attempts, each up to a 10-minute lease and a 5-minute pause, twice over.
        assert_eq!(settle_window(&patient), Duration::from_hours(5));
    }
}
