//! What the rule-based responder says for each kind of message, built only from the
//! campaign and the knowledge base. Where the facts are missing it says so and hands
//! the chat to a person, rather than guessing.

use crate::ai::KnowledgeBase;
use crate::ai::knowledge::price_text;
use crate::model::{BusinessInfo, Campaign, Money, QualificationQuestion};

use super::cues::Cue;
use super::lookup::{self, Need, Query};
use super::text::{self, Words, same_stem};

/// Features listed at most in one answer: a reply is read on a phone.
const MAX_FEATURES: usize = 5;

/// A delivery answer must come from a passage about delivery: "Sunday" in the
/// opening hours does not answer "do you deliver on Sundays?".
const SHIPPING_WORDS: &[&str] = &[
    "deliver",
    "delivery",
    "ship",
    "shipping",
    "courier",
    "postage",
    "pickup",
    "collect",
    "collection",
    "tracking",
    "dispatch",
    "parcel",
    "entrega",
    "envio",
    "frete",
];

/// Word beginnings of an objection to the price rather than to buying now.
const PRICE_WORDS: &[&str] = &[
    "expens", "pric", "cheap", "much", "discount", "coupon", "afford", "money", "caro", "barat", "descuent",
    "descont", "overpric", "lot",
];

/// Words of a question about the whole product rather than one of its features.
const OVERVIEW: &[&str] = &[
    "include",
    "included",
    "includes",
    "inclui",
    "incluye",
    "feature",
    "features",
    "details",
    "detail",
    "info",
    "information",
    "describe",
    "description",
    "specs",
    "caracteristicas",
];

/// The facts a reply may use.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub business: &'a BusinessInfo,
    pub campaign: Option<&'a Campaign>,
    pub knowledge: &'a KnowledgeBase,
}

/// One part of a reply, and whether it means the chat needs a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub text: String,
    pub handoff: bool,
}

impl Said {
    fn plain(text: impl Into<String>) -> Self {
        Self { text: text.into(), handoff: false }
    }

    fn handoff(text: impl Into<String>) -> Self {
        Self { text: text.into(), handoff: true }
    }
}

