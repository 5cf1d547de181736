//! The rule-based answers: each tool's result as a short, friendly sentence or list
//! with its exact figures, the part the owner asked about first.

use std::fmt::Write as _;

use super::intent::Focus;
use super::tools::{
    CampaignRanking, ChatLine, ChatSummary, Figures, HottestLeads, MetricsReport, NextSteps, RankedCampaign,
    ToolError, ToolResult, WaitingForHuman,
};
use crate::model::{ChatMode, Sender, Timestamp};

/// The answer to a question a tool answered.
pub fn render(result: &ToolResult, focus: Focus) -> String {
    match result {
        ToolResult::Metrics(report) => metrics(report, focus),
        ToolResult::CampaignRanking(ranking) => campaigns(ranking, focus),
        ToolResult::HottestLeads(leads) => hottest(leads),
        ToolResult::WaitingForHuman(waiting) => waiting_chats(waiting),
        ToolResult::ChatSummary(summary) => chat(summary),
        ToolResult::NextSteps(next) => steps(next),
    }
}

pub fn greeting() -> String {
    "Hi! I'm Leo, your assistant. Ask me about your messages, leads, sales and revenue, how your campaigns \
     are doing, your hottest leads, the chats waiting for you, or what to do next."
        .to_owned()
}

pub fn thanks() -> String {
    "You're welcome! Anything else about your numbers or your chats?".to_owned()
}

pub fn help() -> String {
    "I'm not sure what you're asking. I can answer questions about your own numbers and chats, for example:\n\
     - \"How many messages did we get today?\"\n\
     - \"Revenue this week\", \"response rate last month\", \"leads in the last 30 days\"\n\
     - \"Which campaign sold most this week?\", \"worst campaign this month\"\n\
     - \"Who are my hottest leads?\"\n\
     - \"Which chats are waiting for me?\"\n\
     - \"Summarize the chat with Maria\"\n\
     - \"What should I do next?\"\n\
     Periods: today, yesterday, this week, last week, this month, last month, the last N days, or a month by name."
        .to_owned()
}

/// What went wrong with a question a tool could not answer.
pub fn failed(error: &ToolError) -> String {
    match error {
        ToolError::NotFound(what) => format!("I couldn't find that: {what}."),
        ToolError::InvalidArguments(why) => format!("I couldn't work out which days you mean: {why}."),
        other => format!("I couldn't answer that: {other}."),
    }
}

fn metrics(report: &MetricsReport, focus: Focus) -> String {
    let (c, p, change) = (&report.current, &report.previous, &report.change);
    let scope = report.campaign.as_ref().map(|c| format!(" for \"{}\"", c.name)).unwrap_or_default();
    let when = format!("{}{}", opening(&c.period.label), dates(c));
    if c.is_empty() {
        let mut text = format!("{when}{scope}: nothing recorded yet — no messages, conversations or sales.");
        if !p.is_empty() {
            let _ = write!(text, " For comparison, {}: {}.", p.period.label, totals(p));
        }
        return text;
    }
    let label = &during(&c.period.label);
    let than = &p.period.label;
    let head = match focus {
        Focus::Messages => Some(format!(
            "{when}{scope} you received {} messages and answered {}{}{}.",
            c.messages_received,
            c.messages_answered,
            c.response_rate.as_ref().map(|r| format!(" ({r} response rate)")).unwrap_or_default(),
            versus(change.messages_received.as_deref(), &p.messages_received.to_string(), than),
        )),
        Focus::ResponseRate => Some(match &c.response_rate {
            Some(rate) => format!(
                "Your response rate {label}{scope} was {rate}: {} of {} customer messages answered{}.",
                c.messages_answered,
                c.messages_received,
                versus(change.response_rate.as_deref(), p.response_rate.as_deref().unwrap_or("none"), than),
            ),
            None => format!("No customer messages came in {label}{scope}, so there is no response rate."),
        }),
        Focus::Conversations => Some(format!(
            "{when}{scope}: {} new {}{}.",
            c.conversations,
            plural(c.conversations, "conversation"),
            versus(change.conversations.as_deref(), &p.conversations.to_string(), than),
        )),
        Focus::Leads => Some(format!(
            "{when}{scope}: {} {}{}.",
            c.leads,
            plural(c.leads, "lead"),
            versus(change.leads.as_deref(), &p.leads.to_string(), than),
        )),
        Focus::Conversions => Some(format!(
            "{when}{scope}: {} {} (sales){}{}.",
            c.conversions,
            plural(c.conversions, "conversion"),
            c.conversion_rate.as_ref().map(|r| format!(", a {r} conversion rate")).unwrap_or_default(),
            versus(change.conversions.as_deref(), &p.conversions.to_string(), than),
        )),
        Focus::ConversionRate => Some(match &c.conversion_rate {
            Some(rate) => format!(
                "Your conversion rate {label}{scope} was {rate}: {} {} from {} {}{}.",
                c.conversions,
                plural(c.conversions, "conversion"),
                c.conversations,
                plural(c.conversations, "conversation"),
                versus(
                    change.conversion_rate.as_deref(),
                    p.conversion_rate.as_deref().unwrap_or("none"),
                    than
                ),
            ),
            None => format!("No conversations started {label}{scope}, so there is no conversion rate."),
        }),
        Focus::Revenue => Some(format!(
            "Revenue {label}{scope}: {} from {} {}{}.",
            c.revenue,
            c.conversions,
            plural(c.conversions, "conversion"),
            versus(change.revenue.as_deref(), &p.revenue, than),
        )),
        Focus::Overview | Focus::Best | Focus::Worst => None,
    };
    let all = format!(
        "{}{}",
        totals(c),
        versus(change.revenue.as_deref(), &p.revenue, than).replacen(',', " — revenue", 1)
    );
    match head {
        Some(head) => format!("{head}\nAll figures: {all}."),
        None => format!("{when}{scope}: {all}."),
    }
}

