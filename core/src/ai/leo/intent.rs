//! The rule-based reading of a question: which tool answers it, with which arguments
//! and period, and what part of the result the owner asked about.
//!
//! Cue words, not grammar: case, accents and one slip per long word do not matter.
//! What is asked is tried from the most specific to the most general (people waiting,
//! hot leads, one chat, advice, campaigns compared, figures); a question that names
//! only a period or a campaign ("and last week?") follows up on the one before; what
//! nothing matches gets the list of what Leo can answer, never an error.

mod names;
mod when;

use chrono::NaiveDate;

use super::period::PeriodSpec;
use super::tools::{DEFAULT_LEADS, MAX_LEADS, ToolCall};
use super::words::{any, number, phrase, words};
use names::chat_wanted;
use when::period;

/// What the owner asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// A question a tool answers.
    Ask {
        call: ToolCall,
        focus: Focus,
    },
    Greeting,
    Thanks,
    /// Nothing Leo knows how to answer: tell them what it can.
    Help,
}

/// The part of a result the question is about, said first in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Overview,
    Messages,
    ResponseRate,
    Conversations,
    Leads,
    Conversions,
    ConversionRate,
    Revenue,
    /// Of campaigns: the best one.
    Best,
    /// Of campaigns: the worst one.
    Worst,
}

/// What a question is read against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub today: NaiveDate,
    /// The business's campaign names, so that a question can name one.
    pub campaigns: &'a [String],
    /// The owner's previous question in this conversation, for follow-ups.
    pub previous: Option<&'a str>,
}

/// Reads `question`.
pub fn understand(question: &str, context: &Context<'_>) -> Question {
    let mut w = words(question);
    let period = period(&w, context.today);
    let campaign = campaign_named(&w, context.campaigns);
    if let Some(name) = &campaign {
        // "Summer Sale" names a campaign; it does not ask about sales.
        let name = words(name);
        if let Some(at) = w.windows(name.len()).position(|window| window == name.as_slice()) {
            w.drain(at..at + name.len());
        }
    }
    if let Some(asked) = topic(question, &w, period, campaign.as_deref()) {
        return asked;
    }
    if period.is_some() || campaign.is_some() {
        if let Some(previous) = context.previous
            && let Question::Ask { call, focus } =
                understand(previous, &Context { previous: None, ..*context })
            && let Some(call) = follow_up(call, period, campaign.clone())
        {
            return Question::Ask { call, focus };
        }
        if campaign.is_some() {
            let call = ToolCall::Metrics { period: period.unwrap_or_default(), campaign };
            return Question::Ask { call, focus: Focus::Overview };
        }
    }
    if any(&w, GREETINGS) || phrase(&w, &["good morning", "good afternoon", "good evening"]) {
        Question::Greeting
    } else if any(&w, THANKS) || phrase(&w, &["thank you"]) {
        Question::Thanks
    } else {
        Question::Help
    }
}

const GREETINGS: &[&str] =
    &["hi", "hello", "hey", "hiya", "howdy", "yo", "hola", "ola", "oi", "greetings", "morning", "sup", "leo"];
const THANKS: &[&str] = &[
    "thanks",
    "thank",
    "thx",
    "ty",
    "cheers",
    "appreciate",
    "appreciated",
    "great",
    "awesome",
    "perfect",
    "brilliant",
    "nice",
    "cool",
    "ok",
    "okay",
    "bye",
    "goodbye",
    "obrigado",
    "obrigada",
    "gracias",
];

const LEAD_WORDS: &[&str] = &["lead", "leads", "prospect", "prospects"];
const CAMPAIGN_WORDS: &[&str] = &["campaign", "campaigns"];
const BEST: &[&str] =
    &["best", "top", "most", "winner", "winning", "strongest", "highest", "leading", "better"];
const WORST: &[&str] = &[
    "worst",
    "least",
    "weakest",
    "lowest",
    "bottom",
    "underperforming",
    "poorest",
    "worse",
    "weaker",
    "losing",
];
const COMPARE: &[&str] = &[
    "rank",
    "ranking",
    "ranked",
    "compare",
    "comparison",
    "compared",
    "perform",
    "performing",
    "performance",
    "which",
    "each",
    "per",
    "doing",
    "versus",
    "vs",
];

fn topic(
    question: &str,
    w: &[String],
    period: Option<PeriodSpec>,
    campaign: Option<&str>,
) -> Option<Question> {
    let ask = |call, focus| Some(Question::Ask { call, focus });
    let p = period.unwrap_or_default();
    if waiting(w) {
        return ask(ToolCall::WaitingForHuman, Focus::Overview);
    }
    if hot(w) {
        let limit = w
            .iter()
            .filter_map(|word| number(word))
            .filter_map(|n| usize::try_from(n).ok())
            .find(|n| (1..=MAX_LEADS).contains(n))
            .unwrap_or(DEFAULT_LEADS);
        return ask(ToolCall::HottestLeads { limit }, Focus::Overview);
    }
    if campaign.is_none()
        && let Some(chat) = chat_wanted(question, w)
    {
        return ask(ToolCall::ChatSummary { chat }, Focus::Overview);
    }
    if next_steps(w) {
        return ask(ToolCall::NextSteps, Focus::Overview);
    }
    let better = any(w, BEST);
    let worse = any(w, WORST);
    let compared = any(w, COMPARE) || better || worse;
    if any(w, CAMPAIGN_WORDS) && compared && (campaign.is_none() || better || worse) {
        let focus = if worse {
            Focus::Worst
        } else if better {
            Focus::Best
        } else {
            Focus::Overview
        };
        return ask(ToolCall::CampaignRanking { period: p }, focus);
    }
    metric_focus(w).map(|focus| Question::Ask {
        call: ToolCall::Metrics { period: p, campaign: campaign.map(str::to_owned) },
        focus,
    })
}

