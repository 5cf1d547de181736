//! Leo in the console: a question asked, the conversation continued with its id, a
//! refusal that gives the question back, and a new conversation.

mod harness;

use closer_tui::{Answer, CallBody, Event, Failure, Method, Request, Tab};
use crossterm::event::KeyCode;
use harness::Console;
use insta::assert_snapshot;
use serde_json::json;

fn leo() -> Console {
    let mut console = Console::with_chats(80, 24, Vec::new());
    console.take_requests();
    console.key(KeyCode::Char('5'));
    assert_eq!(console.app.tab(), Tab::Leo);
    console
}

#[test]
fn a_conversation_with_leo() {
    let mut console = leo();
    assert_snapshot!("leo_empty", console.screen());

    // Enter with nothing typed asks nothing and says what to do.
    console.key(KeyCode::Char('i')).key(KeyCode::Enter);
    assert!(console.take_requests().is_empty());
    assert!(console.screen().contains("type a question first"));

    console.type_text("Which campaign sold most this week?").key(KeyCode::Enter);
    let call = console.asked(Tab::Leo);
    assert_eq!((call.method, call.path.as_str()), (Method::Post, "/ai/leo"));
    assert_eq!(call.body, CallBody::Json(json!({ "message": "Which campaign sold most this week?" })));
    assert!(console.screen().contains("Leo is looking at your figures"));

    let answer = "Christmas panettone: 3 conversions, 74.70 EUR this week (last week: 1, 24.90 EUR).";
    let value = json!({ "conversation_id": "leo-1", "answer": answer, "provider": "rules", "tools": [] });
    console.feed(Event::Answer(Answer::Called { call, value }));
    let screen = console.screen();
    assert!(screen.contains("Christmas panettone: 3 conversions"), "{screen}");
    assert_snapshot!("leo_answered", screen);

    // The follow-up continues the same conversation.
    console.type_text("and last week?").key(KeyCode::Enter);
    let call = console.asked(Tab::Leo);
    assert_eq!(call.body, CallBody::Json(json!({ "message": "and last week?", "conversation_id": "leo-1" })));

    // A refusal gives the question back, to retry or fix.
    let error = Failure::Refused("the message is too long".into());
    console.feed(Event::Answer(Answer::Failed { request: Request::Call(call.clone()), error }));
    let screen = console.screen();
    assert!(screen.contains("asking Leo: the message is too long"), "{screen}");
    assert!(screen.contains("you> and last week?"), "{screen}");
    console.key(KeyCode::Enter);
    assert_eq!(console.asked(Tab::Leo).body, call.body, "asked again as it was");

    // `n` starts over: the next question carries no conversation.
    console.feed(Event::Answer(Answer::Called {
        call,
        value: json!({ "conversation_id": "leo-1", "answer": "1 sale." }),
    }));
    console.key(KeyCode::Esc).key(KeyCode::Char('n'));
    assert!(!console.screen().contains("1 sale."));
    console.key(KeyCode::Char('i')).type_text("leads today?").key(KeyCode::Enter);
    assert_eq!(console.asked(Tab::Leo).body, CallBody::Json(json!({ "message": "leads today?" })));
}

#[test]
fn a_long_answer_wraps_and_scrolls() {
    let mut console = leo();
    console.key(KeyCode::Char('i')).type_text("who should I call back?").key(KeyCode::Enter);
    let call = console.asked(Tab::Leo);
    let answer: Vec<String> = (1..=30)
        .map(|n| format!("{n}. Customer {n}, lead score {}, asked about delivery", 100 - n))
        .collect();
    let value = json!({ "conversation_id": "leo-2", "answer": answer.join("\n") });
    console.feed(Event::Answer(Answer::Called { call, value }));
    // The input stays open for the next question; Esc leaves it to scroll.
    assert!(console.screen().contains("you> "));
    console.key(KeyCode::Esc);
    let bottom = console.screen();
    assert!(bottom.contains("30. Customer 30") && !bottom.contains("1. Customer 1,"), "{bottom}");
    for _ in 0..5 {
        console.key(KeyCode::PageUp);
    }
    let top = console.screen();
    assert!(top.contains("who should I call back?") && top.contains("1. Customer 1,"), "{top}");
    console.key(KeyCode::End);
    assert_eq!(console.screen(), bottom);
}
