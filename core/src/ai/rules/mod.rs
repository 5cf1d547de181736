//! The rule-based responder: deterministic, no network, a reply in tens of microseconds. It
//! runs when no model is configured and whenever the model provider fails.
//!
//! It reads what the message is about from weighted cue phrases (English, Portuguese,
//! Spanish; typos, case, accents and emojis forgiven), walks the campaign's chat flow,
//! and answers only from the campaign and the knowledge base. Every reply goes through
//! the price guard: an amount that is not the campaign's price never leaves.
//!
//! When it cannot help it says so. A question that nothing in the facts answers (or a
//! price, delivery or stock question without the facts) sets `handoff`, so a person
//! sees the chat; a message that asks nothing it understood ("lol") gets a nudge back
//! to the product and no handoff, so chit-chat does not take the owner's time.

mod answers;
mod cues;
mod flow;
mod lookup;
mod prices;
mod text;

use async_trait::async_trait;

use super::{AiError, Conversation, FlowStep, Intent, LeadSignal, QuickReply, Reply, Responder};
use answers::{Facts, Said};
use cues::{Cue, Cues};
use flow::Stage;
use text::Words;

pub use prices::{Amount, WITHHELD, amounts, minor_units, withhold_other_prices};

/// What the customer's message is taken to be about, before the flow is applied.
const TOPICS: [Cue; 10] = [
    Cue::WantsPerson,
    Cue::ReadyToBuy,
    Cue::Objection,
    Cue::Price,
    Cue::Shipping,
    Cue::Availability,
    Cue::Policy,
    Cue::Product,
    Cue::Thanks,
    Cue::Greeting,
];

/// Topics answered in the same reply when asked alongside the main one ("how much,
/// and do you ship to Lisbon?"), at most two.
const ALSO_ANSWERED: [Cue; 5] = [Cue::Price, Cue::Shipping, Cue::Availability, Cue::Policy, Cue::Product];

/// The deterministic responder (`rules`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleBased;

impl RuleBased {
    pub const NAME: &'static str = "rules";

    /// The reply, synchronously: the rules never wait, so the pipeline's fallback and
    /// the benchmark call this directly.
    pub fn answer(&self, conversation: &Conversation<'_>) -> Reply {
        let joined = conversation.incoming.join("\n");
        let message = text::truncate(joined.trim(), text::MAX_MESSAGE_BYTES);
        let facts = Facts {
            business: conversation.business,
            campaign: conversation.campaign,
            knowledge: conversation.knowledge,
        };
        let questions = facts.questions();
        let stage = Stage::of(conversation.step, questions, conversation.history);
        let (reading, primary) = read(&facts, message);
        let choice = decide(&facts, stage, &reading, primary);
        let next_step =
            if stage == Stage::Greeting { flow::after_greeting(questions) } else { conversation.step };
        let mut reply = Draft::new(choice.intent(), next_step);
        if stage == Stage::Greeting {
            reply.say(facts.greeting());
        }
        match choice {
            Choice::Answered { index } => {
                if let Some(next) = questions.get(index + 1) {
                    reply.say("Got it, thank you!");
                    reply.ask(index + 1, next);
                } else {
                    // The last answer: qualified. The offer, and a yes is a sale.
                    reply.say(facts.offer());
                    reply.quick_replies = flow::offer_replies();
                    reply.next_step = FlowStep::Closing;
                }
            }
            Choice::Topic(cue) => {
                answer_topic(&facts, &reading, cue, stage, &mut reply);
                if reading.cues.score(Cue::Bot) > 0 {
                    reply.add(facts.bot());
                }
            }
            Choice::Unknown => {
                if reading.cues.score(Cue::Bot) > 0 {
                    reply.add(facts.bot());
                } else if let Some(found) = facts.lookup(&facts.query(message, &reading.words)) {
                    reply.say(found);
                } else if reading.question {
                    reply.add(Facts::unknown_question());
                } else if stage != Stage::Greeting {
                    reply.add(facts.not_understood(reading.words.is_empty()));
                }
            }
        }

        // Keep the flow going: the current question again (or first), unless the
        // customer is leaving, buying, or waiting for a person.
        let keeps_flowing = !reply.handoff
            && !matches!(choice, Choice::Answered { .. } | Choice::Topic(Cue::ReadyToBuy | Cue::Thanks));
        if keeps_flowing {
            match stage {
                Stage::Greeting if !questions.is_empty() => reply.ask(0, &questions[0]),
                Stage::Asking { index, .. } => reply.ask(index, &questions[index]),
                _ => {}
            }
        }
        reply.signals = signals(&reading, reply.intent);
        reply.finish(&facts)
    }
}

