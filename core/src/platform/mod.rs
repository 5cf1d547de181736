//! Messaging platforms: their wire formats and clients.

#[cfg(feature = "facebook")]
pub mod facebook;
