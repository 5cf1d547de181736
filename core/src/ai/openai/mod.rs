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
//!
//! The calling itself (HTTP client, retries, deadline) is `ModelClient`'s, which Leo,
//! the owner's assistant, shares.

mod client;
pub(crate) mod guard;
mod prompt;
mod retry;
mod schema;
mod transport;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_openai::types::chat::CreateChatCompletionRequest;
use async_trait::async_trait;

pub(crate) use client::ModelClient;
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
    /// The model and the retry policy; the deadline is the whole reply's.
    client: ModelClient,
    budget: Budget,
}

impl fmt::Debug for OpenAiResponder {
    // Not derived, to keep the shape it always had; the client never shows the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiResponder")
            .field("model", &self.client.model)
            .field("base_url", &self.client.base_url)
            .field("timeout", &self.client.timeout)
            .field("deadline", &self.client.deadline)
            .field("policy", &self.client.policy)
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
        Ok(Self { client: ModelClient::new(config)?, budget: Budget::default() })
    }

    /// Pauses between retries through `sleeper` (tests record them instead).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.client.sleeper = sleeper;
        self
    }

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.client.policy = policy;
        self
    }

    /// The whole reply's time limit, retries included (default: `timeout_secs`, so
    /// the customer never waits longer than that for the fallback).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.client.deadline = deadline;
        self
    }

    pub fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    fn request(&self, prompt: Prompt) -> CreateChatCompletionRequest {
        CreateChatCompletionRequest {
            model: self.client.model.clone(),
            messages: prompt.into_messages(),
            tools: Some(vec![schema::tool()]),
            tool_choice: Some(schema::tool_choice()),
            max_completion_tokens: Some(MAX_COMPLETION_TOKENS),
            ..CreateChatCompletionRequest::default()
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
        let mut passages = prompt::relevant(found, conversation.campaign);
        // Words a document does not use ("what should I wear" against "What to bring:
        // comfortable clothes") find nothing: a small business's documents fit the
        // budget, so the room retrieval leaves goes to the rest of them, in order.
        if passages.len() < self.budget.max_passages {
            let others = conversation
                .knowledge
                .passages()
                .iter()
                .filter(|p| !passages.iter().any(|q| q.source == p.source && q.text == p.text));
            let others = prompt::relevant(others.cloned().collect(), conversation.campaign);
            let room = self.budget.max_passages - passages.len();
            passages.extend(others.into_iter().take(room));
        }
        let prompt = Prompt::build(conversation, &passages, &self.budget);
        tracing::debug!(
            model = %self.client.model,
            base_url = %self.client.base_url,
            chars = prompt.chars(),
            turns = prompt.history.len(),
            dropped_turns = prompt.dropped_turns,
            dropped_passages = prompt.dropped_passages,
            "asking the model"
        );
        let known = guard::known_numbers(prompt.texts());
        let response = self.client.complete(self.request(prompt)).await?;
        let questions = conversation.campaign.map_or(0, |c| c.flow.qualification_questions.len());
        let mut reply = schema::reply_from(&response, questions)
            .and_then(|reply| match invented_price(&reply, &known) {
                Some(price) => {
                    Err(AiError::Malformed(format!("the reply states a price not in the facts: {price}")))
                }
                None => Ok(reply),
            })
            .inspect_err(
                |error| tracing::warn!(model = %self.client.model, %error, "the model's answer was refused"),
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
