//! Lead scoring: how likely a customer is to buy, 0–100, from explainable signals.
//!
//! Every signal that moved a score is kept in [`LeadScore::reasons`] with the points it
//! was worth, in the order it happened, and the score is always the sum of those
//! points clamped to 0–100: what the owner reads is exactly what was counted.
//!
//! The rules, so that a chatty customer is not over-scored and a lead is not counted
//! twice:
//! - a buying signal counts once per kind (asking the price three times is one "asked
//!   the price"), except qualification answers, which count per answer up to
//!   [`Weights::max_qualification_answers`];
//! - a negative signal counts each time it happens;
//! - a chat is counted as a lead once, when it goes from `Active` to `Qualified`
//!   ([`LeadScorer::outcome`]); its status, not its score, remembers that it was.
//!
//! Everything here is pure: no clock, no store. The pipeline passes the time in.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::{ChatStatus, LeadReason, LeadScore, Timestamp};

/// Something a customer did that moves the lead score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    AskedPrice,
    AskedProduct,
    AskedAvailabilityOrShipping,
    /// Answered one of the campaign's qualification questions.
    AnsweredQualification,
    /// Left a phone number or an email address.
    GaveContact,
    /// "I'll take it", "how do I order".
    BuyingWords,
    /// Tapped a buy/yes quick reply or postback button.
    QuickReplyTowardBuying,
    /// "Too expensive", "not sure", "maybe later".
    Objection,
    NegativeWords,
    /// Stopped answering for longer than the business's quiet period.
    WentQuiet,
}

impl Signal {
    pub const ALL: [Self; 10] = [
        Self::AskedPrice,
        Self::AskedProduct,
        Self::AskedAvailabilityOrShipping,
        Self::AnsweredQualification,
        Self::GaveContact,
        Self::BuyingWords,
        Self::QuickReplyTowardBuying,
        Self::Objection,
        Self::NegativeWords,
        Self::WentQuiet,
    ];

    /// The stored name ([`LeadReason::signal`]), snake case like its serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AskedPrice => "asked_price",
            Self::AskedProduct => "asked_product",
            Self::AskedAvailabilityOrShipping => "asked_availability_or_shipping",
            Self::AnsweredQualification => "answered_qualification",
            Self::GaveContact => "gave_contact",
            Self::BuyingWords => "buying_words",
            Self::QuickReplyTowardBuying => "quick_reply_toward_buying",
            Self::Objection => "objection",
            Self::NegativeWords => "negative_words",
            Self::WentQuiet => "went_quiet",
        }
    }

    /// What the console shows beside the points: "asked the price (+15)".
    pub fn label(self) -> &'static str {
        match self {
            Self::AskedPrice => "asked the price",
            Self::AskedProduct => "asked about the product",
            Self::AskedAvailabilityOrShipping => "asked about availability or shipping",
            Self::AnsweredQualification => "answered a qualification question",
            Self::GaveContact => "shared contact details",
            Self::BuyingWords => "said they want to buy",
            Self::QuickReplyTowardBuying => "tapped a buy option",
            Self::Objection => "raised an objection",
            Self::NegativeWords => "was negative",
            Self::WentQuiet => "went quiet",
        }
    }

    /// The signal a stored reason names; `None` for a name this version does not know.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Toward buying. Positive signals only ever add points, negative ones only ever
    /// take them away, whatever the weights say (see [`Weights::points`]).
    pub fn is_positive(self) -> bool {
        !matches!(self, Self::Objection | Self::NegativeWords | Self::WentQuiet)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "ai")]
impl From<crate::ai::LeadSignal> for Signal {
    fn from(signal: crate::ai::LeadSignal) -> Self {
        use crate::ai::LeadSignal;
        match signal {
            LeadSignal::AskedPrice => Self::AskedPrice,
            LeadSignal::AskedProduct => Self::AskedProduct,
            LeadSignal::AskedAvailabilityOrShipping => Self::AskedAvailabilityOrShipping,
            LeadSignal::AnsweredQualification => Self::AnsweredQualification,
            LeadSignal::GaveContact => Self::GaveContact,
            LeadSignal::BuyingWords => Self::BuyingWords,
            LeadSignal::Objection => Self::Objection,
            LeadSignal::NegativeWords => Self::NegativeWords,
        }
    }
}

