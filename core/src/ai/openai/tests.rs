//! Unit tests of the prompt budget and of the checks on the model's `reply` arguments.

use async_openai::types::chat::CreateChatCompletionResponse;
use serde_json::json;

use super::prompt::{Budget, Prompt, clip, relevant};
use super::schema::{self, MAX_TEXT_CHARS};
use crate::ai::knowledge::Passage;
use crate::ai::{AiError, Conversation, FlowStep, Intent, KnowledgeBase, LeadSignal, QuickReply, Turn};
use crate::model::{
    BusinessInfo, Campaign, ChatFlow, Money, Platform, Product, QualificationQuestion, Sender, Timestamp,
    UserId,
};

fn business() -> BusinessInfo {
    BusinessInfo {
        business_name: "Crumb & Co".into(),
        owner_name: "Ana".into(),
        industry: "Bakery".into(),
        description: "Sourdough baked every morning in Lisbon.".into(),
        website: "https://crumb.example".into(),
        phone: "+351 21 000 0000".into(),
    }
}

fn campaign() -> Campaign {
    let now = Timestamp::parse("2026-11-20T09:00:00.000Z").expect("valid");
    let mut campaign = Campaign::draft(UserId::new(), "Bread club", Platform::Facebook, now);
    campaign.product = Product {
        name: "Bread club".into(),
        description: "A loaf every week.".into(),
        price: Some(Money { amount_minor: 2490, currency: "EUR".into() }),
        images: Vec::new(),
        features: vec!["Delivered Fridays".into(), "Pause any week".into()],
    };
    campaign.flow = ChatFlow {
        greeting: "Hello from Crumb!".into(),
        qualification_questions: vec![QualificationQuestion {
            question: "Which loaf do you like?".into(),
            options: vec!["Rye".into(), "Wheat".into()],
        }],
        closing_message: "Here is your sign-up link.".into(),
    };
    campaign
}

fn passage(source: &str, text: &str) -> Passage {
    Passage { source: source.into(), heading: None, text: text.into(), score: 1.0 }
}

fn build(history: &[Turn], passages: &[Passage], budget: &Budget) -> Prompt {
    let (business, campaign, knowledge) = (business(), campaign(), KnowledgeBase::default());
    let incoming = ["How much is it?".to_owned()];
    let conversation = Conversation {
        business: &business,
        campaign: Some(&campaign),
        knowledge: &knowledge,
        history,
        incoming: &incoming,
        step: FlowStep::Qualification { index: 0 },
    };
    Prompt::build(&conversation, passages, budget)
}

fn turns(count: usize, chars: usize) -> Vec<Turn> {
    (0..count)
        .map(|i| Turn {
            from: if i % 2 == 0 { Sender::Customer } else { Sender::Ai },
            text: format!("turn {i:03} {}", "x".repeat(chars)),
        })
        .collect()
}

#[test]
fn the_system_message_carries_rules_facts_campaign_and_step() {
    let prompt = build(&[], &[passage("menu.md", "Rye is our bestseller.")], &Budget::default());
    for needle in [
        "automated assistant",
        "Crumb & Co",
        "Sourdough baked every morning",
        "€24.90",
        "Delivered Fridays",
        "0: Which loaf do you like? [Rye | Wheat]",
        "Here is your sign-up link.",
        "qualification question 0 is the one to be answered next",
        "Rye is our bestseller.",
    ] {
        assert!(prompt.system.contains(needle), "missing {needle:?} in\n{}", prompt.system);
    }
    assert_eq!(prompt.incoming, ["How much is it?"]);
}

#[test]
fn a_long_history_is_trimmed_oldest_first_within_the_budget() {
    let budget = Budget { total_chars: 6_000, ..Budget::default() };
    let history = turns(30, 400);
    let prompt = build(&history, &[passage("a.md", "kept passage")], &budget);
    assert!(prompt.chars() <= budget.total_chars, "{} chars", prompt.chars());
    assert!(prompt.dropped_turns > 10, "dropped {}", prompt.dropped_turns);
    assert_eq!(prompt.dropped_passages, 0, "turns go before passages");
    // The newest turns stay, in order.
    let last = prompt.history.last().expect("some history");
    assert!(last.1.starts_with("turn 029"), "{}", last.1);
    let numbers: Vec<&str> = prompt.history.iter().map(|(_, t)| &t[5..8]).collect();
    let mut sorted = numbers.clone();
    sorted.sort_unstable();
    assert_eq!(numbers, sorted);
}

#[test]
fn passages_go_after_the_old_turns_but_before_the_last_ones() {
    let budget = Budget { total_chars: 4_000, keep_recent_turns: 2, ..Budget::default() };
    let history = turns(6, 600);
    let passages: Vec<Passage> =
        (0..5).map(|i| passage("doc.md", &format!("passage {i} {}", "y".repeat(600)))).collect();
    let prompt = build(&history, &passages, &budget);
    assert!(prompt.chars() <= budget.total_chars, "{} chars", prompt.chars());
    assert_eq!(prompt.history.len(), 2, "the two latest turns are kept");
    assert!(prompt.dropped_passages > 0);
    // The most relevant passage is the last to go.
    if prompt.dropped_passages < 5 {
        assert!(prompt.system.contains("passage 0"));
    }
}

#[test]
fn other_campaigns_passages_are_left_out() {
    let kept = relevant(
        vec![
            passage("campaign:Bread club", "ours"),
            passage("campaign:Cakes", "theirs"),
            passage("faq.md", "shared"),
        ],
        Some(&campaign()),
    );
    let sources: Vec<&str> = kept.iter().map(|p| p.source.as_str()).collect();
    assert_eq!(sources, ["campaign:Bread club", "faq.md"]);
}

