//! The HTTP transport under async-openai, and what its failures mean for us.
//!
//! async-openai's own transport retries 429s and 5xx by itself (three times, sleeping
//! on the real clock, unaware of our deadline) and then reports an error without the
//! response's headers, so `Retry-After` would be lost. This one sends each request
//! once and hands any non-2xx answer back whole (status, `Retry-After`, OpenAI's error
//! object): the responder's single retry policy decides what happens next.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_openai::error::{ApiError, OpenAIError, WrappedError};
use async_openai::middleware::{HttpRequestFactory, ReqwestService};
use tower::ServiceExt as _;

use crate::ai::AiError;

/// Longest piece of a provider's error message we keep (their 5xx bodies can be whole
/// HTML pages).
const MESSAGE_CHARS: usize = 300;

/// Sends each request once; a non-2xx answer becomes an [`HttpFailure`].
#[derive(Debug, Clone)]
pub(super) struct Transport {
    inner: ReqwestService,
}

impl Transport {
    pub(super) fn new(http: reqwest::Client) -> Self {
        Self { inner: ReqwestService::new(http) }
    }
}

impl tower::Service<HttpRequestFactory> for Transport {
    type Response = reqwest::Response;
    type Error = OpenAIError;
    type Future = Pin<Box<dyn Future<Output = Result<reqwest::Response, OpenAIError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The inner service is a reqwest client: always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequestFactory) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move {
            let response = inner.oneshot(request).await?;
            if response.status().is_success() {
                return Ok(response);
            }
            let failure = HttpFailure::read(response).await?;
            Err(OpenAIError::Boxed(Box::new(failure)))
        })
    }
}

/// A non-2xx answer of the provider.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {}", .error.message)]
pub(super) struct HttpFailure {
    pub status: u16,
    /// From `retry-after-ms` or `retry-after` (seconds); HTTP dates are not honoured.
    pub retry_after: Option<Duration>,
    /// OpenAI's `{"error":{…}}`, or the start of whatever body came instead.
    pub error: ApiError,
}

impl HttpFailure {
    async fn read(response: reqwest::Response) -> Result<Self, OpenAIError> {
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let body = response.bytes().await.map_err(|e| OpenAIError::Reqwest(e.without_url()))?;
        let error = serde_json::from_slice::<WrappedError>(&body).map_or_else(
            |_| ApiError { message: clip(&String::from_utf8_lossy(&body)), ..ApiError::default() },
            |wrapped| wrapped.error,
        );
        Ok(Self { status, retry_after, error })
    }

    /// OpenAI says "out of quota" in `type` and in `code`; compatible servers use either.
    fn is_quota(&self) -> bool {
        let says = |field: &Option<String>| field.as_deref() == Some("insufficient_quota");
        says(&self.error.r#type) || says(&self.error.code)
    }
}

/// `retry-after-ms` (OpenAI sends it beside `retry-after`) is the more precise one.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        let text = headers.get(name)?.to_str().ok()?.trim();
        text.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0)
    };
    if let Some(millis) = number("retry-after-ms") {
        return Duration::try_from_secs_f64(millis / 1000.0).ok();
    }
    number("retry-after").and_then(|secs| Duration::try_from_secs_f64(secs).ok())
}

/// What a failed attempt means: the error to report, and whether to try again.
#[derive(Debug)]
pub(super) struct Failure {
    pub error: AiError,
    pub retryable: bool,
    /// The provider's own pause before a retry; our backoff otherwise.
    pub retry_after: Option<Duration>,
}

impl Failure {
    fn retry(error: AiError) -> Self {
        Self { error, retryable: true, retry_after: None }
    }

    fn final_(error: AiError) -> Self {
        Self { error, retryable: false, retry_after: None }
    }
}

