//! Leo's tools: read-only functions over one business's data, the only source of the
//! figures Leo states.
//!
//! Each takes the store, the tenant and typed arguments and returns a typed, serde
//! result. The tenant is always the caller's: no argument names a business, so
//! neither the model nor a question can reach another business's data. [`execute`] is
//! the one entry point for calls by name with JSON arguments (the model's): bad
//! arguments, an unknown tool or a chat that does not exist come back as an error
//! object the model can read, never as a panic.

mod advice;
mod chats;
mod figures;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::period::{NAMES as PERIOD_NAMES, PeriodSpec};
use crate::model::{Timestamp, UserId};
use crate::store::{Store, StoreError};

pub use advice::{NextSteps, Step, StepKind, next_steps};
pub use chats::{
    ChatLine, ChatSummary, HottestLeads, MessageLine, WaitingForHuman, chat_summary, hottest_leads,
    waiting_for_human,
};
pub use figures::{
    CampaignRanking, CampaignRef, Changes, Figures, MetricsReport, PeriodInfo, RankedCampaign,
    campaign_ranking, metrics, money,
};

/// Leads listed when no number is asked for, and the most ever listed.
pub const DEFAULT_LEADS: usize = 5;
pub const MAX_LEADS: usize = 20;

/// Every tool, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    Metrics,
    CampaignRanking,
    HottestLeads,
    WaitingForHuman,
    ChatSummary,
    NextSteps,
}

impl Tool {
    pub const ALL: [Self; 6] = [
        Self::Metrics,
        Self::CampaignRanking,
        Self::HottestLeads,
        Self::WaitingForHuman,
        Self::ChatSummary,
        Self::NextSteps,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Metrics => "metrics",
            Self::CampaignRanking => "campaign_ranking",
            Self::HottestLeads => "hottest_leads",
            Self::WaitingForHuman => "waiting_for_human",
            Self::ChatSummary => "chat_summary",
            Self::NextSteps => "next_steps",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|tool| tool.name() == name.trim())
    }

    /// What it answers, for the model.
    pub fn description(self) -> &'static str {
        match self {
            Self::Metrics => {
                "Totals for a period: messages received, answered and sent, conversations started, leads, \
                 conversions (sales), revenue, response rate and conversion rate, and the same for the \
                 period before with the change. Optionally for one campaign."
            }
            Self::CampaignRanking => {
                "The campaigns of a period ranked best to worst by revenue, then conversions, then leads, \
                 with their figures; also the active campaigns that had no activity."
            }
            Self::HottestLeads => {
                "The open chats with the highest lead scores (not yet converted or closed), best first, \
                 with the reasons for each score."
            }
            Self::WaitingForHuman => {
                "The chats waiting for the owner: taken over by a person, or where the AI asked for one."
            }
            Self::ChatSummary => {
                "One chat, by its id or the customer's name: status, mode, lead score and reasons, \
                 message count, conversion and its last messages."
            }
            Self::NextSteps => {
                "What the owner should do next, derived from the data: chats waiting, hot leads not \
                 converted, campaigns with traffic but no sales, unanswered messages, setup left to do."
            }
        }
    }

    /// The JSON schema of its arguments.
    pub fn parameters(self) -> Value {
        let period = json!({
            "period": {
                "type": "string",
                "enum": PERIOD_NAMES,
                "description": "Which days (UTC). Default this_week (Monday to today). last_days needs `days`; month needs `month`; range needs `from` and `to`."
            },
            "days": { "type": "integer", "minimum": 1, "maximum": 366, "description": "For last_days: that many days ending today." },
            "month": { "type": "string", "description": "For month: YYYY-MM." },
            "from": { "type": "string", "description": "For range: first day, YYYY-MM-DD." },
            "to": { "type": "string", "description": "For range: last day, YYYY-MM-DD." }
        });
        let object = |properties: Value, required: &[&str]| json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false });
        match self {
            Self::Metrics => {
                let mut properties = period;
                properties["campaign"] = json!({ "type": "string", "description": "Only this campaign: its name or id. Omit for all." });
                object(properties, &[])
            }
            Self::CampaignRanking => object(period, &[]),
            Self::HottestLeads => object(
                json!({ "limit": { "type": "integer", "minimum": 1, "maximum": MAX_LEADS, "description": "How many (default 5)." } }),
                &[],
            ),
            Self::WaitingForHuman | Self::NextSteps => object(json!({}), &[]),
            Self::ChatSummary => object(
                json!({ "chat": { "type": "string", "description": "The chat's id, or the customer's name (or part of it)." } }),
                &["chat"],
            ),
        }
    }
}