/// The points each signal is worth.
///
/// The defaults put a customer who asks the price, answers the three qualification
/// questions and leaves a phone number at 70 (qualified at the default 60), while
/// one who only browses (product, price, shipping) stays at 35.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// +15: the price is the first question of someone considering it.
    pub asked_price: i32,
    /// +10: interest, but also what every browser asks.
    pub asked_product: i32,
    /// +10: "do you have it in blue", "do you ship to…": picturing the purchase.
    pub asked_availability_or_shipping: i32,
    /// +10 per answer, up to `max_qualification_answers` answers.
    pub answered_qualification: i32,
    /// 3: the flows ask a few questions; more answers say no more than three do.
    pub max_qualification_answers: u8,
    /// +25: nobody leaves a phone number to a shop they will not buy from.
    pub gave_contact: i32,
    /// +25: "I'll take it".
    pub buying_words: i32,
    /// +20: a tap on "Buy now"/"Yes"; a little less than typing it, taps are cheap.
    pub quick_reply_toward_buying: i32,
    /// −10 each time: an objection is a question to answer, not a no.
    pub objection: i32,
    /// −20 each time: "not interested", "stop".
    pub negative_words: i32,
    /// −15 each silence longer than the quiet period.
    pub went_quiet: i32,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            asked_price: 15,
            asked_product: 10,
            asked_availability_or_shipping: 10,
            answered_qualification: 10,
            max_qualification_answers: 3,
            gave_contact: 25,
            buying_words: 25,
            quick_reply_toward_buying: 20,
            objection: -10,
            negative_words: -20,
            went_quiet: -15,
        }
    }
}

impl Weights {
    /// The points one occurrence of `signal` is worth. The sign belongs to the signal,
    /// not to the setting: a positive signal's weight counts as at least 0 and a
    /// negative one's as at most 0 (`objection = 10` in a config file counts as 0;
    /// write it negative). So "a buying signal never lowers the score" holds for any
    /// configuration.
    pub fn points(&self, signal: Signal) -> i32 {
        let weight = match signal {
            Signal::AskedPrice => self.asked_price,
            Signal::AskedProduct => self.asked_product,
            Signal::AskedAvailabilityOrShipping => self.asked_availability_or_shipping,
            Signal::AnsweredQualification => self.answered_qualification,
            Signal::GaveContact => self.gave_contact,
            Signal::BuyingWords => self.buying_words,
            Signal::QuickReplyTowardBuying => self.quick_reply_toward_buying,
            Signal::Objection => self.objection,
            Signal::NegativeWords => self.negative_words,
            Signal::WentQuiet => self.went_quiet,
        };
        if signal.is_positive() { weight.max(0) } else { weight.min(0) }
    }
}

/// Scores chats and says when one becomes a lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeadScorer {
    pub weights: Weights,
    /// An `Active` chat whose score reaches this becomes `Qualified` and counts as one
    /// lead. 0 would qualify every chat on its first scored message; above 100, none.
    pub qualify_at: u8,
}

impl Default for LeadScorer {
    fn default() -> Self {
        Self { weights: Weights::default(), qualify_at: Self::DEFAULT_QUALIFY_AT }
    }
}

/// What a score change means for the chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Outcome {
    /// The chat just became a lead: set its status to `Qualified` (in the same update
    /// as the score) and count one lead. True only for an `Active` chat, so a chat that
    /// falls below the threshold and climbs back, or is already qualified, converted or
    /// closed, never counts twice.
    pub qualified_now: bool,
    /// `after − before`, for the live event and the log.
    pub change: i32,
}

impl LeadScorer {
    pub const DEFAULT_QUALIFY_AT: u8 = 60;

    /// How many occurrences of one negative signal are kept as separate reasons; later
    /// ones add their points to the last of them, so a long, unhappy chat does not grow
    /// its reasons without end (the score stays the exact sum).
    pub const MAX_REASONS_PER_NEGATIVE_SIGNAL: usize = 10;

    /// `current` with `signals` added, in order, and the score recomputed from the
    /// reasons. A positive signal already among the reasons (or a qualification answer
    /// past the cap) adds nothing, not even a reason; a signal worth 0 points under
    /// the weights adds no reason either.
    pub fn apply(&self, current: &LeadScore, signals: &[Signal]) -> LeadScore {
        let mut reasons = current.reasons.clone();
        for &signal in signals {
            self.add(&mut reasons, signal);
        }
        LeadScore { score: Self::score_of(&reasons), reasons }
    }

    fn add(&self, reasons: &mut Vec<LeadReason>, signal: Signal) {
        let points = self.weights.points(signal);
        if points == 0 {
            return;
        }
        let name = signal.as_str();
        let seen = reasons.iter().filter(|r| r.signal == name).count();
        if signal.is_positive() {
            let cap = match signal {
                Signal::AnsweredQualification => usize::from(self.weights.max_qualification_answers),
                _ => 1,
            };
            if seen >= cap {
                return;
            }
        } else if seen >= Self::MAX_REASONS_PER_NEGATIVE_SIGNAL
            && let Some(last) = reasons.iter_mut().rev().find(|r| r.signal == name)
        {
            last.points = last.points.saturating_add(points);
            return;
        }
        reasons.push(LeadReason { signal: name.to_owned(), points });
    }

