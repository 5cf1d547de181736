//! Leo through an OpenAI-compatible model with tool calling: the model chooses the
//! tools and words the answer; the tools (run here, for the caller's tenant only)
//! supply every figure.
//!
//! At most [`MAX_ROUNDS`] round trips and [`MAX_CALLS`] tool calls per question, so a
//! model that keeps calling tools cannot loop; an answer that states a number no tool
//! result, question or earlier turn contains is refused. Any failure is reported to
//! the caller, which answers with the rules instead.

use std::collections::HashSet;

use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessage,
    ChatCompletionRequestAssistantMessageContent, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestSystemMessageContent,
    ChatCompletionRequestToolMessage, ChatCompletionRequestToolMessageContent,
    ChatCompletionRequestUserMessage, ChatCompletionRequestUserMessageContent, ChatCompletionTool,
    ChatCompletionTools, CreateChatCompletionRequest, FinishReason, FunctionObject,
};
use serde_json::json;
use tokio::time::Instant;

use super::tools::{Tool, ToolCallRecord, execute};
use crate::ai::AiError;
use crate::ai::openai::ModelClient;
use crate::ai::openai::guard::{known_numbers, unknown_number};
use crate::model::{LeoRole, LeoTurn, Timestamp, UserId};
use crate::store::{Store, StoreError};

/// Model round trips per question.
pub const MAX_ROUNDS: usize = 5;
/// Tool calls per question, all rounds together.
pub const MAX_CALLS: usize = 8;
/// Earlier turns of the conversation sent along, and the characters kept of each.
const HISTORY_TURNS: usize = 12;
const TURN_CHARS: usize = 2_000;
/// An answer longer than this is not a chat answer.
const MAX_ANSWER_CHARS: usize = 8_000;
const MAX_COMPLETION_TOKENS: u32 = 1_200;
/// Whole numbers up to this may be stated freely: list numbering, "both", small counts
/// of the items a result lists.
const FREE_NUMBERS: u32 = 10;

/// Why the model gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub(super) enum ModelFailure {
    #[error(transparent)]
    Ai(#[from] AiError),
    #[error("the model asked for more than {MAX_CALLS} tool calls")]
    TooManyCalls,
    #[error("the model was still calling tools after {MAX_ROUNDS} rounds")]
    TooManyRounds,
    #[error("the answer states {0}, which no tool result gave")]
    Invented(String),
    #[error("the store failed while a tool ran: {0}")]
    Store(#[from] StoreError),
}

/// The model side of Leo.
#[derive(Debug)]
pub(super) struct LeoModel {
    pub(super) client: ModelClient,
}

/// What the model is told about the question at hand.
pub(super) struct Asked<'a> {
    pub store: &'a dyn Store,
    pub tenant: UserId,
    pub now: Timestamp,
    pub business: &'a str,
    pub history: &'a [LeoTurn],
    pub question: &'a str,
    /// When the whole answer must be in.
    pub deadline: Instant,
}

impl LeoModel {
    pub(super) async fn answer(
        &self,
        asked: &Asked<'_>,
    ) -> Result<(String, Vec<ToolCallRecord>), ModelFailure> {
        let system = system_prompt(asked.business, asked.now);
        let history = &asked.history[asked.history.len().saturating_sub(HISTORY_TURNS)..];
        let mut known_texts: Vec<String> = vec![system.clone(), asked.question.to_owned()];
        known_texts.extend(history.iter().map(|t| t.text.clone()));

        let mut messages = vec![ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
            content: ChatCompletionRequestSystemMessageContent::Text(system),
            name: None,
        })];
        for turn in history {
            let text = clip(&turn.text);
            messages.push(match turn.role {
                LeoRole::Owner => user(text),
                LeoRole::Leo => assistant(Some(text), None),
            });
        }
        messages.push(user(asked.question.to_owned()));

        let tools = definitions();
        let mut records = Vec::new();
        for round in 0..MAX_ROUNDS {
            let request = CreateChatCompletionRequest {
                model: self.client.model.clone(),
                messages: messages.clone(),
                tools: Some(tools.clone()),
                max_completion_tokens: Some(MAX_COMPLETION_TOKENS),
                ..CreateChatCompletionRequest::default()
            };
            tracing::debug!(model = %self.client.model, round, "asking the model for Leo");
            let response = self.client.complete_by(request, asked.deadline).await?;
            let choice =
                response.choices.into_iter().next().ok_or_else(|| malformed("the answer has no choices"))?;
            match choice.finish_reason {
                Some(FinishReason::Length) => {
                    return Err(malformed("the answer was cut off at the token limit"));
                }
                Some(FinishReason::ContentFilter) => {
                    return Err(malformed("the provider's content filter withheld the answer"));
                }
                _ => {}
            }
            let message = choice.message;
            if let Some(refusal) = message.refusal.as_deref().filter(|r| !r.trim().is_empty()) {
                return Err(malformed(&format!("the model refused: {refusal}")));
            }
            let calls = message.tool_calls.unwrap_or_default();
            if calls.is_empty() {
                let text = message.content.as_deref().map(str::trim).unwrap_or_default();
                return checked(text, &known_texts, &records).map(|text| (text, records));
            }
            if records.len() + calls.len() > MAX_CALLS {
                return Err(ModelFailure::TooManyCalls);
            }
            messages.push(assistant(message.content.clone(), Some(calls.clone())));
            for call in calls {
                let (id, record) = match call {
                    ChatCompletionMessageToolCalls::Function(call) => {
                        let record = execute(
                            asked.store,
                            asked.tenant,
                            asked.now,
                            &call.function.name,
                            &call.function.arguments,
                        )
                        .await?;
                        (call.id, record)
                    }
                    ChatCompletionMessageToolCalls::Custom(call) => {
                        let error =
                            json!({ "error": format!("there is no tool named {:?}", call.custom_tool.name) });
                        let record = ToolCallRecord {
                            name: call.custom_tool.name,
                            arguments: json!(call.custom_tool.input),
                            result: error,
                        };
                        (call.id, record)
                    }
                };
                tracing::debug!(tool = %record.name, error = record.is_error(), "Leo ran a tool for the model");
                messages.push(ChatCompletionRequestMessage::Tool(ChatCompletionRequestToolMessage {
                    content: ChatCompletionRequestToolMessageContent::Text(record.result.to_string()),
                    tool_call_id: id,
                }));
                records.push(record);
            }
        }
        Err(ModelFailure::TooManyRounds)
    }
}

