//! The structured answer: the `reply` function the model must call, its JSON schema,
//! and the checks that turn the model's arguments into a [`Reply`] we can act on.
//!
//! The model's output is untrusted: what is safe to fix is fixed (too many quick
//! replies, titles too long, unknown lead signals, a question index past the last
//! question); what is not (no text, a text over the limit, an unknown intent) is
//! [`AiError::Malformed`], and the fallback answers instead.

use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionNamedToolChoice, ChatCompletionTool,
    ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionResponse, FinishReason,
    FunctionName, FunctionObject,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ai::{AiError, FlowStep, Intent, LeadSignal, QuickReply, Reply};

/// The function the model answers through.
pub(super) const FUNCTION: &str = "reply";

/// The longest reply text accepted: Messenger's limit for one message.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Every intent, for the schema's enum; the test below fails to compile when a new one
/// is added to [`Intent`] and not here.
const INTENTS: [Intent; 11] = [
    Intent::Greeting,
    Intent::Price,
    Intent::Product,
    Intent::Availability,
    Intent::Shipping,
    Intent::Objection,
    Intent::ReadyToBuy,
    Intent::WantsPerson,
    Intent::Thanks,
    Intent::QualificationAnswer,
    Intent::OffTopic,
];

const SIGNALS: [LeadSignal; 8] = [
    LeadSignal::AskedPrice,
    LeadSignal::AskedProduct,
    LeadSignal::AskedAvailabilityOrShipping,
    LeadSignal::AnsweredQualification,
    LeadSignal::GaveContact,
    LeadSignal::BuyingWords,
    LeadSignal::Objection,
    LeadSignal::NegativeWords,
];

/// The `reply` tool. Strict: every property required, no others, so that OpenAI's
/// structured outputs guarantee the shape; the limits (13 quick replies, 20-character
/// titles) are in the descriptions because strict schemas cannot state them, and are
/// enforced by [`parse`].
pub(super) fn tool() -> ChatCompletionTools {
    let names = |values: Vec<Value>| Value::Array(values);
    let intents = names(INTENTS.iter().map(|i| json!(i)).collect());
    let signals = names(SIGNALS.iter().map(|s| json!(s)).collect());
    let parameters = json!({
        "type": "object",
        "properties": {
            "text": {
                "type": "string",
                "description": "The message to send to the customer (plain text, under 2000 characters)."
            },
            "quick_replies": {
                "type": "array",
                "description": "Tappable answers to offer, e.g. the options of the question just asked: at most 13, titles of at most 20 characters. Empty when there is nothing to choose.",
                "items": {
                    "type": "object",
                    "properties": {
                        "title": { "type": "string" },
                        "payload": { "type": "string" }
                    },
                    "required": ["title", "payload"],
                    "additionalProperties": false
                }
            },
            "intent": {
                "type": "string",
                "enum": intents,
                "description": "What the customer's latest message wants."
            },
            "handoff": {
                "type": "boolean",
                "description": "True when the customer asks for a person or you cannot help: the owner takes over."
            },
            "signals": {
                "type": "array",
                "items": { "type": "string", "enum": signals },
                "description": "What the customer's messages show, for lead scoring."
            },
            "next_step": {
                "type": "object",
                "description": "Where the chat flow stands after this reply. `qualification` with `index`: the question of that index is the one the customer answers next. `index` is null for the other steps.",
                "properties": {
                    "step": { "type": "string", "enum": ["greeting", "qualification", "closing", "done"] },
                    "index": { "type": ["integer", "null"] }
                },
                "required": ["step", "index"],
                "additionalProperties": false
            }
        },
        "required": ["text", "quick_replies", "intent", "handoff", "signals", "next_step"],
        "additionalProperties": false
    });
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: FUNCTION.to_owned(),
            description: Some("Send the reply to the customer, with what you understood.".to_owned()),
            parameters: Some(parameters),
            strict: Some(true),
        },
    })
}

/// Makes the model call `reply` instead of answering in prose.
pub(super) fn tool_choice() -> ChatCompletionToolChoiceOption {
    ChatCompletionToolChoiceOption::Function(ChatCompletionNamedToolChoice {
        function: FunctionName { name: FUNCTION.to_owned() },
    })
}