    /// The score the reasons add up to: their points summed, clamped to 0–100.
    pub fn score_of(reasons: &[LeadReason]) -> u8 {
        let sum: i64 = reasons.iter().map(|r| i64::from(r.points)).sum();
        u8::try_from(sum.clamp(0, i64::from(LeadScore::MAX))).unwrap_or(LeadScore::MAX)
    }

    /// The score after a silence: `WentQuiet` applied when the customer's last message
    /// is at least `quiet_after` old, `None` when it is not, or when this silence was
    /// already counted, or when the score is already 0 (a customer who said hello and
    /// left has no interest to cool down, and should not come back points behind).
    ///
    /// A silence counts once: if the last reason is already `went_quiet`, nothing the
    /// customer said since moved the score, so it is the same silence. (A customer who
    /// comes back with only small talk and goes quiet again is not marked down twice;
    /// erring that way keeps a sweeper that runs every minute harmless.)
    /// Call it for `Active` and `Qualified` chats; a converted or closed chat is done.
    pub fn went_quiet(
        &self,
        current: &LeadScore,
        last_customer_message_at: Timestamp,
        now: Timestamp,
        quiet_after: Duration,
    ) -> Option<LeadScore> {
        if current.score == 0 || now.since(last_customer_message_at) < quiet_after {
            return None;
        }
        let already = current.reasons.last().is_some_and(|r| r.signal == Signal::WentQuiet.as_str());
        let after = self.apply(current, &[Signal::WentQuiet]);
        (!already && after != *current).then_some(after)
    }

    /// What going from `before` to `after` means for a chat whose status is `status`
    /// (its status before this change).
    ///
    /// The status decides, not the crossing: an `Active` chat at or above `qualify_at`
    /// is qualified now, even if `before` was already above (the update that should have
    /// set `Qualified` was lost), and a chat in any other status never is.
    pub fn outcome(&self, before: &LeadScore, after: &LeadScore, status: ChatStatus) -> Outcome {
        Outcome {
            qualified_now: status == ChatStatus::Active && after.score >= self.qualify_at,
            change: i32::from(after.score) - i32::from(before.score),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for signal in Signal::ALL {
            assert_eq!(Signal::parse(signal.as_str()), Some(signal));
            let json = serde_json::to_string(&signal).expect("serializes");
            assert_eq!(json, format!("\"{}\"", signal.as_str()));
        }
        assert_eq!(Signal::parse("asked_the_moon"), None);
    }

    #[test]
    fn default_weights_have_the_documented_signs() {
        let weights = Weights::default();
        for signal in Signal::ALL {
            let points = weights.points(signal);
            assert_eq!(points > 0, signal.is_positive(), "{signal}");
            assert_ne!(points, 0, "{signal}");
        }
    }

    #[test]
    fn a_misconfigured_sign_counts_as_nothing() {
        let weights = Weights { asked_price: -5, objection: 10, ..Weights::default() };
        assert_eq!(weights.points(Signal::AskedPrice), 0);
        assert_eq!(weights.points(Signal::Objection), 0);
    }

    #[test]
    fn weights_load_from_a_partial_config() {
        let scorer: LeadScorer =
            toml::from_str("qualify_at = 70\n[weights]\nasked_price = 20\n").expect("parses");
        assert_eq!(scorer.qualify_at, 70);
        assert_eq!(scorer.weights.asked_price, 20);
        assert_eq!(scorer.weights.gave_contact, 25);
        assert!(toml::from_str::<LeadScorer>("qualify_at_ = 70").is_err());
    }

    #[cfg(feature = "ai")]
    #[test]
    fn every_ai_signal_has_the_same_name() {
        use crate::ai::LeadSignal;
        for ai in [
            LeadSignal::AskedPrice,
            LeadSignal::AskedProduct,
            LeadSignal::AskedAvailabilityOrShipping,
            LeadSignal::AnsweredQualification,
            LeadSignal::GaveContact,
            LeadSignal::BuyingWords,
            LeadSignal::Objection,
            LeadSignal::NegativeWords,
        ] {
            let name = serde_json::to_value(ai).expect("serializes");
            assert_eq!(name.as_str(), Some(Signal::from(ai).as_str()));
        }
    }

    #[test]
    fn a_long_unhappy_chat_keeps_a_bounded_list_and_the_exact_sum() {
        let scorer = LeadScorer::default();
        let mut score = scorer.apply(&LeadScore::default(), &[Signal::GaveContact, Signal::BuyingWords]);
        for _ in 0..25 {
            score = scorer.apply(&score, &[Signal::Objection]);
        }
        let objections: Vec<i32> =
            score.reasons.iter().filter(|r| r.signal == "objection").map(|r| r.points).collect();
        assert_eq!(objections.len(), LeadScorer::MAX_REASONS_PER_NEGATIVE_SIGNAL);
        assert_eq!(objections.iter().sum::<i32>(), -250);
        assert_eq!(objections.last(), Some(&-160));
        assert_eq!(score.score, 0);
    }
}