impl<'a> Facts<'a> {
    pub fn questions(&self) -> &'a [QualificationQuestion] {
        self.campaign.map_or(&[], |c| c.flow.qualification_questions.as_slice())
    }

    pub fn price(&self) -> Option<&'a Money> {
        self.campaign.and_then(|c| c.product.price.as_ref())
    }

    /// "the Celebration Cake Box", or "our products" without a campaign.
    fn product(&self) -> String {
        match self.campaign {
            Some(c) if !c.product.name.trim().is_empty() => format!("the {}", c.product.name.trim()),
            Some(c) => format!("the {}", c.name.trim()),
            None => "our products".to_owned(),
        }
    }

    fn business_name(&self) -> &'a str {
        let name = self.business.business_name.trim();
        if name.is_empty() { "the business" } else { name }
    }

    /// The campaign's own greeting, or a plain one.
    pub fn greeting(&self) -> String {
        match self.campaign.map(|c| c.flow.greeting.trim()).filter(|g| !g.is_empty()) {
            Some(greeting) => greeting.to_owned(),
            None if self.business.business_name.trim().is_empty() => {
                "Hi! How can I help you today?".to_owned()
            }
            None => format!("Hi! Welcome to {}. How can I help you today?", self.business_name()),
        }
    }

    pub fn greeting_again() -> Said {
        Said::plain("Hello again! 👋 How can I help?")
    }

    pub fn price_answer(&self) -> Said {
        match self.price() {
            Some(price) => Said::plain(format!("{} is {}.", capitalised(&self.product()), price_text(price))),
            None => Said::handoff(
                "I don't have the price at hand, so I've asked a person from the team to confirm it.",
            ),
        }
    }

    /// The features that share a word with the question, else the description and the
    /// first features; then a passage from the documents if one answers the question.
    pub fn product_answer(&self, message: &str, words: &Words) -> Said {
        let mut parts = Vec::new();
        let content = text::content_words(&words.plain);
        // "What's included?" asks for everything, not for the feature that says
        // "included".
        let overview = content.iter().any(|w| OVERVIEW.contains(w));
        if let Some(campaign) = self.campaign {
            let matching: Vec<&str> = campaign
                .product
                .features
                .iter()
                .map(|f| f.trim())
                .filter(|f| {
                    let feature = text::words(f);
                    content.iter().any(|c| feature.iter().any(|w| same_stem(c, w)))
                })
                .collect();
            if matching.is_empty() || overview {
                if !campaign.product.description.trim().is_empty() {
                    parts.push(sentence(campaign.product.description.trim()));
                }
                if let Some(list) = self.feature_list() {
                    parts.push(format!("Highlights: {list}"));
                }
            } else {
                parts.push(format!("{}: {}", capitalised(&self.product()), join_features(&matching)));
            }
        }
        // The documents add to a specific question; "what's included?" is the campaign's.
        if !overview {
            let need = if parts.is_empty() { Need::Any } else { Need::Most };
            parts.extend(self.lookup(&Query { need, ..self.query(message, words) }));
        }
        if parts.is_empty() {
            return Self::unknown_question();
        }
        Said::plain(parts.join("\n"))
    }

    /// Delivery, opening hours and stock, returns: from the documents, or honestly not.
    pub fn topic_answer(&self, topic: Cue, message: &str, words: &Words) -> Said {
        let found = match topic {
            Cue::Shipping => self.lookup(&Query {
                hints: "delivery shipping",
                topic: SHIPPING_WORDS,
                need: Need::Any,
                passages: 2,
                ..self.query(message, words)
            }),
            Cue::Availability => {
                self.lookup(&Query { hints: "open available", passages: 2, ..self.query(message, words) })
            }
            _ => self.lookup(&self.query(message, words)),
        };
        match (found, topic) {
            (Some(found), _) => Said::plain(found),
            (None, Cue::Shipping) => Said::handoff(
                "I don't have the delivery details for that here, so I've asked a person from the team to follow up.",
            ),
            (None, Cue::Availability) => Said::handoff(
                "I can't check that from here, so I've asked a person from the team to confirm it for you.",
            ),
            (None, _) => Self::unknown_question(),
        }
    }

    /// A query for the message: an open question, one passage, this campaign only.
    pub fn query<'q>(&self, message: &'q str, words: &'q Words) -> Query<'q> {
        Query {
            text: message,
            words: &words.plain,
            hints: "",
            topic: &[],
            need: Need::Most,
            passages: 1,
            skip_prefix: self.campaign.is_some().then_some("campaign:"),
        }
    }

    /// Whatever in the documents answers the query well, if anything does.
    pub fn lookup(&self, query: &Query<'_>) -> Option<String> {
        lookup::answer(self.knowledge, query)
    }

    /// "Too expensive" hears what the price buys; "maybe later" hears no pressure.
    pub fn objection_answer(&self, words: &Words) -> Said {
        let about_price = words.plain.iter().any(|w| PRICE_WORDS.iter().any(|p| w.starts_with(p)));
        let opening = if about_price { "I understand." } else { "No problem, take your time!" };
        let Some(list) = self.feature_list() else {
            return Said::plain(format!("{opening} If there's anything I can clarify, I'm happy to help."));
        };
        let value = match self.price() {
            Some(price) if about_price => {
                format!("For {}, {} comes with: {list}", price_text(price), self.product())
            }
            _ => format!("In case it helps, {} comes with: {list}", self.product()),
        };
        Said::plain(format!("{opening} {value}\nIf there's anything I can clarify, I'm happy to help."))
    }

    /// The campaign's closing message; without one, a person completes the order.
    pub fn closing(&self) -> Said {
        match self.campaign.map(|c| c.flow.closing_message.trim()).filter(|m| !m.is_empty()) {
            Some(message) => Said::plain(message),
            None => {
                Said::handoff("Great! A person from the team will follow up here to complete your order.")
            }
        }
    }

    /// After the last qualification answer: the price and the question to go ahead.
    pub fn offer(&self) -> String {
        match self.price() {
            Some(price) => format!(
                "Thank you! {} is {}. Would you like to go ahead?",
                capitalised(&self.product()),
                price_text(price)
            ),
            None => format!("Thank you! Would you like to go ahead with {}?", self.product()),
        }
    }

    pub fn person(&self) -> Said {
        Said::handoff(format!(
            "Of course! I've let the team know, and a person from {} will reply here as soon as they can.",
            self.business_name()
        ))
    }

    pub fn bot(&self) -> Said {
        Said::plain(format!(
            "I'm an automated assistant for {name}. I can answer questions about {} and {name}, and a \
             person from the team can take over whenever you like.",
            self.product(),
            name = self.business_name(),
        ))
    }

    pub fn thanks() -> Said {
        Said::plain("You're welcome! 😊 If anything else comes up, just write here.")
    }

    /// A question nothing in the facts answers: said plainly, and a person follows up.
    pub fn unknown_question() -> Said {
        Said::handoff("I'm not sure about that, so I've asked a person from the team to follow up here.")
    }

    /// A message that asks nothing we understood: no person needed, just a nudge.
    pub fn not_understood(&self, empty: bool) -> Said {
        if empty {
            return Said::plain("Sorry, I didn't catch that. Could you write it again?");
        }
        Said::plain(format!(
            "Sorry, I didn't quite get that. I can help with questions about {}: the price, what's included, and more.",
            self.product()
        ))
    }

    fn feature_list(&self) -> Option<String> {
        let features: Vec<&str> = self
            .campaign?
            .product
            .features
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
            .take(MAX_FEATURES)
            .collect();
        (!features.is_empty()).then(|| join_features(&features))
    }
}

fn join_features(features: &[&str]) -> String {
    let joined: Vec<&str> = features.iter().map(|f| f.trim_end_matches(['.', ';'])).collect();
    format!("{}.", joined.join("; "))
}

fn sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) { text.to_owned() } else { format!("{text}.") }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}