/// "42 messages received, 40 answered (95.2% response rate), …, revenue 99.80 EUR".
fn totals(f: &Figures) -> String {
    let rate =
        |r: &Option<String>, what: &str| r.as_ref().map(|r| format!(" ({r} {what})")).unwrap_or_default();
    format!(
        "{} messages received, {} answered{}, {} {}, {} {}, {} {}{}, revenue {}",
        f.messages_received,
        f.messages_answered,
        rate(&f.response_rate, "response rate"),
        f.conversations,
        plural(f.conversations, "conversation"),
        f.leads,
        plural(f.leads, "lead"),
        f.conversions,
        plural(f.conversions, "conversion"),
        rate(&f.conversion_rate, "conversion rate"),
        f.revenue
    )
}

/// ", up 25.0% on last week (79.84 EUR)"; without a change to state, the earlier
/// figure alone.
fn versus(change: Option<&str>, before: &str, than: &str) -> String {
    match change {
        Some(change) if change.starts_with("+0.0") => format!(", the same as {than} ({before})"),
        Some(change) => match change.strip_prefix('+') {
            Some(up) => format!(", up {up} on {than} ({before})"),
            None => format!(", down {} on {than} ({before})", change.trim_start_matches('-')),
        },
        None => format!(" ({than}: {before})"),
    }
}

fn dates(f: &Figures) -> String {
    if f.period.from == f.period.to {
        format!(" ({})", f.period.from)
    } else {
        format!(" ({} to {})", f.period.from, f.period.to)
    }
}

fn campaigns(ranking: &CampaignRanking, focus: Focus) -> String {
    let label = &ranking.period.label;
    let idle = if ranking.idle.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = ranking.idle.iter().map(|c| format!("\"{}\"", c.name)).collect();
        format!("\nActive but without any activity {label}: {}.", names.join(", "))
    };
    let list = |ranked: &[RankedCampaign]| {
        let mut text = String::new();
        for c in ranked {
            let _ = write!(text, "\n{}. {}", c.rank, campaign_line(c));
        }
        text
    };
    let (Some(best), Some(worst)) = (ranking.campaigns.first(), ranking.campaigns.last()) else {
        return format!("No campaign had any activity {label}.{idle}");
    };
    let text = match focus {
        Focus::Best => {
            let mut text = format!("Best campaign {label}: {}.", campaign_line(best));
            if ranking.campaigns.len() > 1 {
                let _ = write!(text, "\nFull ranking:{}", list(&ranking.campaigns));
            }
            text
        }
        Focus::Worst if ranking.campaigns.len() == 1 => {
            format!("Only one campaign had activity {label}, so none did worse: {}.", campaign_line(worst))
        }
        Focus::Worst => format!(
            "Weakest campaign {label}: {}.\nFull ranking:{}",
            campaign_line(worst),
            list(&ranking.campaigns)
        ),
        _ => format!("Your campaigns {label}, best first:{}", list(&ranking.campaigns)),
    };
    format!("{text}{idle}")
}

fn campaign_line(c: &RankedCampaign) -> String {
    format!(
        "\"{}\" — {} revenue, {} {}, {} {}, {} {}, {} {}{}",
        c.name,
        c.revenue,
        c.conversions,
        plural(c.conversions, "conversion"),
        c.leads,
        plural(c.leads, "lead"),
        c.conversations,
        plural(c.conversations, "conversation"),
        c.messages_received,
        plural(c.messages_received, "message"),
        c.conversion_rate.as_ref().map(|r| format!(" ({r} conversion rate)")).unwrap_or_default()
    )
}

