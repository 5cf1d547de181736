//! Answering from the knowledge base: retrieve, check that the passage really is about
//! what the customer asked, and quote its relevant sentences (never a whole page).
//!
//! BM25 ranks but does not judge: a passage that shares one word of four with the
//! question still comes first when nothing better exists. A rule-based reply has no
//! model to notice that, so a passage is used only when it covers enough of the
//! message's content words; otherwise the responder says it does not know.

use crate::ai::KnowledgeBase;
use crate::ai::knowledge::Passage;

use super::text::{self, same_stem};

/// How many retrieved passages are checked for coverage, best first.
const CANDIDATES: usize = 6;

/// A quote longer than this is cut down to its best sentences.
const MAX_QUOTE_BYTES: usize = 420;

/// How sure retrieval must be before a passage is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// At least half of the message's content words (an open question: a passage about
    /// "Lisbon" does not answer "what's the weather in Lisbon today").
    Most,
    /// One content word of the message (the topic is known otherwise).
    Any,
}

/// What to look up.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// The customer's message (bounded).
    pub text: &'a str,
    /// Its words (plain form).
    pub words: &'a [String],
    /// Words of the topic added to the search, so that "do you deliver on Sundays?"
    /// finds the delivery passages before the opening hours ("delivery").
    pub hints: &'a str,
    /// A passage must contain one of these words to be quoted (empty: any passage).
    pub topic: &'a [&'a str],
    pub need: Need,
    /// How many passages to quote: logistics questions often need the general rule and
    /// the specific case ("within Lisbon" and "outside Lisbon"), and word counts
    /// cannot tell which of the two the customer is in.
    pub passages: usize,
    /// Passages of this source prefix are left out (`campaign:`: the responder has the
    /// chat's campaign itself, and must not quote another campaign).
    pub skip_prefix: Option<&'a str>,
}

/// The relevant sentences of the passages that best answer `query`, or `None`.
///
/// Passages are ranked by how many of the message's content words they contain, then
/// by BM25: the hints help find passages but must not choose between them.
pub fn answer(knowledge: &KnowledgeBase, query: &Query<'_>) -> Option<String> {
    let content = text::content_words(query.words);
    if content.is_empty() {
        return None;
    }
    let hints = text::words(query.hints);
    let search = format!("{} {}", query.text, query.hints);
    let mut ranked: Vec<(usize, usize, Passage)> = knowledge
        .search(&search, CANDIDATES)
        .into_iter()
        .filter(|p| query.skip_prefix.is_none_or(|prefix| !p.source.starts_with(prefix)))
        .enumerate()
        .filter_map(|(rank, passage)| {
            let mut words = text::words(passage.heading.as_deref().unwrap_or(""));
            words.extend(text::words(&passage.text));
            let on_topic =
                query.topic.is_empty() || query.topic.iter().any(|t| words.iter().any(|w| same_stem(t, w)));
            let covered = count_covered(content.iter().copied(), &words);
            let enough = match query.need {
                Need::Most => covered * 2 >= content.len(),
                Need::Any => true,
            };
            (on_topic && covered > 0 && enough).then_some((covered, rank, passage))
        })
        .collect();
    ranked.sort_by_key(|&(covered, rank, _)| (std::cmp::Reverse(covered), rank));
    let quotes: Vec<String> =
        ranked.iter().take(query.passages.max(1)).map(|(_, _, p)| quote(p, &content, &hints)).collect();
    (!quotes.is_empty()).then(|| quotes.join("\n\n"))
}

fn count_covered<'w>(wanted: impl Iterator<Item = &'w str>, words: &[String]) -> usize {
    wanted.filter(|w| words.iter().any(|p| same_stem(w, p))).count()
}

/// The passage as a reply: whole when short, else its sentences that share most words
/// with the question, in their order.
fn quote(passage: &Passage, content: &[&str], hints: &[String]) -> String {
    let body = passage.text.trim();
    if body.len() <= MAX_QUOTE_BYTES {
        // A bare list reads better under its heading ("Weekends: - 09:00 Slow Flow").
        return match passage.heading.as_deref().and_then(|h| h.rsplit(" > ").next()) {
            Some(heading) if body.starts_with("- ") => format!("{heading}:\n{body}"),
            _ => body.to_owned(),
        };
    }
    let sentences = sentences(body);
    let mut scored: Vec<(usize, usize)> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let words = text::words(s);
            let score = 2 * count_covered(content.iter().copied(), &words)
                + count_covered(hints.iter().map(String::as_str), &words);
            (i, score)
        })
        .filter(|&(_, score)| score > 0)
        .collect();
    scored.sort_by_key(|&(i, score)| (std::cmp::Reverse(score), i));
    let mut chosen: Vec<usize> = Vec::new();
    let mut length = 0;
    for (i, _) in scored {
        if length + sentences[i].len() > MAX_QUOTE_BYTES && !chosen.is_empty() {
            break;
        }
        length += sentences[i].len() + 1;
        chosen.push(i);
    }
    if chosen.is_empty() {
        // The heading matched, not a sentence: the passage opens on its subject.
        chosen = (0..sentences.len().min(2)).collect();
    }
    chosen.sort_unstable();
    let picked: Vec<&str> = chosen.into_iter().map(|i| sentences[i]).collect();
    text::truncate(&picked.join(" "), MAX_QUOTE_BYTES * 2).to_owned()
}

/// Sentences and list lines of a passage.
fn sentences(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for line in body.lines() {
        let mut start = 0;
        let bytes = line.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let ends = matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1).is_none_or(|next| *next == b' ');
            if ends {
                push_trimmed(&mut out, &line[start..=i]);
                start = i + 1;
            }
        }
        push_trimmed(&mut out, &line[start..]);
    }
    out
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, sentence: &'a str) {
    let sentence = sentence.trim();
    if !sentence.is_empty() {
        out.push(sentence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_at_ends_not_at_decimal_points() {
        assert_eq!(
            sentences("Delivery costs €4.50. Free over €60!\n- Pickup at 10:00\nReady?"),
            ["Delivery costs €4.50.", "Free over €60!", "- Pickup at 10:00", "Ready?"]
        );
    }

    #[test]
    fn long_passages_are_quoted_by_their_best_sentences() {
        let filler = "Our bakers start at four in the morning. ".repeat(12);
        let passage = Passage {
            source: "delivery.md".into(),
            heading: Some("Delivery".into()),
            text: format!("{filler}We deliver to Almada by courier in two days. {filler}"),
            score: 1.0,
        };
        let quoted = quote(&passage, &["almada"], &[]);
        assert_eq!(quoted, "We deliver to Almada by courier in two days.");
    }
}
