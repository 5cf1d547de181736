//! One chat completion at a time against the configured OpenAI-compatible server, with
//! our retry policy and deadline: what the customer responder and Leo share.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
use tokio::time::Instant;

use super::retry::{RetryPolicy, Sleeper, TokioSleeper};
use super::{SetupError, transport};
use crate::ai::AiError;
use crate::config::AiConfig;

/// Connecting gets at most this much of the deadline, so that an unreachable host
/// still leaves time for another attempt.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The model, where it is and how patiently it is asked.
pub(crate) struct ModelClient {
    client: Client<OpenAIConfig>,
    pub(crate) model: String,
    /// For the logs (the key never goes there).
    pub(crate) base_url: String,
    /// One HTTP attempt, from connecting to the last byte.
    pub(crate) timeout: Duration,
    /// One call, retries and their pauses included.
    pub(crate) deadline: Duration,
    pub(crate) policy: RetryPolicy,
    pub(crate) sleeper: Arc<dyn Sleeper>,
}

impl fmt::Debug for ModelClient {
    // Not derived: the client holds the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelClient")
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl ModelClient {
    /// From `[ai]`: `base_url` (with its `/v1`), `api_key` (may be empty for local
    /// servers), `model`, `timeout_secs` (per attempt and per call) and `max_retries`.
    pub(crate) fn new(config: &AiConfig) -> Result<Self, SetupError> {
        if !config.api_key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(SetupError::InvalidKey);
        }
        let base_url = config.base_url.trim().trim_end_matches('/').to_owned();
        match reqwest::Url::parse(&base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            _ => return Err(SetupError::InvalidBaseUrl(config.base_url.clone())),
        }
        let timeout = Duration::from_secs(config.timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(MAX_CONNECT_TIMEOUT))
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))?;
        let openai = OpenAIConfig::new()
            .with_api_base(&base_url)
            .with_api_key(&config.api_key)
            // `new()` reads these from OPENAI_* variables; the configuration is the only
            // source of settings, so a stray variable must not add headers.
            .with_org_id("")
            .with_project_id("");
        let client = Client::build(http.clone(), openai).with_http_service(transport::Transport::new(http));
        Ok(Self {
            client,
            model: config.model.clone(),
            base_url,
            timeout,
            deadline: timeout,
            policy: RetryPolicy::new(config.max_retries),
            sleeper: Arc::new(TokioSleeper),
        })
    }

    /// One chat completion, retried under the policy within this client's deadline.
    pub(crate) async fn complete(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, AiError> {
        self.complete_by(request, Instant::now() + self.deadline).await
    }

    /// One chat completion, retried under the policy until `deadline` at the latest
    /// (or this client's own deadline, whichever comes first).
    pub(crate) async fn complete_by(
        &self,
        request: CreateChatCompletionRequest,
        deadline: Instant,
    ) -> Result<CreateChatCompletionResponse, AiError> {
        let deadline = deadline.min(Instant::now() + self.deadline);
        let timed_out = || AiError::Timeout { secs: self.deadline.as_secs() };
        let mut retries = 0;
        loop {
            let chat = self.client.chat();
            let failure = match tokio::time::timeout_at(deadline, chat.create(request.clone())).await {
                Ok(Ok(response)) => return Ok(response),
                Ok(Err(error)) => transport::classify(error, self.timeout),
                Err(_) => return Err(timed_out()),
            };
            if !failure.retryable || retries >= self.policy.max_retries {
                return Err(failure.error);
            }
            let pause = failure.retry_after.unwrap_or_else(|| self.policy.backoff(retries));
            if Instant::now() + pause >= deadline {
                tracing::warn!(
                    error = %failure.error,
                    pause_ms = pause.as_millis(),
                    "model call failed; no time left to retry"
                );
                return Err(failure.error);
            }
            retries += 1;
            tracing::warn!(
                error = %failure.error,
                retry = retries,
                of = self.policy.max_retries,
                pause_ms = pause.as_millis(),
                "model call failed; retrying"
            );
            self.sleeper.sleep(pause).await;
        }
    }
}
