//! The one chat a question is about: its id, or the customer's name as typed ("the
//! chat with Maria", "what did João Silva say?", "Ana's lead score").

use crate::ai::leo::words::{any, number, phrase, prefix, words};
use crate::model::ChatId;

/// Words that say a question is about one chat.
const CHAT_WORDS: &[&str] = &[
    "chat",
    "chats",
    "conversation",
    "conversations",
    "talk",
    "talking",
    "talked",
    "spoke",
    "speaking",
    "say",
    "said",
    "wrote",
    "write",
    "wants",
    "want",
];

/// The chat a question is about (its id, or a customer's name), when it is about one.
pub(super) fn chat_wanted(question: &str, w: &[String]) -> Option<String> {
    if let Some(id) = question
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|token| token.len() == 36 && token.parse::<ChatId>().is_ok())
    {
        return Some(id.to_owned());
    }
    let summary =
        prefix(w, &["summar"]) || phrase(w, &["tell me about", "what about", "how about", "status of"]);
    if !(summary || any(w, CHAT_WORDS) || any(w, &["score", "status"])) {
        return None;
    }
    customer_name(question)
}

/// Words that end a name ("Maria" in "chat with Maria today, please").
const CUT: &[&str] = &[
    "today",
    "yesterday",
    "this",
    "last",
    "past",
    "in",
    "on",
    "please",
    "pls",
    "say",
    "said",
    "and",
    "chat",
    "chats",
    "conversation",
    "going",
    "doing",
    "lately",
    "so",
    "is",
    "was",
    "has",
    "have",
    "did",
    "about",
    "been",
    "now",
    "want",
    "wants",
    "wrote",
    "tell",
    "for",
];
/// Words dropped before a name.
const LEAD_IN: &[&str] = &[
    "the",
    "my",
    "a",
    "an",
    "our",
    "chat",
    "chats",
    "conversation",
    "conversations",
    "with",
    "to",
    "from",
    "about",
    "of",
    "for",
    "customer",
    "client",
    "lead",
    "buyer",
    "me",
    "us",
];
/// Words a name is never made of alone.
const NOT_NAMES: &[&str] = &[
    "week",
    "weeks",
    "month",
    "months",
    "day",
    "days",
    "year",
    "today",
    "yesterday",
    "campaign",
    "campaigns",
    "lead",
    "leads",
    "messages",
    "message",
    "revenue",
    "sales",
    "everything",
    "everyone",
    "all",
    "them",
    "it",
    "we",
    "you",
    "i",
    "get",
    "got",
    "score",
    "scores",
    "above",
    "below",
    "new",
    "latest",
    "recent",
    "last",
    "first",
    "that",
    "this",
    "those",
    "these",
    "what",
    "which",
    "who",
    "how",
    "my",
    "our",
    "their",
    "business",
    "numbers",
];
const CONTRACTIONS: &[&str] = &["whats", "thats", "its", "whos", "hows", "wheres", "theres", "heres", "lets"];

/// The customer's name in a question about one chat, as typed (case kept).
fn customer_name(question: &str) -> Option<String> {
    let tokens: Vec<&str> = question
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | '’' | '-'))))
        .filter(|t| !t.is_empty())
        .collect();
    let key = |token: &str| words(token).concat();
    let triggers = ["with", "to", "from", "about", "of", "summarize", "summarise", "summary", "did"];
    for start in (0..tokens.len()).filter(|&i| triggers.contains(&key(tokens[i]).as_str())) {
        if let Some(name) = name_from(&tokens[start + 1..], &key) {
            return Some(name);
        }
    }
    // "Maria's chat", "what is Ana's lead score".
    tokens.iter().find_map(|token| {
        let stem = token.strip_suffix("'s").or_else(|| token.strip_suffix("’s"))?;
        let capital = stem.chars().next().is_some_and(char::is_uppercase);
        (capital && !CONTRACTIONS.contains(&key(token).as_str())).then(|| stem.to_owned())
    })
}

fn name_from(tokens: &[&str], key: &impl Fn(&str) -> String) -> Option<String> {
    let begin = tokens.iter().position(|t| !LEAD_IN.contains(&key(t).as_str()))?;
    let mut name: Vec<&str> = Vec::new();
    for token in &tokens[begin..] {
        let k = key(token);
        if CUT.contains(&k.as_str()) || name.len() == 4 {
            break;
        }
        match token.strip_suffix("'s").or_else(|| token.strip_suffix("’s")) {
            Some(stem) => {
                name.push(stem);
                break;
            }
            None => name.push(token),
        }
    }
    let real = name.iter().any(|t| {
        let k = key(t);
        !k.is_empty() && !NOT_NAMES.contains(&k.as_str()) && number(&k).is_none()
    });
    (real && !name.is_empty()).then(|| name.join(" "))
}
