//! How questions are read: the twenty the tests ask, their typos, follow-ups and names.

use chrono::NaiveDate;

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("date")
}

fn read(question: &str) -> Question {
    let campaigns = ["Summer Sale".to_owned(), "Black Friday".to_owned()];
    understand(question, &Context { today: today(), campaigns: &campaigns, previous: None })
}

fn metrics(period: PeriodSpec, focus: Focus) -> Question {
    Question::Ask { call: ToolCall::Metrics { period, campaign: None }, focus }
}

#[test]
fn figures_by_period_and_focus() {
    use PeriodSpec::{LastDays, LastMonth, LastWeek, ThisMonth, ThisWeek, Today, Yesterday};
    for (question, expected) in [
        ("How many messages did we get today?", metrics(Today, Focus::Messages)),
        ("revenue this week", metrics(ThisWeek, Focus::Revenue)),
        ("What was the response rate last week?", metrics(LastWeek, Focus::ResponseRate)),
        ("conversion rate yesterday", metrics(Yesterday, Focus::ConversionRate)),
        ("how many leads in the last 7 days?", metrics(LastDays { days: 7 }, Focus::Leads)),
        ("How many SALES this month??", metrics(ThisMonth, Focus::Conversions)),
        ("how much did we make last month", metrics(LastMonth, Focus::Revenue)),
        ("new conversations in the past 30 days", metrics(LastDays { days: 30 }, Focus::Conversations)),
        ("how did we do yesterday?", metrics(Yesterday, Focus::Overview)),
        ("revenu yesterady", metrics(Yesterday, Focus::Revenue)),
        ("mesages todya", metrics(Today, Focus::Messages)),
        ("leads", metrics(ThisWeek, Focus::Leads)),
        ("revenue in October", metrics(PeriodSpec::Month { year: 2026, month: 10 }, Focus::Revenue)),
        ("sales in december", metrics(PeriodSpec::Month { year: 2025, month: 12 }, Focus::Conversions)),
        ("leads in the last 2 weeks", metrics(LastDays { days: 14 }, Focus::Leads)),
    ] {
        assert_eq!(read(question), expected, "{question}");
    }
}

#[test]
fn campaigns_compared_and_named() {
    let ranking = |period, focus| Question::Ask { call: ToolCall::CampaignRanking { period }, focus };
    assert_eq!(read("which campaign sold most this week?"), ranking(PeriodSpec::ThisWeek, Focus::Best));
    assert_eq!(read("worst campaign this month"), ranking(PeriodSpec::ThisMonth, Focus::Worst));
    assert_eq!(read("How are my campains doing?"), ranking(PeriodSpec::ThisWeek, Focus::Overview));
    assert_eq!(
        read("leads from summer sale last week"),
        Question::Ask {
            call: ToolCall::Metrics { period: PeriodSpec::LastWeek, campaign: Some("Summer Sale".into()) },
            focus: Focus::Leads
        }
    );
    assert_eq!(
        read("tell me about Black Friday"),
        Question::Ask {
            call: ToolCall::Metrics { period: PeriodSpec::ThisWeek, campaign: Some("Black Friday".into()) },
            focus: Focus::Overview
        }
    );
}

#[test]
fn chats_leads_and_advice() {
    let ask = |call| Question::Ask { call, focus: Focus::Overview };
    assert_eq!(read("who are my hottest leads?"), ask(ToolCall::HottestLeads { limit: 5 }));
    assert_eq!(read("top 3 leads"), ask(ToolCall::HottestLeads { limit: 3 }));
    assert_eq!(read("which chats are waiting for me?"), ask(ToolCall::WaitingForHuman));
    assert_eq!(read("any handoffs?"), ask(ToolCall::WaitingForHuman));
    assert_eq!(read("what should I do next?"), ask(ToolCall::NextSteps));
    assert_eq!(read("Any advice?"), ask(ToolCall::NextSteps));
    for (question, name) in [
        ("summarize the chat with Maria", "Maria"),
        ("Summarise Maria's chat please", "Maria"),
        ("what did João Silva say?", "João Silva"),
        ("how is the conversation with Ana Costa going", "Ana Costa"),
        ("What's Pedro's lead score?", "Pedro"),
    ] {
        assert_eq!(read(question), ask(ToolCall::ChatSummary { chat: name.into() }), "{question}");
    }
    let id = "0193a4c0-0000-7000-8000-000000000000";
    assert_eq!(read(&format!("summary of chat {id}")), ask(ToolCall::ChatSummary { chat: id.into() }));
}

#[test]
fn small_talk_and_the_unknown() {
    assert_eq!(read("Hi Leo!"), Question::Greeting);
    assert_eq!(read("good morning"), Question::Greeting);
    assert_eq!(read("thanks!"), Question::Thanks);
    assert_eq!(read("what's the weather in Lisbon?"), Question::Help);
    assert_eq!(read("🙂"), Question::Help);
    assert_eq!(read(&"blah ".repeat(2_000)), Question::Help);
    // A period alone is not a summary of a chat.
    assert_eq!(read("give me a summary of this week"), metrics(PeriodSpec::ThisWeek, Focus::Overview));
}

#[test]
fn follow_ups_reuse_the_previous_question() {
    let campaigns: [String; 0] = [];
    let context = Context { today: today(), campaigns: &campaigns, previous: Some("revenue this week") };
    assert_eq!(understand("and last week?", &context), metrics(PeriodSpec::LastWeek, Focus::Revenue));
    assert_eq!(understand("what about yesterday", &context), metrics(PeriodSpec::Yesterday, Focus::Revenue));
    let none = Context { previous: None, ..context };
    assert_eq!(understand("and last week?", &none), Question::Help);
}