#[test]
fn clip_cuts_on_characters() {
    assert_eq!(clip("héllo", 10), "héllo");
    assert_eq!(clip("héllo", 3), "hé…");
    assert_eq!(clip("héllo", 0), "");
}

fn args(overrides: &serde_json::Value) -> String {
    let mut base = json!({
        "text": "Hi! The Bread club is €24.90 a month.",
        "quick_replies": [],
        "intent": "price",
        "handoff": false,
        "signals": ["asked_price"],
        "next_step": { "step": "qualification", "index": 0 }
    });
    for (key, value) in overrides.as_object().expect("object") {
        base[key] = value.clone();
    }
    base.to_string()
}

#[test]
fn a_valid_reply_parses() {
    let reply = schema::parse(&args(&json!({})), 1).expect("valid");
    assert_eq!(reply.intent, Intent::Price);
    assert_eq!(reply.signals, [LeadSignal::AskedPrice]);
    assert_eq!(reply.next_step, FlowStep::Qualification { index: 0 });
}

#[test]
fn quick_replies_are_fixed_up() {
    let many: Vec<_> = (0..20)
        .map(|i| json!({ "title": format!("A very long option title number {i}"), "payload": "" }))
        .chain([json!({ "title": "   ", "payload": "x" })])
        .collect();
    let reply = schema::parse(&args(&json!({ "quick_replies": many })), 1).expect("fixed up");
    assert_eq!(reply.quick_replies.len(), QuickReply::MAX_COUNT);
    for quick in &reply.quick_replies {
        assert!(quick.title.chars().count() <= QuickReply::MAX_TITLE_CHARS, "{}", quick.title);
        assert_eq!(quick.payload, quick.title, "an empty payload becomes the title");
    }
}

#[test]
fn unsafe_answers_are_malformed() {
    for bad in [
        json!({ "intent": "buy_now_please" }),
        json!({ "text": "   " }),
        json!({ "text": "x".repeat(MAX_TEXT_CHARS + 1) }),
        json!({ "next_step": { "step": "qualification", "index": null } }),
        json!({ "next_step": { "step": "upsell", "index": null } }),
    ] {
        let result = schema::parse(&args(&bad), 1);
        assert!(matches!(result, Err(AiError::Malformed(_))), "{bad} gave {result:?}");
    }
    assert!(matches!(schema::parse("not json", 1), Err(AiError::Malformed(_))));
}

#[test]
fn safe_oddities_are_fixed_up() {
    let reply = schema::parse(
        &args(&json!({
            "intent": "wants_person",
            "signals": ["buying_words", "made_up", "buying_words"],
            "next_step": { "step": "qualification", "index": 7 }
        })),
        1,
    )
    .expect("fixed up");
    assert!(reply.handoff, "asking for a person is a handoff");
    assert_eq!(reply.signals, [LeadSignal::BuyingWords]);
    assert_eq!(reply.next_step, FlowStep::Closing, "past the last question comes the closing");
}

fn completion(message: &serde_json::Value, finish: &str) -> CreateChatCompletionResponse {
    serde_json::from_value(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{ "index": 0, "message": message, "finish_reason": finish }]
    }))
    .expect("a chat completion")
}

#[test]
fn replies_come_from_the_tool_call_or_json_content_never_prose() {
    let call = json!({ "role": "assistant", "content": null, "tool_calls": [
        { "id": "call_1", "type": "function", "function": { "name": "reply", "arguments": args(&json!({})) } }
    ]});
    assert!(schema::reply_from(&completion(&call, "tool_calls"), 1).is_ok());
    let content = json!({ "role": "assistant", "content": args(&json!({})) });
    assert!(schema::reply_from(&completion(&content, "stop"), 1).is_ok());
    let prose = json!({ "role": "assistant", "content": "Sure! It costs €24.90. HANDOFF" });
    assert!(matches!(schema::reply_from(&completion(&prose, "stop"), 1), Err(AiError::Malformed(_))));
    let cut = json!({ "role": "assistant", "content": "{\"text\": \"Hi" });
    assert!(matches!(schema::reply_from(&completion(&cut, "length"), 1), Err(AiError::Malformed(_))));
}

#[test]
fn the_schema_lists_every_intent() {
    // Fails to compile when an intent is added: add it to `schema::INTENTS` too.
    fn covered(intent: Intent) {
        match intent {
            Intent::Greeting
            | Intent::Price
            | Intent::Product
            | Intent::Availability
            | Intent::Shipping
            | Intent::Objection
            | Intent::ReadyToBuy
            | Intent::WantsPerson
            | Intent::Thanks
            | Intent::QualificationAnswer
            | Intent::OffTopic => {}
        }
    }
    covered(Intent::Greeting);
    let tool = serde_json::to_value(schema::tool()).expect("serialises");
    let intents = &tool["function"]["parameters"]["properties"]["intent"]["enum"];
    assert_eq!(intents.as_array().map(Vec::len), Some(11), "{tool}");
    assert_eq!(tool["type"], "function");
}

#[test]
fn a_burst_takes_at_most_half_the_budget_newest_first() {
    let (business, knowledge) = (business(), KnowledgeBase::default());
    let incoming: Vec<String> = (0..10).map(|i| format!("burst {i} {}", "z".repeat(1_990))).collect();
    let conversation = Conversation {
        business: &business,
        campaign: None,
        knowledge: &knowledge,
        history: &[],
        incoming: &incoming,
        step: FlowStep::Greeting,
    };
    let prompt = Prompt::build(&conversation, &[], &Budget::default());
    assert!(prompt.chars() <= Budget::default().total_chars, "{} chars", prompt.chars());
    assert_eq!(prompt.incoming.len(), 3);
    assert!(prompt.incoming[2].starts_with("burst 9"));
    assert!(prompt.system.contains("No product price is known"));
}