/// Sorts an attempt's failure. `timeout` is the per-attempt limit, for the message.
pub(super) fn classify(error: OpenAIError, timeout: Duration) -> Failure {
    match error {
        OpenAIError::Boxed(boxed) => match boxed.downcast::<HttpFailure>() {
            Ok(failure) => classify_http(&failure),
            Err(other) => Failure::final_(AiError::Provider(clip(&other.to_string()))),
        },
        OpenAIError::Reqwest(error) => {
            let error = error.without_url();
            if error.is_timeout() {
                Failure::retry(AiError::Timeout { secs: timeout.as_secs() })
            } else if error.is_connect() || error.is_request() || error.is_body() || error.is_decode() {
                // The network, not the request: another attempt may get through.
                Failure::retry(AiError::Provider(format!(
                    "cannot reach the model provider: {}",
                    chain(&error)
                )))
            } else {
                Failure::final_(AiError::Provider(chain(&error)))
            }
        }
        // A 2xx whose body is not a chat completion: a misconfigured base URL or a
        // server that only looks compatible. Asking again would get the same.
        OpenAIError::JSONDeserialize(error, body) => Failure::final_(AiError::Malformed(format!(
            "the answer is not a chat completion ({error}): {}",
            clip(&body)
        ))),
        other => Failure::final_(AiError::Provider(clip(&other.to_string()))),
    }
}

fn classify_http(failure: &HttpFailure) -> Failure {
    let detail = || format!("HTTP {}: {}", failure.status, clip(&failure.error.message));
    match failure.status {
        // 403: a key without access to the project, model or region; the owner acts.
        401 | 403 => Failure::final_(AiError::Unauthorized),
        429 if failure.is_quota() => Failure::final_(AiError::QuotaExceeded),
        429 => Failure {
            error: AiError::RateLimited { retry_after_secs: failure.retry_after.map(whole_secs_up) },
            retryable: true,
            retry_after: failure.retry_after,
        },
        // 408 request timeout, 409 "try again", and any server error.
        408 | 409 | 500..=599 => {
            Failure { retry_after: failure.retry_after, ..Failure::retry(AiError::Provider(detail())) }
        }
        // The request itself is wrong (unknown model, too long): the same again would be too.
        _ => Failure::final_(AiError::Provider(detail())),
    }
}

/// Seconds, rounded up: "retry after 0.2 s" must not read as "retry now".
fn whole_secs_up(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

/// An error with its causes, so that "error sending request" says why.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    clip(&text)
}

fn clip(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, kind: Option<&str>, retry_after: Option<Duration>) -> HttpFailure {
        HttpFailure {
            status,
            retry_after,
            error: ApiError {
                message: "nope".into(),
                r#type: kind.map(str::to_owned),
                code: kind.map(str::to_owned),
                ..ApiError::default()
            },
        }
    }

    #[test]
    fn statuses_map_to_errors_and_retry_decisions() {
        let sorted = classify_http(&failure(401, None, None));
        assert_eq!((sorted.error, sorted.retryable), (AiError::Unauthorized, false));
        let sorted = classify_http(&failure(429, Some("insufficient_quota"), Some(Duration::from_secs(5))));
        assert_eq!((sorted.error, sorted.retryable), (AiError::QuotaExceeded, false));
        let sorted =
            classify_http(&failure(429, Some("rate_limit_exceeded"), Some(Duration::from_millis(1500))));
        assert_eq!(sorted.error, AiError::RateLimited { retry_after_secs: Some(2) });
        assert!(sorted.retryable);
        assert_eq!(sorted.retry_after, Some(Duration::from_millis(1500)));
        let sorted = classify_http(&failure(503, None, None));
        assert!(sorted.retryable);
        assert!(matches!(sorted.error, AiError::Provider(ref m) if m.contains("503")));
        let sorted = classify_http(&failure(400, None, None));
        assert!(!sorted.retryable);
    }

    #[test]
    fn quota_is_recognised_by_code_alone() {
        let mut only_code = failure(429, None, None);
        only_code.error.code = Some("insufficient_quota".into());
        assert!(only_code.is_quota());
    }

    #[test]
    fn retry_after_prefers_milliseconds_and_ignores_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "3".parse().expect("header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert("retry-after-ms", "250".parse().expect("header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        let mut dated = reqwest::header::HeaderMap::new();
        dated.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("header"));
        assert_eq!(retry_after(&dated), None);
    }

    #[test]
    fn long_messages_are_clipped() {
        let long = "x".repeat(5_000);
        assert_eq!(clip(&long).chars().count(), MESSAGE_CHARS + 1);
    }
}
