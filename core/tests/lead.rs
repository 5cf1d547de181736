//! Lead scoring: its properties for any conversation, and example conversations with
//! the scores an owner would expect.

use std::time::Duration;

use closer_core::lead::{LeadScorer, Signal, Weights};
use closer_core::model::{ChatStatus, LeadScore, Timestamp};
use proptest::prelude::*;

use Signal::{
    AnsweredQualification, AskedAvailabilityOrShipping, AskedPrice, AskedProduct, BuyingWords, GaveContact,
    NegativeWords, Objection, QuickReplyTowardBuying, WentQuiet,
};

fn score(signals: &[Signal]) -> LeadScore {
    LeadScorer::default().apply(&LeadScore::default(), signals)
}

fn any_signal() -> impl Strategy<Value = Signal> {
    prop::sample::select(Signal::ALL.to_vec())
}

fn positive() -> impl Strategy<Value = Signal> {
    prop::sample::select(Signal::ALL.into_iter().filter(|s| s.is_positive()).collect::<Vec<_>>())
}

fn negative() -> impl Strategy<Value = Signal> {
    prop::sample::select(Signal::ALL.into_iter().filter(|s| !s.is_positive()).collect::<Vec<_>>())
}

fn signals() -> impl Strategy<Value = Vec<Signal>> {
    prop::collection::vec(any_signal(), 0..40)
}

/// Any weights, including silly ones (wrong signs, huge values): the properties must
/// hold for whatever an owner writes in the config file.
fn scorer() -> impl Strategy<Value = LeadScorer> {
    let w = || -200i32..200;
    (
        (w(), w(), w(), w(), 0u8..6, w()),
        (w(), w(), w(), w(), w()),
        (prop_oneof![Just(i32::MAX), Just(i32::MIN), w()], 0u8..=110),
    )
        .prop_map(
            |((price, product, ship, answer, cap, contact), (buy, tap, obj, neg, quiet), (extreme, at))| {
                LeadScorer {
                    weights: Weights {
                        asked_price: price,
                        asked_product: product,
                        asked_availability_or_shipping: ship,
                        answered_qualification: answer,
                        max_qualification_answers: cap,
                        gave_contact: contact,
                        buying_words: buy,
                        quick_reply_toward_buying: tap,
                        objection: obj,
                        negative_words: neg,
                        went_quiet: if quiet == 0 { extreme } else { quiet },
                    },
                    qualify_at: at,
                }
            },
        )
}

