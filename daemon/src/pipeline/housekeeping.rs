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
//!   was given up. An hour on, nothing will finish them: they are marked failed, and
//!   the consoles told, so the owner can send again. Should the platform's echo of
//!   one come after all, it is marked sent then.

use std::time::Duration;

use closer_core::events::Event;
use closer_core::model::DeliveryState;
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

/// How long a send may still be under way: an owner's takes seconds, and the
/// inbox's retries of a reply (five attempts, each within its lease and at most five
/// minutes' pause) end well within it.
const SENDS_SETTLE_WITHIN: Duration = Duration::from_hours(1);

/// Messages settled per store call.
const SEND_BITE: usize = 100;

/// Why a send that never finished is marked failed, for the owner.
pub const UNFINISHED_SEND: &str = "never confirmed by the platform: sending stopped midway (closerd was stopped, or gave up), \
     so the customer most likely did not get it";

pub(super) async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
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
        if let Err(e) = settle_unfinished_sends(&state, &stop).await {
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

/// Marks failed, and tells the consoles of, the outgoing messages left `Pending` or
/// `Sending` for over an hour; says how many. Stops between bites when `stop` turns
/// true.
pub async fn settle_unfinished_sends(
    state: &AppState,
    stop: &watch::Receiver<bool>,
) -> Result<usize, StoreError> {
    let before = state.clock.now() - SENDS_SETTLE_WITHIN;
    let mut settled = 0;
    while !*stop.borrow() {
        let unfinished = state.store.unsettled_messages(before, SEND_BITE).await?;
        for message in &unfinished {
            let (tenant, id) = (message.user_id, message.id);
            tracing::warn!(user = %tenant, chat = %message.chat_id, message = %id, "a send never finished: marked failed");
            state
                .store
                .set_message_delivery(tenant, id, DeliveryState::Failed, None, Some(UNFINISHED_SEND))
                .await?;
            let error = UNFINISHED_SEND.to_owned();
            state
                .events
                .publish(tenant, Event::MessageFailed { chat_id: message.chat_id, message_id: id, error });
        }
        settled += unfinished.len();
        if unfinished.len() < SEND_BITE {
            break;
        }
    }
    Ok(settled)
}