fn hottest(leads: &HottestLeads) -> String {
    if leads.leads.is_empty() {
        return "No open chat has a lead score yet.".to_owned();
    }
    let mut text = if leads.count > leads.leads.len() {
        format!("Your hottest leads ({} of {} open leads):", leads.leads.len(), leads.count)
    } else {
        format!("Your hottest leads ({} open):", leads.count)
    };
    for (i, lead) in leads.leads.iter().enumerate() {
        let _ = write!(text, "\n{}. {}", i + 1, lead_line(lead));
    }
    text
}

fn lead_line(lead: &ChatLine) -> String {
    let mut line = format!("{} — score {}", lead.customer, lead.score);
    if !lead.reasons.is_empty() {
        let _ = write!(line, " ({})", lead.reasons.join(", "));
    }
    let _ = write!(line, ", {}", lead.status.as_str());
    if let Some(campaign) = &lead.campaign {
        let _ = write!(line, ", campaign \"{campaign}\"");
    }
    if lead.handoff_requested || lead.mode == ChatMode::Human {
        line.push_str(", waiting for you");
    }
    line
}

fn waiting_chats(waiting: &WaitingForHuman) -> String {
    if waiting.chats.is_empty() {
        return "No chat is waiting for you right now: the AI is handling them all.".to_owned();
    }
    let mut text = if waiting.count == 1 {
        "1 chat is waiting for you:".to_owned()
    } else {
        format!("{} chats are waiting for you (the longest waiting first):", waiting.count)
    };
    for chat in &waiting.chats {
        let why = match (chat.handoff_requested, chat.mode) {
            (true, _) => "asked for a person",
            (false, ChatMode::Human) => "you took over",
            (false, ChatMode::Ai) => "waiting",
        };
        let _ = write!(text, "\n- {} — {why}, lead score {}", chat.customer, chat.score);
        if let Some(at) = chat.last_customer_message_at {
            let _ = write!(text, ", last message {}", time(at));
        }
    }
    text
}

fn chat(summary: &ChatSummary) -> String {
    let c = &summary.chat;
    let mut text = format!("Chat with {} ({}", c.customer, c.platform.as_str());
    if let Some(campaign) = &c.campaign {
        let _ = write!(text, ", campaign \"{campaign}\"");
    }
    let mode = match c.mode {
        ChatMode::Ai => "answered by the AI",
        ChatMode::Human => "you took over",
    };
    let _ = write!(text, "): {}, {mode}, lead score {}", c.status.as_str(), c.score);
    if !c.reasons.is_empty() {
        let _ = write!(text, " ({})", c.reasons.join(", "));
    }
    let _ = write!(text, ". {} messages", c.message_count);
    match (&summary.converted, &summary.order_value) {
        (true, Some(value)) => {
            let _ = write!(text, "; bought for {value}");
        }
        (true, None) => text.push_str("; bought"),
        (false, _) => text.push_str("; not bought yet"),
    }
    text.push('.');
    if c.handoff_requested {
        text.push_str(" They asked for a person.");
    }
    if !summary.last_messages.is_empty() {
        text.push_str("\nLast messages:");
        for message in &summary.last_messages {
            let who = match message.from {
                Sender::Customer => c.customer.as_str(),
                Sender::Ai => "AI",
                Sender::Business => "You",
            };
            let _ = write!(text, "\n- {who}: {}", message.text);
        }
    }
    if !summary.also_matching.is_empty() {
        let _ = write!(text, "\n(Also matching: {}.)", summary.also_matching.join(", "));
    }
    text
}

fn steps(next: &NextSteps) -> String {
    if let [only] = next.steps.as_slice() {
        return only.text.clone();
    }
    let mut text = "Here's what I'd do next:".to_owned();
    for (i, step) in next.steps.iter().enumerate() {
        let _ = write!(text, "\n{}. {}", i + 1, step.text);
    }
    text
}

fn time(at: Timestamp) -> String {
    at.as_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A period's label at the start of a sentence: "This week", "Yesterday", "In the
/// last 7 days", "In October 2026".
fn opening(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) if ["today", "yesterday", "this ", "last "].iter().any(|p| label.starts_with(p)) => {
            first.to_uppercase().chain(chars).collect()
        }
        _ => format!("In {label}"),
    }
}

/// A period's label inside a sentence: "this week", "in the last 7 days".
fn during(label: &str) -> String {
    if ["today", "yesterday", "this ", "last "].iter().any(|p| label.starts_with(p)) {
        label.to_owned()
    } else {
        format!("in {label}")
    }
}

/// "1 lead", "2 leads".
fn plural(count: i64, noun: &str) -> String {
    if count == 1 { noun.to_owned() } else { format!("{noun}s") }
}
