//! The console's screens, each its own component: it takes keys and mouse events,
//! keeps its state, and draws itself into the area it is given.

pub mod chats;
pub mod dashboard;
pub mod input;
pub mod login;
pub mod status_bar;
pub mod transcript;

/// The keys of a screen: what to press, what it does. The help overlay lists them.
pub type Keys = Vec<(&'static str, &'static str)>;
