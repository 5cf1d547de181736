//! Where the chat flow stands and what comes next: the greeting, the qualification
//! questions in order (their options as quick replies), the offer, the closing.
//!
//! `FlowStep::Qualification { index }` is read as "question `index` is the current
//! one". Whether it has been asked already is read from the history (the last message
//! we sent contains it), so a chat handed over from another responder, or from the
//! owner, carries on correctly whichever way that responder read the step.

use crate::ai::{FlowStep, QuickReply, Turn};
use crate::model::{QualificationQuestion, Sender};

use super::text::{self, Words, similar};

/// The flow as the rules act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Nothing said yet.
    Greeting,
    /// Question `index` is current; `asked`: the customer has it in front of them.
    Asking {
        index: usize,
        asked: bool,
    },
    /// The offer was made: a yes is a sale.
    Closing,
    Done,
}

impl Stage {
    pub fn of(step: FlowStep, questions: &[QualificationQuestion], history: &[Turn]) -> Self {
        match step {
            FlowStep::Greeting => Self::Greeting,
            // The campaign lost questions since: the flow is past them.
            FlowStep::Qualification { index } if index >= questions.len() => Self::Closing,
            FlowStep::Qualification { index } => {
                Self::Asking { index, asked: was_asked(&questions[index].question, history) }
            }
            FlowStep::Closing => Self::Closing,
            FlowStep::Done => Self::Done,
        }
    }
}

/// Whether our last message asked `question`. With no message of ours in the history
/// (a preview, a trimmed history), the step given is trusted.
fn was_asked(question: &str, history: &[Turn]) -> bool {
    let Some(last) = history.iter().rev().find(|t| t.from != Sender::Customer) else {
        return true;
    };
    let question = text::words(question).join(" ");
    !question.is_empty() && text::words(&last.text).join(" ").contains(&question)
}

/// The step after the greeting: the first question, or the offer when there is none.
pub fn after_greeting(questions: &[QualificationQuestion]) -> FlowStep {
    if questions.is_empty() { FlowStep::Closing } else { FlowStep::Qualification { index: 0 } }
}

/// The option of `question` the message picks: every word of the option is in the
/// message ("evenings after work" → "Evenings"), or every content word of the message
/// is in the option ("sage" → "Sage green"). Typos are forgiven as elsewhere. `None`
/// when no option or two equally fit ("week" for "This week" and "Next week").
pub fn chosen_option(question: &QualificationQuestion, words: &Words) -> Option<usize> {
    let content: Vec<String> = text::content_words(&words.plain).iter().map(|w| text::squash(w)).collect();
    let mut best: Option<(usize, usize)> = None;
    let mut tie = false;
    for (i, option) in question.options.iter().enumerate() {
        let option: Vec<String> = text::words(option).iter().map(|w| text::squash(w)).collect();
        if option.is_empty() {
            continue;
        }
        let all_of_option = option.iter().all(|o| words.squashed.iter().any(|w| similar(w, o)));
        let all_of_message =
            !content.is_empty() && content.iter().all(|c| option.iter().any(|o| similar(c, o)));
        if !(all_of_option || all_of_message) {
            continue;
        }
        let score = option.len() + usize::from(all_of_option);
        match best {
            Some((_, top)) if score < top => {}
            Some((_, top)) if score == top => tie = true,
            _ => {
                best = Some((i, score));
                tie = false;
            }
        }
    }
    if tie { None } else { best.map(|(i, _)| i) }
}

/// Question `index` with its options as quick replies (Messenger's limits kept).
pub fn ask(index: usize, question: &QualificationQuestion) -> (String, Vec<QuickReply>) {
    let replies = question
        .options
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.trim().is_empty())
        .take(QuickReply::MAX_COUNT)
        .map(|(j, option)| QuickReply { title: title(option), payload: format!("qualification:{index}:{j}") })
        .collect();
    (question.question.trim().to_owned(), replies)
}

/// The answers offered with the offer to go ahead.
pub fn offer_replies() -> Vec<QuickReply> {
    vec![
        QuickReply { title: "Yes, let's do it".into(), payload: "closing:yes".into() },
        QuickReply { title: "Not yet".into(), payload: "closing:not_yet".into() },
    ]
}

fn title(option: &str) -> String {
    let option = option.trim();
    if option.chars().count() <= QuickReply::MAX_TITLE_CHARS {
        return option.to_owned();
    }
    let mut cut: String = option.chars().take(QuickReply::MAX_TITLE_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(options: &[&str]) -> QualificationQuestion {
        QualificationQuestion {
            question: "When?".into(),
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    #[test]
    fn options_are_chosen_by_their_words_with_typos() {
        let q = question(&["This week", "Next week", "Later"]);
        assert_eq!(chosen_option(&q, &Words::of("next week please")), Some(1));
        assert_eq!(chosen_option(&q, &Words::of("week")), None, "two options fit");
        assert_eq!(chosen_option(&q, &Words::of("LATER 🙂")), Some(2));
        let colors = question(&["Black", "Sage green"]);
        assert_eq!(chosen_option(&colors, &Words::of("sage grean")), Some(1));
        assert_eq!(chosen_option(&colors, &Words::of("sage")), Some(1));
        assert_eq!(chosen_option(&colors, &Words::of("red")), None);
    }

    #[test]
    fn quick_reply_titles_are_cut_to_the_limit() {
        let q = question(&["An option far longer than twenty characters", ""]);
        let (_, replies) = ask(2, &q);
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].title.chars().count(), QuickReply::MAX_TITLE_CHARS);
        assert_eq!(replies[0].payload, "qualification:2:0");
    }

    #[test]
    fn a_question_counts_as_asked_when_our_last_message_has_it() {
        let questions = [question(&[])];
        let step = FlowStep::Qualification { index: 0 };
        let turn = |from, text: &str| Turn { from, text: text.into() };
        let asked = [turn(Sender::Ai, "Hi! WHEN?"), turn(Sender::Customer, "hello")];
        assert_eq!(Stage::of(step, &questions, &asked), Stage::Asking { index: 0, asked: true });
        let not_asked = [turn(Sender::Ai, "Hi!")];
        assert_eq!(Stage::of(step, &questions, &not_asked), Stage::Asking { index: 0, asked: false });
        assert_eq!(Stage::of(FlowStep::Qualification { index: 5 }, &questions, &[]), Stage::Closing);
    }
}