#[async_trait]
impl Responder for RuleBased {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn reply(&self, conversation: &Conversation<'_>) -> Result<Reply, AiError> {
        Ok(self.answer(conversation))
    }
}

/// What the message says, and the topic it is mostly about (before the flow has its
/// say: see [`decide`]).
fn read<'m>(facts: &Facts<'_>, message: &'m str) -> (Reading<'m>, Option<Cue>) {
    let words = Words::of(message);
    let mut cues = cues::detect(&words);
    let question = text::is_question(message, &words.plain);
    // "Good morning! Do you make wedding cakes?" is a question, not a greeting.
    let asks_beyond_greeting = question && cues.unclaimed >= 2;
    let topics = if asks_beyond_greeting { &TOPICS[..TOPICS.len() - 1] } else { &TOPICS[..] };
    let mut primary = cues.strongest(2, topics);
    if primary == Some(Cue::Price) && cues.score(Cue::Shipping) >= 2 {
        // "How much is shipping?": the price asked is the delivery's.
        primary = Some(Cue::Shipping);
    }
    if primary.is_none() {
        // Words of the product itself ("how long is the pass valid?") make a product
        // question when nothing else is asked; beside another topic they are noise.
        add_product_words(facts, &words, &mut cues);
        primary = cues.strongest(2, topics);
    }
    let reading = Reading { message, question, contact: text::has_contact(message), words, cues };
    (reading, primary)
}

/// The message, read.
struct Reading<'m> {
    message: &'m str,
    words: Words,
    cues: Cues,
    question: bool,
    contact: bool,
}

/// What the reply is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// An answer to qualification question `index` (an option, or a free answer).
    Answered {
        index: usize,
    },
    Topic(Cue),
    Unknown,
}

impl Choice {
    fn intent(self) -> Intent {
        match self {
            Self::Answered { .. } => Intent::QualificationAnswer,
            Self::Unknown | Self::Topic(Cue::Policy | Cue::Bot) => Intent::OffTopic,
            Self::Topic(Cue::WantsPerson) => Intent::WantsPerson,
            Self::Topic(Cue::ReadyToBuy) => Intent::ReadyToBuy,
            Self::Topic(Cue::Objection) => Intent::Objection,
            Self::Topic(Cue::Price) => Intent::Price,
            Self::Topic(Cue::Shipping) => Intent::Shipping,
            Self::Topic(Cue::Availability) => Intent::Availability,
            Self::Topic(Cue::Product) => Intent::Product,
            Self::Topic(Cue::Thanks) => Intent::Thanks,
            Self::Topic(Cue::Greeting) => Intent::Greeting,
        }
    }
}

/// The flow decides what a message means as much as its words: "Delivery" answers
/// "Pickup or delivery?", and "yes" after the offer is a sale.
fn decide(facts: &Facts<'_>, stage: Stage, reading: &Reading<'_>, primary: Option<Cue>) -> Choice {
    if primary == Some(Cue::WantsPerson) {
        return Choice::Topic(Cue::WantsPerson);
    }
    match stage {
        Stage::Asking { index, asked: true } => {
            let question = &facts.questions()[index];
            let asks_something_else = primary.is_some_and(|c| c != Cue::Greeting) || reading.question;
            if flow::chosen_option(question, &reading.words).is_some()
                || (!asks_something_else && !reading.words.is_empty() && reading.cues.score(Cue::Bot) == 0)
            {
                return Choice::Answered { index };
            }
        }
        Stage::Closing | Stage::Done if primary.is_none_or(|c| c == Cue::Greeting) => {
            if reading.contact || (stage == Stage::Closing && reading.cues.yes && !reading.cues.no) {
                return Choice::Topic(Cue::ReadyToBuy);
            }
            if stage == Stage::Closing && reading.cues.no {
                return Choice::Topic(Cue::Objection);
            }
        }
        _ => {}
    }
    primary.map_or(Choice::Unknown, Choice::Topic)
}

/// Says the answer to `cue`, then to the other topics asked in the same message.
fn answer_topic(facts: &Facts<'_>, reading: &Reading<'_>, cue: Cue, stage: Stage, reply: &mut Draft) {
    let (message, words) = (reading.message, &reading.words);
    match cue {
        Cue::WantsPerson => {
            reply.add(facts.person());
            return;
        }
        Cue::ReadyToBuy => {
            reply.add(facts.closing());
            reply.next_step = FlowStep::Done;
        }
        // The first reply opens with the campaign's greeting already.
        Cue::Greeting if stage != Stage::Greeting => reply.add(Facts::greeting_again()),
        Cue::Greeting => {}
        Cue::Thanks => reply.add(Facts::thanks()),
        Cue::Objection => reply.add(facts.objection_answer(words)),
        other => reply.add(topic_answer(facts, other, message, words)),
    }
    let also = ALSO_ANSWERED.into_iter().filter(|&c| c != cue && reading.cues.score(c) >= 2).take(2);
    for other in also {
        let said = topic_answer(facts, other, message, words);
        // A side question we cannot answer is left for the main one's sake: no handoff.
        if !said.handoff {
            reply.say(said.text);
        }
    }
}