proptest! {
    #[test]
    fn the_score_is_the_clamped_sum_of_the_reasons(scorer in scorer(), signals in signals()) {
        let lead = scorer.apply(&LeadScore::default(), &signals);
        let sum: i64 = lead.reasons.iter().map(|r| i64::from(r.points)).sum();
        prop_assert!(lead.score <= 100);
        prop_assert_eq!(i64::from(lead.score), sum.clamp(0, 100));
        prop_assert!(lead.validate().is_ok());
    }

    #[test]
    fn one_at_a_time_equals_all_at_once(scorer in scorer(), signals in signals()) {
        let stepwise = signals.iter().fold(LeadScore::default(), |lead, s| scorer.apply(&lead, &[*s]));
        prop_assert_eq!(stepwise, scorer.apply(&LeadScore::default(), &signals));
    }

    #[test]
    fn a_buying_signal_never_lowers_the_score(
        scorer in scorer(), signals in signals(), extra in positive(), at in any::<prop::sample::Index>(),
    ) {
        let mut more = signals.clone();
        more.insert(at.index(signals.len() + 1), extra);
        let (before, after) = (scorer.apply(&LeadScore::default(), &signals), scorer.apply(&LeadScore::default(), &more));
        prop_assert!(after.score >= before.score, "{:?} → {:?}", before, after);
    }

    #[test]
    fn a_negative_signal_never_raises_the_score(
        scorer in scorer(), signals in signals(), extra in negative(), at in any::<prop::sample::Index>(),
    ) {
        let mut more = signals.clone();
        more.insert(at.index(signals.len() + 1), extra);
        let (before, after) = (scorer.apply(&LeadScore::default(), &signals), scorer.apply(&LeadScore::default(), &more));
        prop_assert!(after.score <= before.score, "{:?} → {:?}", before, after);
    }

    #[test]
    fn a_repeated_buying_signal_counts_once(scorer in scorer(), signals in signals(), again in positive()) {
        prop_assume!(again != AnsweredQualification);
        let once = scorer.apply(&scorer.apply(&LeadScore::default(), &signals), &[again]);
        prop_assert_eq!(&scorer.apply(&once, &[again]), &once);
        prop_assert_eq!(&scorer.apply(&once, &[again, again, again]), &once);
    }

    #[test]
    fn qualification_answers_count_up_to_the_cap(scorer in scorer(), answers in 0usize..10) {
        let lead = scorer.apply(&LeadScore::default(), &vec![AnsweredQualification; answers]);
        let counted = answers.min(usize::from(scorer.weights.max_qualification_answers));
        let points = scorer.weights.answered_qualification.max(0);
        let expected = if points == 0 { 0 } else { counted };
        prop_assert_eq!(lead.reasons.len(), expected);
    }

    /// The pipeline as it will run: after each message, apply, ask for the outcome, and
    /// on `qualified_now` set the status and count a lead. However the score moves, at
    /// most one lead is counted, and one is exactly when the score reached the bar.
    #[test]
    fn a_lead_is_counted_once(scorer in scorer(), messages in prop::collection::vec(signals(), 0..12)) {
        let (mut lead, mut status, mut counted, mut reached) = (LeadScore::default(), ChatStatus::Active, 0, false);
        for signals in &messages {
            let after = scorer.apply(&lead, signals);
            reached |= after.score >= scorer.qualify_at;
            if scorer.outcome(&lead, &after, status).qualified_now {
                status = ChatStatus::Qualified;
                counted += 1;
            }
            lead = after;
        }
        prop_assert!(counted <= 1);
        prop_assert_eq!(counted == 1, reached);
    }
}

/// Example conversations and what the owner should see.
#[test]
fn example_conversations() {
    struct Case {
        name: &'static str,
        signals: Vec<Signal>,
        range: std::ops::RangeInclusive<u8>,
        qualified: bool,
    }
    let cases = [
        Case { name: "says hi and nothing else", signals: vec![], range: 0..=0, qualified: false },
        Case {
            name: "browsing: product, price, shipping, asked again and again",
            signals: vec![
                AskedProduct,
                AskedPrice,
                AskedAvailabilityOrShipping,
                AskedPrice,
                AskedProduct,
                AskedPrice,
            ],
            range: 30..=40,
            qualified: false,
        },
        Case {
            name: "hot: price, three answers, phone number",
            signals: vec![
                AskedPrice,
                AnsweredQualification,
                AnsweredQualification,
                AnsweredQualification,
                GaveContact,
            ],
            range: 65..=75,
            qualified: true,
        },
        Case {
            name: "ready to buy: taps Buy now and says so",
            signals: vec![AskedProduct, AskedPrice, QuickReplyTowardBuying, BuyingWords],
            range: 65..=75,
            qualified: true,
        },
        Case {
            name: "everything, and then some",
            signals: vec![
                AskedProduct,
                AskedPrice,
                AskedAvailabilityOrShipping,
                AnsweredQualification,
                AnsweredQualification,
                AnsweredQualification,
                AnsweredQualification,
                AnsweredQualification,
                GaveContact,
                BuyingWords,
                QuickReplyTowardBuying,
            ],
            range: 100..=100,
            qualified: true,
        },
        Case {
            name: "objection-heavy: interested, but too expensive, not sure, maybe later",
            signals: vec![AskedPrice, AskedProduct, Objection, Objection, AnsweredQualification, Objection],
            range: 0..=10,
            qualified: false,
        },
        Case {
            name: "hostile",
            signals: vec![AskedPrice, NegativeWords, NegativeWords],
            range: 0..=0,
            qualified: false,
        },
        Case {
            name: "warm, then went quiet",
            signals: vec![AskedPrice, AskedAvailabilityOrShipping, AnsweredQualification, WentQuiet],
            range: 15..=25,
            qualified: false,
        },
    ];
    let scorer = LeadScorer::default();
    for case in cases {
        let lead = score(&case.signals);
        assert!(case.range.contains(&lead.score), "{}: {} not in {:?}", case.name, lead.score, case.range);
        let outcome = scorer.outcome(&LeadScore::default(), &lead, ChatStatus::Active);
        assert_eq!(outcome.qualified_now, case.qualified, "{}: {lead:?}", case.name);
    }
}

