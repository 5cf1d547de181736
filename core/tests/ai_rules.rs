//! The rule-based responder against the evaluation set (three sample businesses, their
//! documents and campaigns, and customer messages with the intent and facts expected),
//! and the properties it must never break: the flow walked in order, a person when
//! asked, the truth about being a bot, no price but the campaign's, no panic.
//!
//! `cargo test -p closer-core --test ai_rules -- --nocapture` prints the score and a
//! table of the misses; with `CLOSER_EVAL_VERBOSE=1`, every reply.

#![cfg(feature = "ai")]

mod ai;

use ai::{Business, conversation, history_for, load_all, load_named, written_amounts};
use closer_core::ai::rules::RuleBased;
use closer_core::ai::{
    Conversation, FlowStep, Intent, KnowledgeBase, LeadSignal, QuickReply, Reply, Responder, Turn,
};
use closer_core::model::{BusinessInfo, Money, Sender, Timestamp};

/// The share of messages that must get the right intent and every required fact.
const PASS_MARK: f64 = 0.85;

fn answer(business: &Business, history: &[Turn], text: &str, step: FlowStep) -> Reply {
    let incoming = [text.to_owned()];
    RuleBased.answer(&conversation(business, history, &incoming, step))
}

fn answer_case(business: &Business, case: &ai::Case) -> Reply {
    answer(business, &history_for(&business.campaign, case.step), &case.text, case.step)
}

/// Why a reply misses its case, if it does.
fn misses(case: &ai::Case, reply: &Reply) -> Vec<String> {
    let mut problems = Vec::new();
    if reply.intent != case.intent {
        problems.push(format!("intent {:?}, expected {:?}", reply.intent, case.intent));
    }
    let text = reply.text.to_lowercase();
    for fact in &case.facts {
        if !text.contains(&fact.to_lowercase()) {
            problems.push(format!("missing {fact:?}"));
        }
    }
    if let Some(handoff) = case.handoff
        && reply.handoff != handoff
    {
        problems.push(format!("handoff {}, expected {handoff}", reply.handoff));
    }
    problems
}

#[test]
fn the_evaluation_set_scores_at_least_the_pass_mark() {
    let businesses = load_all();
    assert_eq!(businesses.len(), 3, "bakery, phone cases, yoga");
    let (mut total, mut correct) = (0usize, 0usize);
    let (mut held_out, mut held_out_correct) = (0usize, 0usize);
    let mut table = Vec::new();
    for business in &businesses {
        let mut business_correct = 0;
        for case in &business.cases {
            let reply = answer_case(business, case);
            let problems = misses(case, &reply);
            if std::env::var_os("CLOSER_EVAL_VERBOSE").is_some() {
                println!("{:<12} | {:<45} | {:?} | {:?}", business.name, case.text, reply.intent, reply.text);
            }
            total += 1;
            held_out += usize::from(case.held_out);
            if problems.is_empty() {
                correct += 1;
                held_out_correct += usize::from(case.held_out);
                business_correct += 1;
            } else {
                table.push(format!(
                    "{:<12} | {:<45} | {}\n{:<12} | reply: {:?}",
                    if case.held_out { format!("{} (h)", business.name) } else { business.name.clone() },
                    case.text,
                    problems.join("; "),
                    "",
                    reply.text
                ));
            }
        }
        println!("{:<12} {business_correct}/{}", business.name, business.cases.len());
    }
    assert!(total >= 60, "the set has {total} messages; at least 60 are needed");
    #[allow(clippy::cast_precision_loss)] // a few dozen messages
    let score = correct as f64 / total as f64;
    println!("rule-based evaluation: {correct}/{total} correct ({:.1}%)", score * 100.0);
    if held_out > 0 {
        #[allow(clippy::cast_precision_loss)]
        let held_out_score = held_out_correct as f64 / held_out as f64 * 100.0;
        println!("  of which held out (h): {held_out_correct}/{held_out} ({held_out_score:.1}%)");
    }
    if !table.is_empty() {
        eprintln!("misses ({}):\n{}", table.len(), table.join("\n"));
    }
    assert!(score >= PASS_MARK, "score {:.1}% is below {:.0}%", score * 100.0, PASS_MARK * 100.0);
}

