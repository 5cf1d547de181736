//! Closer's core: the domain model, configuration and storage that the daemon runs on,
//! and the wire types the console and the command line share with it.
//!
//! The storage backends sit behind cargo features (`sqlite`, `mongodb`) so that the
//! clients build without database drivers.

#[cfg(feature = "ai")]
pub mod ai;
pub mod analytics;
pub mod clock;
pub mod config;
pub mod events;
pub mod lead;
pub mod model;
pub mod platform;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
