//! The responder backed by an OpenAI-compatible chat completions API (OpenAI itself,
//! or Ollama, llama.cpp's server, vLLM… at another base URL), through async-openai.
//!
//! One call per reply: the prompt (see [`Budget`]) goes out with a forced call of the
//! `reply` function whose JSON schema is the structured [`Reply`]; nothing is read out
//! of free text. Failures follow one policy, ours: 5xx, timeouts and rate limits
//! (after their `Retry-After`) are retried up to `max_retries` times with backoff,
//! within a deadline for the whole reply, because a customer is waiting and the
//! fallback can answer instead; a refused key and an exhausted quota are never
//! retried, since only the owner can fix them. An answer that does not fit the schema,
//! or that states a price the prompt never gave, is refused as malformed.

mod guard;
mod prompt;
mod retry;
mod schema;
mod transport;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
use async_trait::async_trait;
use tokio::time::Instant;

pub use prompt::Budget;
pub use retry::{RetryPolicy, Sleeper, TokioSleeper};
pub use schema::MAX_TEXT_CHARS;

use super::{AiError, Conversation, Reply, Responder};
use crate::config::AiConfig;
use prompt::Prompt;

/// The most tokens the model may spend on one reply: 2,000 characters of text and the
/// JSON around them fit with room; a model that runs on is cut off and its answer
/// refused (`finish_reason: length`) rather than paid for.
const MAX_COMPLETION_TOKENS: u32 = 1_500;

/// Connecting gets at most this much of the deadline, so that an unreachable host
/// still leaves time for another attempt.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the responder cannot be built from the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("[ai] api_key contains characters that an HTTP header cannot carry")]
    InvalidKey,
    #[error("[ai] base_url {0:?} is not an http:// or https:// URL")]
    InvalidBaseUrl(String),
    #[error("cannot set up an HTTP client for the model provider: {0}")]
    Client(String),
}

/// Answers customers with an OpenAI-compatible model.
pub struct OpenAiResponder {
    client: Client<OpenAIConfig>,
    model: String,
    /// For the logs (the key never goes there).
    base_url: String,
    /// One HTTP attempt, from connecting to the last byte.
    timeout: Duration,
    /// The whole reply, retries and their pauses included.
    deadline: Duration,
    policy: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    budget: Budget,
}

impl fmt::Debug for OpenAiResponder {
    // Not derived: the client holds the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiResponder")
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl OpenAiResponder {
    pub const NAME: &'static str = "openai";

    /// From `[ai]`: `base_url` (with its `/v1`), `api_key` (may be empty for local
    /// servers), `model`, `timeout_secs` (per attempt and for the whole reply) and
    /// `max_retries`. The process must have installed its rustls crypto provider
    /// first (closerd does at startup), as for every HTTP client in Closer.
    pub fn new(config: &AiConfig) -> Result<Self, SetupError> {
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
            budget: Budget::default(),
        })
    }

    /// Pauses between retries through `sleeper` (tests record them instead).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The whole reply's time limit, retries included (default: `timeout_secs`, so
    /// the customer never waits longer than that for the fallback).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    pub fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    fn request(&self, prompt: Prompt) -> CreateChatCompletionRequest {
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: prompt.into_messages(),
            tools: Some(vec![schema::tool()]),
            tool_choice: Some(schema::tool_choice()),
            max_completion_tokens: Some(MAX_COMPLETION_TOKENS),
            ..CreateChatCompletionRequest::default()
        }
    }

    /// One chat completion, retried under the policy within the deadline.
    async fn complete(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, AiError> {
        let deadline = Instant::now() + self.deadline;
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

#[async_trait]
impl Responder for OpenAiResponder {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn reply(&self, conversation: &Conversation<'_>) -> Result<Reply, AiError> {
        let query = conversation.incoming.join("\n");
        // Twice the room: passages of other campaigns are filtered out after the search.
        let found = conversation.knowledge.search(&query, self.budget.max_passages * 2);
        let passages = prompt::relevant(found, conversation.campaign);
        let prompt = Prompt::build(conversation, &passages, &self.budget);
        tracing::debug!(
            model = %self.model,
            base_url = %self.base_url,
            chars = prompt.chars(),
            turns = prompt.history.len(),
            dropped_turns = prompt.dropped_turns,
            dropped_passages = prompt.dropped_passages,
            "asking the model"
        );
        let known = guard::known_numbers(prompt.texts());
        let response = self.complete(self.request(prompt)).await?;
        let questions = conversation.campaign.map_or(0, |c| c.flow.qualification_questions.len());
        let mut reply = schema::reply_from(&response, questions)
            .and_then(|reply| match invented_price(&reply, &known) {
                Some(price) => {
                    Err(AiError::Malformed(format!("the reply states a price not in the facts: {price}")))
                }
                None => Ok(reply),
            })
            .inspect_err(
                |error| tracing::warn!(model = %self.model, %error, "the model's answer was refused"),
            )?;
        Self::NAME.clone_into(&mut reply.provider);
        Ok(reply)
    }
}

/// A price in the reply's text or quick replies that the prompt never gave.
fn invented_price(reply: &Reply, known: &std::collections::HashSet<String>) -> Option<String> {
    std::iter::once(&reply.text)
        .chain(reply.quick_replies.iter().map(|q| &q.title))
        .find_map(|text| guard::invented_price(text, known))
}
