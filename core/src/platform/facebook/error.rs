//! What can go wrong talking to the Graph API, and which of it the owner can fix.
//!
//! No variant ever holds a URL or a request: the page token travels in the query
//! string, so anything that could echo the request could leak it.

use serde::Deserialize;

/// Graph's code for an access token that is invalid, expired or revoked.
pub const TOKEN_INVALID: i64 = 190;

/// A Graph API call that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with its own error object (`{"error":{…}}`).
    #[error("{}", describe_api(*.code, *.subcode, .message, .fbtrace_id.as_deref()))]
    Api {
        /// The HTTP status it came with; Graph's `code` says more.
        status: u16,
        code: i64,
        subcode: Option<i64>,
        message: String,
        /// Quoted to Meta's support to find the request on their side.
        fbtrace_id: Option<String>,
    },

    /// No answer: the connection failed or the answer did not come in time.
    #[error("{0}")]
    Unreachable(String),

    /// An answer that is not what Graph sends: a proxy's error page, a changed API.
    #[error("the Graph API answered HTTP {status} with {detail}")]
    Malformed { status: u16, detail: String },
}

fn describe_api(code: i64, subcode: Option<i64>, message: &str, fbtrace_id: Option<&str>) -> String {
    let subcode = subcode.map(|subcode| format!("/{subcode}")).unwrap_or_default();
    let trace = fbtrace_id.map(|id| format!(" (fbtrace_id {id})")).unwrap_or_default();
    format!("Graph API error {code}{subcode}: {message}{trace}")
}

impl GraphError {
    /// The token no longer works (expired, revoked, password changed): only the owner
    /// can fix it, by connecting the page again with a new token.
    pub fn is_token_invalid(&self) -> bool {
        matches!(self, Self::Api { code: TOKEN_INVALID, .. })
    }

    /// The token works but lacks a permission (codes 10 and 200–299).
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, Self::Api { code: 10 | 200..=299, .. })
    }

    /// Worth trying again later: Graph's temporary and rate-limit codes, its 5xx, and
    /// no answer at all.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, code, .. } => {
                *status >= 500 || matches!(code, 1 | 2 | 4 | 17 | 32 | 341 | 613)
            }
            Self::Unreachable(_) => true,
            Self::Malformed { status, .. } => *status >= 500,
        }
    }

    /// Reads a failed answer: Graph's error object when there is one.
    pub(super) fn from_answer(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<Envelope>(body) {
            Ok(Envelope { error }) => Self::Api {
                status,
                code: error.code,
                subcode: error.error_subcode,
                message: error.message,
                fbtrace_id: error.fbtrace_id,
            },
            // The body is not quoted: it is not Graph's, and we do not know what it holds.
            Err(_) => {
                Self::Malformed { status, detail: format!("{} bytes that are not a Graph error", body.len()) }
            }
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    message: String,
    code: i64,
    error_subcode: Option<i64>,
    fbtrace_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_error_object_is_read_with_all_its_parts() {
        let body = br#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC123"}}"#;
        let error = GraphError::from_answer(400, body);
        assert_eq!(
            error,
            GraphError::Api {
                status: 400,
                code: 190,
                subcode: Some(463),
                message: "Error validating access token: Session has expired".to_owned(),
                fbtrace_id: Some("AbC123".to_owned()),
            }
        );
        assert!(error.is_token_invalid());
        assert!(!error.is_transient() && !error.is_permission_denied());
        assert_eq!(
            error.to_string(),
            "Graph API error 190/463: Error validating access token: Session has expired (fbtrace_id AbC123)"
        );
    }

    #[test]
    fn codes_are_sorted_into_what_the_owner_and_a_retry_can_fix() {
        let api = |status, code| GraphError::Api {
            status,
            code,
            subcode: None,
            message: String::new(),
            fbtrace_id: None,
        };
        assert!(api(403, 200).is_permission_denied() && api(400, 10).is_permission_denied());
        assert!(api(400, 613).is_transient() && api(400, 4).is_transient() && api(500, 1).is_transient());
        assert!(!api(400, 100).is_transient() && !api(400, 100).is_token_invalid());
        assert!(GraphError::Unreachable("timed out".to_owned()).is_transient());
        assert!(!GraphError::Malformed { status: 200, detail: String::new() }.is_transient());
    }

    #[test]
    fn an_answer_that_is_not_graphs_is_malformed_and_not_quoted() {
        let error = GraphError::from_answer(502, b"<html>Bad Gateway secret-ish</html>");
        assert_eq!(
            error,
            GraphError::Malformed { status: 502, detail: "35 bytes that are not a Graph error".to_owned() }
        );
        assert!(!error.to_string().contains("secret"));
        assert!(error.is_transient());
    }
}