/// The final text, if it is one and every number in it is known.
fn checked(text: &str, known_texts: &[String], records: &[ToolCallRecord]) -> Result<String, ModelFailure> {
    if text.is_empty() {
        return Err(malformed("the answer is empty"));
    }
    if text.chars().count() > MAX_ANSWER_CHARS {
        return Err(malformed("the answer is too long"));
    }
    let results: Vec<String> = records.iter().map(|r| r.result.to_string()).collect();
    let mut known: HashSet<String> =
        known_numbers(known_texts.iter().map(String::as_str).chain(results.iter().map(String::as_str)));
    known.extend((0..=FREE_NUMBERS).map(|n| n.to_string()));
    match unknown_number(text, &known) {
        Some(number) => Err(ModelFailure::Invented(number)),
        None => Ok(text.to_owned()),
    }
}

fn system_prompt(business: &str, now: Timestamp) -> String {
    let today = now.as_datetime().format("%A %Y-%m-%d");
    let business = if business.trim().is_empty() {
        "their business".to_owned()
    } else {
        format!("\"{}\"", business.trim())
    };
    format!(
        "You are Leo, the assistant of the owner of {business}, a business that sells through chat (an AI answers \
         its customers on Messenger and other platforms). You answer the owner's questions about their own data: \
         messages, conversations, leads, conversions (sales), revenue, response and conversion rates, campaigns, \
         lead scores, chats waiting for them, single chats, and what to do next.\n\n\
         Today is {today} (UTC). Weeks start on Monday.\n\n\
         Rules:\n\
         1. Every number you state must come from a tool result in this conversation, written as the tool gave it \
         (amounts and percentages included). Never estimate, round differently, compute new figures or rely on \
         memory. If no tool gives a figure, say you do not have it.\n\
         2. Call the tools you need first (several at once if useful), then answer.\n\
         3. Say which period a figure is for. Mention the comparison with the period before when the tool gives one.\n\
         4. Be brief and friendly: a few sentences or a short list. Answer in the owner's language.\n\
         5. If the question is not about the business's data, say briefly what you can help with."
    )
}

/// The tools as the model sees them.
fn definitions() -> Vec<ChatCompletionTools> {
    Tool::ALL
        .into_iter()
        .map(|tool| {
            ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: tool.name().to_owned(),
                    description: Some(tool.description().to_owned()),
                    parameters: Some(tool.parameters()),
                    strict: None,
                },
            })
        })
        .collect()
}

fn user(text: String) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
        content: ChatCompletionRequestUserMessageContent::Text(text),
        name: None,
    })
}

fn assistant(
    text: Option<String>,
    calls: Option<Vec<ChatCompletionMessageToolCalls>>,
) -> ChatCompletionRequestMessage {
    ChatCompletionRequestMessage::Assistant(ChatCompletionRequestAssistantMessage {
        content: text.filter(|t| !t.is_empty()).map(ChatCompletionRequestAssistantMessageContent::Text),
        tool_calls: calls,
        ..ChatCompletionRequestAssistantMessage::default()
    })
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(TURN_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn malformed(why: &str) -> ModelFailure {
    ModelFailure::Ai(AiError::Malformed(why.to_owned()))
}