/// Messages that invite a wrong price: fees, other products, haggling, a guess.
const PRICE_BAIT: &[&str] = &[
    "how much is delivery?",
    "how much does shipping cost to canada",
    "what does express shipping cost?",
    "price of the vegan cake?",
    "how much is a drop-in class?",
    "how much are private sessions with Lucía?",
    "how much is the galaxy s24 case",
    "is it $20?",
    "can you do it for 15 euros?",
    "too expensive, any discount?",
    "hi! how much, and do you deliver?",
];

#[test]
fn no_reply_ever_states_a_price_other_than_the_campaigns() {
    let mut violations = Vec::new();
    for business in load_all() {
        let price = business.campaign.product.price.clone().expect("fixture campaigns have a price");
        let steps =
            [FlowStep::Greeting, FlowStep::Qualification { index: 0 }, FlowStep::Closing, FlowStep::Done];
        let mut replies: Vec<(String, Reply)> =
            business.cases.iter().map(|c| (c.text.clone(), answer_case(&business, c))).collect();
        for bait in PRICE_BAIT {
            for step in steps {
                replies.push((
                    (*bait).to_owned(),
                    answer(&business, &history_for(&business.campaign, step), bait, step),
                ));
            }
        }
        for (message, reply) in replies {
            for amount in written_amounts(&reply.text) {
                if !amount.is(&price) {
                    violations
                        .push(format!("{}: {message:?} → {amount:?} in {:?}", business.name, reply.text));
                }
            }
        }
    }
    assert!(violations.is_empty(), "prices not in the campaign:\n{}", violations.join("\n"));
}

#[test]
fn another_campaigns_price_in_the_knowledge_base_is_never_quoted() {
    let mut business = load_named("phone-cases");
    let mut galaxy = business.campaign.clone();
    galaxy.name = "Galaxy Line".into();
    galaxy.product.name = "Galaxy Case".into();
    galaxy.product.price = Some(Money { amount_minor: 1999, currency: "USD".into() });
    business.knowledge = KnowledgeBase::train(
        &business.info,
        &business.documents,
        &[business.campaign.clone(), galaxy],
        Timestamp::now(),
    );
    for message in ["how much is the galaxy case?", "tell me about the Galaxy Case", "galaxy case price"] {
        let reply = answer(&business, &[], message, FlowStep::Done);
        assert!(!reply.text.contains("19.99"), "{message}: {}", reply.text);
    }

    // No campaign: no price may be stated at all, and a person confirms it.
    let incoming = ["how much is it?".to_owned()];
    let reply = RuleBased
        .answer(&Conversation { campaign: None, ..conversation(&business, &[], &incoming, FlowStep::Done) });
    assert!(written_amounts(&reply.text).is_empty(), "{}", reply.text);
    assert!(reply.handoff);
}

