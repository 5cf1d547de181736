//! Leo, the owner's assistant: answers questions about the business's own data —
//! messages, conversations, leads, sales, revenue and rates by period or campaign, the
//! best and worst campaigns, the hottest leads, the chats waiting for a person, one
//! chat summed up, what to do next — with exact figures.
//!
//! The figures come from [`tools`], read-only functions over the store scoped to the
//! asking business. Two providers put them into words: an OpenAI-compatible model
//! calling the tools itself, when one is configured, and the rules ([`intent`] reads
//! the question, [`answer`] writes the result), always there and used whenever the
//! model fails: the owner gets an answer either way, and [`LeoAnswer::tools`] shows
//! which facts it was built from.

pub mod answer;
pub mod intent;
mod model;
pub mod period;
pub mod tools;
mod words;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::ai::openai::{ModelClient, SetupError, Sleeper};
use crate::config::AiConfig;
use crate::model::{LeoConversation, LeoRole, Timestamp, UserId};
use crate::store::{Store, StoreError};
use intent::{Context, Question};
use model::{Asked, LeoModel};
pub use model::{MAX_CALLS, MAX_ROUNDS};
pub use period::PeriodSpec;
pub use tools::{Tool, ToolCall, ToolCallRecord, ToolError, ToolResult};

/// Leo's answer to one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeoAnswer {
    pub text: String,
    /// Who worded it: `rules` or `openai`.
    pub provider: String,
    /// The tool calls the answer was built from, in order.
    pub tools: Vec<ToolCallRecord>,
    /// The model failed in a way only the owner can mend (a refused key, no quota):
    /// the rules answered instead, and the owner should be told. What it said, for them.
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub provider_failed: Option<String>,
}

/// Why Leo could not answer.
#[derive(Debug, thiserror::Error)]
pub enum LeoError {
    /// The question cannot be asked (empty, too long); the message says why.
    #[error("{0}")]
    Invalid(String),
    /// The conversation is not this business's.
    #[error("Leo conversation not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The owner's assistant. Cheap to share: it holds no per-business state.
#[derive(Debug)]
pub struct Leo {
    /// `None`: the rules answer alone.
    model: Option<LeoModel>,
    /// The model's whole answer, all rounds and retries included; past it the rules
    /// answer (so the owner's request never runs into the API's request timeout).
    deadline: Duration,
}

impl Default for Leo {
    fn default() -> Self {
        Self::rules()
    }
}

impl Leo {
    /// Longer is not a question (the API refuses it before asking).
    pub const MAX_QUESTION_CHARS: usize = 4_000;
    /// Below the daemon's 30 s request timeout, with room for the rules.
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(25);

    /// Leo without a model: the rule-based answers.
    pub fn rules() -> Self {
        Self { model: None, deadline: Self::DEFAULT_DEADLINE }
    }

    /// Leo with the OpenAI-compatible model of `[ai]` (its base URL, key, model,
    /// timeout per call and retries), falling back to the rules.
    pub fn openai(config: &AiConfig) -> Result<Self, SetupError> {
        let client = ModelClient::new(config)?;
        Ok(Self { model: Some(LeoModel { client }), deadline: Self::DEFAULT_DEADLINE })
    }

    /// Pauses between the model's retries through `sleeper` (tests record them).
    #[must_use]
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        if let Some(model) = &mut self.model {
            model.client.sleeper = sleeper;
        }
        self
    }

    /// How long the model may take for one answer, all rounds together.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The preferred provider: `openai` with a model, `rules` otherwise.
    pub fn provider(&self) -> &'static str {
        if self.model.is_some() { "openai" } else { "rules" }
    }

    /// Answers `question` for `tenant` and adds it and the answer to `conversation`
    /// (which the caller saves). Only an unusable question, a conversation of another
    /// business or a failing store is an error: a failing model is answered by the
    /// rules.
    pub async fn ask(
        &self,
        store: &dyn Store,
        tenant: UserId,
        conversation: &mut LeoConversation,
        question: &str,
        now: Timestamp,
    ) -> Result<LeoAnswer, LeoError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(LeoError::Invalid("the question is empty".to_owned()));
        }
        let chars = question.chars().count();
        if chars > Self::MAX_QUESTION_CHARS {
            return Err(LeoError::Invalid(format!(
                "the question has {chars} characters; at most {} are allowed",
                Self::MAX_QUESTION_CHARS
            )));
        }
        if conversation.user_id != tenant {
            return Err(LeoError::NotFound);
        }

        let mut answered = None;
        let mut provider_failed = None;
        if let Some(model) = &self.model {
            let business = match store.get_user(tenant).await {
                Ok(user) => user.business.business_name,
                Err(StoreError::NotFound { .. }) => String::new(),
                Err(error) => return Err(error.into()),
            };
            let asked = Asked {
                store,
                tenant,
                now,
                business: &business,
                history: &conversation.turns,
                question,
                deadline: Instant::now() + self.deadline,
            };
            match model.answer(&asked).await {
                Ok((text, tools)) => answered = Some((text, "openai", tools)),
                Err(failure) => {
                    tracing::warn!(%tenant, reason = %failure, "Leo's model failed; the rules answer instead");
                    if let model::ModelFailure::Ai(error) = failure
                        && error.owner_must_act()
                    {
                        provider_failed = Some(error.to_string());
                    }
                }
            }
        }
        let (text, provider, tools) = if let Some(answer) = answered {
            answer
        } else {
            let (text, tools) = rules(store, tenant, conversation, question, now).await?;
            (text, "rules", tools)
        };
        let text = clip(&text, LeoConversation::MAX_TEXT);
        tracing::info!(%tenant, provider, tools = tools.len(), "Leo answered");
        conversation.push(LeoRole::Owner, question, now);
        conversation.push(LeoRole::Leo, text.clone(), now);
        Ok(LeoAnswer { text, provider: provider.to_owned(), tools, provider_failed })
    }
}

/// The rule-based answer: the question read, one tool run, its result written out.
async fn rules(
    store: &dyn Store,
    tenant: UserId,
    conversation: &LeoConversation,
    question: &str,
    now: Timestamp,
) -> Result<(String, Vec<ToolCallRecord>), LeoError> {
    let campaigns: Vec<String> =
        store.list_campaigns(tenant, None).await?.into_iter().map(|c| c.name).collect();
    let previous =
        conversation.turns.iter().rev().find(|t| t.role == LeoRole::Owner).map(|t| t.text.as_str());
    let context = Context { today: now.date(), campaigns: &campaigns, previous };
    Ok(match intent::understand(question, &context) {
        Question::Greeting => (answer::greeting(), Vec::new()),
        Question::Thanks => (answer::thanks(), Vec::new()),
        Question::Help => (answer::help(), Vec::new()),
        Question::Ask { call, focus } => {
            let (name, arguments) = (call.tool().name(), call.arguments());
            match call.run(store, tenant, now).await {
                Ok(result) => {
                    let record =
                        ToolCallRecord { name: name.to_owned(), arguments, result: result.to_value() };
                    (answer::render(&result, focus), vec![record])
                }
                Err(ToolError::Store(error)) => return Err(error.into()),
                Err(error) => (answer::failed(&error), vec![ToolCallRecord::error(name, arguments, &error)]),
            }
        }
    })
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}
