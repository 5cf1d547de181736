//! The Closer operator console.