#[test]
fn the_flow_is_walked_greeting_questions_in_order_then_closing() {
    let bakery = load_named("bakery");
    let questions = &bakery.campaign.flow.qualification_questions;
    let mut history: Vec<Turn> = Vec::new();
    let mut step = FlowStep::Greeting;
    let say = |text: &str, step: FlowStep, history: &mut Vec<Turn>| {
        let reply = answer(&bakery, history, text, step);
        history.push(Turn { from: Sender::Customer, text: text.to_owned() });
        history.push(Turn { from: Sender::Ai, text: reply.text.clone() });
        assert!(reply.quick_replies.len() <= QuickReply::MAX_COUNT);
        for quick in &reply.quick_replies {
            assert!(quick.title.chars().count() <= QuickReply::MAX_TITLE_CHARS, "{quick:?}");
        }
        assert_eq!(reply.provider, "rules");
        reply
    };

    let reply = say("Oi, boa tarde!", step, &mut history);
    assert_eq!(reply.intent, Intent::Greeting);
    assert!(reply.text.starts_with(&bakery.campaign.flow.greeting), "greeting first: {}", reply.text);
    assert!(reply.text.contains(&questions[0].question));
    assert_eq!(reply.next_step, FlowStep::Qualification { index: 0 });
    let titles: Vec<&str> = reply.quick_replies.iter().map(|q| q.title.as_str()).collect();
    assert_eq!(titles, ["This week", "Next week", "Later"]);
    step = reply.next_step;

    // A question in the middle is answered, and the same question comes back.
    let reply = say("how much is it?", step, &mut history);
    assert_eq!(reply.intent, Intent::Price);
    assert!(reply.text.contains("€34.90") && reply.text.contains(&questions[0].question), "{}", reply.text);
    assert_eq!(reply.next_step, step);

    for (index, answer) in ["This week", "10 to 20"].into_iter().enumerate() {
        let reply = say(answer, step, &mut history);
        assert_eq!(reply.intent, Intent::QualificationAnswer, "{answer}");
        assert!(reply.signals.contains(&LeadSignal::AnsweredQualification));
        assert_eq!(reply.next_step, FlowStep::Qualification { index: index + 1 });
        assert!(reply.text.contains(&questions[index + 1].question), "{}", reply.text);
        assert_eq!(reply.quick_replies.len(), questions[index + 1].options.len());
        step = reply.next_step;
    }

    let reply = say("Pickup", step, &mut history);
    assert_eq!(reply.intent, Intent::QualificationAnswer);
    assert_eq!(reply.next_step, FlowStep::Closing);
    assert!(reply.text.contains("€34.90"), "the offer states the price: {}", reply.text);
    assert!(!reply.quick_replies.is_empty());
    step = reply.next_step;

    let reply = say("Yes, let's do it", step, &mut history);
    assert_eq!(reply.intent, Intent::ReadyToBuy);
    assert_eq!(reply.text, bakery.campaign.flow.closing_message);
    assert_eq!(reply.next_step, FlowStep::Done);
    assert!(reply.signals.contains(&LeadSignal::BuyingWords));
    assert!(!reply.handoff);
}

#[test]
fn a_customer_who_wants_to_buy_is_not_made_to_answer_questions() {
    let yoga = load_named("yoga");
    let reply = answer(&yoga, &[], "hello! I want to buy the pass", FlowStep::Greeting);
    assert_eq!(reply.intent, Intent::ReadyToBuy);
    assert!(reply.text.contains(&yoga.campaign.flow.greeting) && reply.text.contains("tideyoga.example/new"));
    assert_eq!(reply.next_step, FlowStep::Done);
    assert!(reply.quick_replies.is_empty());
}

#[test]
fn asking_for_a_person_hands_the_chat_over_politely() {
    let cases = load_named("phone-cases");
    for message in
        ["I want to talk to a human", "can someone call me? 512 555 0188", "quero falar com uma pessoa"]
    {
        let reply = answer(&cases, &[], message, FlowStep::Qualification { index: 0 });
        assert_eq!(reply.intent, Intent::WantsPerson, "{message}");
        assert!(reply.handoff, "{message}");
        assert!(reply.text.contains("CaseCraft") && reply.text.contains("person"), "{}", reply.text);
        assert!(reply.quick_replies.is_empty(), "no question while waiting for a person");
    }
    let reply = answer(&cases, &[], "can someone call me? 512 555 0188", FlowStep::Done);
    assert!(reply.signals.contains(&LeadSignal::GaveContact));

    // What nothing answers goes to a person; chit-chat does not.
    let reply = answer(&cases, &[], "do you sponsor skateboarding events?", FlowStep::Done);
    assert!(reply.handoff && reply.text.contains("not sure"), "{}", reply.text);
    let reply = answer(&cases, &[], "lol ok", FlowStep::Done);
    assert!(!reply.handoff, "{}", reply.text);
}