/// The reply in a chat completion: the arguments of its `reply` call, or (from servers
/// that ignore a forced tool choice) a message content that is the same JSON object.
/// `questions` is the campaign's number of qualification questions.
pub(super) fn reply_from(
    response: &CreateChatCompletionResponse,
    questions: usize,
) -> Result<Reply, AiError> {
    let choice = response.choices.first().ok_or_else(|| malformed("the answer has no choices"))?;
    match choice.finish_reason {
        Some(FinishReason::Length) => return Err(malformed("the answer was cut off at the token limit")),
        Some(FinishReason::ContentFilter) => {
            return Err(malformed("the provider's content filter withheld the answer"));
        }
        _ => {}
    }
    let message = &choice.message;
    if let Some(refusal) = message.refusal.as_deref().filter(|r| !r.trim().is_empty()) {
        return Err(malformed(&format!("the model refused: {refusal}")));
    }
    let call = message.tool_calls.iter().flatten().find_map(|call| match call {
        ChatCompletionMessageToolCalls::Function(call) if call.function.name == FUNCTION => {
            Some(call.function.arguments.as_str())
        }
        _ => None,
    });
    match (call, message.content.as_deref().map(str::trim)) {
        (Some(arguments), _) => parse(arguments, questions),
        (None, Some(content)) if content.starts_with('{') => parse(content, questions),
        (None, Some(content)) if !content.is_empty() => {
            Err(malformed("the model answered in prose, not through `reply`"))
        }
        _ => Err(malformed("the model did not call `reply`")),
    }
}

#[derive(Debug, Deserialize)]
struct Arguments {
    text: String,
    #[serde(default)]
    quick_replies: Vec<WireQuickReply>,
    intent: Intent,
    #[serde(default)]
    handoff: bool,
    #[serde(default)]
    signals: Vec<Value>,
    next_step: WireStep,
}

#[derive(Debug, Deserialize)]
struct WireQuickReply {
    title: String,
    #[serde(default)]
    payload: String,
}

#[derive(Debug, Deserialize)]
struct WireStep {
    step: String,
    #[serde(default)]
    index: Option<i64>,
}

/// Checks the `reply` arguments and makes them a [`Reply`] (its `provider` still empty).
pub(super) fn parse(arguments: &str, questions: usize) -> Result<Reply, AiError> {
    let args: Arguments = serde_json::from_str(arguments)
        .map_err(|e| malformed(&format!("the `reply` arguments do not fit the schema: {e}")))?;

    let text = args.text.trim().to_owned();
    if text.is_empty() {
        return Err(malformed("the reply text is empty"));
    }
    let length = text.chars().count();
    if length > MAX_TEXT_CHARS {
        return Err(malformed(&format!(
            "the reply text has {length} characters, over the {MAX_TEXT_CHARS} limit"
        )));
    }

    let quick_replies: Vec<QuickReply> = args
        .quick_replies
        .into_iter()
        .filter_map(|q| {
            let title: String = q.title.trim().chars().take(QuickReply::MAX_TITLE_CHARS).collect();
            let title = title.trim_end().to_owned();
            if title.is_empty() {
                return None;
            }
            let payload =
                if q.payload.trim().is_empty() { title.clone() } else { q.payload.trim().to_owned() };
            Some(QuickReply { title, payload })
        })
        .take(QuickReply::MAX_COUNT)
        .collect();

    let mut signals: Vec<LeadSignal> = Vec::new();
    for signal in args.signals.into_iter().filter_map(|s| serde_json::from_value::<LeadSignal>(s).ok()) {
        if !signals.contains(&signal) {
            signals.push(signal);
        }
    }

    let next_step = match (args.next_step.step.as_str(), args.next_step.index) {
        ("greeting", _) => FlowStep::Greeting,
        ("qualification", Some(index)) => match usize::try_from(index) {
            Ok(index) if index < questions => FlowStep::Qualification { index },
            // Past the last question: what comes next is the closing.
            Ok(_) => FlowStep::Closing,
            Err(_) => return Err(malformed("next_step has a negative question index")),
        },
        ("qualification", None) => return Err(malformed("next_step `qualification` has no index")),
        ("closing", _) => FlowStep::Closing,
        ("done", _) => FlowStep::Done,
        (other, _) => return Err(malformed(&format!("next_step {other:?} is not a step of the chat flow"))),
    };

    Ok(Reply {
        text,
        quick_replies,
        intent: args.intent,
        // Asking for a person is a handoff whatever the flag says.
        handoff: args.handoff || args.intent == Intent::WantsPerson,
        signals,
        next_step,
        provider: String::new(),
    })
}

fn malformed(why: &str) -> AiError {
    AiError::Malformed(why.to_owned())
}
