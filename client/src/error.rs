//! What can go wrong talking to closerd, in kinds a program can act on: the command
//! line maps them to exit codes, the console to a message and what to do next.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad argument (a server URL that does not parse): nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// closerd answered with an error.
    #[error("{message} ({status} {code})")]
    Server { status: u16, code: String, message: String },
    /// No answer from closerd at all.
    #[error("closerd is not reachable at {server}: is it running?")]
    Unreachable { server: String, detail: String },
    /// No credentials, or closerd refused them and they could not be refreshed.
    #[error("{0}")]
    NotAuthenticated(String),
    /// The client's own files (configuration, credentials).
    #[error("{0}")]
    Local(String),
}

impl Error {
    pub fn not_logged_in() -> Self {
        Self::NotAuthenticated("not logged in: run `closer login`".into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
