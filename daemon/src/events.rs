//! The live event hub: sequence numbers, per-business buffers, subscriptions
//! (being written).

/// Fans each business's events out to its connected consoles.
#[derive(Debug, Default)]
pub struct EventHub;