fn topic_answer(facts: &Facts<'_>, cue: Cue, message: &str, words: &Words) -> Said {
    match cue {
        Cue::Price => facts.price_answer(),
        Cue::Product => facts.product_answer(message, words),
        _ => facts.topic_answer(cue, message, words),
    }
}

/// Campaign words in the message make it a product question, at most weight 2.
fn add_product_words(facts: &Facts<'_>, words: &Words, cues: &mut Cues) {
    let Some(campaign) = facts.campaign else { return };
    let product = &campaign.product;
    let mut vocabulary = text::words(&product.name);
    vocabulary.extend(text::words(&product.description));
    for feature in &product.features {
        vocabulary.extend(text::words(feature));
    }
    let found = text::content_words(&words.plain)
        .into_iter()
        .filter(|w| vocabulary.iter().any(|v| text::same_stem(w, v)))
        .count();
    cues.add(Cue::Product, u8::try_from(found.min(2)).unwrap_or(2));
}

fn signals(reading: &Reading<'_>, intent: Intent) -> Vec<LeadSignal> {
    let cues = &reading.cues;
    let mut out = Vec::new();
    let mut mark = |on: bool, signal| {
        if on && !out.contains(&signal) {
            out.push(signal);
        }
    };
    mark(intent == Intent::Price || cues.score(Cue::Price) >= 2, LeadSignal::AskedPrice);
    mark(intent == Intent::Product, LeadSignal::AskedProduct);
    let logistics = cues.score(Cue::Shipping).max(cues.score(Cue::Availability)) >= 2;
    mark(
        matches!(intent, Intent::Shipping | Intent::Availability) || logistics,
        LeadSignal::AskedAvailabilityOrShipping,
    );
    mark(intent == Intent::QualificationAnswer, LeadSignal::AnsweredQualification);
    mark(reading.contact, LeadSignal::GaveContact);
    mark(intent == Intent::ReadyToBuy || cues.score(Cue::ReadyToBuy) >= 2, LeadSignal::BuyingWords);
    mark(intent == Intent::Objection, LeadSignal::Objection);
    mark(cues.negative, LeadSignal::NegativeWords);
    out
}

/// A reply being written.
#[derive(Debug)]
struct Draft {
    text: Vec<String>,
    quick_replies: Vec<QuickReply>,
    handoff: bool,
    intent: Intent,
    next_step: FlowStep,
    signals: Vec<LeadSignal>,
}

impl Draft {
    fn new(intent: Intent, next_step: FlowStep) -> Self {
        Self {
            text: Vec::new(),
            quick_replies: Vec::new(),
            handoff: false,
            intent,
            next_step,
            signals: Vec::new(),
        }
    }

    fn say(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !text.trim().is_empty() {
            self.text.push(text);
        }
    }

    fn add(&mut self, said: Said) {
        self.handoff |= said.handoff;
        self.say(said.text);
    }

    fn ask(&mut self, index: usize, question: &crate::model::QualificationQuestion) {
        let (text, replies) = flow::ask(index, question);
        self.say(text);
        self.quick_replies = replies;
        self.next_step = FlowStep::Qualification { index };
    }

    /// The reply, with every amount that is not the campaign's price withheld. A line
    /// already said is not said again (two answers may quote the same passage).
    fn finish(self, facts: &Facts<'_>) -> Reply {
        let mut seen: Vec<&str> = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        for part in &self.text {
            let lines: Vec<&str> = part
                .lines()
                .filter(|line| {
                    let line = line.trim();
                    line.is_empty()
                        || !seen.contains(&line) && {
                            seen.push(line);
                            true
                        }
                })
                .collect();
            let part = lines.join("\n");
            if !part.trim().is_empty() {
                parts.push(part.trim().to_owned());
            }
        }
        let text = if parts.is_empty() { facts.greeting() } else { parts.join("\n\n") };
        Reply {
            text: prices::withhold_other_prices(&text, facts.price()),
            quick_replies: self.quick_replies,
            intent: self.intent,
            handoff: self.handoff,
            signals: self.signals,
            next_step: self.next_step,
            provider: RuleBased::NAME.to_owned(),
        }
    }
}
