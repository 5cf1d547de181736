//! What can go wrong in a `closer` command, and the exit code each kind maps to:
//! scripts rely on those codes, so they are listed in `closer --help`.

use std::io;

/// The exit codes, as `closer --help` documents them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  done
  1  closerd refused the request (its message is printed), or a local file could not be written
  2  usage: a bad argument, flag or input file
  3  closerd cannot be reached
  4  not authenticated: log in with `closer login`";

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A bad argument or input file: nothing was sent.
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
    /// Writing the output; a closed pipe among them is no error at all.
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl From<closer_client::Error> for CliError {
    fn from(error: closer_client::Error) -> Self {
        use closer_client::Error;
        match error {
            Error::Usage(message) => Self::Usage(message),
            Error::Server { status, code, message } => Self::Server { status, code, message },
            Error::Unreachable { server, detail } => Self::Unreachable { server, detail },
            Error::NotAuthenticated(message) => Self::NotAuthenticated(message),
            Error::Local(message) => Self::Local(message),
        }
    }
}

impl CliError {
    pub fn not_logged_in() -> Self {
        Self::NotAuthenticated("not logged in: run `closer login`".into())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Server { .. } | Self::Local(_) | Self::Output(_) => 1,
            Self::Usage(_) => 2,
            Self::Unreachable { .. } => 3,
            Self::NotAuthenticated(_) => 4,
        }
    }

    /// The reader of a pipe went away (`closer chats | head -1`): we stop quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Output(error) if error.kind() == io::ErrorKind::BrokenPipe)
    }

    /// More detail, shown with `-v`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Unreachable { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;