/// A tool with its arguments, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolCall {
    Metrics { period: PeriodSpec, campaign: Option<String> },
    CampaignRanking { period: PeriodSpec },
    HottestLeads { limit: usize },
    WaitingForHuman,
    ChatSummary { chat: String },
    NextSteps,
}

/// Why a tool gave no result.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("there is no tool named {0:?}")]
    UnknownTool(String),
    #[error("bad arguments: {0}")]
    InvalidArguments(String),
    /// What was asked for does not exist for this business (a chat, a campaign).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ToolCall {
    pub fn tool(&self) -> Tool {
        match self {
            Self::Metrics { .. } => Tool::Metrics,
            Self::CampaignRanking { .. } => Tool::CampaignRanking,
            Self::HottestLeads { .. } => Tool::HottestLeads,
            Self::WaitingForHuman => Tool::WaitingForHuman,
            Self::ChatSummary { .. } => Tool::ChatSummary,
            Self::NextSteps => Tool::NextSteps,
        }
    }

    /// The call the model asked for: `arguments` is the JSON text it sent (empty is `{}`).
    pub fn parse(name: &str, arguments: &str) -> Result<Self, ToolError> {
        let tool = Tool::from_name(name).ok_or_else(|| ToolError::UnknownTool(name.to_owned()))?;
        let arguments = arguments.trim();
        let args: Map<String, Value> = if arguments.is_empty() {
            Map::new()
        } else {
            match serde_json::from_str::<Value>(arguments) {
                Ok(Value::Object(args)) => args,
                Ok(Value::Null) => Map::new(),
                Ok(_) => return Err(invalid("the arguments must be a JSON object")),
                Err(error) => return Err(invalid(&format!("the arguments are not JSON: {error}"))),
            }
        };
        let text = |key: &str| -> Result<Option<String>, ToolError> {
            match args.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().chars().take(200).collect())),
                Some(_) => Err(invalid(&format!("`{key}` must be a string"))),
            }
        };
        let period = || PeriodSpec::from_arguments(&args).map_err(ToolError::InvalidArguments);
        Ok(match tool {
            Tool::Metrics => Self::Metrics { period: period()?, campaign: text("campaign")? },
            Tool::CampaignRanking => Self::CampaignRanking { period: period()? },
            Tool::HottestLeads => {
                let limit = match args.get("limit") {
                    None | Some(Value::Null) => DEFAULT_LEADS,
                    Some(value) => value
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|n| (1..=MAX_LEADS).contains(n))
                        .ok_or_else(|| {
                            invalid(&format!("`limit` must be an integer from 1 to {MAX_LEADS}"))
                        })?,
                };
                Self::HottestLeads { limit }
            }
            Tool::WaitingForHuman => Self::WaitingForHuman,
            Tool::ChatSummary => {
                Self::ChatSummary { chat: text("chat")?.ok_or_else(|| invalid("`chat` is required"))? }
            }
            Tool::NextSteps => Self::NextSteps,
        })
    }

    /// The arguments as the model would send them, for the record.
    pub fn arguments(&self) -> Value {
        match self {
            Self::Metrics { period, campaign } => {
                let mut args = period.to_arguments();
                if let Some(campaign) = campaign {
                    args.insert("campaign".into(), json!(campaign));
                }
                Value::Object(args)
            }
            Self::CampaignRanking { period } => Value::Object(period.to_arguments()),
            Self::HottestLeads { limit } => json!({ "limit": limit }),
            Self::WaitingForHuman | Self::NextSteps => json!({}),
            Self::ChatSummary { chat } => json!({ "chat": chat }),
        }
    }

    /// Runs it for `tenant`, as of `now`.
    pub async fn run(
        &self,
        store: &dyn Store,
        tenant: UserId,
        now: Timestamp,
    ) -> Result<ToolResult, ToolError> {
        Ok(match self {
            Self::Metrics { period, campaign } => ToolResult::Metrics(Box::new(
                metrics(store, tenant, now, *period, campaign.as_deref()).await?,
            )),
            Self::CampaignRanking { period } => {
                ToolResult::CampaignRanking(campaign_ranking(store, tenant, now, *period).await?)
            }
            Self::HottestLeads { limit } => {
                ToolResult::HottestLeads(hottest_leads(store, tenant, *limit).await?)
            }
            Self::WaitingForHuman => ToolResult::WaitingForHuman(waiting_for_human(store, tenant).await?),
            Self::ChatSummary { chat } => ToolResult::ChatSummary(chat_summary(store, tenant, chat).await?),
            Self::NextSteps => ToolResult::NextSteps(next_steps(store, tenant, now).await?),
        })
    }
}