#[test]
fn the_assistant_says_it_is_automated_when_asked() {
    let bakery = load_named("bakery");
    for message in
        ["are you a bot?", "Are you human??", "is this a real person", "é um robô?", "eres un bot?"]
    {
        let reply = answer(&bakery, &[], message, FlowStep::Done);
        assert!(reply.text.contains("automated assistant"), "{message}: {}", reply.text);
        assert!(!reply.handoff, "{message}: asking is not asking for a person");
    }
    let reply = answer(&bakery, &[], "are you a bot? I want a real person", FlowStep::Done);
    assert!(reply.handoff && reply.text.contains("automated assistant"));
}

#[test]
fn signals_follow_the_message() {
    let bakery = load_named("bakery");
    let signals = |text: &str| answer(&bakery, &[], text, FlowStep::Done).signals;
    assert!(signals("how much?").contains(&LeadSignal::AskedPrice));
    assert!(signals("too expensive").contains(&LeadSignal::Objection));
    assert!(signals("I'll take one, my email is ana@example.com").contains(&LeadSignal::GaveContact));
    assert!(signals("I'll take one").contains(&LeadSignal::BuyingWords));
    assert!(signals("do you deliver to Oeiras?").contains(&LeadSignal::AskedAvailabilityOrShipping));
    assert!(signals("this is a scam").contains(&LeadSignal::NegativeWords));
    assert!(signals("hello").is_empty());
}

#[test]
fn bad_input_never_panics() {
    let bakery = load_named("bakery");
    let long: String = "Olá 🎂 how much délivery? ".chars().cycle().take(10_000).collect();
    let inputs: Vec<Vec<String>> = vec![
        vec![],
        vec![String::new()],
        vec!["   \n\t ".into()],
        vec![long.clone()],
        vec!["€".repeat(10_000)],
        vec!["9".repeat(10_000)],
        vec![long.clone(), "and one more".into()],
    ];
    let empty_knowledge = KnowledgeBase::default();
    let no_business = BusinessInfo::default();
    for incoming in &inputs {
        for step in
            [FlowStep::Greeting, FlowStep::Qualification { index: 99 }, FlowStep::Closing, FlowStep::Done]
        {
            let reply = RuleBased.answer(&conversation(&bakery, &[], incoming, step));
            assert!(!reply.text.trim().is_empty(), "{step:?}");
            let bare = Conversation {
                business: &no_business,
                campaign: None,
                knowledge: &empty_knowledge,
                history: &[],
                incoming,
                step,
            };
            assert!(!RuleBased.answer(&bare).text.trim().is_empty());
        }
    }
    let reply = answer(&bakery, &[], "   ", FlowStep::Greeting);
    assert!(reply.text.starts_with(&bakery.campaign.flow.greeting), "an empty first message is greeted");
    let reply = answer(&bakery, &[], "", FlowStep::Done);
    assert!(!reply.handoff);
}

#[test]
fn replies_are_deterministic() {
    let cases = load_named("phone-cases");
    for case in &cases.cases {
        assert_eq!(answer_case(&cases, case), answer_case(&cases, case), "{}", case.text);
    }
}

#[tokio::test]
async fn it_answers_through_the_responder_trait() {
    let yoga = load_named("yoga");
    let responder: &dyn Responder = &RuleBased;
    assert_eq!(responder.name(), "rules");
    let incoming = ["precio?".to_owned()];
    let reply =
        responder.reply(&conversation(&yoga, &[], &incoming, FlowStep::Done)).await.expect("never fails");
    assert!(reply.text.contains("£45.00"), "{}", reply.text);
}