fn follow_up(call: ToolCall, period: Option<PeriodSpec>, campaign: Option<String>) -> Option<ToolCall> {
    match call {
        ToolCall::Metrics { period: before, campaign: was } => {
            Some(ToolCall::Metrics { period: period.unwrap_or(before), campaign: campaign.or(was) })
        }
        ToolCall::CampaignRanking { .. } if campaign.is_none() => {
            period.map(|period| ToolCall::CampaignRanking { period })
        }
        _ => None,
    }
}

fn waiting(w: &[String]) -> bool {
    any(
        w,
        &["waiting", "waits", "handoff", "handoffs", "handover", "takeover", "takeovers", "human", "humans"],
    ) || phrase(
        w,
        &[
            "hand off",
            "take over",
            "taken over",
            "took over",
            "need me",
            "needs me",
            "need my attention",
            "needs my attention",
            "need attention",
            "needs attention",
            "asked for a person",
            "asked for a human",
            "want a person",
            "wants a person",
        ],
    )
}

fn hot(w: &[String]) -> bool {
    any(w, &["hot", "hottest", "hotest", "warmest"])
        || phrase(w, &["most likely to buy", "highest score", "highest scores", "highest lead score"])
        || (any(w, LEAD_WORDS)
            && (any(w, &["top", "best", "highest", "who", "warm"]) && !any(w, CAMPAIGN_WORDS)))
}

fn next_steps(w: &[String]) -> bool {
    phrase(
        w,
        &[
            "what should i do",
            "what should we do",
            "what do i do",
            "what can i do",
            "what to do",
            "next step",
            "next steps",
            "what next",
            "whats next",
            "what now",
            "where should i start",
            "to do",
            "focus on",
        ],
    ) || any(
        w,
        &[
            "advice",
            "advise",
            "suggest",
            "suggestion",
            "suggestions",
            "recommend",
            "recommendation",
            "recommendations",
            "priorities",
            "prioritize",
            "prioritise",
            "todo",
            "improve",
        ],
    )
}

fn metric_focus(w: &[String]) -> Option<Focus> {
    let focus = if phrase(
        w,
        &["conversion rate", "conversions rate", "convert rate", "close rate", "closing rate"],
    ) {
        Focus::ConversionRate
    } else if phrase(w, &["response rate", "reply rate", "answer rate", "answering rate"])
        || any(w, &["respond", "responded", "answered", "replied", "unanswered", "responses"])
    {
        Focus::ResponseRate
    } else if any(
        w,
        &["revenue", "revenues", "money", "earn", "earned", "earnings", "income", "turnover", "made"],
    ) || phrase(w, &["how much"])
    {
        Focus::Revenue
    } else if any(
        w,
        &[
            "conversions",
            "conversion",
            "converted",
            "convert",
            "sales",
            "sale",
            "sold",
            "sell",
            "orders",
            "order",
            "purchases",
            "bought",
            "buyers",
        ],
    ) {
        Focus::Conversions
    } else if any(w, LEAD_WORDS) {
        Focus::Leads
    } else if any(w, &["conversations", "conversation", "chats", "chat", "customers", "threads"]) {
        Focus::Conversations
    } else if any(w, &["messages", "message", "msgs", "msg", "dms", "texts"]) {
        Focus::Messages
    } else if any(
        w,
        &[
            "stats",
            "statistics",
            "numbers",
            "figures",
            "metrics",
            "kpi",
            "kpis",
            "overview",
            "report",
            "summary",
            "dashboard",
            "performance",
            "results",
            "analytics",
            "totals",
            "activity",
            "business",
            "rate",
            "rates",
        ],
    ) || phrase(
        w,
        &["how did we do", "how are we doing", "how was", "how is", "how did", "how are"],
    ) {
        Focus::Overview
    } else {
        return None;
    };
    Some(focus)
}
/// The longest campaign name the question contains, word for word.
fn campaign_named(w: &[String], campaigns: &[String]) -> Option<String> {
    let haystack = format!(" {} ", w.join(" "));
    campaigns
        .iter()
        .filter(|name| {
            let needle = words(name).join(" ");
            !needle.is_empty() && haystack.contains(&format!(" {needle} "))
        })
        .max_by_key(|name| name.chars().count())
        .cloned()
}
#[cfg(test)]
mod tests;