#[test]
fn reasons_keep_the_order_and_points_the_owner_reads() {
    let lead = score(&[AskedProduct, AskedPrice, AskedPrice, Objection, GaveContact, Objection]);
    let reasons: Vec<(&str, i32)> = lead.reasons.iter().map(|r| (r.signal.as_str(), r.points)).collect();
    assert_eq!(
        reasons,
        [
            ("asked_product", 10),
            ("asked_price", 15),
            ("objection", -10),
            ("gave_contact", 25),
            ("objection", -10)
        ]
    );
    assert_eq!(lead.score, 30);
    let labels: Vec<&str> =
        lead.reasons.iter().filter_map(|r| Signal::parse(&r.signal)).map(Signal::label).collect();
    assert_eq!(labels[1], "asked the price");
}

#[test]
fn a_stored_score_is_recomputed_from_its_reasons() {
    let stale = LeadScore { score: 90, reasons: score(&[AskedPrice]).reasons };
    assert_eq!(LeadScorer::default().apply(&stale, &[]).score, 15);
}

#[test]
fn a_silence_counts_once() {
    let scorer = LeadScorer::default();
    let day = Duration::from_hours(24);
    let last = Timestamp::from_millis(1_767_225_600_000).expect("in range");
    let warm = score(&[AskedPrice, AskedProduct]);

    assert_eq!(scorer.went_quiet(&warm, last, last + day - Duration::from_millis(1), day), None, "not yet");
    assert_eq!(scorer.went_quiet(&LeadScore::default(), last, last + day, day), None, "nothing to cool");
    let quiet = scorer.went_quiet(&warm, last, last + day, day).expect("quiet for a day");
    assert_eq!(quiet.score, 10);
    assert_eq!(quiet.reasons.last().map(|r| (r.signal.as_str(), r.points)), Some(("went_quiet", -15)));
    assert_eq!(scorer.went_quiet(&quiet, last, last + day * 3, day), None, "the same silence, swept again");

    // Back with a new signal, then quiet again: a second silence.
    let back = scorer.apply(&quiet, &[GaveContact]);
    let again = scorer.went_quiet(&back, last + day * 4, last + day * 6, day).expect("quiet again");
    assert_eq!(again.score, 20);
}

#[test]
fn only_an_active_chat_becomes_a_lead() {
    let scorer = LeadScorer::default();
    let (cold, hot) = (score(&[AskedPrice]), score(&[AskedPrice, GaveContact, BuyingWords]));
    assert_eq!(hot.score, 65);
    let outcome = scorer.outcome(&cold, &hot, ChatStatus::Active);
    assert!(outcome.qualified_now);
    assert_eq!(outcome.change, 50);
    for status in [ChatStatus::Qualified, ChatStatus::Converted, ChatStatus::Closed] {
        assert!(!scorer.outcome(&cold, &hot, status).qualified_now, "{status:?}");
    }
    assert!(!scorer.outcome(&LeadScore::default(), &cold, ChatStatus::Active).qualified_now);
    // Already above the bar while still Active (the status update was lost): count now.
    assert!(scorer.outcome(&hot, &hot, ChatStatus::Active).qualified_now);
}
