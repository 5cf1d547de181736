//! Facebook Messenger: the Graph API client (checking a page token, subscribing the
//! page to our app's webhooks, the Send API), the [`FacebookChannel`] the pipeline
//! sends through, and the [`webhook`]'s signature and events.
//!
//! The page token travels as the `access_token` query parameter, as Graph documents
//! it, so nothing here logs a URL or lets one into an error.

mod channel;
mod error;
mod send;
pub mod webhook;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::{Method, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use channel::FacebookChannel;
pub use error::{GraphError, TOKEN_INVALID};

/// Long enough for Graph on a bad day, short enough that an owner waiting on
/// "connect" gets an answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The webhook fields a page must send us for Messenger: messages, button taps,
/// echoes (to see a human answering from the page inbox), deliveries and reads.
pub const MESSAGING_FIELDS: &str =
    "messages,messaging_postbacks,message_echoes,message_deliveries,message_reads";

/// Who a page token belongs to, as Graph's `/me` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PageIdentity {
    pub id: String,
    pub name: String,
}

/// Talks to the Graph API at a configurable base URL, so tests point it at a fake.
/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct GraphClient {
    base: String,
    version: String,
    /// For the connection and for the whole request, each.
    timeout: Duration,
    /// Built on first use rather than in `new`: reqwest needs the process's TLS crypto
    /// provider, which binaries install at start, but code that never calls Graph
    /// (most tests) should not have to. Shared by clones, since axum clones the
    /// state per request and a pool per request would be no pool.
    http: Arc<OnceLock<reqwest::Client>>,
}

impl GraphClient {
    pub fn new(base: impl Into<String>, version: impl Into<String>) -> Self {
        Self { base: base.into(), version: version.into(), timeout: DEFAULT_TIMEOUT, http: Arc::default() }
    }

    /// The same client with another timeout (tests use a short one).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.http = Arc::default();
        self
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// `GET /me?fields=id,name`: the page a page token belongs to. An invalid or
    /// expired token is [`GraphError::is_token_invalid`].
    pub async fn page_identity(&self, page_token: &str) -> Result<PageIdentity, GraphError> {
        let mut url = self.url(&["me"])?;
        url.query_pairs_mut().append_pair("fields", "id,name").append_pair("access_token", page_token);
        self.call(Method::GET, url).await
    }

    /// `POST /{page_id}/subscribed_apps`: asks Graph to send the page's messaging
    /// events to our app's webhook.
    pub async fn subscribe_page(&self, page_id: &str, page_token: &str) -> Result<(), GraphError> {
        #[derive(Deserialize)]
        struct Answer {
            success: bool,
        }

        let mut url = self.url(&[page_id, "subscribed_apps"])?;
        url.query_pairs_mut()
            .append_pair("subscribed_fields", MESSAGING_FIELDS)
            .append_pair("access_token", page_token);
        let answer: Answer = self.call(Method::POST, url).await?;
        if answer.success {
            Ok(())
        } else {
            Err(GraphError::Malformed {
                status: 200,
                detail: "\"success\": false to the subscription".to_owned(),
            })
        }
    }

    /// `{base}/{version}/{segments…}`, each segment escaped, so that an id cannot
    /// change which resource is asked for.
    fn url(&self, segments: &[&str]) -> Result<Url, GraphError> {
        let unusable =
            || GraphError::Unreachable(format!("the Graph API base URL {:?} is not usable", self.base));
        let mut url = Url::parse(&self.base).map_err(|_| unusable())?;
        url.path_segments_mut().map_err(|()| unusable())?.pop_if_empty().push(&self.version).extend(segments);
        Ok(url)
    }

    async fn call<T: DeserializeOwned>(&self, method: Method, url: Url) -> Result<T, GraphError> {
        self.call_with(method, url, None).await
    }

    /// A call with an optional JSON body (the Send API's).
    async fn call_with<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        json: Option<&serde_json::Value>,
    ) -> Result<T, GraphError> {
        let mut request = self.http()?.request(method, url);
        if let Some(json) = json {
            request = request.json(json);
        }
        let response = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.unreachable(e))?;
        if !(200..300).contains(&status) {
            return Err(GraphError::from_answer(status, &body));
        }
        serde_json::from_slice(&body)
            .map_err(|e| GraphError::Malformed { status, detail: format!("an unexpected body ({e})") })
    }

    fn http(&self) -> Result<&reqwest::Client, GraphError> {
        if let Some(http) = self.http.get() {
            return Ok(http);
        }
        let built = reqwest::Client::builder()
            .connect_timeout(self.timeout)
            .timeout(self.timeout)
            // Graph does not redirect these calls; following one would hand the token's
            // URL to wherever it pointed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                GraphError::Unreachable(format!("cannot set up an HTTP client: {}", chain(&e.without_url())))
            })?;
        // Two first calls at once may both build one; either is fine.
        Ok(self.http.get_or_init(|| built))
    }

    fn unreachable(&self, error: reqwest::Error) -> GraphError {
        // reqwest puts the URL, token included, in its errors.
        let error = error.without_url();
        if error.is_timeout() {
            GraphError::Unreachable(format!(
                "the Graph API at {} did not answer within {} s",
                self.base,
                self.timeout.as_secs_f64()
            ))
        } else {
            GraphError::Unreachable(format!("cannot reach the Graph API at {}: {}", self.base, chain(&error)))
        }
    }
}

/// An error with its causes, so that "error sending request" says why (connection
/// refused, DNS, TLS).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn urls_put_the_version_first_and_escape_every_segment() {
        let graph = GraphClient::new("http://127.0.0.1:9/graph/", "v21.0");
        assert_eq!(graph.url(&["me"]).unwrap().as_str(), "http://127.0.0.1:9/graph/v21.0/me");
        let url = graph.url(&["12/../me", "subscribed_apps"]).unwrap();
        assert_eq!(url.path(), "/graph/v21.0/12%2F..%2Fme/subscribed_apps");
    }

    #[test]
    fn an_unusable_base_is_an_error_that_names_it() {
        let error = GraphClient::new("not a url", "v21.0").url(&["me"]).unwrap_err();
        assert_eq!(
            error,
            GraphError::Unreachable("the Graph API base URL \"not a url\" is not usable".to_owned())
        );
    }

    #[test]
    fn clones_share_one_http_client_but_a_new_timeout_gets_its_own() {
        let graph = GraphClient::new("http://127.0.0.1:9", "v21.0");
        let clone = graph.clone();
        assert!(Arc::ptr_eq(&graph.http, &clone.http));
        let quick = clone.with_timeout(Duration::from_millis(200));
        assert!(!Arc::ptr_eq(&graph.http, &quick.http));
        assert_eq!(quick.timeout(), Duration::from_millis(200));
        assert_eq!(graph.timeout(), DEFAULT_TIMEOUT);
    }
}