fn invalid(why: &str) -> ToolError {
    ToolError::InvalidArguments(why.to_owned())
}

/// What a tool found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ToolResult {
    /// Boxed: by far the largest.
    Metrics(Box<MetricsReport>),
    CampaignRanking(CampaignRanking),
    HottestLeads(HottestLeads),
    WaitingForHuman(WaitingForHuman),
    ChatSummary(ChatSummary),
    NextSteps(NextSteps),
}

impl ToolResult {
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|error| json!({ "error": error.to_string() }))
    }
}

/// One tool call as made: what was asked and what came back (the result, or an
/// `{"error": …}` object). The owner, the model and the tests all see these.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolCallRecord {
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub arguments: Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub result: Value,
}

impl ToolCallRecord {
    /// The error object a failed call records.
    pub fn error(name: &str, arguments: Value, error: &ToolError) -> Self {
        Self { name: name.to_owned(), arguments, result: json!({ "error": error.to_string() }) }
    }

    pub fn is_error(&self) -> bool {
        self.result.get("error").is_some()
    }
}

/// Runs the tool `name` with the model's JSON `arguments` for `tenant`. Anything the
/// model got wrong comes back as an error object in the record; only a failing store
/// is an error here.
pub async fn execute(
    store: &dyn Store,
    tenant: UserId,
    now: Timestamp,
    name: &str,
    arguments: &str,
) -> Result<ToolCallRecord, StoreError> {
    let call = match ToolCall::parse(name, arguments) {
        Ok(call) => call,
        Err(error) => {
            let raw = serde_json::from_str(arguments).unwrap_or_else(|_| Value::String(arguments.to_owned()));
            return Ok(ToolCallRecord::error(name, raw, &error));
        }
    };
    let arguments = call.arguments();
    match call.run(store, tenant, now).await {
        Ok(result) => {
            Ok(ToolCallRecord { name: call.tool().name().to_owned(), arguments, result: result.to_value() })
        }
        Err(ToolError::Store(error)) => Err(error),
        Err(error) => Ok(ToolCallRecord::error(call.tool().name(), arguments, &error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_a_schema_and_round_trips_its_name() {
        for tool in Tool::ALL {
            assert_eq!(Tool::from_name(tool.name()), Some(tool));
            assert_eq!(tool.parameters()["type"], "object");
            assert!(!tool.description().is_empty());
        }
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        for (name, args) in [
            ("metrics", "{"),
            ("metrics", "[1,2]"),
            ("metrics", r#"{"period": 7}"#),
            ("metrics", r#"{"period": "last_days", "days": -3}"#),
            ("metrics", r#"{"period": "month", "month": "November"}"#),
            ("metrics", r#"{"campaign": 12}"#),
            ("hottest_leads", r#"{"limit": 0}"#),
            ("hottest_leads", r#"{"limit": "many"}"#),
            ("chat_summary", "{}"),
            ("drop_tables", "{}"),
        ] {
            assert!(ToolCall::parse(name, args).is_err(), "{name} {args}");
        }
        assert!(matches!(ToolCall::parse("next_steps", ""), Ok(ToolCall::NextSteps)));
        assert!(matches!(ToolCall::parse("waiting_for_human", "null"), Ok(ToolCall::WaitingForHuman)));
    }

    #[test]
    fn arguments_round_trip() {
        for call in [
            ToolCall::Metrics { period: PeriodSpec::LastDays { days: 7 }, campaign: Some("Summer".into()) },
            ToolCall::CampaignRanking { period: PeriodSpec::LastMonth },
            ToolCall::HottestLeads { limit: 3 },
            ToolCall::ChatSummary { chat: "Maria".into() },
            ToolCall::WaitingForHuman,
        ] {
            let parsed = ToolCall::parse(call.tool().name(), &call.arguments().to_string()).expect("parses");
            assert_eq!(parsed, call);
        }
    }
}
